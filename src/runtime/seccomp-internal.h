/* The seccomp allow-list of brink-worker, compiled once in brinkd.
 *
 * The worker loads the filter itself, after its own startup (dynamic
 * loading, libc and sanitizer init) and before it sends READY: so the list
 * only holds what a worker needs while it handles data (no open, no exec, no
 * socket, no mount, no ptrace, no clone, no executable mappings), and brinkd
 * pays the libseccomp compilation once instead of per start. The worker
 * reads the BPF program from an inherited sealed memfd; brinkd checks
 * /proc/<pid>/status (Seccomp: 2) before start() returns. */
#ifndef BRINK_RUNTIME_SECCOMP_INTERNAL_H
#define BRINK_RUNTIME_SECCOMP_INTERNAL_H

#include "brink/error.h"

/* Compiles the worker's filter (default action: fail with EPERM) and returns
 * a sealed, read-only memfd holding the BPF program (struct sock_filter[]),
 * O_CLOEXEC, owned by the caller; read it with pread (the offset is shared by
 * every worker). Fails with BRINK_E_UNAVAILABLE when libseccomp cannot build
 * it. */
int seccomp__worker_filter(struct brink_error **err);

#endif
