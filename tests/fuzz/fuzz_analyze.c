/* libFuzzer harness for the analyze worker's input handling
 * (src/worker/analyze.c): readings as brinkd hands them over ("<thing>\n<JSON
 * object>"), in datum and batch mode, and the worker's configuration text.
 * Every input must give a result line or be counted as skipped, never crash,
 * leak or read out of bounds. The first byte picks the target. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rule[] = "temp > 30 || hum * 2 > 120";

static struct brink_analyze *open_mode(const char *mode)
{
	static struct brink_analyze *cache[2];
	int batch = strcmp(mode, "batch") == 0;
	if (!cache[batch]) {
		char config[256], msg[256];
		snprintf(config, sizeof(config),
			 "{\"format\":\"rules\",\"columns\":[],\"mode\":\"%s\",\"batch\":3,"
			 "\"labels\":[],\"threshold\":0.5,\"alerts\":-1,\"inputs\":2,\"outputs\":1}",
			 mode);
		if (brink_analyze_open(config, rule, strlen(rule), &cache[batch], msg, sizeof(msg)) < 0)
			abort(); /* the harness itself is wrong */
	}
	return cache[batch];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[65536];
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	if (data[0] % 3 == 2) {
		char *config = strndup((const char *)in, len);
		struct brink_analyze *a = NULL;
		char msg[256];
		if (config && brink_analyze_open(config, rule, strlen(rule), &a, msg, sizeof(msg)) == 0)
			brink_analyze_free(a);
		free(config);
		return 0;
	}
	struct brink_analyze *a = open_mode(data[0] % 3 ? "batch" : "datum");
	size_t n = brink_analyze_reading(a, in, len, 1700000000123456789ull, out, sizeof(out));
	if (n >= sizeof(out))
		abort();
	return 0;
}
