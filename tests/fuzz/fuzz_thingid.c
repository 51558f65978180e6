/* libFuzzer harness for the PSK identity and bootstrap request parsers
 * (src/ingest/thingid.c). Byte 0 picks the parser; the rest is the input.
 * Checks: a success gives valid names / printable words that rebuild the
 * input; a failure leaves the outputs empty. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/thingid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void identity(const uint8_t *p, size_t n)
{
	char tenant[BRINK_NAME_MAX + 1], thing[BRINK_NAME_MAX + 1], again[2 * BRINK_NAME_MAX + 2];
	if (brink_psk_identity_parse(p, n, tenant, thing) != BRINK_THINGID_OK) {
		check(!tenant[0] && !thing[0]);
		return;
	}
	check(brink_name_valid(tenant) && brink_name_valid(thing));
	int k = snprintf(again, sizeof(again), "%s/%s", tenant, thing);
	check((size_t)k == n && memcmp(again, p, n) == 0);
}

static bool printable_word(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s >= 127)
			return false;
	return true;
}

static void bootstrap(const uint8_t *p, size_t n)
{
	char key[BRINK_BOOT_KEY_MAX + 1], proto[BRINK_BOOT_PROTO_MAX + 1];
	if (brink_bootstrap_parse((const char *)p, n, key, proto) != BRINK_THINGID_OK) {
		check(!key[0] && !proto[0]);
		return;
	}
	check(key[0] && printable_word(key) && printable_word(proto));
	check(strlen(key) <= BRINK_BOOT_KEY_MAX && strlen(proto) <= BRINK_BOOT_PROTO_MAX);
	check(memcmp(p, key, strlen(key)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		identity(data + 1, size - 1);
	else
		bootstrap(data + 1, size - 1);
	return 0;
}
