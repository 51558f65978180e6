/* libFuzzer harness for the INI configuration parser (src/core/config.c). */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brink_config cfg;
	char msg[256];
	brink_config_defaults(&cfg);
	brink_config_parse(&cfg, (const char *)data, size, false, msg, sizeof(msg));
	brink_config_parse(&cfg, (const char *)data, size, true, msg, sizeof(msg));
	return 0;
}
