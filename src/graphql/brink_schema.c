/* brink's schema as tables: EPFIOT's types, queries and mutations with their
 * exact names, types and nullability, then brink's own. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "brink/log.h"
#include "control/vm.h"
#include "graphql/brink.h"

#define END {NULL, NULL, NULL, 0, NULL, NULL, NULL, 0}
#define AEND {NULL, NULL, NULL, NULL}
#define OFF(type, member) offsetof(type, member)

static const struct gql_arg_def id_arg[] = {{"id", "ID!", NULL, NULL}, AEND};
static const struct gql_arg_def vm_id_arg[] = {{"vmID", "ID!", NULL, NULL}, AEND};
static const struct gql_arg_def vm_input_arg[] = {{"vm", "VmInput!", NULL, NULL}, AEND};
static const struct gql_arg_def delete_vm_args[] = {
	{"userID", "ID!", NULL, NULL}, {"vmID", "ID!", NULL, NULL}, AEND};
static const struct gql_arg_def thing_input_arg[] = {{"thing", "ThingInput!", NULL, NULL}, AEND};
static const struct gql_arg_def thing_vm_args[] = {
	{"thing", "ThingInput!", NULL, NULL}, {"vmID", "ID!", NULL, NULL}, AEND};
static const struct gql_arg_def attach_thing_args[] = {
	{"thingID", "ID!", NULL, NULL}, {"vmID", "ID!", NULL, NULL}, AEND};
static const struct gql_arg_def device_args[] = {
	{"devID", "ID!", NULL, NULL}, {"vmID", "ID!", NULL, NULL}, AEND};
static const struct gql_arg_def conn_args[] = {
	{"first", "Int", NULL, "At most this many VMs."},
	{"after", "ID", NULL, "The cursor (a VM id) to start after."}, AEND};
static const struct gql_arg_def login_args[] = {
	{"name", "String!", NULL, NULL}, {"password", "String!", NULL, NULL}, AEND};
static const struct gql_arg_def service_input_arg[] = {{"service", "ServiceInput!", NULL, NULL}, AEND};

enum { VM_ON, VM_OFF, VM_FORCE_OFF };
enum { RM_DESTROY, RM_FORCE };
enum { SVC_START, SVC_STOP };

static const struct gql_field_def query_fields[] = {
	{"getUser", "User", brink_gql_get_user, 0, id_arg, "A user: yourself, or anyone for an admin.", NULL, 0},
	{"getUsers", "[User]", brink_gql_get_users, 0, NULL, "All users (admin only).", NULL, 0},
	{"getVm", "Vm", brink_gql_get_vm, 0, id_arg, "One of your VMs.", NULL, 0},
	{"getDev", "Hostdev", brink_gql_get_dev, 0, id_arg, "One host device (free, or attached to one of your VMs).", NULL, 0},
	{"getThing", "Thing", brink_gql_get_thing, 0, id_arg, "One of your things.", NULL, 0},
	{"getVms", "[Vm]", brink_gql_get_vms, 0, NULL, "Your VMs.", NULL, 0},
	{"getUsb", "[Hostdev]", brink_gql_get_usb, 0, NULL, "The host's USB devices.", NULL, 0},
	{"getusb", "[Hostdev]", brink_gql_get_usb, 0, NULL, "EPFIOT's documents' spelling of getUsb.", "Use getUsb.", 0},
	{"me", "User", brink_gql_me, 0, NULL, "The caller.", NULL, 0},
	{"things", "[Thing]", brink_gql_things, 0, NULL, "Your things.", NULL, 0},
	{"services", "[Service]", brink_gql_services, 0, NULL, "Your services.", NULL, 0},
	{"service", "Service", brink_gql_service, 0, id_arg, "One of your services.", NULL, 0},
	{"system", "System", brink_gql_system, 0, NULL, "The gateway's CPU and what runs on it.", NULL, 0},
	END,
};

static const struct gql_field_def mutation_fields[] = {
	{"createVm", "Vm", brink_gql_create_vm, 0, vm_input_arg, "Defines a VM (state POWEROFF).", NULL, 0},
	{"updateVm", "Vm", brink_gql_update_vm, 0, vm_input_arg, "Changes vcpu, memory and devices of the VM vm.id.", NULL, 0},
	{"deleteVm", "Boolean", brink_gql_delete_vm, 0, delete_vm_args, "Removes any user's VM (admin only).", NULL, 0},
	{"createThing", "Thing", brink_gql_create_thing, 0, thing_input_arg, "Creates a thing (attached to the VM named by server, if any).", NULL, 0},
	{"createThingVm", "Thing", brink_gql_create_thing_vm, 0, thing_vm_args, "Creates a thing attached to a VM.", NULL, 0},
	{"attachThing", "Boolean", brink_gql_attach_thing, 0, attach_thing_args, "Attaches a thing to a VM.", NULL, 0},
	{"attachDevice", "Boolean", brink_gql_attach_device, 0, device_args, "Passes a host device through to a VM.", NULL, 0},
	{"detachDevice", "Boolean", brink_gql_detach_device, 0, device_args, "Releases a host device from a VM.", NULL, 0},
	{"powerON", "Vm", brink_gql_vm_power, VM_ON, vm_id_arg, "Starts a VM.", NULL, 0},
	{"powerOFF", "Vm", brink_gql_vm_power, VM_OFF, vm_id_arg, "ACPI shutdown.", NULL, 0},
	{"destroyVM", "Boolean", brink_gql_vm_remove, RM_DESTROY, vm_id_arg, "Removes a VM that is off.", NULL, 0},
	{"forceDestroyVM", "Boolean", brink_gql_vm_remove, RM_FORCE, vm_id_arg, "Removes a VM even if it runs.", NULL, 0},
	{"forceOFF", "Boolean", brink_gql_vm_power, VM_FORCE_OFF, vm_id_arg, "Pulls the plug.", NULL, 0},
	{"login", "Session", brink_gql_login, 0, login_args, "Opens a session (no authentication needed).", NULL, 0},
	{"deleteThing", "Boolean", brink_gql_delete_thing, 0, id_arg, "Deletes one of your things.", NULL, 0},
	{"createService", "Service", brink_gql_create_service, 0, service_input_arg, "Creates and starts a service.", NULL, 0},
	{"startService", "Service", brink_gql_service_action, SVC_START, id_arg, "Starts a stopped service.", NULL, 0},
	{"stopService", "Service", brink_gql_service_action, SVC_STOP, id_arg, "Stops a running service.", NULL, 0},
	{"deleteService", "Boolean", brink_gql_delete_service, 0, id_arg, "Deletes a service.", NULL, 0},
	END,
};

static const struct gql_field_def user_fields[] = {
	{"id", "ID", gql_res_chars, OFF(struct brink_tenant, id), NULL, NULL, NULL, 0},
	{"name", "String", gql_res_chars, OFF(struct brink_tenant, name), NULL, NULL, NULL, 0},
	{"vms", "[Vm]", brink_gql_user_vms, 0, NULL, NULL, NULL, 0},
	{"vmsConnection", "UserVmConnection!", brink_gql_user_vms_connection, 0, conn_args, NULL, NULL, 0},
	{"created", "Float", gql_res_i64, OFF(struct brink_tenant, created), NULL, "Unix seconds.", NULL, 0},
	{"admin", "Boolean", brink_gql_user_admin, 0, NULL, "Whether this user is brink's admin.", NULL, 0},
	END,
};

static const struct gql_field_def vm_fields[] = {
	{"id", "ID", gql_res_chars, OFF(struct brink_vm, id), NULL, NULL, NULL, 0},
	{"owner", "User", brink_gql_vm_owner, 0, NULL, NULL, NULL, 0},
	{"name", "String", gql_res_chars, OFF(struct brink_vm, name), NULL, NULL, NULL, 0},
	{"base", "String", gql_res_chars, OFF(struct brink_vm, base), NULL, NULL, NULL, 0},
	{"vcpu", "Int", gql_res_int, OFF(struct brink_vm, vcpu), NULL, NULL, NULL, 0},
	{"memory", "Int", gql_res_int, OFF(struct brink_vm, memory_mb), NULL, "MB", NULL, 0},
	{"ip", "String", gql_res_chars_or_null, OFF(struct brink_vm, ip), NULL, NULL, NULL, 0},
	{"state", "String", brink_gql_vm_state, 0, NULL, "RUNNING, POWEROFF (brink adds PAUSED, SHUTDOWN, CRASHED, UNKNOWN)", NULL, 0},
	{"dev", "[Hostdev]", brink_gql_vm_dev, 0, NULL, NULL, NULL, 0},
	{"things", "[Thing]", brink_gql_vm_things, 0, NULL, NULL, NULL, 0},
	{"reason", "String", gql_res_chars_or_null, OFF(struct brink_vm, reason), NULL, "Why the last operation failed.", NULL, 0},
	{"user", "String", gql_res_chars_or_null, OFF(struct brink_vm, user), NULL, "The cloud-init user.", NULL, 0},
	{"cpuMin", "Float", gql_res_double, OFF(struct brink_vm, cpu_min), NULL, NULL, NULL, 0},
	{"cpuMax", "Float", gql_res_double, OFF(struct brink_vm, cpu_max), NULL, NULL, NULL, 0},
	{"cpuAssigned", "Float", gql_res_double, OFF(struct brink_vm, assigned), NULL, NULL, NULL, 0},
	END,
};

static const struct gql_field_def hostdev_fields[] = {
	{"id", "ID", gql_res_int, OFF(struct brink_hostdev, id), NULL, NULL, NULL, 0},
	{"bus", "String", gql_res_chars, OFF(struct brink_hostdev, bus), NULL, NULL, NULL, 0},
	{"device", "String", gql_res_chars, OFF(struct brink_hostdev, device), NULL, NULL, NULL, 0},
	{"info", "String", gql_res_chars, OFF(struct brink_hostdev, info), NULL, NULL, NULL, 0},
	{"vendor", "String", gql_res_chars, OFF(struct brink_hostdev, vendor), NULL, "idVendor (hex)", NULL, 0},
	{"product", "String", gql_res_chars, OFF(struct brink_hostdev, product), NULL, "idProduct (hex)", NULL, 0},
	{"present", "Boolean", gql_res_bool, OFF(struct brink_hostdev, present), NULL, NULL, NULL, 0},
	{"vmID", "ID", brink_gql_hostdev_vm, 0, NULL, "The VM it is attached to (yours), or null.", NULL, 0},
	END,
};

static const struct gql_field_def thing_fields[] = {
	{"id", "ID", gql_res_chars, OFF(struct brink_gql_thing, t.id), NULL, NULL, NULL, 0},
	{"name", "String", gql_res_chars, OFF(struct brink_gql_thing, t.name), NULL, NULL, NULL, 0},
	{"info", "String", gql_res_chars, OFF(struct brink_gql_thing, t.info), NULL, NULL, NULL, 0},
	{"key", "String", gql_res_chars_or_null, OFF(struct brink_gql_thing, key), NULL, "The thing's key: only in the reply that created it.", NULL, 0},
	{"vm", "Vm", brink_gql_thing_vm, 0, NULL, "The VM it is attached to.", NULL, 0},
	{"created", "Float", gql_res_i64, OFF(struct brink_gql_thing, t.created), NULL, "Unix seconds.", NULL, 0},
	{"lastSeen", "Float", gql_res_i64, OFF(struct brink_gql_thing, t.last_seen), NULL, "Unix seconds, 0: never.", NULL, 0},
	END,
};

static const struct gql_field_def connection_fields[] = {
	{"totalCount", "Int!", gql_res_i64, OFF(struct brink_vm_page, total), NULL, NULL, NULL, 0},
	{"edges", "[UserVmEdge]", brink_gql_conn_edges, 0, NULL, NULL, NULL, 0},
	{"pageInfo", "PageInfo!", brink_gql_conn_edges, 1, NULL, NULL, NULL, 0},
	END,
};

static const struct gql_field_def edge_fields[] = {
	{"cursor", "ID!", gql_res_chars, OFF(struct brink_vm, id), NULL, NULL, NULL, 0},
	{"node", "Vm", brink_gql_edge_node, 0, NULL, NULL, NULL, 0},
	END,
};

static const struct gql_field_def page_info_fields[] = {
	{"startCursor", "ID", gql_res_chars_or_null, OFF(struct brink_vm_page, start), NULL, NULL, NULL, 0},
	{"endCursor", "ID", gql_res_chars_or_null, OFF(struct brink_vm_page, end), NULL, NULL, NULL, 0},
	{"hasNextPage", "Boolean!", gql_res_bool, OFF(struct brink_vm_page, has_next), NULL, NULL, NULL, 0},
	{"hasPreviousPage", "Boolean!", gql_res_bool, OFF(struct brink_vm_page, has_prev), NULL, NULL, NULL, 0},
	END,
};

static const struct gql_field_def service_fields[] = {
	{"id", "ID!", gql_res_chars, OFF(struct brink_gql_service, id), NULL, NULL, NULL, 0},
	{"name", "String", gql_res_chars_or_null, OFF(struct brink_gql_service, name), NULL, NULL, NULL, 0},
	{"kind", "String!", gql_res_cstr, OFF(struct brink_gql_service, kind), NULL, "forward, analyze or custom", NULL, 0},
	{"state", "String!", gql_res_cstr, OFF(struct brink_gql_service, state), NULL, "pending, running, stopped or failed", NULL, 0},
	{"runtime", "String", gql_res_chars, OFF(struct brink_gql_service, runtime), NULL, NULL, NULL, 0},
	{"reason", "String", gql_res_chars_or_null, OFF(struct brink_gql_service, reason), NULL, NULL, NULL, 0},
	{"cpuMin", "Float", gql_res_double, OFF(struct brink_gql_service, cpu_min), NULL, NULL, NULL, 0},
	{"cpuMax", "Float", gql_res_double, OFF(struct brink_gql_service, cpu_max), NULL, NULL, NULL, 0},
	{"cpuAssigned", "Float", gql_res_double, OFF(struct brink_gql_service, assigned), NULL, NULL, NULL, 0},
	{"memoryMb", "Int", gql_res_int, OFF(struct brink_gql_service, memory_mb), NULL, NULL, NULL, 0},
	{"ports", "[Int]", brink_gql_service_ports, 0, NULL, "Host ports (a forward service's stream).", NULL, 0},
	{"things", "[ID]", brink_gql_service_ids, 0, NULL, "The things it reads; null: all of yours.", NULL, 0},
	{"image", "String", gql_res_cstr, OFF(struct brink_gql_service, image), NULL, NULL, NULL, 0},
	{"model", "String", gql_res_cstr, OFF(struct brink_gql_service, model), NULL, NULL, NULL, 0},
	END,
};

static const struct gql_field_def session_fields[] = {
	{"token", "String!", gql_res_cstr, OFF(struct brink_gql_session, token), NULL, "Send it as 'Authorization: Bearer <token>'.", NULL, 0},
	{"user", "User!", gql_res_object, OFF(struct brink_gql_session, user), NULL, NULL, NULL, 0},
	END,
};

static const struct gql_field_def system_fields[] = {
	{"capacity", "Float", gql_res_double, OFF(struct brink_gql_system, capacity), NULL, "Cores brink hands out.", NULL, 0},
	{"assigned", "Float", gql_res_double, OFF(struct brink_gql_system, assigned), NULL, NULL, NULL, 0},
	{"sumMin", "Float", gql_res_double, OFF(struct brink_gql_system, sum_min), NULL, NULL, NULL, 0},
	{"services", "Int", gql_res_i64, OFF(struct brink_gql_system, services), NULL, NULL, NULL, 0},
	{"tenants", "Int", gql_res_i64, OFF(struct brink_gql_system, tenants), NULL, NULL, NULL, 0},
	{"vmsAvailable", "Boolean", gql_res_bool, OFF(struct brink_gql_system, vms_available), NULL, NULL, NULL, 0},
	{"vmsReason", "String", gql_res_chars_or_null, OFF(struct brink_gql_system, vms_reason), NULL, NULL, NULL, 0},
	END,
};

static const struct gql_arg_def vm_input_fields[] = {
	{"id", "ID", NULL, "updateVm: the VM to change."},
	{"base", "String!", NULL, "A base image file name."},
	{"name", "String!", NULL, NULL},
	{"memory", "Int", "256", "MB"},
	{"vcpu", "Int", "1", NULL},
	{"devIDs", "[Int]", NULL, "Host devices to pass through."},
	{"thingIDs", "[Int]", NULL, "EPFIOT's numeric thing ids: brink's ids are strings, use things."},
	{"config", "ConfigInput", NULL, NULL},
	{"things", "[ID]", NULL, "Things to attach (brink)."},
	{"cpuMin", "Float", NULL, "Guaranteed cores (brink)."},
	{"cpuMax", "Float", NULL, "Cap in cores (brink; default: vcpu)."},
	AEND,
};
static const struct gql_arg_def config_input_fields[] = {
	{"user", "String", NULL, NULL},
	{"password", "String", NULL, NULL},
	{"sshKeys", "[String]", NULL, "SSH public keys (brink)."},
	AEND,
};
static const struct gql_arg_def thing_input_fields[] = {
	{"id", "ID", NULL, NULL},
	{"name", "String!", NULL, NULL},
	{"info", "String!", NULL, NULL},
	{"server", "String!", NULL, "The VM (by name) whose LwM2M server the thing is bootstrapped to; \"\": none."},
	AEND,
};
static const struct gql_arg_def service_input_fields[] = {
	{"kind", "String!", NULL, "forward, analyze or custom"},
	{"name", "String", NULL, NULL},
	{"cpuMin", "Float!", NULL, NULL},
	{"cpuMax", "Float!", NULL, NULL},
	{"memoryMb", "Int", NULL, NULL},
	{"runtime", "String", NULL, NULL},
	{"things", "[ID!]", NULL, "Default: all of yours."},
	{"model", "String", NULL, NULL},
	{"columns", "[String!]", NULL, NULL},
	{"mode", "String", NULL, "datum or batch"},
	{"batch", "Int", NULL, NULL},
	{"image", "String", NULL, NULL},
	{"containerPorts", "[Int!]", NULL, NULL},
	AEND,
};

#define OBJ(var, nm, desc, f) static const struct gql_type_def var = {GQL_OBJECT, nm, desc, f, NULL, NULL}
#define INPUT(var, nm, desc, f) static const struct gql_type_def var = {GQL_INPUT_OBJECT, nm, desc, NULL, f, NULL}
OBJ(t_query, "Query", NULL, query_fields);
OBJ(t_mutation, "Mutation", NULL, mutation_fields);
OBJ(t_user, "User", "A tenant of brink.", user_fields);
OBJ(t_vm, "Vm", "A virtual machine.", vm_fields);
OBJ(t_hostdev, "Hostdev", "A USB device of the host.", hostdev_fields);
OBJ(t_thing, "Thing", "A sensor.", thing_fields);
OBJ(t_conn, "UserVmConnection", NULL, connection_fields);
OBJ(t_edge, "UserVmEdge", NULL, edge_fields);
OBJ(t_page, "PageInfo", NULL, page_info_fields);
OBJ(t_service, "Service", "A forward, analyze or custom service.", service_fields);
OBJ(t_session, "Session", NULL, session_fields);
OBJ(t_system, "System", NULL, system_fields);
INPUT(t_vm_input, "VmInput", NULL, vm_input_fields);
INPUT(t_config_input, "ConfigInput", "The cloud-init user created in the VM.", config_input_fields);
INPUT(t_thing_input, "ThingInput", NULL, thing_input_fields);
INPUT(t_service_input, "ServiceInput", NULL, service_input_fields);

static const struct gql_type_def *const types[] = {
	&t_query, &t_mutation, &t_user, &t_vm, &t_hostdev, &t_thing, &t_conn, &t_edge, &t_page,
	&t_service, &t_session, &t_system, &t_vm_input, &t_config_input, &t_thing_input,
	&t_service_input, NULL,
};

static const struct gql_schema_def schema_def = {types, "Query", "Mutation"};
static const struct gql_schema *schema;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static void build(void)
{
	char msg[200];
	schema = gql_schema_compile(&schema_def, msg, sizeof(msg));
	if (!schema)
		log_error("graphql: the schema does not compile: %s", msg);
}

const struct gql_schema *brink_gql_schema(void)
{
	pthread_once(&schema_once, build);
	return schema;
}

int brink_gql_admit(void *ctx, bool mutation, const char *const *root, size_t n, char *msg,
		    size_t msglen)
{
	const struct brink_gql_caller *c = ctx;
	(void)mutation;
	if (c->authenticated)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(root[i], "login") != 0 && strcmp(root[i], "__schema") != 0 &&
		    strcmp(root[i], "__type") != 0 && strcmp(root[i], "__typename") != 0) {
			snprintf(msg, msglen, "Not authenticated: log in (mutation login, or POST /v1/session) "
				 "or send 'Authorization: Bearer <key>' to use %s.", root[i]);
			return -1;
		}
	}
	return 0;
}
