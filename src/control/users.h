/* Tenants as users (GraphQL's User, the console's login). Conventions of
 * control.h: thread-safe, 0 or -1 with *err set. */
#ifndef BRINK_CONTROL_USERS_H
#define BRINK_CONTROL_USERS_H

#include "control/control.h"

/* The tenant named `name` when `password` matches its argon2id hash.
 * UNAUTHORIZED ("wrong name or password") for an unknown name, a tenant
 * without a password or a wrong password, after the same amount of work in
 * each case. Runs the hash outside the lock (tens of milliseconds). */
int brink_control_login(struct brink_control *ctl, const char *name, const char *password,
			struct brink_tenant *out, struct brink_error **err);
/* Every tenant in creation order; a non-zero return from cb stops the walk. */
int brink_control_tenant_list(struct brink_control *ctl,
			      int (*cb)(void *ctx, const struct brink_tenant *t), void *ctx,
			      struct brink_error **err);

#endif
