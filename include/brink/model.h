/* brink's model (DESIGN.md "Model"): the records the control plane, the store
 * and the API share. Ids are 64-bit random numbers written as 16 lowercase hex
 * digits. */
#ifndef BRINK_MODEL_H
#define BRINK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brink/common.h"

#define BRINK_ID_LEN 16
#define BRINK_NAME_MAX 64
#define BRINK_INFO_MAX 1024
#define BRINK_IMAGE_MAX 255
#define BRINK_KEY_HASH_LEN 32
#define BRINK_SERVICE_THINGS_MAX 1024
#define BRINK_COLUMNS_MAX 256
#define BRINK_PORTS_MAX 8
#define BRINK_LABELS_MAX 32
#define BRINK_LABEL_MAX 32
#define BRINK_MODEL_SUMMARY_MAX 16384

typedef char brink_id[BRINK_ID_LEN + 1];

struct brink_tenant {
	brink_id id;
	char name[BRINK_NAME_MAX + 1];
	int64_t created; /* unix seconds */
	char pw_hash[128]; /* argon2id string, "" when no password */
};

struct brink_thing {
	brink_id id;
	brink_id tenant_id;
	char name[BRINK_NAME_MAX + 1];
	char info[BRINK_INFO_MAX + 1];
	int64_t created;
	int64_t last_seen;
};

enum brink_kind { BRINK_KIND_FORWARD, BRINK_KIND_ANALYZE, BRINK_KIND_CUSTOM };
enum brink_mode { BRINK_MODE_DATUM, BRINK_MODE_BATCH };

enum brink_state {
	BRINK_STATE_PENDING,
	BRINK_STATE_RUNNING,
	BRINK_STATE_STOPPED,
	BRINK_STATE_FAILED,
};

/* What a tenant asked for when creating a service. Arrays are heap-owned by
 * the spec (brink_spec_free). */
struct brink_spec {
	enum brink_kind kind;
	char name[BRINK_NAME_MAX + 1];
	char runtime[32];
	double cpu_min, cpu_max;
	int memory_mb;
	bool all_things; /* true: every thing of the tenant, `things` empty */
	size_t nthings;
	brink_id *things;
	/* analyze */
	char model[BRINK_NAME_MAX + 1];
	size_t ncolumns;
	char (*columns)[BRINK_NAME_MAX + 1];
	enum brink_mode mode;
	int batch;
	/* classes: labels[i] names output i (argmax), or for one output (or a
	 * rule) [below threshold, at or above]; none: defaults (docs/api.md).
	 * alerts: bit i set when labels[i] counts as an alert; -1: default. */
	size_t nlabels;
	char (*labels)[BRINK_LABEL_MAX + 1];
	double threshold;
	int64_t alerts;
	/* custom */
	char image[BRINK_IMAGE_MAX + 1];
	/* custom: "no" or "on-failure" when its container exits; "": docker.restart */
	char restart[16];
	size_t nports;
	int container_ports[BRINK_PORTS_MAX];
};

/* A service as stored: the spec plus what brink decided. */
struct brink_service_rec {
	brink_id id;
	brink_id tenant_id;
	struct brink_spec spec;
	bool desired_running; /* what a restart brings back */
	enum brink_state state;
	char reason[256];
	int64_t created;
	size_t nports;
	int ports[BRINK_PORTS_MAX]; /* host ports brink gave it (a forward service's stream) */
};

/* A tenant's model as stored (the file's bytes apart). */
enum brink_model_format { BRINK_MODEL_H5, BRINK_MODEL_RULES };

struct brink_model_rec {
	brink_id id;
	brink_id tenant_id;
	char name[BRINK_NAME_MAX + 1];
	enum brink_model_format format;
	int64_t created;
	uint64_t size;    /* bytes of the file */
	uint32_t inputs;  /* the model's input width (for rules: its fields) */
	uint32_t outputs; /* 1 for rules */
	bool compiled;    /* the store holds its compiled image (h5, checked since migration 8) */
	char summary[BRINK_MODEL_SUMMARY_MAX]; /* JSON object from the check */
};

const char *brink_model_format_name(enum brink_model_format f);
int brink_model_format_parse(const char *s, enum brink_model_format *out);

/* Frees the arrays of *spec (not spec itself) and zeroes them. */
void brink_spec_free(struct brink_spec *spec);

/* Deep copy; returns 0 or -1 (out of memory; *dst then holds no arrays). */
int brink_spec_copy(struct brink_spec *dst, const struct brink_spec *src);

const char *brink_kind_name(enum brink_kind k);
const char *brink_state_name(enum brink_state s);
const char *brink_mode_name(enum brink_mode m);
/* Parse names; return 0 or -1 when unknown. */
int brink_kind_parse(const char *s, enum brink_kind *out);
int brink_state_parse(const char *s, enum brink_state *out);
int brink_mode_parse(const char *s, enum brink_mode *out);

/* A valid tenant or thing name: 1–64 of [A-Za-z0-9._-]. */
bool brink_name_valid(const char *s);
/* A valid id: 16 lowercase hex digits. */
bool brink_id_valid(const char *s);
uint64_t brink_id_to_u64(const char *id);
void brink_id_from_u64(uint64_t v, brink_id out);

#endif
