/* libFuzzer harness for image references (src/common/imageref.c).
 *
 * Whatever the input, the parser must not read past it; when it accepts, the
 * parts must tile the text (name [":" tag] ["@" digest]), hold only the
 * grammar's characters, and a second parse of the same bytes must agree. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brink/imageref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool allowed(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._-/:@+", c) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1); /* exactly size bytes: ASan catches overreads */
	check(s != NULL);
	memcpy(s, data, size);
	struct brink_imageref r, again;
	enum brink_imageref_status st = brink_imageref_parse(s, size, &r);
	check(brink_imageref_strerror(st) != NULL);
	if (st == BRINK_IMAGEREF_OK) {
		check(size > 0 && size <= BRINK_IMAGEREF_MAX);
		check(r.name_len > 0 && r.name_len <= BRINK_IMAGEREF_NAME_MAX);
		check(r.domain_len < r.name_len);
		for (size_t i = 0; i < size; i++)
			check(allowed(s[i]));
		size_t end = r.name_len;
		if (r.tag_len) {
			check(r.tag_off == end + 1 && s[end] == ':');
			end = r.tag_off + r.tag_len;
		}
		if (r.digest_len) {
			check(r.digest_off == end + 1 && s[end] == '@');
			end = r.digest_off + r.digest_len;
		}
		check(end == size);
		check(memchr(s, '@', r.name_len) == NULL);
	} else {
		check(r.name_len == 0 && r.tag_len == 0 && r.digest_len == 0);
	}
	check(brink_imageref_parse(s, size, &again) == st);
	check(memcmp(&r, &again, sizeof(r)) == 0);
	free(s);
	return 0;
}
