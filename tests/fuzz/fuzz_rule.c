/* libFuzzer harness for the rule compiler (src/analyze/rule.c). Every input
 * must compile or be refused with a message naming a column, without
 * crashing, leaking or reading out of bounds; a compiled rule must list at
 * most 64 distinct non-empty fields and evaluate on any values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = 0;
	struct brink_rule *r = NULL;
	struct brink_error *err = NULL;
	if (brink_rule_compile(src, &r, &err) == 0) {
		size_t n = brink_rule_fields(r);
		if (n > 64 || err)
			abort();
		double values[64];
		for (size_t i = 0; i < n; i++) {
			const char *f = brink_rule_field(r, i);
			if (!f || !*f)
				abort();
			values[i] = (double)i - 1.5;
		}
		(void)brink_rule_eval(r, values);
		brink_rule_free(r);
	} else if (r || !err || (!strstr(err->msg, "column") && err->code != BRINK_E_TOO_LARGE)) {
		abort();
	}
	brink_error_free(&err);
	free(src);
	return 0;
}
