/* Numbered migrations: migration i brings the schema from version i to i + 1.
 * Never edit one that has shipped; append a new one. */
#include "store/store-internal.h"

const char *const store__migrations[] = {
	/* 1: tenants, keys, things, services */
	"CREATE TABLE tenants ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, pw_hash TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE tenant_keys ("
	"  hash BLOB PRIMARY KEY,"
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX tenant_keys_tenant ON tenant_keys(tenant_id);"
	"CREATE TABLE things ("
	"  id TEXT PRIMARY KEY,"
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, info TEXT NOT NULL DEFAULT '', key_hash BLOB NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL, last_seen INTEGER NOT NULL DEFAULT 0,"
	"  seq INTEGER NOT NULL,"
	"  UNIQUE (tenant_id, name));"
	"CREATE INDEX things_tenant ON things(tenant_id, seq);"
	"CREATE TABLE services ("
	"  id TEXT PRIMARY KEY,"
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, name TEXT NOT NULL, runtime TEXT NOT NULL,"
	"  cpu_min REAL NOT NULL, cpu_max REAL NOT NULL, memory_mb INTEGER NOT NULL,"
	"  all_things INTEGER NOT NULL, things TEXT NOT NULL,"
	"  model TEXT NOT NULL, columns TEXT NOT NULL, mode TEXT NOT NULL, batch INTEGER NOT NULL,"
	"  image TEXT NOT NULL, container_ports TEXT NOT NULL,"
	"  desired TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL, seq INTEGER NOT NULL);"
	"CREATE INDEX services_tenant ON services(tenant_id);",
	/* 2: host ports handed to a service (its stream port) */
	"ALTER TABLE services ADD COLUMN ports TEXT NOT NULL DEFAULT '[]';",
	/* 3: tenants' models (the file as a BLOB: at most models.max_bytes, a
	 * few MB) and an analyze service's classes */
	"CREATE TABLE models ("
	"  id TEXT PRIMARY KEY,"
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, format TEXT NOT NULL, size INTEGER NOT NULL,"
	"  inputs INTEGER NOT NULL, outputs INTEGER NOT NULL, summary TEXT NOT NULL,"
	"  data BLOB NOT NULL, created INTEGER NOT NULL, seq INTEGER NOT NULL,"
	"  UNIQUE (tenant_id, name));"
	"CREATE INDEX models_tenant ON models(tenant_id, seq);"
	"ALTER TABLE services ADD COLUMN analysis TEXT NOT NULL DEFAULT '{}';",
	/* 4: the ECM front end: each tenant's block of ports, its ECM thing and
	 * the service its ECM listening port serves */
	"CREATE TABLE ecm_tenants ("
	"  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,"
	"  base_port INTEGER NOT NULL UNIQUE, thing_id TEXT NOT NULL,"
	"  data_service TEXT NOT NULL DEFAULT '');",
	/* 5: the thing key sealed under the gateway's master key (the DTLS PSK);
	 * NULL for things made before it, until their key is rotated */
	"ALTER TABLE things ADD COLUMN key_sealed BLOB;",
	/* 6: VMs, the host's USB devices (ids kept per sysfs port), things on VMs */
	"CREATE TABLE vms ("
	"  id TEXT PRIMARY KEY,"
	"  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, base TEXT NOT NULL, vcpu INTEGER NOT NULL,"
	"  memory_mb INTEGER NOT NULL, user TEXT NOT NULL, cpu_min REAL NOT NULL,"
	"  cpu_max REAL NOT NULL, uuid TEXT NOT NULL, desired INTEGER NOT NULL,"
	"  reason TEXT NOT NULL, created INTEGER NOT NULL,"
	"  UNIQUE (tenant_id, name));"
	"CREATE TABLE hostdevs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, port TEXT NOT NULL UNIQUE,"
	"  bus TEXT NOT NULL, device TEXT NOT NULL, vendor TEXT NOT NULL, product TEXT NOT NULL,"
	"  info TEXT NOT NULL, vm_id TEXT REFERENCES vms(id) ON DELETE SET NULL);"
	"CREATE TABLE thing_vms ("
	"  thing_id TEXT PRIMARY KEY REFERENCES things(id) ON DELETE CASCADE,"
	"  vm_id TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE);"
	"CREATE INDEX thing_vms_vm ON thing_vms(vm_id);",
	/* 7: a custom service's restart policy ("": the docker.restart default) */
	"ALTER TABLE services ADD COLUMN restart TEXT NOT NULL DEFAULT '';",
	/* 8: an h5 model's compiled image, written by its check (NULL for rules
	 * and for models stored before: those start from the HDF5 file) */
	"ALTER TABLE models ADD COLUMN image BLOB;",
	NULL,
};
