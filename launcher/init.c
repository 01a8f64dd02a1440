/*
 * The init: with Plan.Init the sandbox's first process stays PID 1 of the
 * new pid namespace, forks the payload and then only forwards signals,
 * reports the payload's stops to the launcher (the job pipe, jobctl.c)
 * and reaps. When the payload exits, so does the init, with the payload's
 * status; the kernel then kills what is left in the namespace. Without a
 * pid namespace the init is a subreaper and kills what is left itself
 * (init_end.c).
 *
 * The init is a copy of the launcher's memory (plan, environment,
 * arguments). It makes itself non-dumpable, so the payload, running as
 * the same uid, cannot read that memory through /proc/1/mem or
 * /proc/1/environ (P5, P6), blanks the launcher's argv so /proc/1/cmdline
 * shows only "sandbox-init", and closes every fd but 0-2 and its own (the
 * job pipe, the host's /proc).
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

static volatile pid_t sbx_init_payload;
/* The launcher, which the init outlives only when it died. */
static pid_t sbx_init_launcher;

/*
 * sbx_init_from_outside reports whether a signal came from outside the
 * sandbox: sent with kill() or sigqueue() by the launcher (which forwards
 * its own) or by another host process. Those are relayed to the payload.
 * Not relayed: a signal the kernel generated (si_code SI_KERNEL: a
 * terminal's ^C, ^\, a resize), which the payload, in the same process
 * group, already got; and one sent from inside, such as the payload's
 * kill(0, sig), which reached the payload itself too. In a pid namespace
 * a sender outside shows as pid 0; without one, the sandbox is this
 * process group (jobctl.c).
 */
static int sbx_init_from_outside(const siginfo_t *si)
{
	if (si->si_code != SI_USER && si->si_code != SI_QUEUE)
		return 0;
	if (si->si_pid == 0)
		return 1;
	if (getpid() == 1)
		return 0;
	return syscall(SYS_getpgid, si->si_pid) != syscall(SYS_getpgid, 0);
}

static void sbx_init_forward(int sig, siginfo_t *si, void *uc)
{
	int e = errno;

	(void)uc;
	if (sbx_init_from_outside(si))
		syscall(SYS_kill, sbx_init_payload, sig);
	errno = e;
}

static const int sbx_init_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, 0,
};

/*
 * The init must never stop: the launcher learns of the payload's stops
 * from it (the job pipe), and a stopped init could not say. Outside a pid
 * namespace the terminal's ^Z would stop it with the payload; PID 1 of a
 * namespace ignores these anyway.
 */
static const int sbx_init_nostop[] = {SIGTSTP, SIGTTIN, SIGTTOU, 0};

static void sbx_init_nothing(int sig)
{
	(void)sig;
}

/*
 * Without a pid namespace the init's parent-death signal is this one,
 * which it catches to end the sandbox itself (init_end.c); the kernel's
 * SIGKILL would leave the payload's detached children behind (L9). It is
 * acted on only when the launcher is gone, not when merely sent.
 */
#define SBX_INIT_DEATH_SIG 64 /* SIGRTMAX, spelled out: glibc's is a call */

static void sbx_init_parent_gone(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	if (getppid() == sbx_init_launcher)
		return;
	sbx_init_end_all();
	_exit(128 + SIGKILL);
}

/*
 * sbx_init_arm_catch arms that signal, before the payload exists: from
 * the moment it could fork, a launcher's death must end what it forks.
 * Every signal is blocked until the init's loop, so one that comes
 * meanwhile waits for the handler.
 */
static void sbx_init_arm_catch(struct sbx_ctx *c)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sbx_init_parent_gone;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(SBX_INIT_DEATH_SIG, &sa, NULL);
	sbx_init_launcher = getppid();
	if (prctl(PR_SET_PDEATHSIG, SBX_INIT_DEATH_SIG, 0, 0, 0) < 0) {
		sbx_fail(c, "prctl PR_SET_PDEATHSIG", NULL);
		sbx_report(c, SBX_REPORT_SETUP);
	}
}

/*
 * sbx_init_arm_death makes the init end with the launcher (die_with_parent).
 * With a pid namespace it is SIGKILL, and the kernel ends the namespace;
 * without, the signal above, armed before the fork. Either way a launcher
 * that died before the prctl is seen by its end of the sync pipe being
 * closed.
 */
static void sbx_init_arm_death(struct sbx_ctx *c)
{
	struct pollfd pfd = {.fd = c->plan->sync_fd, .events = POLLIN};

	if (getpid() == 1) {
		sbx_arm_parent_death(c);
		return;
	}
	if (pfd.fd < 0)
		return;
	while (poll(&pfd, 1, 0) < 0 && errno == EINTR) {
	}
	if (pfd.revents & (POLLHUP | POLLERR)) {
		sbx_init_end_all();
		_exit(125);
	}
}

/*
 * The signal the kernel sends the init when the launcher's end of the sync
 * pipe closes (F_SETSIG; SIGIO by default, which the payload could not be
 * told apart from).
 */
#define SBX_INIT_PIPE_SIG 63

static int sbx_init_sync_fd = -1;

static void sbx_init_launcher_gone(int sig, siginfo_t *si, void *uc)
{
	struct pollfd pfd = {.fd = sbx_init_sync_fd, .events = POLLIN};
	int e = errno;

	(void)sig;
	(void)si;
	(void)uc;
	while (poll(&pfd, 1, 0) < 0 && errno == EINTR) {
	}
	if (pfd.revents & (POLLHUP | POLLERR)) {
		sbx_init_end_all();
		_exit(128 + SIGKILL);
	}
	errno = e;
}

/*
 * sbx_init_watch_launcher closes the last gap of die_with_parent (L2). The
 * parent-death signal comes when the launcher's thread that cloned the
 * sandbox exits, and the setup's id change cleared it, so the init arms it
 * again (sbx_init_arm_death). Armed after that thread exited, it never
 * comes; and the launcher's other threads may still hold the fds they all
 * share, so the sync pipe does not look closed yet either. The pipe does
 * close once the last of them is gone: the init keeps its end and has the
 * kernel signal it then (O_ASYNC), whenever that is. Called before the
 * payload exists; every signal stays blocked until the init's loop.
 */
static void sbx_init_watch_launcher(struct sbx_ctx *c)
{
	int fd = c->plan->sync_fd, fl;
	struct sigaction sa;

	if (!c->plan->die_with_parent || fd < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sbx_init_launcher_gone;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(SBX_INIT_PIPE_SIG, &sa, NULL);
	sbx_init_sync_fd = fd;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETSIG, SBX_INIT_PIPE_SIG) < 0 || fcntl(fd, F_SETOWN, getpid()) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_ASYNC) < 0) {
		sbx_fail(c, "fcntl O_ASYNC", "the sync pipe");
		sbx_report(c, SBX_REPORT_SETUP);
	}
}

static void sbx_init_exit(int status) __attribute__((noreturn));

static void sbx_init_exit(int status)
{
	uint64_t all = ~(uint64_t)0;
	int code, sig;

	/* The payload is reaped: its pid may be another process's by now,
	 * and no signal may be relayed to it. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	/* Without a pid namespace nothing else ends what is left (L9). */
	if (getpid() != 1)
		sbx_init_end_all();
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
 * sbx_close_fds_keeping closes every fd from 3 up but the n in keep (which
 * it sorts).
 */
static void sbx_close_fds_keeping(int *keep, int n)
{
	int i, j, from = 3;

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

/* sbx_init_fds lists the fds the init itself keeps to the end: the job
 * pipe, the host's /proc and the watched sync pipe. */
static int sbx_init_fds(const struct sbx_ctx *c, int *keep)
{
	int n = 0;

	if (c->plan->job_fd >= 3)
		keep[n++] = c->plan->job_fd;
	if (c->hostproc_fd >= 3)
		keep[n++] = c->hostproc_fd;
	if (sbx_init_sync_fd >= 3)
		keep[n++] = sbx_init_sync_fd;
	return n;
}

/*
 * sbx_close_fds_except closes every fd from 3 up but the report and sync
 * pipes, the fds the plan passes to the payload and the init's own.
 */
static void sbx_close_fds_except(const struct sbx_ctx *c)
{
	const struct sbx_plan *p = c->plan;
	int keep[68], n, i;

	n = sbx_init_fds(c, keep);
	if (p->err_fd >= 3)
		keep[n++] = p->err_fd;
	if (p->sync_fd >= 3)
		keep[n++] = p->sync_fd;
	for (i = 0; i < p->npass && n < 68; i++) {
		if (p->pass_fds[i] >= 3)
			keep[n++] = p->pass_fds[i];
	}
	sbx_close_fds_keeping(keep, n);
}

/*
 * sbx_init_report_stop tells the launcher that the payload stopped, and by
 * which signal (one byte), for it to act as the caller's job (jobctl.c).
 * The pipe never blocks the init: a launcher that does not keep up only
 * misses a repeat.
 */
static void sbx_init_report_stop(int fd, int sig)
{
	unsigned char b = (unsigned char)sig;
	int e = errno;
	ssize_t n;

	if (fd >= 0) {
		n = write(fd, &b, 1);
		(void)n;
	}
	errno = e;
}

/*
 * sbx_init_relay_early relays the signals that were pending before the
 * payload existed (early): whoever sent them, the payload did not get
 * them, not even one the terminal sent to the group.
 */
static void sbx_init_relay_early(uint64_t early, pid_t payload)
{
	struct timespec zero = {0, 0};
	int i;

	for (i = 0; sbx_init_signals[i]; i++) {
		uint64_t bit = (uint64_t)1 << (sbx_init_signals[i] - 1);
		siginfo_t si;

		if (!(early & bit))
			continue;
		if (syscall(SYS_rt_sigtimedwait, &bit, &si, &zero, sizeof(bit)) == sbx_init_signals[i])
			syscall(SYS_kill, payload, sbx_init_signals[i]);
	}
}

static void sbx_init_loop(struct sbx_ctx *c, pid_t payload, uint64_t early) __attribute__((noreturn));

static void sbx_init_loop(struct sbx_ctx *c, pid_t payload, uint64_t early)
{
	struct sigaction sa;
	uint64_t none = 0;
	int keep[3], job = c->plan->job_fd, i;

	sbx_init_payload = payload;
	if (c->plan->die_with_parent)
		sbx_init_arm_death(c);
	/* What is left of the launcher's: the report and sync pipes and the
	 * passed fds. The launcher sees EOF once the payload has exec'd and
	 * this ran. */
	sbx_close_fds_keeping(keep, sbx_init_fds(c, keep));
	if (job >= 0)
		fcntl(job, F_SETFL, O_NONBLOCK);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sbx_init_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (i = 0; sbx_init_signals[i]; i++)
		sigaction(sbx_init_signals[i], &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sbx_init_nothing;
	sa.sa_flags = SA_RESTART;
	for (i = 0; sbx_init_nostop[i]; i++)
		sigaction(sbx_init_nostop[i], &sa, NULL);
	/* Handlers first, then unblock: a signal that came during setup is
	 * forwarded now. */
	sbx_init_relay_early(early, payload);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));

	for (;;) {
		int status;
		pid_t w = (pid_t)syscall(SYS_wait4, -1, &status, job >= 0 ? WUNTRACED : 0, NULL);

		if (w == payload && WIFSTOPPED(status))
			sbx_init_report_stop(job, WSTOPSIG(status));
		else if (w == payload)
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
	uint64_t early = 0;
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
	if (c->plan->die_with_parent && getpid() != 1)
		sbx_init_arm_catch(c);
	sbx_init_watch_launcher(c);
	sbx_init_rename(c->plan);
	sbx_close_fds_except(c);
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
	/*
	 * What the launcher or the terminal sent so far is for the payload
	 * (sbx_init_relay_early). Read once the payload has exec'd, not
	 * before it exists: a terminal's ^C that came in between reached
	 * only us, and the init relays no terminal signal afterwards (the
	 * payload, in the same process group, gets its own). One that came
	 * after the payload was created reached it too, and relaying it
	 * again only repeats what the payload already got.
	 */
	syscall(SYS_rt_sigpending, &early, sizeof(early));
	munmap(stack, SBX_PAYLOAD_STACK);
	sbx_init_loop(c, (pid_t)pid, early);
}
