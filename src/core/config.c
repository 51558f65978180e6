#include "core/config.h"

#include "brink/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum cfg_type { CFG_STRING, CFG_INT, CFG_DOUBLE, CFG_BOOL };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;
	size_t size; /* strings: buffer size */
	double min, max;
	const char *def;
	bool reloadable;
};

#define STR(n, field, def, rl) {n, CFG_STRING, offsetof(struct brink_config, field), \
				 sizeof(((struct brink_config *)0)->field), 0, 0, def, rl}
#define NUM(n, t, field, lo, hi, def, rl) {n, t, offsetof(struct brink_config, field), 0, lo, hi, def, rl}

static const struct cfg_key keys[] = {
	STR("data_dir", data_dir, "/var/lib/brink", false),
	STR("log.level", log_level, "info", true),
	STR("log.target", log_target, "stderr", true),
	STR("api.bind", api_bind, "0.0.0.0", false),
	NUM("api.port", CFG_INT, api_port, 1, 65535, "8080", false),
	NUM("api.threads", CFG_INT, api_threads, 1, 64, "2", false),
	NUM("api.max_body", CFG_INT, api_max_body, 1024, 16777216, "65536", true),
	NUM("ingest.tcp.port", CFG_INT, ingest_tcp_port, 1, 65535, "7000", false),
	STR("ingest.bind", ingest_bind, "0.0.0.0", false),
	NUM("ingest.max_connections", CFG_INT, ingest_max_connections, 1, 1000000, "16384", false),
	NUM("ingest.max_line", CFG_INT, ingest_max_line, 256, 65536, "4096", false),
	NUM("ingest.auth_timeout_ms", CFG_INT, ingest_auth_timeout_ms, 100, 600000, "10000", false),
	NUM("bootstrap.port", CFG_INT, bootstrap_port, 0, 65535, "3000", false),
	/* below Linux's ephemeral ports (32768-60999), so outgoing connections never take one */
	NUM("ports.first", CFG_INT, ports_first, 1024, 65535, "30000", false),
	NUM("ports.last", CFG_INT, ports_last, 1024, 65535, "30999", false),
	NUM("coap.port", CFG_INT, coap_port, 1, 65535, "5683", false),
	NUM("coap.dtls_port", CFG_INT, coap_dtls_port, 0, 65535, "5684", false), /* 0: no DTLS */
	NUM("mqtt.port", CFG_INT, mqtt_port, 1, 65535, "1883", false),
	/* MQTT: brinkd's own Mosquitto (supervised) or one that runs anyway (external) */
	NUM("mqtt.enabled", CFG_BOOL, mqtt_enabled, 0, 1, "true", false),
	STR("mqtt.broker", mqtt_broker, "supervised", false),
	STR("mqtt.bind", mqtt_bind, "0.0.0.0", false),
	STR("mqtt.host", mqtt_host, "127.0.0.1", false),
	STR("mqtt.username", mqtt_username, "", false),
	STR("mqtt.password", mqtt_password, "", false),
	STR("mqtt.mosquitto", mqtt_mosquitto, "/usr/sbin/mosquitto", false),
	STR("mqtt.plugin", mqtt_plugin, "", false),
	NUM("mqtt.auth_cache_ms", CFG_INT, mqtt_auth_cache_ms, 0, 600000, "1000", false),
	NUM("mqtt.tcp_nodelay", CFG_BOOL, mqtt_tcp_nodelay, 0, 1, "true", false),
	NUM("ecm.enabled", CFG_BOOL, ecm_enabled, 0, 1, "false", false),
	NUM("ecm.port_offset", CFG_INT, ecm_port_offset, 0, 50000, "0", false),
	/* the ECM front end's request ports (ECM listened on loopback); device and
	 * listening ports and bootstrap use ingest.bind like other thing ports */
	STR("ecm.bind", ecm_bind, "127.0.0.1", false),
	NUM("ecm.timeout_ms", CFG_INT, ecm_timeout_ms, 100, 600000, "10000", false),
	NUM("ecm.max_model_bytes", CFG_INT, ecm_max_model_bytes, 1024, 268435456, "8388608", false),
	NUM("cpu.capacity", CFG_DOUBLE, cpu_capacity, 0, 4096, "0", true),
	NUM("cpu.reserve", CFG_DOUBLE, cpu_reserve, 0, 64, "0.25", true),
	STR("runtime.default", runtime_default, "sandbox", true),
	NUM("service.memory_mb", CFG_INT, service_memory_mb, 4, 65536, "64", true),
	NUM("service.max", CFG_INT, services_max, 1, 1000000, "20000", true),
	STR("sandbox.worker", sandbox_worker, "", false),
	STR("sandbox.cgroup_root", sandbox_cgroup_root, "", false),
	/* favordynmods while brinkd runs: cgroup moves without an RCU wait; off by
	 * default, it changes the whole host (src/runtime/cgroup-dynmods.c) */
	NUM("sandbox.favor_dynmods", CFG_BOOL, sandbox_favor_dynmods, 0, 1, "false", false),
	NUM("sandbox.start_timeout_ms", CFG_INT, sandbox_start_timeout_ms, 10, 600000, "5000", true),
	/* tenants' models (analyze services) */
	NUM("models.max_bytes", CFG_INT, models_max_bytes, 1024, 268435456, "8388608", true),
	NUM("models.check_timeout_ms", CFG_INT, models_check_timeout_ms, 100, 600000, "10000", true),
	NUM("models.check_memory_mb", CFG_INT, models_check_memory_mb, 16, 65536, "256", true),
	/* VMs: overlays and seeds go to <data_dir>/vms */
	STR("vm.uri", vm_uri, "qemu:///system", false),
	STR("vm.images_dir", vm_images_dir, "/var/lib/brink/images", false),
	STR("vm.network", vm_network, "default", false),
	STR("vm.virt_type", vm_virt_type, "", false),
	STR("usb.sysfs_root", usb_sysfs_root, "/sys/bus/usb/devices", false),
	/* GraphQL and the console's sessions (docs/graphql.md) */
	STR("admin.tenant", admin_tenant, "", false),
	NUM("graphql.max_depth", CFG_INT, graphql_max_depth, 1, 100, "12", true),
	NUM("graphql.max_cost", CFG_INT, graphql_max_cost, 10, 100000000, "20000", true),
	NUM("api.session_ttl", CFG_INT, api_session_ttl, 60, 2592000, "43200", true),
	NUM("api.sessions_max", CFG_INT, api_sessions_max, 1, 1000000, "4096", false),
	/* docker runtime: the engine's API socket, the network containers join,
	 * how long a pull may take, what happens when a container exits */
	STR("docker.socket", docker_socket, "/var/run/docker.sock", false),
	STR("docker.network", docker_network, "bridge", false),
	NUM("docker.pull_timeout_ms", CFG_INT, docker_pull_timeout_ms, 1000, 3600000, "600000", false),
	NUM("docker.stop_timeout_s", CFG_INT, docker_stop_timeout_s, 0, 300, "2", false),
	STR("docker.restart", docker_restart, "on-failure", false),
	NUM("docker.restart_max", CFG_INT, docker_restart_max, 0, 1000, "3", false),
	STR("docker.publish_ip", docker_publish_ip, "", false), /* "": as ingest.bind */
	/* forward and analyze services on docker run brink-worker in this image,
	 * which scripts/worker-image.sh builds (no registry) */
	STR("docker.worker_image", docker_worker_image, "brink/worker:1", false),
};

static const struct cfg_key *find_key(const char *name)
{
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Parses `value` for key k into `slot` (a scratch copy of the field). */
static int parse_value(const struct cfg_key *k, const char *value, void *slot, char *errbuf,
		       size_t errlen)
{
	char *end;
	errno = 0;
	switch (k->type) {
	case CFG_STRING:
		if (strlen(value) >= k->size)
			goto bad;
		memcpy(slot, value, strlen(value) + 1);
		return 0;
	case CFG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(bool *)slot = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
			 strcmp(value, "0") == 0)
			*(bool *)slot = false;
		else
			goto bad;
		return 0;
	case CFG_INT: {
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max)
			goto bad;
		*(int *)slot = (int)v;
		return 0;
	}
	case CFG_DOUBLE: {
		double v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v) || v < k->min || v > k->max)
			goto bad;
		*(double *)slot = v;
		return 0;
	}
	}
bad:
	if (k->type == CFG_STRING)
		snprintf(errbuf, errlen, "%s: value too long (at most %zu bytes)", k->name, k->size - 1);
	else
		snprintf(errbuf, errlen, "%s: bad value '%.64s' (expected %s in [%g, %g])", k->name,
			 value, k->type == CFG_BOOL ? "true or false" : "a number", k->min, k->max);
	return -1;
}

static size_t value_size(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_STRING:
		return k->size;
	case CFG_INT:
		return sizeof(int);
	case CFG_DOUBLE:
		return sizeof(double);
	case CFG_BOOL:
	default:
		return sizeof(bool);
	}
}

int brink_config_set(struct brink_config *cfg, const char *key, const char *value, bool reloading,
		     char *errbuf, size_t errlen)
{
	const struct cfg_key *k = find_key(key);
	char slot[256];
	if (!k) {
		snprintf(errbuf, errlen, "unknown key '%.64s'", key);
		return -1;
	}
	memset(slot, 0, sizeof(slot));
	if (parse_value(k, value, slot, errbuf, errlen) < 0)
		return -1;
	char *field = (char *)cfg + k->offset;
	if (reloading && !k->reloadable) {
		if (memcmp(field, slot, value_size(k)) == 0)
			return 0;
		snprintf(errbuf, errlen, "%s changes only on restart", k->name);
		return 1;
	}
	memcpy(field, slot, value_size(k));
	return 0;
}

void brink_config_defaults(struct brink_config *cfg)
{
	char err[128];
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(keys); i++)
		brink_config_set(cfg, keys[i].name, keys[i].def, false, err, sizeof(err));
}

static char *trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* Handles one line (NUL-terminated, no newline). */
static int parse_line(struct brink_config *cfg, char *line, char *section, bool reloading,
		      char *errbuf, size_t errlen)
{
	char *s = trim(line, line + strlen(line));
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1] != '\0' || close - s - 1 > 63) {
			snprintf(errbuf, errlen, "bad section header");
			return -1;
		}
		char *name = trim(s + 1, close);
		snprintf(section, 64, "%s", name);
		return 0;
	}
	char *eq = strchr(s, '=');
	if (!eq) {
		snprintf(errbuf, errlen, "expected key = value");
		return -1;
	}
	char *key = trim(s, eq), *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
	char full[160];
	if (snprintf(full, sizeof(full), "%s%s%s", section, *section ? "." : "", key) >=
	    (int)sizeof(full)) {
		snprintf(errbuf, errlen, "key too long");
		return -1;
	}
	int rc = brink_config_set(cfg, full, value, reloading, errbuf, errlen);
	return rc < 0 ? -1 : 0;
}

int brink_config_parse(struct brink_config *cfg, const char *text, size_t len, bool reloading,
		       char *errbuf, size_t errlen)
{
	char line[1025], section[64] = "", msg[256];
	size_t pos = 0;
	for (int lineno = 1; pos < len; lineno++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;
		if (n >= sizeof(line) || memchr(text + pos, '\0', n)) {
			snprintf(errbuf, errlen, "line %d: too long or not text", lineno);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (parse_line(cfg, line, section, reloading, msg, sizeof(msg)) < 0) {
			snprintf(errbuf, errlen, "line %d: %s", lineno, msg);
			return -1;
		}
	}
	return 0;
}

int brink_config_load(struct brink_config *cfg, const char *path, bool reloading, char *errbuf,
		      size_t errlen)
{
	enum { MAX_FILE = 1 << 20 };
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(MAX_FILE + 1);
	size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
	fclose(f);
	int rc = -1;
	if (!buf)
		snprintf(errbuf, errlen, "%s: out of memory", path);
	else if (n > MAX_FILE)
		snprintf(errbuf, errlen, "%s: larger than 1 MiB", path);
	else
		rc = brink_config_parse(cfg, buf, n, reloading, errbuf, errlen);
	free(buf);
	return rc;
}

void brink_config_print(const struct brink_config *cfg, FILE *out)
{
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(keys); i++) {
		const struct cfg_key *k = &keys[i];
		const char *field = (const char *)cfg + k->offset;
		fprintf(out, "%s = ", k->name);
		switch (k->type) {
		case CFG_STRING:
			fprintf(out, "%s\n", field);
			break;
		case CFG_INT:
			fprintf(out, "%d\n", *(const int *)field);
			break;
		case CFG_DOUBLE:
			fprintf(out, "%g\n", *(const double *)field);
			break;
		case CFG_BOOL:
			fprintf(out, "%s\n", *(const bool *)field ? "true" : "false");
			break;
		}
	}
}

double brink_config_capacity(const struct brink_config *cfg)
{
	if (cfg->cpu_capacity > 0)
		return cfg->cpu_capacity;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double cap = (cores > 0 ? (double)cores : 1.0) - cfg->cpu_reserve;
	return cap > 0.1 ? cap : 0.1;
}
