/*
 * The init: with Plan.Init the sandbox's first process stays PID 1 of the
 * new pid namespace, forks the payload and then only forwards signals and
 * reaps. When the payload exits, so does the init, with the payload's
 * status; the kernel then kills what is left in the namespace.
 *
 * The init is a copy of the launcher's memory (plan, environment,
 * arguments). It makes itself non-dumpable, so the payload, running as
 * the same uid, cannot read that memory through /proc/1/mem or
 * /proc/1/environ (P5, P6), blanks the launcher's argv so /proc/1/cmdline
 * shows only "sandbox-init", and closes every fd but 0-2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

static volatile pid_t sbx_init_payload;

/*
 * sbx_init_forward passes on signals sent with kill() or sigqueue(): from
 * the launcher (which forwards its own) or from inside. A signal the
 * kernel generated (si_code SI_KERNEL: a terminal's ^C, ^\, a resize)
 * already reached the payload, which is in the same process group;
 * forwarding it would deliver it twice.
 */
static void sbx_init_forward(int sig, siginfo_t *si, void *uc)
{
	int e = errno;

	(void)uc;
	if (si->si_code == SI_USER || si->si_code == SI_QUEUE)
		syscall(SYS_kill, sbx_init_payload, sig);
	errno = e;
}

static const int sbx_init_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, 0,
};

static void sbx_init_exit(int status) __attribute__((noreturn));

static void sbx_init_exit(int status)
{
	int code, sig;

	if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
	} else {
		sig = WTERMSIG(status);
		code = 128 + sig;
		/* PID 1 cannot die of its own signal (the kernel ignores it),
		 * so there the status is 128+n, which the launcher reports
		 * the same way. A mere subreaper dies of it for real. */
		if (getpid() != 1) {
			struct sigaction dfl;
			sigset_t set;

			memset(&dfl, 0, sizeof(dfl));
			dfl.sa_handler = SIG_DFL;
			sigaction(sig, &dfl, NULL);
			sigemptyset(&set);
			sigaddset(&set, sig);
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			syscall(SYS_kill, getpid(), sig);
		}
	}
	if (getpid() == 1)
		syscall(SYS_kill, -1, SIGKILL);
	_exit(code);
}

static void sbx_init_rename(const struct sbx_plan *p)
{
	char *argv = (char *)(uintptr_t)p->argv_start;

	if (argv && p->argv_len > 1) {
		memset(argv, 0, (size_t)p->argv_len);
		sbx_strlcpy(argv, "sandbox-init", (size_t)p->argv_len);
	}
	prctl(PR_SET_NAME, "sandbox-init", 0, 0, 0);
}

/*
 * sbx_close_fds_except closes every fd from 3 up but the report and sync
 * pipes and the fds the plan passes to the payload.
 */
static void sbx_close_fds_except(const struct sbx_plan *p)
{
	int keep[66], n = 0, i, j, from = 3;

	if (p->err_fd >= 3)
		keep[n++] = p->err_fd;
	if (p->sync_fd >= 3)
		keep[n++] = p->sync_fd;
	for (i = 0; i < p->npass && n < 66; i++) {
		if (p->pass_fds[i] >= 3)
			keep[n++] = p->pass_fds[i];
	}
	/* Few entries: sort in place. */
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	}
	for (i = 0; i < n; i++) {
		if (keep[i] > from)
			syscall(SYS_close_range, (unsigned)from, (unsigned)keep[i] - 1, 0U);
		if (keep[i] + 1 > from)
			from = keep[i] + 1;
	}
	syscall(SYS_close_range, (unsigned)from, ~0U, 0U);
}

static void sbx_init_loop(struct sbx_ctx *c, pid_t payload) __attribute__((noreturn));

static void sbx_init_loop(struct sbx_ctx *c, pid_t payload)
{
	struct sigaction sa;
	uint64_t none = 0;
	int i;

	sbx_init_payload = payload;
	if (c->plan->die_with_parent)
		sbx_arm_parent_death(c);
	/* What is left: the report and sync pipes and the passed fds. The
	 * launcher sees EOF once the payload has exec'd and this ran. */
	sbx_close_fds_from(3, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sbx_init_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; sbx_init_signals[i]; i++)
		sigaction(sbx_init_signals[i], &sa, NULL);
	/* Handlers first, then unblock: a signal that came during setup is
	 * forwarded now. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));

	for (;;) {
		int status;
		pid_t w = (pid_t)syscall(SYS_wait4, -1, &status, 0, NULL);

		if (w == payload)
			sbx_init_exit(status);
		if (w < 0 && errno == ECHILD)
			_exit(125);
	}
}

/* The payload's stack while it shares the init's memory. */
#define SBX_PAYLOAD_STACK (256 << 10)

struct sbx_payload_start {
	const struct sbx_ctx *c;
	pid_t init;
	int from;
};

/*
 * sbx_payload runs in the payload until exec, on its own stack, sharing the
 * init's memory (the init is suspended meanwhile). It works on its own
 * copy of the state, so the init finds everything as it was.
 */
static int sbx_payload(void *arg)
{
	const struct sbx_payload_start *st = arg;
	struct sbx_ctx c = *st->c;

	c.is_payload = 1;
	c.init_pid = st->init;
	/* The payload dies with the init; if the init is already gone, so
	 * are we. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != st->init)
		_exit(125);
	sbx_run_steps(&c, st->from);
}

void sbx_start_init(struct sbx_ctx *c, int from)
{
	struct sbx_payload_start st = {c, getpid(), from};
	char *stack;
	long pid;

	/* Without a pid namespace the init is not PID 1; orphans still
	 * come to it. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		sbx_fail(c, "prctl PR_SET_CHILD_SUBREAPER", NULL);
		sbx_report(c, SBX_REPORT_SETUP);
	}
	/*
	 * Hide the launcher before the payload exists: the init may not run
	 * again until long after the payload does (it is suspended, then
	 * merely runnable). Non-dumpable first, so the payload, the same
	 * user, cannot read our memory, environment or fds through /proc/1;
	 * the launcher's arguments blanked; every fd of the launcher closed
	 * but those the payload still needs.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sbx_init_rename(c->plan);
	sbx_close_fds_except(c->plan);
	/*
	 * CLONE_VM|CLONE_VFORK: the payload borrows our memory until it
	 * execs, instead of copying page tables as large as the launcher's
	 * only to throw them away at exec. We are suspended until then. Not
	 * glibc's fork either way: it would run the launcher's atfork
	 * handlers and take locks held by threads that do not exist here.
	 */
	stack = mmap(NULL, SBX_PAYLOAD_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		sbx_fail(c, "mmap", "payload stack");
		sbx_report(c, SBX_REPORT_SETUP);
	}
	pid = clone(sbx_payload, stack + SBX_PAYLOAD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &st);
	if (pid < 0) {
		sbx_fail(c, "clone", "payload");
		sbx_report(c, SBX_REPORT_SETUP);
	}
	munmap(stack, SBX_PAYLOAD_STACK);
	sbx_init_loop(c, (pid_t)pid);
}
