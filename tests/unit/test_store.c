/* The store against a real SQLite database in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct brink_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct brink_error *err = NULL;
	strcpy(f->dir, "/tmp/brink-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/brink.db", f->dir);
	assert_int_equal(brink_store_open(f->path, &f->st, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	brink_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const uint8_t hash_a[BRINK_KEY_HASH_LEN] = {1};
static const uint8_t hash_b[BRINK_KEY_HASH_LEN] = {2};
static const uint8_t hash_t[BRINK_KEY_HASH_LEN] = {3};

static void add_tenant(struct brink_store *st, const char *id, const char *name,
		       const uint8_t *hash)
{
	struct brink_tenant t = {.created = 1};
	struct brink_error *err = NULL;
	strcpy(t.id, id);
	strcpy(t.name, name);
	assert_int_equal(brink_store_tenant_insert(st, &t, hash, &err), 0);
}

static void tenants_and_keys(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	struct brink_tenant t;
	assert_int_equal(brink_store_version(f->st), 3); /* the migrations so far */
	add_tenant(f->st, "00000000000000a1", "acme", hash_a);
	struct brink_tenant dup = {.created = 1};
	strcpy(dup.id, "00000000000000a2");
	strcpy(dup.name, "acme");
	assert_int_equal(brink_store_tenant_insert(f->st, &dup, hash_b, &err), -1);
	assert_int_equal(err->code, BRINK_E_CONFLICT);
	brink_error_free(&err);
	assert_int_equal(brink_store_tenant_by_key(f->st, hash_a, &t, &err), 0);
	assert_string_equal(t.name, "acme");
	assert_int_equal(brink_store_tenant_by_key(f->st, hash_b, &t, &err), -1);
	assert_int_equal(err->code, BRINK_E_NOT_FOUND);
	brink_error_free(&err);
	assert_int_equal(brink_store_tenant_set_key(f->st, "00000000000000a1", hash_b, &err), 0);
	assert_int_equal(brink_store_tenant_by_key(f->st, hash_a, &t, &err), -1);
	brink_error_free(&err);
	assert_int_equal(brink_store_tenant_by_key(f->st, hash_b, &t, &err), 0);
}

static int count_thing(void *ctx, const struct brink_thing *t)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static void things_are_scoped(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	struct brink_thing t = {.created = 5}, out;
	int n = 0;
	add_tenant(f->st, "00000000000000a1", "acme", hash_a);
	add_tenant(f->st, "00000000000000b1", "beta", hash_b);
	strcpy(t.id, "00000000000000c1");
	strcpy(t.tenant_id, "00000000000000a1");
	strcpy(t.name, "temp");
	assert_int_equal(brink_store_thing_insert(f->st, &t, hash_t, &err), 0);
	assert_int_equal(brink_store_thing_get(f->st, "00000000000000a1", t.id, &out, &err), 0);
	assert_string_equal(out.name, "temp");
	assert_int_equal(brink_store_thing_get(f->st, "00000000000000b1", t.id, &out, &err), -1);
	assert_int_equal(err->code, BRINK_E_NOT_FOUND);
	brink_error_free(&err);
	assert_int_equal(brink_store_thing_delete(f->st, "00000000000000b1", t.id, &err), -1);
	brink_error_free(&err);
	assert_int_equal(brink_store_thing_list(f->st, "00000000000000a1", count_thing, &n, &err), 0);
	assert_int_equal(n, 1);
}

static int keep_service(void *ctx, const struct brink_service_rec *s)
{
	struct brink_service_rec *out = ctx;
	*out = *s;
	brink_spec_copy(&out->spec, &s->spec);
	return 0;
}

static void services_round_trip_and_cascade(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	brink_id things[1] = {"00000000000000c1"};
	char cols[2][BRINK_NAME_MAX + 1] = {"temp", "hum"};
	struct brink_service_rec s = {.desired_running = true, .state = BRINK_STATE_RUNNING,
				      .created = 9};
	struct brink_service_rec got;
	add_tenant(f->st, "00000000000000a1", "acme", hash_a);
	strcpy(s.id, "00000000000000d1");
	strcpy(s.tenant_id, "00000000000000a1");
	s.spec = (struct brink_spec){.kind = BRINK_KIND_ANALYZE, .cpu_min = 0.25, .cpu_max = 0.5,
				     .memory_mb = 64, .nthings = 1, .things = things,
				     .ncolumns = 2, .columns = cols, .mode = BRINK_MODE_BATCH,
				     .batch = 7};
	strcpy(s.spec.runtime, "sandbox");
	assert_int_equal(brink_store_service_insert(f->st, &s, &err), 0);
	assert_int_equal(brink_store_service_set_state(f->st, s.id, false, BRINK_STATE_STOPPED, "",
						       &err),
			 0);
	/* reopen: what was acknowledged is on disk */
	brink_store_close(f->st);
	assert_int_equal(brink_store_open(f->path, &f->st, &err), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(brink_store_service_load(f->st, keep_service, &got, &err), 0);
	assert_string_equal(got.id, s.id);
	assert_int_equal(got.state, BRINK_STATE_STOPPED);
	assert_false(got.desired_running);
	assert_int_equal(got.spec.kind, BRINK_KIND_ANALYZE);
	assert_true(got.spec.cpu_min == 0.25);
	assert_int_equal(got.spec.nthings, 1);
	assert_string_equal(got.spec.things[0], "00000000000000c1");
	assert_int_equal(got.spec.ncolumns, 2);
	assert_string_equal(got.spec.columns[1], "hum");
	assert_int_equal(got.spec.batch, 7);
	brink_spec_free(&got.spec);
	/* unsubscribe: one statement removes the tenant with everything it owns */
	assert_int_equal(brink_store_tenant_delete(f->st, "00000000000000a1", &err), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(brink_store_service_load(f->st, keep_service, &got, &err), 0);
	assert_string_equal(got.id, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tenants_and_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(things_are_scoped, setup, teardown),
		cmocka_unit_test_setup_teardown(services_round_trip_and_cascade, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
