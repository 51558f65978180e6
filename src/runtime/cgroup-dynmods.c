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
 * without controllers, with the option, and unmounts it when it stops. The
 * mount is visible on purpose: the hierarchy shows in every process's
 * /proc/PID/cgroup, and container runtimes (containerd's cgroup v1 code)
 * refuse to read a container's statistics when a hierarchy listed there is
 * mounted nowhere they can see.
 *
 * Off by default (sandbox.favor_dynmods): the mode is the whole host's, and
 * in our tests a dockerd running in a mount namespace of its own, with the
 * hierarchy mounted there too, had runc fail to create containers ("mountpoint
 * for devices not found"). A gateway that runs only brink's sandbox can turn
 * it on. */
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"

#define DYNMODS_HIERARCHY "none,name=brink-dynmods,favordynmods"

int cgroup__favor_dynmods(const char *dir, struct brink_error **err)
{
	(void)umount2(dir, MNT_DETACH); /* left by a brinkd killed with -9 */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return brink_error_sys(err, errno, "favordynmods: creating %s", dir);
	if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, DYNMODS_HIERARCHY) < 0)
		return brink_error_sys(err, errno, "favordynmods: mounting a cgroup hierarchy on %s",
				       dir);
	return 0;
}

void cgroup__unfavor_dynmods(const char *dir)
{
	(void)umount2(dir, MNT_DETACH);
	(void)rmdir(dir);
}
