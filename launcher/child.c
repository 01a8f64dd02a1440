/*
 * The sandbox's first process: clone, the prelude (signals, parent death,
 * stdio, id maps) and the loop over the plan's steps. See child.go for the
 * protocol with the launcher.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"
#include "idmap.h"
#include "child_sys.h"
#include "jobctl.h"

/* The kernel's struct sigaction, for rt_sigaction(2) without libc: glibc's
 * sigaction refuses the two signals it keeps for itself (32, 33). */
struct sbx_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static int sbx_sigmask(int how, const uint64_t *set, uint64_t *old)
{
	return (int)syscall(SYS_rt_sigprocmask, how, set, old, sizeof(uint64_t));
}

/* sbx_inside reports whether address a lies in [base, base+len). */
static int sbx_inside(uintptr_t a, uint64_t base, uint64_t len)
{
	return a >= base && a - base < len;
}

pid_t sbx_spawn(const struct sbx_plan *plan, int *err)
{
	uint64_t all = ~(uint64_t)0, old = 0;
	void *arena = (void *)(uintptr_t)plan->go_arena;
	int dontfork;
	long pid;

	/*
	 * Block every signal across clone: the child inherits the mask and
	 * keeps it until exec, so no Go signal handler (copied with the
	 * address space, and useless there) can ever run in the child. The
	 * raw call also blocks the two signals glibc's wrappers refuse to.
	 */
	sbx_sigmask(SIG_SETMASK, &all, &old);
	/*
	 * The child runs on this stack with this thread's TLS and reads
	 * only the plan (C memory), never the Go heap: the heap's arena is
	 * left out of its copy. A launcher's anonymous memory is mostly
	 * that arena, and every page of it the launcher wrote after clone
	 * would cost a copy-on-write fault (with a TLB shootdown, the
	 * launcher being multi-threaded) while the child or the init lives;
	 * the init also keeps less memory. Only if this thread's stack and
	 * TLS are outside the arena, as they are on every thread of a cgo
	 * program (the Go side checked the plan and the arguments).
	 */
	dontfork = plan->go_arena_len && !sbx_inside((uintptr_t)&pid, plan->go_arena, plan->go_arena_len) &&
		   !sbx_inside((uintptr_t)&errno, plan->go_arena, plan->go_arena_len);
	if (dontfork && madvise(arena, plan->go_arena_len, MADV_DONTFORK) < 0 && errno != ENOMEM) {
		madvise(arena, plan->go_arena_len, MADV_DOFORK);
		dontfork = 0;
	}
	/*
	 * Fork-like: no CLONE_VM, so the child has its own copy of the plan
	 * and of this stack, and no new stack is needed.
	 */
	pid = syscall(SYS_clone, (unsigned long)(plan->clone_flags | SIGCHLD),
		      NULL, NULL, NULL, 0);
	if (pid == 0)
		sbx_child_main(plan);
	*err = errno;
	/* The launcher's own later forks (os/exec with a user namespace)
	 * need the heap. ENOMEM above only means the range has holes; the
	 * flag was set on everything mapped, and is cleared the same way. */
	if (dontfork)
		madvise(arena, plan->go_arena_len, MADV_DOFORK);
	sbx_sigmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? -1 : (pid_t)pid;
}

static void sbx_reset_signals(void)
{
	struct sbx_ksigaction dfl;
	int sig;

	/*
	 * Go installed handlers for nearly every signal; their code is
	 * here too but must never run. Everything stays blocked until
	 * exec, and exec would reset caught signals anyway, but the init
	 * never execs and ignored signals would survive exec.
	 */
	memset(&dfl, 0, sizeof(dfl));
	for (sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	}
}

/* sbx_setup_stdio makes the caller's chosen files the payload's 0, 1, 2.
 * Each is duplicated above 2 first so that one dup2 cannot clobber a
 * source another needs (stdout given as fd 0, say). */
static void sbx_setup_stdio(struct sbx_ctx *c)
{
	const struct sbx_plan *p = c->plan;
	int tmp[3], i;

	for (i = 0; i < 3; i++) {
		tmp[i] = -1;
		if (p->stdio[i] == i)
			continue;
		tmp[i] = fcntl(p->stdio[i], F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0) {
			sbx_fail(c, "dup", i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr");
			sbx_report(c, SBX_REPORT_SETUP);
		}
	}
	for (i = 0; i < 3; i++) {
		if (tmp[i] < 0)
			continue;
		if (dup2(tmp[i], i) < 0) {
			sbx_fail(c, "dup2", "stdio");
			sbx_report(c, SBX_REPORT_SETUP);
		}
		close(tmp[i]);
	}
}

/*
 * sbx_write_own_maps maps the single id this process had on the host. The
 * kernel lets the namespace's owner do this for itself, without
 * privilege, once setgroups is denied; no round trip to the launcher.
 */
static void sbx_write_own_maps(struct sbx_ctx *c)
{
	const struct sbx_plan *p = c->plan;
	const char *failed;

	if (sbx_write_id_maps(0, p->deny_setgroups, p->uid_map, p->gid_map, &failed) == 0)
		return;
	/* The paths the launcher recognises as the id maps' failure. */
	if (failed && strcmp(failed, "setgroups") == 0)
		sbx_fail(c, "write", "/proc/self/setgroups");
	else if (failed && strcmp(failed, "gid_map") == 0)
		sbx_fail(c, "write", "/proc/self/gid_map");
	else
		sbx_fail(c, "write", "/proc/self/uid_map");
	sbx_report(c, SBX_REPORT_SETUP);
}

/*
 * sbx_plan_seccomp decides when the filter is loaded. It is the last step,
 * so setup is not filtered; but without no_new_privs the kernel only
 * accepts a filter from a process holding CAP_SYS_ADMIN, so then it is
 * loaded just before the first step that gives privileges away.
 */
static void sbx_plan_seccomp(struct sbx_ctx *c)
{
	const struct sbx_plan *p = c->plan;
	int i, nnp = 0, first_drop = -1;

	c->seccomp_at = -1;
	c->early_at = -1;
	for (i = 0; i < p->nsteps; i++) {
		switch (p->steps[i].kind) {
		case SBX_SECCOMP:
			c->seccomp_at = i;
			break;
		case SBX_NO_NEW_PRIVS:
			nnp = 1;
			break;
		case SBX_SET_IDS:
		case SBX_CAPS:
			if (first_drop < 0)
				first_drop = i;
			break;
		}
	}
	if (c->seccomp_at >= 0 && !nnp && first_drop >= 0 && first_drop < c->seccomp_at)
		c->early_at = first_drop;
}

static int sbx_run_step(struct sbx_ctx *c, const struct sbx_step *s)
{
	switch (s->kind) {
	case SBX_MAKE_PRIVATE:
		return sbx_step_make_private(c);
	case SBX_NEW_ROOT:
		return sbx_step_new_root(c);
	case SBX_BIND:
		return sbx_step_bind(c, s);
	case SBX_TMPFS:
		return sbx_step_tmpfs(c, s);
	case SBX_PROC:
		return sbx_step_proc(c, s);
	case SBX_DEV:
		return sbx_step_dev(c, s);
	case SBX_MQUEUE:
		return sbx_step_mqueue(c, s);
	case SBX_OVERLAY:
		return sbx_step_overlay(c, s);
	case SBX_SYMLINK:
		return sbx_step_symlink(c, s);
	case SBX_DIR:
		return sbx_step_dir(c, s);
	case SBX_FILE:
		return sbx_step_file(c, s);
	case SBX_REMOUNT_RO:
		return sbx_step_remount_ro(c, s);
	case SBX_PIVOT_ROOT:
		return sbx_step_pivot_root(c);
	case SBX_LOCK_MOUNTS:
		return sbx_step_lock_mounts(c, s);
	case SBX_HOSTNAME:
		return sbx_step_hostname(c, s, 0);
	case SBX_DOMAINNAME:
		return sbx_step_hostname(c, s, 1);
	case SBX_CHDIR:
		return sbx_step_chdir(c, s);
	case SBX_RLIMIT:
		return sbx_step_rlimit(c, s);
	case SBX_SET_IDS:
		return sbx_step_set_ids(c, s);
	case SBX_CAPS:
		return sbx_step_caps(c, s);
	case SBX_NO_NEW_PRIVS:
		return sbx_step_no_new_privs(c);
	case SBX_NEW_SESSION:
		return sbx_step_new_session(c);
	case SBX_SECCOMP:
		if (c->seccomp_done)
			return 0;
		return sbx_step_seccomp(c, s);
	case SBX_LOOPBACK_UP:
		return sbx_step_loopback_up(c);
	case SBX_USERNS_LIMIT:
		return sbx_step_userns_limit(c, s);
	case SBX_LANDLOCK:
		return sbx_step_landlock(c, s);
	case SBX_EXEC:
		sbx_step_exec(c, s);
	}
	return sbx_fail_errno(c, EINVAL, "unknown step", NULL);
}

void sbx_child_main(const struct sbx_plan *p)
{
	struct sbx_ctx c;
	int i;

	memset(&c, 0, sizeof(c));
	c.plan = p;
	c.step = SBX_STEP_PRELUDE;
	c.root_fd = c.host_fd = c.devnull_fd = c.proc_fd = c.self_fd = -1;
	c.hostproc_fd = -1;

	sbx_reset_signals();
	for (i = 0; i < 2; i++) {
		if (p->parent_fds[i] >= 0)
			close(p->parent_fds[i]);
	}
	if (p->job_peer_fd >= 0)
		close(p->job_peer_fd);
	if (p->egress_peer_fd >= 0)
		close(p->egress_peer_fd);
	if (p->die_with_parent)
		sbx_arm_parent_death(&c);
	sbx_setup_stdio(&c);
	/* Out of the caller's process group before anything of the payload
	 * can run (R3); the terminal's foreground with it (jobctl.c). */
	i = sbx_child_own_group(p);
	if (i < 0) {
		sbx_fail(&c, p->new_session ? "setsid" : "setpgid", NULL);
		sbx_report(&c, SBX_REPORT_SETUP);
	}
	c.did_setsid = i == 1;
	if (p->init && !(p->clone_flags & CLONE_NEWPID))
		sbx_open_host_proc(&c);
	if (p->wait_release) {
		char b;
		ssize_t n;

		/* The launcher writes our id maps, then one byte. EOF means
		 * it gave up (and will reap us) or died. */
		while ((n = read(p->sync_fd, &b, 1)) < 0 && errno == EINTR) {
		}
		if (n != 1)
			_exit(125);
		if (p->become_uid >= 0 &&
		    sbx_become(&c, (uint32_t)p->become_uid, (uint32_t)p->become_gid) < 0)
			sbx_report(&c, SBX_REPORT_SETUP);
	}
	if (p->write_maps)
		sbx_write_own_maps(&c);
	/* After the maps: the NAT helper joins our user namespace. */
	if (p->wait_network)
		sbx_wait_network(&c);
	/* A session keyring of its own: the caller's keys stay out of reach
	 * even where keyctl is allowed (P7). ENOSYS: no keys in this kernel. */
	if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS) {
		sbx_fail(&c, "keyctl", "session keyring");
		sbx_report(&c, SBX_REPORT_SETUP);
	}
	if (p->time_ns && unshare(0x80 /* CLONE_NEWTIME */) < 0) {
		sbx_fail(&c, "unshare", "time namespace");
		sbx_report(&c, SBX_REPORT_SETUP);
	}
	/* Modes in the plan are exact; the caller's umask comes back
	 * before exec. */
	c.umask = umask(0);
	sbx_plan_seccomp(&c);

	sbx_run_steps(&c, 0);
}

void sbx_run_steps(struct sbx_ctx *c, int from)
{
	const struct sbx_plan *p = c->plan;
	int i;

	for (i = from; i < p->nsteps; i++) {
		const struct sbx_step *s = &p->steps[i];

		c->step = i;
		if (i == c->early_at) {
			c->step = c->seccomp_at;
			if (sbx_step_seccomp(c, &p->steps[c->seccomp_at]) < 0)
				sbx_report(c, SBX_REPORT_SETUP);
			c->step = i;
		}
		/* The init forks the payload once everything that applies
		 * to both is done; only the payload is limited and filtered
		 * (L10: under limits.as the init could not even map the
		 * payload's stack). The payload goes on from this step; the
		 * init never comes back. */
		if (p->init && !c->is_payload &&
		    (s->kind == SBX_RLIMIT || s->kind == SBX_LANDLOCK || s->kind == SBX_SECCOMP ||
		     s->kind == SBX_EXEC))
			sbx_start_init(c, i);
		if (sbx_run_step(c, s) < 0)
			sbx_report(c, SBX_REPORT_SETUP);
	}
	c->step = SBX_STEP_PRELUDE;
	sbx_fail_errno(c, EINVAL, "plan has no exec step", NULL);
	sbx_report(c, SBX_REPORT_SETUP);
}
