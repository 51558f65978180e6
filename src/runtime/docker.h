/* The docker runtime (docs/docker.md) is a plugin, brink-docker.so, built
 * from src/runtime/docker*.c but docker-loader.c: it speaks to the engine
 * with libcurl, whose libraries (OpenSSL, krb5, ldap, ssh2...) and
 * initialisation would add ~4 MB to the RSS of every brinkd, engine or not.
 * brinkd registers docker-loader.c's ops table, whose init dlopens the
 * plugin only when docker.socket is a socket, and forwards every op to the
 * plugin's table. brinkd is linked with -rdynamic so the plugin uses
 * brinkd's errors, logging and jansson. Unit tests link the same code from
 * libdocker.a. */
#ifndef BRINK_RUNTIME_DOCKER_H
#define BRINK_RUNTIME_DOCKER_H

#include "runtime/runtime.h"

#define BRINK_DOCKER_PLUGIN "brink-docker.so"
#define BRINK_DOCKER_OPS_SYMBOL "brink_docker_ops"

/* The plugin's ops table (docker.c): what the loader forwards to. */
extern const struct brink_runtime_ops brink_docker_ops;

#endif
