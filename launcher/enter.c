/*
 * sandbox enter: a process that joins a running sandbox's namespaces and
 * then runs the payload's own last steps (ids, capabilities,
 * no_new_privs, limits, seccomp, exec) with the ordinary child code.
 *
 *	launcher             middle (fork)                 entered (clone)
 *	--------             -------------                 ---------------
 *	sbx_enter_spawn ---> close every fd but 0-2, the
 *	                     report and sync pipes, the
 *	                     pidfd, ours
 *	                     PR_SET_DUMPABLE 0
 *	                     the payload's groups (root)
 *	                     setns(pidfd, namespaces)
 *	                     clone(CLONE_PARENT) ------>  sbx_child_main: steps, exec
 *	read its pid <------ write the pid, _exit
 *	wait for it (the launcher is its parent)
 *
 * The order is the defence (E1, runc CVE-2016-9962). Once the process is
 * in the sandbox's namespaces the payload can see it in its /proc, and in
 * a rootless sandbox it runs as the payload's own host uid, so the
 * kernel's same-uid rule would let the payload ptrace it and open
 * /proc/PID/fd and /proc/PID/environ. So before it joins, the process
 * holds no descriptor of the host but the standard files, and it is not
 * dumpable: ptrace and those files then need CAP_SYS_PTRACE in the user
 * namespace its memory was made in (the host's, mm->user_ns), which no
 * payload has. The flag is inherited by the clone and lasts until exec,
 * which replaces the memory (the launcher's, with its environment) and
 * makes the process dumpable again, as the payload is.
 *
 * The middle process exists because setns(CLONE_NEWPID) moves only the
 * caller's children into the pid namespace; CLONE_PARENT makes the
 * launcher their parent, which waits and relays signals as for a launch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "child_ctx.h"
#include "enter.h"

/* close_all_but closes every descriptor from 3 up except keep[0..n),
 * which must be sorted. */
static int close_all_but(const int *keep, int n)
{
	unsigned from = 3;
	int i;

	for (i = 0; i < n; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from && syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0U) < 0)
			return -1;
		from = (unsigned)keep[i] + 1;
	}
	return (int)syscall(SYS_close_range, from, ~0U, 0U);
}

static void sort_fds(int *a, int n)
{
	int i, j, t;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (a[j] < a[i]) {
				t = a[i];
				a[i] = a[j];
				a[j] = t;
			}
}

/* middle_say writes the result (a pid, or -errno) and the stage. */
static void middle_say(int out, int32_t r, int32_t stage)
{
	int32_t msg[2] = {r, stage};

	if (write(out, msg, sizeof(msg)) != sizeof(msg))
		_exit(125);
}

static void middle(const struct sbx_plan *p, int pidfd, unsigned long nsflags, const uint32_t *groups, int ngroups,
		   int out)
{
	/* sync_fd: the read end that tells the entered process whether
	 * the launcher died before its death signal was armed, or -1. */
	int keep[4] = {pidfd, out, p->err_fd, p->sync_fd};
	int32_t stage;
	long pid;

	sort_fds(keep, 4);
	stage = SBX_ENTER_CLOSE;
	if (close_all_but(keep, 4) < 0)
		goto fail;
	stage = SBX_ENTER_DUMPABLE;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		goto fail;
	/* Host ids, set while this process is still in the host's user
	 * namespace: a root launcher's groups must not follow it in, and
	 * the sandbox's namespace may deny setgroups. A user's own
	 * launcher may not set them (EPERM) and keeps its own, as the
	 * payload it started did. */
	stage = SBX_ENTER_GROUPS;
	if (syscall(SYS_setgroups, (size_t)ngroups, groups) < 0 && errno != EPERM)
		goto fail;
	stage = SBX_ENTER_SETNS;
	if (syscall(SYS_setns, pidfd, nsflags) < 0)
		goto fail;
	close(pidfd);
	stage = SBX_ENTER_CLONE;
	pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, 0);
	if (pid == 0) {
		close(out);
		sbx_child_main(p);
	}
	if (pid < 0)
		goto fail;
	middle_say(out, (int32_t)pid, stage);
	_exit(0);
fail:
	middle_say(out, -errno, stage);
	_exit(125);
}

pid_t sbx_enter_spawn(const struct sbx_plan *p, int pidfd, unsigned long nsflags, const uint32_t *groups,
		      int ngroups, int *err, int *stage)
{
	uint64_t all = ~(uint64_t)0, old = 0;
	int32_t msg[2] = {-EIO, SBX_ENTER_FORK};
	int pipefd[2], status;
	ssize_t n;
	long pid;

	*stage = SBX_ENTER_FORK;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		*err = errno;
		return -1;
	}
	/* As sbx_spawn: no handler of the launcher's may run in the
	 * children, which keep every signal blocked until exec (the
	 * entered process resets them itself). */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(uint64_t));
	pid = syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0) {
		close(pipefd[0]);
		middle(p, pidfd, nsflags, groups, ngroups, pipefd[1]);
	}
	*err = errno;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	while ((n = read(pipefd[0], msg, sizeof(msg))) < 0 && errno == EINTR) {
	}
	close(pipefd[0]);
	while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (n != sizeof(msg) || msg[0] <= 0) {
		*err = n == sizeof(msg) ? -msg[0] : EIO;
		*stage = n == sizeof(msg) ? msg[1] : SBX_ENTER_FORK;
		return -1;
	}
	return (pid_t)msg[0];
}
