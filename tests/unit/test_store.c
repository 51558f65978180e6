/* The store against a real SQLite database in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store-internal.h"

static int migration_count(void)
{
	int n = 0;
	while (store__migrations[n])
		n++;
	return n;
}

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
	assert_int_equal(brink_store_version(f->st), migration_count()); /* all applied */
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

static int count_model(void *ctx, const struct brink_model_rec *m)
{
	(void)m;
	(*(int *)ctx)++;
	return 0;
}

static void add_model(struct brink_store *st, const char *tenant, const char *id, const char *name,
		      int expect)
{
	static struct brink_model_rec m;
	struct brink_error *err = NULL;
	memset(&m, 0, sizeof(m));
	strcpy(m.id, id);
	strcpy(m.tenant_id, tenant);
	strcpy(m.name, name);
	m.format = BRINK_MODEL_RULES;
	m.inputs = 2;
	m.outputs = 1;
	strcpy(m.summary, "{\"fields\":[\"temp\",\"hum\"]}");
	assert_int_equal(brink_store_model_insert(st, &m, "temp > 30 || hum > 60", 21, &err), expect);
	if (expect < 0) {
		assert_int_equal(err->code, BRINK_E_CONFLICT);
		brink_error_free(&err);
	}
}

static void models_are_scoped(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	static struct brink_model_rec got;
	void *data = NULL;
	size_t len = 0;
	int n = 0;
	add_tenant(f->st, "00000000000000a1", "acme", hash_a);
	add_tenant(f->st, "00000000000000b1", "bolt", hash_b);
	add_model(f->st, "00000000000000a1", "00000000000000e1", "rules", 0);
	add_model(f->st, "00000000000000a1", "00000000000000e2", "rules", -1); /* name taken */
	add_model(f->st, "00000000000000b1", "00000000000000e3", "rules", 0);  /* per tenant */
	assert_int_equal(brink_store_model_get(f->st, "00000000000000a1", "00000000000000e1", &got,
					       &err), 0);
	assert_int_equal(got.size, 21);
	assert_int_equal(got.inputs, 2);
	assert_int_equal(got.format, BRINK_MODEL_RULES);
	assert_int_equal(brink_store_model_data(f->st, "00000000000000a1", "00000000000000e1", &data,
						&len, &err), 0);
	assert_int_equal(len, 21);
	assert_memory_equal(data, "temp > 30 || hum > 60", 21);
	free(data);
	/* another tenant's model is exactly as absent as a missing one */
	assert_int_equal(brink_store_model_get(f->st, "00000000000000b1", "00000000000000e1", &got,
					       &err), -1);
	assert_int_equal(err->code, BRINK_E_NOT_FOUND);
	brink_error_free(&err);
	assert_int_equal(brink_store_model_delete(f->st, "00000000000000b1", "00000000000000e1",
						  &err), -1);
	brink_error_free(&err);
	assert_int_equal(brink_store_model_list(f->st, "00000000000000a1", count_model, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(brink_store_model_delete(f->st, "00000000000000a1", "00000000000000e1",
						  &err), 0);
	/* unsubscribe takes the tenant's models along */
	assert_int_equal(brink_store_tenant_delete(f->st, "00000000000000b1", &err), 0);
	n = 0;
	assert_int_equal(brink_store_model_list(f->st, "00000000000000b1", count_model, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* A model's compiled image: absent until set, then what a start loads. */
static void model_images(void **state)
{
	struct fixture *f = *state;
	struct brink_error *err = NULL;
	static struct brink_model_rec got;
	void *data = NULL;
	size_t len = 0;
	bool compiled = true;
	add_tenant(f->st, "00000000000000a1", "acme", hash_a);
	add_tenant(f->st, "00000000000000b1", "bolt", hash_b);
	add_model(f->st, "00000000000000a1", "00000000000000e1", "m", 0);
	assert_int_equal(brink_store_model_get(f->st, "00000000000000a1", "00000000000000e1", &got,
					       &err), 0);
	assert_false(got.compiled);
	assert_int_equal(brink_store_model_start_data(f->st, "00000000000000a1", "00000000000000e1",
						      &data, &len, &compiled, &err), 0);
	assert_false(compiled);
	assert_int_equal(len, 21); /* the file */
	free(data);
	/* another tenant cannot set it */
	assert_int_equal(brink_store_model_set_image(f->st, "00000000000000b1", "00000000000000e1",
						     "IMG", 3, &err), -1);
	assert_int_equal(err->code, BRINK_E_NOT_FOUND);
	brink_error_free(&err);
	assert_int_equal(brink_store_model_set_image(f->st, "00000000000000a1", "00000000000000e1",
						     "IMAGE", 5, &err), 0);
	assert_int_equal(brink_store_model_get(f->st, "00000000000000a1", "00000000000000e1", &got,
					       &err), 0);
	assert_true(got.compiled);
	assert_int_equal(brink_store_model_start_data(f->st, "00000000000000a1", "00000000000000e1",
						      &data, &len, &compiled, &err), 0);
	assert_true(compiled);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "IMAGE", 5);
	free(data);
	assert_int_equal(brink_store_model_data(f->st, "00000000000000a1", "00000000000000e1", &data,
						&len, &err), 0);
	assert_int_equal(len, 21); /* the file stays */
	free(data);
	assert_int_equal(brink_store_model_start_data(f->st, "00000000000000b1", "00000000000000e1",
						      &data, &len, &compiled, &err), -1);
	assert_int_equal(err->code, BRINK_E_NOT_FOUND);
	brink_error_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tenants_and_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(things_are_scoped, setup, teardown),
		cmocka_unit_test_setup_teardown(services_round_trip_and_cascade, setup, teardown),
		cmocka_unit_test_setup_teardown(models_are_scoped, setup, teardown),
		cmocka_unit_test_setup_teardown(model_images, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
