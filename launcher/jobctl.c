/*
 * The sandbox's process group and the caller's terminal (R3, R4). Both
 * launch paths call these functions, so that a cached launch and a
 * compiled one treat the caller's job and terminal exactly alike.
 *
 * A process group of its own. In the caller's group the payload could
 * reach the calling script and its other children with kill(0, ...),
 * setpriority(PRIO_PGRP, 0, ...) or ioprio_set(IOPRIO_WHO_PGRP, 0, ...).
 * So the sandbox's first process makes itself the leader of a new group
 * before anything else; with an init, the init leads it and the payload
 * it forks joins it. The group's id is the first process's pid: 1 inside
 * a pid namespace, the pid clone returned to the launcher outside, which
 * is how the launcher addresses it. A plan that starts a new session gets
 * a group of its own from setsid (and a process that already leads a
 * group could not call setsid).
 *
 * The terminal, the way a shell treats a foreground job:
 *  - when the launcher is in the foreground of its controlling terminal
 *    and the payload's stdin and stdout are that terminal, the sandbox's
 *    first process gives the terminal's foreground to its group, before
 *    the payload can run (a shell inside would otherwise find itself in
 *    the background). ^C, ^\, ^Z and resizes then go to the sandbox only,
 *    and the launcher gets none of them: every signal it gets was sent to
 *    it, and it forwards every one (run_signals.go).
 *  - in a pipeline (stdin or stdout a pipe) another process of the
 *    caller's job may need the terminal (`sandbox git log | less`), so
 *    the launcher keeps it, gets the terminal's signals and forwards them,
 *    until the sandbox stops reading from or setting up the terminal
 *    (SIGTTIN, SIGTTOU): then it needs the terminal, and gets it.
 *  - when the sandbox stops otherwise (^Z; a read from the terminal while
 *    the launcher is in the background), the launcher takes the terminal
 *    back and stops itself, so that the caller's shell sees its job
 *    stopped. Continued, it gives the terminal to the sandbox again if it
 *    is in the foreground again (fg, not bg), and continues the sandbox.
 *  - when the sandbox ends, the launcher takes the terminal back and puts
 *    every terminal among the standard files back as it was (R4): a
 *    payload's TIOCEXCL would keep the caller's shell from opening
 *    /dev/tty, its raw mode would leave the shell without echo.
 * tcsetpgrp and tcsetattr from a background group stop the caller with
 * SIGTTOU unless it is blocked, so it is, around each call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "jobctl.h"

/* sbx_plan_session_step reports whether the plan has a new-session step. */
static int sbx_plan_session_step(const struct sbx_plan *p)
{
	int32_t i;

	for (i = 0; i < p->nsteps; i++) {
		if (p->steps[i].kind == SBX_NEW_SESSION)
			return 1;
	}
	return 0;
}

int sbx_plan_new_session(const struct sbx_plan *p)
{
	return p->new_session || sbx_plan_session_step(p);
}

/* sbx_job_block_ttou blocks SIGTTOU on this thread; old gets the mask to
 * put back. */
static void sbx_job_block_ttou(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void sbx_job_set_fg(int fd, pid_t pgrp)
{
	sigset_t old;

	sbx_job_block_ttou(&old);
	tcsetpgrp(fd, pgrp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int sbx_job_begin(struct sbx_job *j, const int stdio[3], int new_session)
{
	struct stat seen[3];
	dev_t rdev[3] = {0, 0, 0}, ctty = 0;
	int i, k, front = 0;

	memset(j, 0, sizeof(*j));
	j->tty = -1;
	j->index = -1;
	j->own = getpgrp();
	j->session = new_session;
	for (i = 0; i < 3; i++) {
		struct sbx_job_tty *t = &j->ttys[j->nttys];
		struct stat st;
		pid_t fg = 0;
		int dup = 0, x = 0;

		if (tcgetattr(stdio[i], &t->tio) < 0 || fstat(stdio[i], &st) < 0)
			continue;
		rdev[i] = st.st_rdev;
		for (k = 0; k < j->nttys; k++)
			dup |= seen[k].st_rdev == st.st_rdev;
		if (dup)
			continue;
		seen[j->nttys] = st;
		t->fd = stdio[i];
		if (ioctl(stdio[i], TIOCGEXCL, &x) == 0) {
			t->excl_known = 1;
			t->excl = x != 0;
		}
		/* TIOCGPGRP answers only on the caller's controlling
		 * terminal. */
		if (ioctl(stdio[i], TIOCGPGRP, &fg) == 0) {
			t->ctty = 1;
			if (j->tty < 0) {
				j->tty = stdio[i];
				j->index = i;
				ctty = st.st_rdev;
				front = !new_session && fg == j->own;
			}
		}
		j->nttys++;
	}
	/* From the start only when stdin and stdout are the terminal: not
	 * in a pipeline, where another process may need it. */
	j->fg = front && ctty != 0 && rdev[0] == ctty && rdev[1] == ctty;
	j->held = j->fg;
	return j->fg ? j->index : -1;
}

void sbx_job_started(struct sbx_job *j, pid_t pid)
{
	j->group = j->session ? 0 : pid;
}

int sbx_job_watch(const struct sbx_job *j)
{
	return j->tty >= 0 && !j->session;
}

void sbx_job_stopped(struct sbx_job *j, int sig)
{
	sigset_t tstp, old;

	if (!sbx_job_watch(j) || j->group <= 0)
		return;
	/* The terminal is ours, and the sandbox needs it: as fg would. */
	if ((sig == SIGTTIN || sig == SIGTTOU) && tcgetpgrp(j->tty) == j->own) {
		sbx_job_set_fg(j->tty, j->group);
		j->fg = j->held = 1;
		kill(-j->group, SIGCONT);
		return;
	}
	if (j->fg) {
		sbx_job_set_fg(j->tty, j->own);
		j->fg = 0;
	}
	/*
	 * Stop as the job the caller's shell started, which sees it and
	 * takes the terminal. The signal goes to this very thread, so that
	 * the stop happens before the call returns; a group no shell
	 * watches (orphaned) has it discarded, and the sandbox goes on at
	 * once, as it should with nobody to continue it.
	 */
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	pthread_sigmask(SIG_UNBLOCK, &tstp, &old);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGTSTP);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* Continued: by fg (the terminal is ours again) or by bg. */
	if (tcgetpgrp(j->tty) == j->own) {
		sbx_job_set_fg(j->tty, j->group);
		j->fg = j->held = 1;
	}
	kill(-j->group, SIGCONT);
}

int sbx_job_take_stop(pid_t pid)
{
	siginfo_t info;

	/* WSTOPPED alone: never an exit, which the caller reaps itself. */
	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)pid, &info, WSTOPPED | WNOHANG) < 0 || info.si_pid == 0 ||
	    info.si_code != CLD_STOPPED)
		return 0;
	return info.si_status;
}

void sbx_job_end(struct sbx_job *j)
{
	sigset_t old;
	int i;

	if (j->fg && tcgetpgrp(j->tty) != j->own)
		sbx_job_set_fg(j->tty, j->own);
	j->fg = 0;
	sbx_job_block_ttou(&old);
	for (i = 0; i < j->nttys; i++) {
		struct sbx_job_tty *t = &j->ttys[i];

		/* Exclusive mode would lock the caller out of its own
		 * terminal: always undone. */
		if (t->excl_known && !t->excl)
			ioctl(t->fd, TIOCNXCL);
		/*
		 * The modes where the sandbox could change them: a terminal
		 * that is not the launcher's, or the launcher's when the
		 * sandbox had its foreground or no terminal of its own (a
		 * new session, where no job control stops it). And only
		 * while the terminal is ours again: a launcher sent to the
		 * background must not change them under the shell that now
		 * reads from it, nor a pipeline's sandbox that never had the
		 * terminal under the pager that has it (sandbox ... | less).
		 */
		if (!t->ctty || ((j->held || j->session) && tcgetpgrp(t->fd) == j->own))
			tcsetattr(t->fd, TCSANOW, &t->tio);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int sbx_child_own_group(const struct sbx_plan *p)
{
	pid_t self;

	/* A new-session step calls setsid in plan order; without one, the
	 * plan's flag is honoured here, so that the init and the payload it
	 * forks share the session as they do with the step. */
	if (sbx_plan_session_step(p))
		return 0;
	if (p->new_session)
		return syscall(SYS_setsid) < 0 ? -1 : 1;
	if (syscall(SYS_setpgid, 0, 0) < 0)
		return -1;
	/* Every signal is blocked here, SIGTTOU too. A terminal that went
	 * away is no reason to fail. */
	if (p->fg_tty >= 0 && p->fg_tty <= 2) {
		self = (pid_t)syscall(SYS_getpgid, 0);
		ioctl(p->fg_tty, TIOCSPGRP, &self);
	}
	return 0;
}
