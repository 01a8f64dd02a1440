/*
 * The fast path of a launch: when the plan for exactly this invocation is
 * in the plan cache (fast_lookup.c), this constructor runs it before the Go
 * runtime starts, and the process exits with the payload's code without
 * Go ever running. Starting the runtime, loading the profile and compiling
 * it cost more than the whole of a sandbox's setup; a cached plan is the
 * same plan, so the sandbox is the same.
 *
 *	constructor (C, one thread)             sandbox (child.c, unchanged)
 *	---------------------------             ----------------------------
 *	look up, check and unpack the plan
 *	block forwarded signals and SIGCHLD,
 *	  read them from a signalfd
 *	[die_with_parent] PDEATHSIG on itself
 *	pipe2(report), pipe2(sync), [job]
 *	note the terminal (jobctl.c)
 *	sbx_spawn ------------------------------>  [wait_release] read(sync)
 *	the payload's own process group
 *	[parent_maps] write the id maps,
 *	  write(sync, 1) ----------------------->  prelude, steps, exec
 *	read(report): EOF -> the payload runs
 *	forward signals, act on stops
 *	  (fast_wait.c), reap
 *	restore the terminal (jobctl.c)
 *	_exit(payload's code)
 *
 * The child is the very code the ordinary path clones, reading the same
 * flat plan, with the same pipes. Whatever goes wrong on the way (no
 * cache, a changed input, a setup failure, an exec failure) hands the
 * launch to the ordinary path: the process continues into Go, which
 * compiles and runs afresh and reports any failure with its profile line.
 * A child that failed never ran the payload and left nothing on the host,
 * so starting over is safe.
 *
 * Only plans the launcher runs without help are cached (no newuidmap, no
 * NAT helper, no D-Bus proxy: plancache_store.go). Id maps the launcher
 * writes itself (a root launch's) are written here by the same code as on
 * the ordinary path (idmap.c), before the child is released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fast.h"
#include "idmap.h"
#include "instance.h"
#include "jobctl.h"
#include "launch_rules.h"
#include "launcher_death.h"
#include "pass_fds.h"
#include "prefault.h"
#include "startup_fds.h"

/* The signals the launcher forwards (run_signals.go) and SIGCHLD. */
static const int fast_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};

static void fast_say(int verbose, const char *what, const char *why)
{
	if (!verbose)
		return;
	if (write(2, "sandbox: plan cache: ", 21) < 0 || write(2, what, strlen(what)) < 0)
		return;
	if (why && (write(2, " (", 2) < 0 || write(2, why, strlen(why)) < 0 || write(2, ")", 1) < 0))
		return;
	if (write(2, "\n", 1) < 0)
		return;
}

/* fast_runtime fills in what the plan leaves to the launch: the standard
 * files, the pipes, the host's last capability and the argument area the
 * init blanks. */
static void fast_runtime(struct sbx_plan *p, int argc, char **argv, const int report[2], const int sync[2])
{
	int i;

	for (i = 0; i < 3; i++)
		p->stdio[i] = i;
	p->err_fd = report[1];
	p->sync_fd = sync[0];
	p->parent_fds[0] = report[0];
	p->parent_fds[1] = sync[1];
	p->cap_last_cap = sbx_cap_last_cap();
	p->argv_start = (uint64_t)(uintptr_t)argv[0];
	p->argv_len = (uint64_t)(uintptr_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1) -
		      (uint64_t)(uintptr_t)argv[0];
	/* No Go heap exists yet: the child copies everything, which is
	 * this small process. */
	p->go_arena = 0;
	p->go_arena_len = 0;
	p->fg_tty = -1;
	p->job_fd = -1;
	p->job_peer_fd = -1;
	/* A filtered plan is never cached (plancache_store.go). */
	p->egress_fd = -1;
	p->egress_peer_fd = -1;
}

/* fast_pass_fds_ok checks that every fd the plan passes is open, and that
 * it and the standard files are of a kind the payload may hold, as the
 * ordinary path does before it starts anything (run.go, pass_fds.go). A
 * refused descriptor leaves the launch to that path, which reports it
 * with its profile line. */
static const char *fast_pass_fds_ok(const struct sbx_plan *p)
{
	int32_t i;

	for (i = 0; i < p->npass; i++) {
		if (p->pass_fds[i] < 3 || fcntl(p->pass_fds[i], F_GETFD) < 0)
			return "an fd in process.pass_fds is not open";
		if (sbx_fd_refused(p->pass_fds[i]) != SBX_FD_OK)
			return "an fd in process.pass_fds may not be passed";
	}
	for (i = 0; i < 3; i++) {
		if (sbx_fd_refused(i) != SBX_FD_OK)
			return "a standard file may not be passed";
	}
	return NULL;
}

/*
 * fast_release writes the id maps the plan leaves to the launcher, as
 * the ordinary path does (idmap.c), and releases the child waiting for
 * them. On failure the child, which has run nothing yet, is killed and
 * reaped, and the ordinary path starts over and reports the error.
 */
static int fast_release(const struct sbx_plan *p, int pid, int sync_w)
{
	const char *failed;
	int status;

	if (sbx_write_plan_maps(p, pid, &failed) == 0 && write(sync_w, "\1", 1) == 1)
		return 0;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
	}
	return -1;
}

/*
 * fast_exec_failed says whether the sandbox was set up and only the exec
 * of the payload failed. That is reported here, as the ordinary path
 * would, rather than set up again there just to fail the same way: unless
 * a resource limit could be the cause, where the ordinary path names the
 * profile lines that set it.
 */
static int fast_exec_failed(const struct sbx_fast_run *r)
{
	return r->failed && r->report.code == SBX_REPORT_EXEC && !sbx_exec_limits(r->report.err);
}

/* fast_report_exec prints the exec failure and returns the exit code. */
static int fast_report_exec(struct sbx_report *rep)
{
	char msg[600];
	int code;
	size_t n;

	rep->detail[sizeof(rep->detail) - 1] = 0;
	code = sbx_exec_failure(rep->err, rep->detail, msg, sizeof(msg) - 1);
	n = strlen(msg);
	msg[n++] = '\n';
	if (write(2, msg, n) < 0)
		return code;
	return code;
}

/*
 * fast_run runs the plan; it returns only when the launch must go the
 * ordinary way, with everything it made undone.
 */
static void fast_run(struct sbx_cached *c, int argc, char **argv, char **envp, int verbose)
{
	struct sbx_plan *p = c->plan;
	const char *why;
	struct sbx_fast_run r;
	struct sbx_job job;
	struct sigaction dfl, old_chld;
	sigset_t set, old;
	int report[2], sync[2] = {-1, -1}, jobp[2] = {-1, -1}, err = 0, i;
	static const int stdio[3] = {0, 1, 2};
	long pid;
	char base[4096], rec[4200] = "", id[SBX_INSTANCE_ID_LEN + 1];

	if ((why = fast_pass_fds_ok(p)) != NULL) {
		fast_say(verbose, "not used", why);
		return;
	}
	/* First, as Run does: nothing is started yet. */
	if (p->die_with_parent && sbx_die_with_launcher_parent() < 0) {
		fast_say(verbose, "not used", "prctl PR_SET_PDEATHSIG failed");
		return;
	}
	sigemptyset(&set);
	for (i = 0; i < (int)(sizeof(fast_signals) / sizeof(fast_signals[0])); i++)
		sigaddset(&set, fast_signals[i]);
	/* Blocked before clone, so that no signal is lost or takes its
	 * default action while the sandbox is set up. */
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return;
	/* A launcher started with SIGCHLD ignored would have its child
	 * reaped by the kernel, with no status to wait for. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &dfl, &old_chld);
	memset(&r, 0, sizeof(r));
	r.plan = p;
	r.sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (r.sig_fd < 0)
		goto restore_mask;
	if (pipe2(report, O_CLOEXEC) < 0)
		goto close_sig;
	if ((p->die_with_parent || p->parent_maps) && pipe2(sync, O_CLOEXEC) < 0)
		goto close_report;
	fast_runtime(p, argc, argv, report, sync);
	/* The caller's job and terminal, as Run does (jobctl.c). */
	p->fg_tty = sbx_job_begin(&job, stdio, sbx_plan_new_session(p));
	if (p->init && sbx_job_watch(&job)) {
		if (pipe2(jobp, O_CLOEXEC) < 0)
			goto close_sync;
		p->job_fd = jobp[1];
		p->job_peer_fd = jobp[0];
	}

	/* What the ordinary launch said before it started the sandbox (the
	 * working-directory notice). Should the setup fail below, the
	 * ordinary path starts over and says it once more. */
	if (c->say[0] && write(2, c->say, strlen(c->say)) < 0) {
	}
	pid = sbx_spawn(p, &err);
	close(report[1]);
	report[1] = -1;
	if (sync[0] >= 0)
		close(sync[0]);
	sync[0] = -1;
	if (jobp[1] >= 0)
		close(jobp[1]);
	jobp[1] = -1;
	if (pid < 0) {
		fast_say(verbose, "not used", "clone failed");
		goto close_job;
	}
	sbx_job_started(&job, (pid_t)pid);
	if (p->parent_maps && fast_release(p, (int)pid, sync[1]) < 0) {
		fast_say(verbose, "not used", "writing the id maps failed; starting over");
		goto close_job;
	}
	/* The record `sandbox ps` lists, as the ordinary path writes it
	 * (instance.c); a launch without a runtime directory has none. */
	if (sbx_cache_base(envp, geteuid(), base, sizeof(base)) < 0 ||
	    sbx_instance_write(base, (int)pid, "", argc - 1, argv + 1, id, rec, sizeof(rec)) < 0)
		rec[0] = 0;
	r.pid = (int)pid;
	r.report_fd = report[0];
	r.job_fd = jobp[0];
	r.job = &job;
	r.fwd.init = p->init;
	r.fwd.pid1 = (p->clone_flags & CLONE_NEWPID) && !p->init;
	r.stops = !p->init && sbx_job_watch(&job);
	if (sbx_fast_wait(&r) == 0) {
		sbx_instance_remove(rec);
		sbx_job_end(&job);
		_exit(sbx_exit_code(r.status, r.killed_for));
	}
	sbx_instance_remove(rec);
	if (fast_exec_failed(&r)) {
		sbx_job_end(&job);
		_exit(fast_report_exec(&r.report));
	}
	fast_say(verbose, "not used", "the sandbox's setup failed; starting over");

close_job:
	if (jobp[0] >= 0)
		close(jobp[0]);
	sbx_job_end(&job);
close_sync:
	if (sync[1] >= 0)
		close(sync[1]);
close_report:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
close_sig:
	close(r.sig_fd);
restore_mask:
	sigaction(SIGCHLD, &old_chld, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

__attribute__((constructor)) static void sbx_fast_start(int argc, char **argv, char **envp)
{
	const char *why = NULL;
	struct sbx_cached c;
	int verbose;

	/* First: before this constructor or Go opens anything, and while
	 * the parent is most likely still the one that started us. */
	sbx_record_startup_fds();
	sbx_record_start_parent();
	/* One malloc arena: otherwise every thread the Go runtime starts
	 * maps a 64 MiB arena of its own at its first malloc (cgo's thread
	 * start calls one), and each costs page faults the launcher waits
	 * for. The launcher's C allocates little, and not in parallel; the
	 * sandbox's first process, cloned while another thread may hold the
	 * one arena's lock, never allocates (child.c uses no malloc). */
	mallopt(M_ARENA_MAX, 1);
	if (argc >= 2 && argv != NULL && envp != NULL && sbx_cache_mode(envp, &verbose)) {
		if (sbx_cache_lookup(argc, argv, envp, &c, &why) < 0) {
			fast_say(verbose, "miss", why);
		} else {
			fast_say(verbose, "hit", NULL);
			fast_run(&c, argc, argv, envp, verbose);
			free(c.file);
		}
	}
	/* The launch goes on in Go. */
	sbx_prefault_image();
}
