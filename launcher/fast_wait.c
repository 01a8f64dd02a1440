/*
 * The fast path's launcher once the sandbox is cloned: it reads the report
 * pipe, forwards signals and reaps the child, as the ordinary path does
 * (run_signals.go says why); both decide each signal with
 * sbx_forward_decide (launch_rules.c):
 *
 *  - every signal is forwarded: the sandbox has a process group of its
 *    own, so what the terminal sends reaches it without us;
 *  - a stop of the sandbox (the child's own without an init, the init's
 *    report on the job pipe with one) stops us as the caller's job
 *    (jobctl.c);
 *  - a payload that is PID 1 without an init, and neither catches nor
 *    ignores a terminating signal, is killed instead (the kernel would drop
 *    the signal), and the launcher reports that signal;
 *  - during setup, without an init the setup is stopped at once; with an
 *    init the signal goes to the init, which relays it, and a signal that
 *    asks to stop (INT, TERM, HUP, QUIT), or a second signal, stops a
 *    setup that has still not ended a second later;
 *  - the child is waited for without reaping first, so that no signal
 *    goes to a pid the kernel may have given to another process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fast.h"
#include "launch_rules.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* setup_over reports whether the report pipe reached EOF: the payload was
 * executed (or the child is gone). */
static int setup_over(const struct sbx_fast_run *r)
{
	struct pollfd pfd = {.fd = r->report_fd, .events = POLLIN};

	if (r->fwd.execd)
		return 1;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

static void forward(struct sbx_fast_run *r, int s)
{
	int arm;

	if (r->reaped)
		return;
	switch (sbx_forward_decide(&r->fwd, r->pid, s, setup_over(r), &arm)) {
	case SBX_FWD_SEND:
		kill(r->pid, s);
		break;
	case SBX_FWD_KILL:
	case SBX_FWD_STOP_SETUP:
		r->killed_for = s;
		kill(r->pid, SIGKILL);
		break;
	}
	if (arm) {
		r->abort_at_ms = now_ms() + SBX_ABORT_GRACE_MS;
		r->abort_sig = s;
	}
}

/* read_report reads the child's failure record: 1 for a record, 0 for
 * EOF (the payload was executed, or the child died). */
static int read_report(struct sbx_fast_run *r)
{
	struct sbx_report *rec = &r->report;
	size_t got = 0;

	while (got < sizeof(*rec)) {
		ssize_t n = read(r->report_fd, (char *)rec + got, sizeof(*rec) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got == sizeof(*rec);
}

/* try_reap reaps the child if it has exited, and acts on its stop. */
static void try_reap(struct sbx_fast_run *r)
{
	siginfo_t info;

	if (r->stops) {
		int sig = sbx_job_take_stop(r->pid);

		if (sig)
			sbx_job_stopped(r->job, sig);
	}
	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)r->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
		/* Gone without a status (reaped elsewhere): nothing to
		 * wait for, and no exit code to pass on. */
		if (errno == ECHILD) {
			r->reaped = 1;
			r->status = 125 << 8;
		}
		return;
	}
	if (info.si_pid == 0)
		return;
	r->reaped = 1;
	while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR) {
	}
}

int sbx_fast_wait(struct sbx_fast_run *r)
{
	int report_open = 1;

	while (report_open || !r->reaped) {
		struct pollfd pfd[3] = {{.fd = r->sig_fd, .events = POLLIN},
					{.fd = report_open ? r->report_fd : -1, .events = POLLIN},
					{.fd = r->job_fd, .events = POLLIN}};
		int timeout = -1;

		if (r->abort_at_ms) {
			int64_t left = r->abort_at_ms - now_ms();

			if (left <= 0) {
				r->abort_at_ms = 0;
				if (!r->reaped && !setup_over(r)) {
					r->killed_for = r->abort_sig;
					kill(r->pid, SIGKILL);
				}
				continue;
			}
			timeout = (int)left;
		}
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			kill(r->pid, SIGKILL);
			timeout = 0;
		}
		if (report_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			report_open = 0;
			if (read_report(r))
				r->failed = 1;
			else
				r->fwd.execd = 1;
		}
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[64];
			ssize_t n = read(r->job_fd, buf, sizeof(buf));

			/* The init is gone: nothing more to hear. */
			if (n <= 0 && !(n < 0 && errno == EINTR))
				r->job_fd = -1;
			/* The latest stop is the one that counts. */
			if (n > 0)
				sbx_job_stopped(r->job, (unsigned char)buf[n - 1]);
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(r->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					try_reap(r);
				else
					forward(r, (int)si.ssi_signo);
			}
		}
		/* SIGCHLD may have been merged with an earlier one. */
		if (!r->reaped && !report_open)
			try_reap(r);
	}
	return r->failed ? -1 : 0;
}
