/*
 * The sandbox's process group and the caller's terminal (jobctl.c): one
 * implementation for the ordinary path (run_job.go, through cgo) and the
 * fast path (fast.c, fast_wait.c), and the sandbox's side of it.
 */
#ifndef SANDBOX_LAUNCHER_JOBCTL_H
#define SANDBOX_LAUNCHER_JOBCTL_H

#include <sys/types.h>
#include <termios.h>

#include "child.h"

/* A terminal among the payload's standard files, as it was at the start. */
struct sbx_job_tty {
	int fd;
	int excl_known; /* TIOCGEXCL answered */
	int excl;       /* it was in exclusive mode */
	int ctty;       /* it is the launcher's controlling terminal */
	struct termios tio;
};

/* The launcher's side of one launch. */
struct sbx_job {
	int tty;     /* the launcher's controlling terminal among the stdio, or -1 */
	int index;   /* which of 0, 1, 2 it is */
	pid_t own;   /* the launcher's process group */
	pid_t group; /* the sandbox's process group (its first process's pid), or
		      * 0 while unknown or when the sandbox has a session of its own */
	int session; /* the plan starts a new session: no terminal to share */
	int fg;      /* the sandbox holds the terminal's foreground for us (from
		      * the start: stdin and stdout are the terminal) */
	int held;    /* the sandbox had the terminal's foreground at some time */
	int nttys;
	struct sbx_job_tty ttys[3];
};

/* sbx_plan_new_session reports whether the sandbox starts a session of its
 * own (process.new_session or a new-session step). */
int sbx_plan_new_session(const struct sbx_plan *p);

/* sbx_job_begin, before clone: notes the launcher's process group and
 * terminal and saves the state of every terminal among stdio. It returns
 * the index (0-2) for plan.fg_tty, or -1. */
int sbx_job_begin(struct sbx_job *j, const int stdio[3], int new_session);

/* sbx_job_started, after clone, with the child's pid (the host's). */
void sbx_job_started(struct sbx_job *j, pid_t pid);

/* sbx_job_watch reports whether the launcher watches the sandbox for
 * stops: there is a terminal to hand back and forth. */
int sbx_job_watch(const struct sbx_job *j);

/* sbx_job_stopped: the sandbox stopped, by signal sig (^Z, a read from
 * the terminal in the background). Returns once the sandbox can go on:
 * at once when it only needed the terminal the launcher held, else once
 * the launcher, stopped as the caller's job, was continued. */
void sbx_job_stopped(struct sbx_job *j, int sig);

/* sbx_job_take_stop takes a stop report of child pid: its stop signal,
 * or 0 when it has none (it is never reaped here). */
int sbx_job_take_stop(pid_t pid);

/* sbx_job_end, once the sandbox is reaped: takes the terminal back and
 * restores the terminals' state. */
void sbx_job_end(struct sbx_job *j);

/* sbx_child_own_group, in the sandbox's first process with every signal
 * blocked: a process group of its own and, when plan.fg_tty says so, the
 * terminal's foreground; or a session of its own when the plan asks for
 * one without a step. 0, 1 when it called setsid, or -1 with errno from
 * setpgid or setsid. */
int sbx_child_own_group(const struct sbx_plan *p);

#endif
