/* Fast cgroup migrations: the kernel's "favordynmods" mode.
 *
 * Moving a process into a cgroup (cgroup.procs) takes the kernel's global
 * cgroup_threadgroup_rwsem for writing. That percpu rwsem first waits for an
 * RCU grace period unless a writer ran moments before, so a service started
 * on its own (not right after another) spent 10-17 ms in that one write on
 * our 2-core test machines, three times the whole start budget. The kernel's
 * documented remedy is the favordynmods cgroup mount option ("reduce the
 * latencies of dynamic cgroup modifications such as task migrations ... at
 * the cost of making hot path operations such as forks and exits more
 * expensive", Documentation/admin-guide/cgroup-v2.rst); while any hierarchy
 * is mounted with it, the rwsem stays in writer-favoured mode.
 *
 * Remounting the host's hierarchies with the option is refused for v1 and
 * would outlive brinkd, so brinkd mounts a named v1 hierarchy of its own,
 * without controllers, with the option, inside a private mount namespace
 * held by one file descriptor: nothing appears in the host's mount table,
 * and the mount goes when the descriptor is closed or brinkd dies. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"

#define DYNMODS_HIERARCHY "none,name=brink-dynmods,favordynmods"

struct dynmods_job {
	const char *dir;
	int ns_fd;
	int error;
};

/* In a thread of its own, so that unsharing the mount namespace leaves every
 * other thread of brinkd in the host's. */
static void *mount_in_private_ns(void *arg)
{
	struct dynmods_job *job = arg;
	if (unshare(CLONE_FS | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("cgroup", job->dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  DYNMODS_HIERARCHY) < 0) {
		job->error = errno;
		return NULL;
	}
	job->ns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	job->error = job->ns_fd < 0 ? errno : 0;
	return NULL;
}

int cgroup__favor_dynmods(const char *dir, struct brink_error **err)
{
	struct dynmods_job job = {.dir = dir, .ns_fd = -1};
	pthread_t t;
	int rc = pthread_create(&t, NULL, mount_in_private_ns, &job);
	if (rc)
		return brink_error_sys(err, rc, "favordynmods: creating a thread");
	pthread_join(t, NULL);
	if (job.error)
		return brink_error_sys(err, job.error, "favordynmods: mounting a cgroup hierarchy on %s",
				       dir);
	return job.ns_fd;
}
