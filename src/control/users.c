#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "control/control-internal.h"
#include "control/users.h"

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

/* A hash to verify against when the name is unknown, so that a wrong name
 * costs what a wrong password costs. */
static void make_dummy(void)
{
	unsigned char raw[16];
	char pw[sizeof(raw) * 2 + 1];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

int brink_control_login(struct brink_control *ctl, const char *name, const char *password,
			struct brink_tenant *out, struct brink_error **err)
{
	struct brink_tenant t = {0};
	struct brink_error *lookup = NULL;
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_by_name(ctl->st, name, &t, &lookup);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0 && lookup->code != BRINK_E_NOT_FOUND) {
		*err = lookup;
		return -1;
	}
	brink_error_free(&lookup);
	bool ok = rc == 0 && t.pw_hash[0];
	const char *hash = ok ? t.pw_hash : (pthread_once(&dummy_once, make_dummy), dummy_hash);
	if (hash[0] && crypto_pwhash_str_verify(hash, password, strlen(password)) != 0)
		ok = false;
	if (!ok)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "wrong name or password");
	*out = t;
	return 0;
}

int brink_control_tenant_list(struct brink_control *ctl,
			      int (*cb)(void *ctx, const struct brink_tenant *t), void *ctx,
			      struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_list(ctl->st, cb, ctx, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
