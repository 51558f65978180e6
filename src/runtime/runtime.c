#include "runtime/runtime.h"

#include <string.h>

extern const struct brink_runtime_ops brink_runtime_sandbox;
extern const struct brink_runtime_ops brink_runtime_docker;

const struct brink_runtime_ops *const brink_runtime_drivers[] = {
	&brink_runtime_sandbox,
	&brink_runtime_docker,
	NULL,
};

const struct brink_runtime_ops *brink_runtime_find(const char *name)
{
	for (size_t i = 0; brink_runtime_drivers[i]; i++)
		if (strcmp(brink_runtime_drivers[i]->name, name) == 0)
			return brink_runtime_drivers[i];
	return NULL;
}
