/*
 * The plan cache's file format, shared by the Go side that writes it
 * (plancache_store.go) and the C side that reads it before the Go runtime
 * starts (fast.c). A file is one header, then the strings and records the
 * header points to by offset from the file's start, then the packed plan
 * (plan_blob.c). Everything is in the machine's own byte order: a cache
 * never leaves the machine, and a file from another is refused by its
 * checksum or its executable's identity.
 */
#ifndef SANDBOX_LAUNCHER_PLAN_CACHE_H
#define SANDBOX_LAUNCHER_PLAN_CACHE_H

#include <stdint.h>

#define SBX_CACHE_MAGIC "sbxplan"
#define SBX_CACHE_VERSION 4
#define SBX_CACHE_KEY_TAG "sandbox plan key 3"
#define SBX_CACHE_ENV_TAG "sandbox plan environment 1"
/* Larger files are not plans of ours (a plan with a 16 MiB file is). */
#define SBX_CACHE_MAX_SIZE (64u << 20)
/* The directory, under $XDG_RUNTIME_DIR, or /run for root: memory that
 * only the user can read, emptied when the session ends. */
#define SBX_CACHE_SUBDIR "sandbox/plans"

/* What one path looked like: stat(2) results, or the error. */
struct sbx_cache_stat {
	int32_t err; /* 0, or the errno stat failed with */
	uint32_t mode;
	uint64_t dev;
	uint64_t ino;
	uint64_t size;
	int64_t mtime_sec;
	int64_t mtime_nsec;
	int64_t ctime_sec;
	int64_t ctime_nsec;
};

/* A host path the plan was compiled from: a profile file, a directory
 * searched, a bind source. Both lstat and stat, so that both a replaced
 * symlink and a changed target are seen. */
struct sbx_cache_dep {
	uint64_t path_off; /* NUL-terminated */
	/* SBX_DEP_PRESENCE: the plan depends only on whether the path
	 * exists and what type of file it is (a bind source, a socket), so
	 * only the error and the type are compared: a project directory a
	 * build writes into does not invalidate the plan that binds it. */
	uint32_t flags;
	uint32_t pad;
	struct sbx_cache_stat lst;
	struct sbx_cache_stat st;
};

#define SBX_DEP_PRESENCE 1u

struct sbx_cache_head {
	char magic[8];
	uint32_t version;
	uint32_t head_size; /* sizeof(struct sbx_cache_head) */
	uint64_t total;     /* the file's size */
	uint64_t sum;       /* FNV-1a 64 of bytes head_size..total */

	/* The launcher that wrote it: another build may compile the same
	 * profile differently. */
	struct sbx_cache_stat exe;
	uint32_t uid, gid, euid, egid;

	/* The invocation: SHA-256 of SBX_CACHE_KEY_TAG, the number of
	 * arguments after the program's name in decimal, then those
	 * arguments exactly as the launcher received them, each followed by a
	 * NUL byte. Its first 8 bytes in hex name the file. The environment
	 * is not in it: a launch differing only in a variable the plan does
	 * not depend on finds the same file. */
	unsigned char key[32];
	/* The variables the plan depends on: env_count NUL-terminated
	 * strings at env_off (env_len bytes in all), each a name the load,
	 * the compile or the payload's environment read ("HOME"), or a prefix
	 * ending in "*" that the payload's environment passes ("LC_*"); "*"
	 * alone is the whole environment. env_sum is their digest over the
	 * environment the plan was compiled in (sbx_cache_env_digest), which
	 * the lookup computes again over its own: any change to one of them,
	 * one set or unset, or one more matching a prefix, is a miss. The
	 * values themselves are not kept here. */
	uint64_t env_off;
	uint64_t env_len;
	uint64_t env_count;
	unsigned char env_sum[32];
	/* The working directory the plan saw (${CWD}), NUL-terminated. */
	uint64_t cwd_off;
	uint64_t cwd_len;
	/* What the launch that stored the plan said on standard error before
	 * the sandbox started (the working-directory notice), said again by
	 * each cached launch; NUL-terminated, "" for nothing. */
	uint64_t say_off;
	uint64_t say_len;

	uint64_t deps_off;
	uint64_t ndeps;

	uint64_t plan_off; /* 8-aligned */
	uint64_t plan_len;
};

#endif
