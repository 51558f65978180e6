/* Finds brinkd's plugins (shared objects built beside it: brink-libvirt.so,
 * brink-docker.so), which carry the drivers whose libraries an idle brinkd
 * should not map. */
#ifndef BRINK_RUNTIME_PLUGIN_H
#define BRINK_RUNTIME_PLUGIN_H

#include <stddef.h>

/* dlopens `file` from the executable's folder, else its parent (unit tests
 * and benchmarks run from build/tests and build/bench), and returns the
 * address of its `symbol`. Returns NULL with the reason in why (size len)
 * when neither holds a loadable file with that symbol. The plugin is never
 * unloaded. */
const void *runtime__plugin_load(const char *file, const char *symbol, char *why, size_t len);

#endif
