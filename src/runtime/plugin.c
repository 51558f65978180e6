#include "runtime/plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const void *load_at(const char *dir, const char *file, const char *symbol, char *why,
			   size_t len)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, len, "%s", dlerror());
		return NULL;
	}
	const void *sym = dlsym(h, symbol);
	if (!sym)
		snprintf(why, len, "%s: no %s", path, symbol);
	return sym;
}

const void *runtime__plugin_load(const char *file, const char *symbol, char *why, size_t len)
{
	char dir[PATH_MAX];
	const void *sym = NULL;
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	dir[n > 0 ? n : 0] = '\0';
	snprintf(why, len, "cannot tell where the executable is");
	for (int up = 0; up < 2 && !sym; up++) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
		sym = load_at(dir, file, symbol, why, len);
	}
	return sym;
}
