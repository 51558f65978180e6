/* brink's GraphQL schema: EPFIOT's (../shared/EPFIOT-API.md), extended with
 * brink's tenants, things, services and a login. Resolvers call the control
 * plane on behalf of the caller. */
#ifndef BRINK_GRAPHQL_BRINK_H
#define BRINK_GRAPHQL_BRINK_H

#include "control/control.h"
#include "graphql/graphql.h"

#define BRINK_SESSION_TOKEN_MAX 64

/* Who is asking: the request's gql_request.ctx. */
struct brink_gql_caller {
	struct brink_control *ctl;
	bool authenticated;
	bool admin;
	struct brink_tenant tenant; /* when authenticated */
	/* The login mutation: opens a session for t, writes its token. 0 or -1. */
	int (*open_session)(void *ctx, const struct brink_tenant *t, char *token, size_t len);
	void *session_ctx;
};

/* The compiled schema, built on first use (thread-safe); NULL if the tables
 * are broken (logged). Lives until exit. */
const struct gql_schema *brink_gql_schema(void);

/* gql_request.admit for brink: without a session only login and
 * introspection (__schema, __type, __typename) run. */
int brink_gql_admit(void *ctx, bool mutation, const char *const *root, size_t n, char *msg,
		    size_t msglen);

/* resolvers (resolve_*.c), referenced by the schema tables */
#define R(name) int name(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
R(brink_gql_get_user);
R(brink_gql_get_users);
R(brink_gql_me);
R(brink_gql_user_vms);
R(brink_gql_user_vms_connection);
R(brink_gql_user_admin);
R(brink_gql_get_vm);
R(brink_gql_get_vms);
R(brink_gql_vm_owner);
R(brink_gql_vm_state);
R(brink_gql_vm_dev);
R(brink_gql_vm_things);
R(brink_gql_conn_edges);
R(brink_gql_edge_node);
R(brink_gql_get_dev);
R(brink_gql_get_usb);
R(brink_gql_hostdev_vm);
R(brink_gql_get_thing);
R(brink_gql_things);
R(brink_gql_thing_vm);
R(brink_gql_services);
R(brink_gql_service);
R(brink_gql_service_ids);
R(brink_gql_service_ports);
R(brink_gql_system);
R(brink_gql_create_vm);
R(brink_gql_update_vm);
R(brink_gql_delete_vm);
R(brink_gql_create_thing);
R(brink_gql_create_thing_vm);
R(brink_gql_attach_thing);
R(brink_gql_attach_device);
R(brink_gql_detach_device);
R(brink_gql_vm_power);
R(brink_gql_vm_remove);
R(brink_gql_delete_thing);
R(brink_gql_create_service);
R(brink_gql_service_action);
R(brink_gql_delete_service);
R(brink_gql_login);
#undef R

/* internal: the objects the resolvers hand each other */
struct brink_gql_thing {
	struct brink_thing t;
	char key[40]; /* only right after creation */
};

struct brink_gql_service {
	brink_id id;
	char name[BRINK_NAME_MAX + 1];
	const char *kind, *state;
	char runtime[32];
	char reason[256];
	double cpu_min, cpu_max, assigned;
	int memory_mb;
	int64_t created;
	size_t nports;
	int ports[BRINK_PORTS_MAX];
	bool all_things;
	size_t nthings;
	brink_id *things;
	const char *image, *model;
};

struct brink_gql_session {
	const char *token;
	struct brink_tenant user;
};

struct brink_gql_system {
	double capacity, assigned, sum_min;
	int64_t tenants, services;
	bool vms_available;
	char vms_reason[256];
};

#endif
