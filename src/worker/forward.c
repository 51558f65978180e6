#include "worker/forward.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t brink_forward_format(const uint8_t *rec, size_t len, uint64_t time_ns, char *out,
			    size_t cap)
{
	const uint8_t *nl = memchr(rec, '\n', len);
	if (!nl || nl == rec)
		return 0;
	size_t name_len = (size_t)(nl - rec);
	const char *obj = (const char *)nl + 1;
	size_t obj_len = len - name_len - 1;
	if (obj_len < 2 || obj[0] != '{' || obj[obj_len - 1] != '}')
		return 0;
	/* the reading's fields follow ours: skip its '{' (and its '}' if empty) */
	size_t body = obj_len - 1;
	int empty = obj_len == 2;
	int n = snprintf(out, cap, "{\"thing\":\"%.*s\",\"received\":%" PRIu64 ".%06" PRIu64 "%s",
			 (int)name_len, (const char *)rec, time_ns / 1000000000u,
			 (time_ns % 1000000000u) / 1000u, empty ? "}" : ",");
	if (n < 0 || (size_t)n >= cap || (!empty && (size_t)n + body > cap))
		return 0;
	if (!empty)
		memcpy(out + n, obj + 1, body);
	return (size_t)n + (empty ? 0 : body);
}
