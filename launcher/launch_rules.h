/*
 * Rules a launch follows on both of its paths. The cached path (fast.c)
 * calls them directly; the Go path calls them through cgo. Each is written
 * here once, so the two paths cannot decide differently.
 */
#ifndef SANDBOX_LAUNCHER_LAUNCH_RULES_H
#define SANDBOX_LAUNCHER_LAUNCH_RULES_H

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

#endif
