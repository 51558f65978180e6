/* The gateway master key file and sealed thing keys (src/control/psk.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "control/control-internal.h"

struct fixture {
	char dir[64];
	char path[128];
	struct brink_control ctl;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/brink-test-psk.XXXXXX");
	if (!f || !mkdtemp(f->dir) || sodium_init() < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/master.key", f->dir);
	snprintf(f->ctl.cfg.data_dir, sizeof(f->ctl.cfg.data_dir), "%s", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_made_once_then_read(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	uint8_t first[32];
	struct stat sb;
	assert_int_equal(control__master_load(&f->ctl, &err), 0);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 32);
	memcpy(first, f->ctl.master, 32);
	memset(f->ctl.master, 0, 32);
	assert_int_equal(control__master_load(&f->ctl, &err), 0);
	assert_memory_equal(first, f->ctl.master, 32);
}

static void test_wrong_size_refused(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	FILE *fp = fopen(f->path, "w");
	fputs("short", fp);
	fclose(fp);
	assert_int_equal(control__master_load(&f->ctl, &err), -1);
	assert_int_equal(err->code, BRINK_E_INVALID);
	brink_error_free(&err);
}

static void test_wide_mode_narrowed(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	struct stat sb;
	assert_int_equal(control__master_load(&f->ctl, &err), 0);
	chmod(f->path, 0644);
	assert_int_equal(control__master_load(&f->ctl, &err), 0);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_seal_opens_with_the_master_key_only(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	const char *key = "UY6f4S6CWruNBGA5TPwM3Kf_2VCSYN_l";
	uint8_t a[CONTROL_SEALED_LEN], b[CONTROL_SEALED_LEN];
	char out[BRINK_KEY_LEN + 1] = {0};
	assert_int_equal(control__master_load(&f->ctl, &err), 0);
	control__key_seal(&f->ctl, key, a);
	control__key_seal(&f->ctl, key, b);
	assert_memory_not_equal(a, b, sizeof(a)); /* a fresh nonce each time */
	assert_int_equal(crypto_secretbox_xchacha20poly1305_open_easy(
				 (unsigned char *)out, a + 24, sizeof(a) - 24, a, f->ctl.master),
			 0);
	assert_string_equal(out, key);
	assert_null(memmem(a, sizeof(a), key, 8)); /* not in clear */
	f->ctl.master[0] ^= 1;
	assert_int_not_equal(crypto_secretbox_xchacha20poly1305_open_easy(
				     (unsigned char *)out, a + 24, sizeof(a) - 24, a, f->ctl.master),
			     0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_made_once_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_size_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_mode_narrowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_opens_with_the_master_key_only, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
