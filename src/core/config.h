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
	int coap_dtls_port; /* 0: off */
	int mqtt_port;
	bool mqtt_enabled;
	char mqtt_broker[16]; /* supervised | external */
	char mqtt_bind[64];   /* the supervised broker's listener */
	char mqtt_host[256];  /* where brinkd's own client connects (external) */
	char mqtt_username[128], mqtt_password[128]; /* external: brinkd's credentials */
	char mqtt_mosquitto[256]; /* the broker binary */
	char mqtt_plugin[256];    /* "": brink-mqtt-auth.so beside brinkd */
	int mqtt_auth_cache_ms;   /* how old a connected client's verdict may get */
	bool mqtt_tcp_nodelay;    /* the supervised broker's set_tcp_nodelay */
	bool ecm_enabled;
	int ecm_port_offset;
	char ecm_bind[64];
	int ecm_timeout_ms;      /* a request, a key or a model upload must arrive within */
	int ecm_max_model_bytes; /* the analysis service's .h5 upload */
	double cpu_capacity; /* 0: the machine's cores minus cpu.reserve */
	double cpu_reserve;
	char runtime_default[32];
	int service_memory_mb;
	int services_max;
	char sandbox_worker[256]; /* "": brink-worker beside brinkd */
	char sandbox_cgroup_root[256];
	bool sandbox_favor_dynmods;
	int sandbox_start_timeout_ms;
	int models_max_bytes;        /* a model file larger is refused (413) */
	int models_check_timeout_ms; /* the sandboxed check of an upload */
	int models_check_memory_mb;
	/* VMs (libvirt) and USB host devices */
	char vm_uri[256];
	char vm_images_dir[256];
	char vm_network[128];
	char vm_virt_type[16]; /* "": test for test:///, kvm with /dev/kvm, else qemu */
	char usb_sysfs_root[256];
	char admin_tenant[65]; /* the tenant (by name) that is brink's admin; "": none */
	int graphql_max_depth;
	int graphql_max_cost;
	int api_session_ttl; /* seconds */
	int api_sessions_max;
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
