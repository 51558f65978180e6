/* libFuzzer harness for the request-body parsers (src/api/body.c): every
 * input must be accepted or refused without crashing, leaking or reading out
 * of bounds, and a refusal must leave nothing allocated. The first byte picks
 * the parser. */
#include <stddef.h>
#include <stdint.h>

#include "api/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[256];
	if (size < 1)
		return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0: {
		struct brink_spec spec;
		if (brink_body_service(buf, len, &spec, msg, sizeof(msg)) == BRINK_BODY_OK)
			brink_spec_free(&spec);
		break;
	}
	case 1: {
		struct brink_tenant_body t;
		brink_body_tenant(buf, len, &t, msg, sizeof(msg));
		break;
	}
	default: {
		struct brink_thing_body t;
		brink_body_thing(buf, len, &t, msg, sizeof(msg));
		break;
	}
	}
	return 0;
}
