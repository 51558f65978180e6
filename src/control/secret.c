#include <sodium.h>
#include <string.h>

#include "control/control-internal.h"

void control__new_id(brink_id out)
{
	uint64_t v;
	randombytes_buf(&v, sizeof(v));
	brink_id_from_u64(v, out);
}

void control__new_key(brink_key out)
{
	unsigned char raw[24]; /* 192 bits */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, sizeof(brink_key), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* Keys carry 192 random bits, so a fast keyed-less hash (BLAKE2b) is enough:
 * there is nothing to brute-force. Passwords get argon2id below. */
void control__key_hash(const char *key, uint8_t out[BRINK_KEY_HASH_LEN])
{
	crypto_generichash(out, BRINK_KEY_HASH_LEN, (const unsigned char *)key, strlen(key), NULL,
			   0);
}

int control__password_hash(const char *password, char *out, size_t outlen,
			   struct brink_error **err)
{
	if (outlen < crypto_pwhash_STRBYTES)
		return brink_error_make(err, BRINK_E_INTERNAL, "password hash buffer too small");
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "hashing the password: out of memory");
	return 0;
}
