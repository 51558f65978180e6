/* brink sensor simulate --protocol coap|coaps (sensor_coap.c): what
 * sensor.c hands over once the command line is read. */
#ifndef BRINK_CLI_SENSOR_COAP_H
#define BRINK_CLI_SENSOR_COAP_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli-internal.h"

struct cli_coap_thing {
	const char *name; /* coaps: "<tenant>/<thing>", the PSK identity */
	const char *key;
};

struct cli_coap_plan {
	const struct cli_coap_thing *things;
	size_t n;
	const char *const *fields; /* temp and hum get ECM-like ranges */
	size_t nfields;
	double rate; /* readings a second per thing; 0: as fast as answers come */
	long count;  /* per thing; 0: until Ctrl-C */
	const char *host;
	long port; /* 0: 5683, or 5684 with dtls */
	bool dtls; /* coaps: DTLS-PSK, identity the name, PSK the key */
	bool non;  /* non-confirmable requests */
};

/* Plays the things over CoAP with libcoap's client API, prints a summary
 * (JSON with --json). Returns CLI_OK, CLI_EAPI when brinkd refused a
 * reading or a thing, CLI_ECONNECT when nothing answered. */
int cli__sensor_coap(const struct cli_ctx *ctx, const struct cli_coap_plan *plan);

#endif
