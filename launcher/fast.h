/*
 * The fast path: a launch whose plan is in the plan cache runs from a C
 * constructor, before the Go runtime starts (fast.c, fast_lookup.c,
 * fast_wait.c). Anything unexpected hands the launch to the ordinary path.
 */
#ifndef SANDBOX_LAUNCHER_FAST_H
#define SANDBOX_LAUNCHER_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "child.h"
#include "jobctl.h"
#include "launch_rules.h"
#include "plan_cache.h"

/* A cached plan found for this invocation, in malloc'd memory. */
struct sbx_cached {
	void *file;             /* the whole file */
	struct sbx_plan *plan;  /* unpacked, inside file */
	const char *say;        /* written to stderr before the sandbox starts */
};

/* sbx_cache_lookup finds and checks the plan cached for this invocation.
 * 0 with *out filled, or -1 with *why saying why not (for the verbose
 * mode). */
int sbx_cache_lookup(int argc, char **argv, char **envp, struct sbx_cached *out, const char **why);

/* sbx_cache_key computes the invocation's key from its arguments
 * (plan_cache.h), and the file name the key gives (16 hex digits and
 * ".plan", 22 bytes with the NUL). */
void sbx_cache_key(int argc, char **argv, unsigned char key[32], char *name);

/* sbx_cache_env_digest (fast_env.c) is the digest of what envp says of
 * the count variables and prefixes packed NUL-terminated at names, as
 * plan_cache.h's env_sum defines it; -1 when names is not count strings
 * within len bytes. */
int sbx_cache_env_digest(char **envp, const char *names, uint64_t len, uint64_t count,
			 unsigned char sum[32]);

/* sbx_cache_getenv looks name up in envp. */
const char *sbx_cache_getenv(char **envp, const char *name);

/* sbx_cache_hash is the FNV-1a 64 hash of n bytes, continuing from h. */
uint64_t sbx_cache_hash(uint64_t h, const void *p, size_t n);
#define SBX_FNV_OFFSET 14695981039346656037ull

/* fast_sha256.c */
struct sbx_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};
void sbx_sha256_init(struct sbx_sha256 *s);
void sbx_sha256_write(struct sbx_sha256 *s, const void *data, size_t n);
void sbx_sha256_sum(struct sbx_sha256 *s, unsigned char out[32]);

/* sbx_cache_base writes the cache directory's parent (the directory that
 * holds "sandbox/plans") for a caller with effective uid euid to buf; -1
 * when this caller has none. */
int sbx_cache_base(char **envp, unsigned euid, char *buf, size_t size);

/* fast_wait.c: the launcher's side once the child is cloned. */
struct sbx_fast_run {
	const struct sbx_plan *plan;
	int pid;
	int report_fd; /* the launcher's end of the report pipe */
	int sig_fd;    /* signalfd for the forwarded signals and SIGCHLD */
	int job_fd;    /* the job pipe's read end (the init reports stops), or -1 */
	struct sbx_job *job; /* the caller's job and terminal (jobctl.c) */
	int stops;     /* the child itself is watched for stops (no init) */
	/* What forwarding knows (launch_rules.h): whether there is an init,
	 * whether the payload is PID 1, whether it was executed. */
	struct sbx_forward fwd;

	int failed; /* the child sent a failure record: */
	struct sbx_report report;
	int reaped;
	int status;
	int killed_for;
	int abort_sig;       /* the signal that scheduled it */
	int64_t abort_at_ms; /* when it stops a setup still running */
};

/* sbx_fast_wait forwards signals and waits for the child. 0 when the
 * payload ran (status holds its wait status), -1 when the child reported
 * a failure (it has been reaped). */
int sbx_fast_wait(struct sbx_fast_run *r);

#endif
