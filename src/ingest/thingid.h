/* Small hand-written parsers of what things send before any reading: the
 * DTLS-PSK identity and the bootstrap request. No library knows these two
 * formats (they are brink's own); both are bounded and fuzzed
 * (tests/fuzz/fuzz_thingid.c). */
#ifndef BRINK_INGEST_THINGID_H
#define BRINK_INGEST_THINGID_H

#include <stddef.h>

#include "brink/model.h"

#define BRINK_PSK_IDENTITY_MAX (2 * BRINK_NAME_MAX + 1)
#define BRINK_BOOT_KEY_MAX 128
#define BRINK_BOOT_PROTO_MAX 15

enum brink_thingid_status { BRINK_THINGID_OK, BRINK_THINGID_MALFORMED };

/* A DTLS-PSK identity "<tenant name>/<thing name>" (thing names are unique
 * per tenant only): both names valid (brink_name_valid), so no other '/'.
 * Fills tenant and thing (NUL-terminated); MALFORMED otherwise, leaving them
 * empty. */
enum brink_thingid_status brink_psk_identity_parse(const void *id, size_t len,
						   char tenant[BRINK_NAME_MAX + 1],
						   char thing[BRINK_NAME_MAX + 1]);

/* A bootstrap request as ECM's things send it, "<key>", or brink's
 * "<key> <protocol>" (tcp, coap, coaps, ...), followed by optional
 * whitespace. Fills key and proto ("" when none was named), both printable
 * ASCII without spaces; MALFORMED for anything else (empty, too long,
 * control bytes, a third word), leaving them empty. */
enum brink_thingid_status brink_bootstrap_parse(const char *buf, size_t len,
						char key[BRINK_BOOT_KEY_MAX + 1],
						char proto[BRINK_BOOT_PROTO_MAX + 1]);

#endif
