#include "runtime/seccomp-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

/* What a worker may do once it runs: memory, its inherited descriptors, time,
 * signals to itself, exit. Everything else fails with EPERM.
 *
 * Measured (bench/bench-sandbox.sh, 2 vCPUs): building and exporting this
 * filter with libseccomp takes ~0.1 ms (p99 ~1 ms), paid once in init();
 * loading the exported program takes microseconds. So where the filter is
 * loaded is chosen for safety, not speed: loading it in the child before
 * execve would have to allow execve and everything the dynamic loader and a
 * sanitizer runtime need (open, mmap PROT_EXEC, ...) for the worker's whole
 * life; loaded by the worker after its startup and before READY, the list
 * stays this small and execve is never allowed. */
static const int allowed[] = {
	SCMP_SYS(read),		 SCMP_SYS(readv),	   SCMP_SYS(pread64),
	SCMP_SYS(write),	 SCMP_SYS(writev),	   SCMP_SYS(close),
	SCMP_SYS(fstat),	 SCMP_SYS(newfstatat),	   SCMP_SYS(lseek),
	SCMP_SYS(fcntl),	 SCMP_SYS(brk),		   SCMP_SYS(munmap),
	SCMP_SYS(mremap),	 SCMP_SYS(madvise),	   SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),	 SCMP_SYS(sendto),	   SCMP_SYS(sendmsg),
	SCMP_SYS(poll),		 SCMP_SYS(ppoll),	   SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),	 SCMP_SYS(epoll_wait),	   SCMP_SYS(epoll_pwait),
	SCMP_SYS(futex),	 SCMP_SYS(rt_sigaction),   SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),	 SCMP_SYS(sigaltstack),	   SCMP_SYS(restart_syscall),
	SCMP_SYS(getpid),	 SCMP_SYS(gettid),	   SCMP_SYS(getuid),
	SCMP_SYS(geteuid),	 SCMP_SYS(getgid),	   SCMP_SYS(getegid),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),   SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),	   SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(getrandom),  SCMP_SYS(prlimit64),
	SCMP_SYS(getrusage),	 SCMP_SYS(exit),	   SCMP_SYS(exit_group),
	SCMP_SYS(tgkill),
};

static int add_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(allowed); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) < 0)
			return -1;
	/* Memory, but never executable: no code can be brought in. */
	struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, no_exec) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, no_exec) < 0)
		return -1;
	/* Signals to itself only (it is pid 1 of its own namespace anyway). */
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, 1, 0);
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, self);
}

static int export_sealed(scmp_filter_ctx ctx, struct brink_error **err)
{
	int fd = memfd_create("brink-worker-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return brink_error_sys(err, errno, "seccomp: memfd_create");
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		close(fd);
		return brink_error_sys(err, -rc, "seccomp: exporting the filter");
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return brink_error_sys(err, e, "seccomp: sealing the filter");
	}
	return fd;
}

int seccomp__worker_filter(struct brink_error **err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "seccomp: libseccomp init failed");
	int fd = -1;
	if (add_rules(ctx) < 0)
		brink_error_make(err, BRINK_E_UNAVAILABLE, "seccomp: building the worker filter failed");
	else
		fd = export_sealed(ctx, err);
	seccomp_release(ctx);
	return fd;
}
