/* Container image references, as the Docker distribution grammar defines them
 * (github.com/distribution/reference, reference.go; facts only):
 *
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] component ("/" component)*
 *   domain    := label ("." label)* [":" port]   label: [A-Za-z0-9] or
 *                                                [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
 *   component := [a-z0-9]+ (sep [a-z0-9]+)*       sep: "." | "_" | "__" | "-"+
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    := alg ":" hex{32,}                 alg: [A-Za-z][A-Za-z0-9]* ([+._-] ...)*
 *
 * The first component is a domain when there is more than one and it holds a
 * "." or a ":" or is "localhost". The name is at most 255 bytes. Nothing
 * else passes: no whitespace, no control characters, nothing a shell or an
 * option parser could read as more than one word. */
#ifndef BRINK_IMAGEREF_H
#define BRINK_IMAGEREF_H

#include <stddef.h>

#define BRINK_IMAGEREF_MAX 512 /* whole reference, bytes */
#define BRINK_IMAGEREF_NAME_MAX 255

enum brink_imageref_status {
	BRINK_IMAGEREF_OK,
	BRINK_IMAGEREF_EMPTY,
	BRINK_IMAGEREF_TOO_LONG,
	BRINK_IMAGEREF_BAD_CHAR,   /* whitespace, control, anything outside the grammar */
	BRINK_IMAGEREF_BAD_DOMAIN,
	BRINK_IMAGEREF_BAD_NAME,
	BRINK_IMAGEREF_BAD_TAG,
	BRINK_IMAGEREF_BAD_DIGEST,
};

/* Where the parts lie in the text (offsets and lengths; len 0 = absent). */
struct brink_imageref {
	size_t name_len;             /* the name, domain included, starts at 0 */
	size_t domain_len;           /* the domain within the name (port included) */
	size_t tag_off, tag_len;
	size_t digest_off, digest_len;
};

/* Parses s[0..len). Bounded, no allocation; on failure *out is zeroed. */
enum brink_imageref_status brink_imageref_parse(const char *s, size_t len,
						struct brink_imageref *out);

/* A sentence for a status ("the tag is not valid"). */
const char *brink_imageref_strerror(enum brink_imageref_status st);

#endif
