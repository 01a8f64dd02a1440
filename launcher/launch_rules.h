/*
 * Rules a launch follows on both of its paths. The cached path (fast.c)
 * calls them directly; the Go path calls them through cgo. Each is written
 * here once, so the two paths cannot decide differently.
 */
#ifndef SANDBOX_LAUNCHER_LAUNCH_RULES_H
#define SANDBOX_LAUNCHER_LAUNCH_RULES_H

#include <stddef.h>

/* sbx_cap_last_cap is the highest capability number the running kernel
 * knows (every one up to it is dropped from the bounding set); 40 when
 * /proc does not say. */
int sbx_cap_last_cap(void);

/* sbx_exit_code maps the payload's wait status to the launcher's exit
 * code: its own code, 128+N for signal N, and 128+killed_for when the
 * launcher killed it with SIGKILL on behalf of signal killed_for. */
int sbx_exit_code(int status, int killed_for);

/* sbx_cache_mode reads SANDBOX_PLAN_CACHE from envp: 0 when it is "0" or
 * "off" (no cache), else 1; *verbose is set when it is "verbose". */
int sbx_cache_mode(char **envp, int *verbose);

/*
 * Signal forwarding. The launcher forwards every signal it is sent to the
 * sandbox's first process; sbx_forward_decide says how, for both paths
 * (run_signals.go says why each rule exists):
 *  - during setup, SIGWINCH is dropped; without an init the setup is
 *    stopped at once (SBX_FWD_STOP_SETUP); with an init the signal goes to
 *    the init, which relays it, and a signal that asks to stop (INT, TERM,
 *    HUP, QUIT) or a second signal of any kind schedules a stop of the
 *    setup SBX_ABORT_GRACE_MS later (*arm);
 *  - afterwards, a payload that is PID 1 without an init and neither
 *    catches nor ignores the signal is killed instead (SBX_FWD_KILL), as
 *    the kernel would drop the signal; anything else is sent (SBX_FWD_SEND).
 * A kill of either kind reports the signal as the exit code
 * (sbx_exit_code's killed_for).
 */
struct sbx_forward {
	int init;        /* an init relays signals to the payload */
	int pid1;        /* the payload is PID 1 of its own pid namespace */
	int execd;       /* the payload has been executed */
	int early;       /* signals that came during the setup */
	int abort_armed; /* a stop of the setup is scheduled */
};

enum { SBX_FWD_NONE, SBX_FWD_SEND, SBX_FWD_KILL, SBX_FWD_STOP_SETUP };

#define SBX_ABORT_GRACE_MS 1000

/* sbx_forward_decide decides what signal s does to the child pid;
 * setup_over says whether the report pipe has reached EOF (the payload was
 * executed). It updates f. */
int sbx_forward_decide(struct sbx_forward *f, int pid, int s, int setup_over, int *arm);

/* sbx_handles reports whether process pid catches or ignores s (SigCgt and
 * SigIgn of /proc/PID/status); a process gone or unreadable counts as
 * handling it, so that kill decides. */
int sbx_handles(int pid, int s);

/* sbx_exec_failure writes what the launcher prints when the payload
 * cannot be executed (exec failed with err), in the words a shell uses,
 * to buf, and returns the exit code: 127 when the command was not found,
 * 126 when it was found but could not run. */
int sbx_exec_failure(int err, const char *cmd, char *buf, size_t size);

/* sbx_exec_limits names the resource limits (space-separated, as in
 * [limits]) that can make exec fail with err, or NULL when none can. */
const char *sbx_exec_limits(int err);

#endif
