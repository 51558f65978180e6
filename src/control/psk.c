/* Thing keys a DTLS server can use. A PSK must be known in clear at
 * handshake time, which a hash cannot give; so each thing key is also kept
 * sealed with libsodium's secretbox (XChaCha20-Poly1305, a random 192-bit
 * nonce per seal) under a 256-bit gateway master key that lives in its own
 * 0600 file beside the database, never in it: a copy of brink.db alone
 * reveals no key. Authentication everywhere else still uses the hash. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brink/log.h"
#include "control/control-internal.h"

_Static_assert(crypto_secretbox_xchacha20poly1305_NONCEBYTES == 24, "nonce size");
_Static_assert(crypto_secretbox_xchacha20poly1305_MACBYTES == 16, "mac size");
_Static_assert(CONTROL_SEALED_LEN <= BRINK_SEALED_MAX, "sealed key fits the store");

static int make_master(struct brink_control *ctl, const char *path, struct brink_error **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return brink_error_sys(err, errno, "creating %s", path);
	randombytes_buf(ctl->master, sizeof(ctl->master));
	ssize_t n = write(fd, ctl->master, sizeof(ctl->master));
	int rc = n == (ssize_t)sizeof(ctl->master) && fsync(fd) == 0 ? 0 : -1;
	int saved = errno;
	close(fd);
	if (rc < 0) {
		unlink(path);
		return brink_error_sys(err, n < 0 ? saved : EIO, "writing %s", path);
	}
	log_info("made the gateway master key %s (it seals thing keys for DTLS)", path);
	return 0;
}

static int read_master(struct brink_control *ctl, int fd, const char *path,
		       struct brink_error **err)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return brink_error_sys(err, errno, "reading %s", path);
	if (sb.st_size != (off_t)sizeof(ctl->master))
		return brink_error_make(err, BRINK_E_INVALID,
					"%s: a master key is %zu bytes, this file has %lld", path,
					sizeof(ctl->master), (long long)sb.st_size);
	if (sb.st_mode & 077) {
		log_warn("%s was readable by others (mode %03o): set to 0600", path,
			 (unsigned)(sb.st_mode & 0777));
		if (fchmod(fd, 0600) < 0)
			return brink_error_sys(err, errno, "chmod 0600 %s", path);
	}
	if (read(fd, ctl->master, sizeof(ctl->master)) != (ssize_t)sizeof(ctl->master))
		return brink_error_sys(err, errno ? errno : EIO, "reading %s", path);
	return 0;
}

int control__master_load(struct brink_control *ctl, struct brink_error **err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/master.key", ctl->cfg.data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return make_master(ctl, path, err);
	if (fd < 0)
		return brink_error_sys(err, errno, "opening %s", path);
	int rc = read_master(ctl, fd, path, err);
	close(fd);
	return rc;
}

void control__key_seal(const struct brink_control *ctl, const char *key,
		       uint8_t out[CONTROL_SEALED_LEN])
{
	uint8_t *nonce = out;
	randombytes_buf(nonce, crypto_secretbox_xchacha20poly1305_NONCEBYTES);
	crypto_secretbox_xchacha20poly1305_easy(out + crypto_secretbox_xchacha20poly1305_NONCEBYTES,
						(const unsigned char *)key, BRINK_KEY_LEN, nonce,
						ctl->master);
}

/* Opens a sealed key into psk; false when it is not one of ours. */
static bool key_open(const struct brink_control *ctl, const uint8_t *sealed, size_t len,
		     brink_key psk)
{
	const size_t nb = crypto_secretbox_xchacha20poly1305_NONCEBYTES;
	if (len != CONTROL_SEALED_LEN)
		return false;
	if (crypto_secretbox_xchacha20poly1305_open_easy((unsigned char *)psk, sealed + nb,
							 len - nb, sealed, ctl->master) != 0)
		return false;
	psk[BRINK_KEY_LEN] = '\0';
	return strlen(psk) == BRINK_KEY_LEN;
}

int brink_control_thing_rekey(struct brink_control *ctl, const char *tenant_id, const char *id,
			      struct brink_thing *out, brink_key key_out, struct brink_error **err)
{
	uint8_t hash[BRINK_KEY_HASH_LEN], sealed[CONTROL_SEALED_LEN];
	control__new_key(key_out);
	control__key_hash(key_out, hash);
	control__key_seal(ctl, key_out, sealed);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_thing_rekey(ctl->st, tenant_id, id, hash, sealed, sizeof(sealed), err);
	if (rc == 0)
		rc = brink_store_thing_get(ctl->st, tenant_id, id, out, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_thing_psk(struct brink_control *ctl, const char *tenant_name,
			    const char *thing_name, struct brink_thing *out, brink_key psk,
			    struct brink_error **err)
{
	uint8_t sealed[BRINK_SEALED_MAX];
	size_t len = 0;
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_thing_by_names(ctl->st, tenant_name, thing_name, out, sealed, &len,
					    err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0)
		return rc;
	if (len == 0)
		return brink_error_make(err, BRINK_E_CONFLICT,
					"the thing has no stored key (made before keys were "
					"sealed): rotate its key to use DTLS");
	if (!key_open(ctl, sealed, len, psk))
		return brink_error_make(err, BRINK_E_CONFLICT,
					"the thing's stored key does not open with this gateway's "
					"master key: rotate its key to use DTLS");
	return 0;
}

int brink_control_thing_identity(struct brink_control *ctl, const struct brink_thing *t,
				 char *out, size_t size, struct brink_error **err)
{
	struct brink_tenant tenant;
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_get(ctl->st, t->tenant_id, &tenant, err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc == 0)
		snprintf(out, size, "%s/%s", tenant.name, t->name);
	return rc;
}
