/* brinkd's configuration: one table of keys (name, type, bounds, default,
 * reloadable). Every key has a default, so brinkd runs with no file at all.
 * Sources, later ones winning: defaults, the INI file (-c), -o key=value. */
#ifndef BRINK_CORE_CONFIG_H
#define BRINK_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct brink_config {
	char data_dir[256];
	char log_level[16];
	char log_target[16];
	char api_bind[64];
	int api_port;
	int api_threads;
	int api_max_body;
	int ingest_tcp_port;
	char ingest_bind[64];
	int ingest_max_line;
	int ingest_max_connections;
	int ingest_auth_timeout_ms;
	int ports_first, ports_last;
	int bootstrap_port;
	int coap_port;
	int mqtt_port;
	bool ecm_enabled;
	int ecm_port_offset;
	double cpu_capacity; /* 0: the machine's cores minus cpu.reserve */
	double cpu_reserve;
	char runtime_default[32];
	int service_memory_mb;
	int services_max;
	char sandbox_worker[256]; /* "": brink-worker beside brinkd */
	char sandbox_cgroup_root[256];
	int sandbox_start_timeout_ms;
	/* docker runtime */
	char docker_socket[256];
	char docker_network[64];
	int docker_pull_timeout_ms;
	int docker_stop_timeout_s;
	char docker_restart[16]; /* "no" | "on-failure" */
	int docker_restart_max;
	char docker_publish_ip[64]; /* "": as ingest.bind */
	char docker_worker_image[128];
};

/* Sets every key to its default. */
void brink_config_defaults(struct brink_config *cfg);

/* Sets one key from text. With `reloading`, keys that are not reloadable are
 * left alone when their value differs (and reported in errbuf, return 1).
 * Returns 0, 1 (ignored on reload), or -1 with a message in errbuf for an
 * unknown key or a bad value. */
int brink_config_set(struct brink_config *cfg, const char *key, const char *value, bool reloading,
		     char *errbuf, size_t errlen);

/* Parses INI text (sections prefix keys: [api] port = 1 sets api.port; '#'
 * and ';' start comments; lines ≤ 1024 bytes). Stops at the first error:
 * returns -1 with "line N: ..." in errbuf, else 0. Bounded; no allocation. */
int brink_config_parse(struct brink_config *cfg, const char *text, size_t len, bool reloading,
		       char *errbuf, size_t errlen);

/* Reads and parses the file at path (at most 1 MiB). */
int brink_config_load(struct brink_config *cfg, const char *path, bool reloading, char *errbuf,
		      size_t errlen);

/* Prints every key with its value, INI style. */
void brink_config_print(const struct brink_config *cfg, FILE *out);

/* The CPU capacity in cores brink hands out (resolves cpu.capacity = 0). */
double brink_config_capacity(const struct brink_config *cfg);

#endif
