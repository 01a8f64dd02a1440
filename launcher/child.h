/*
 * The flat plan the launcher hands to the sandbox's first process, and the
 * record that process sends back when setup fails.
 *
 * The launcher (Go) lays all of this out in C-allocated memory before it
 * clones; the child reads it from its copy of the address space. Nothing
 * here is ever written by the child. See child.go for the protocol.
 */
#ifndef SANDBOX_LAUNCHER_CHILD_H
#define SANDBOX_LAUNCHER_CHILD_H

#include <stdint.h>
#include <sys/types.h>

/* One value per Step type in plan/plan.go. */
enum sbx_kind {
	SBX_MAKE_PRIVATE = 1,
	SBX_NEW_ROOT,
	SBX_BIND,
	SBX_TMPFS,
	SBX_PROC,
	SBX_DEV,
	SBX_MQUEUE,
	SBX_OVERLAY,
	SBX_SYMLINK,
	SBX_DIR,
	SBX_FILE,
	SBX_REMOUNT_RO,
	SBX_PIVOT_ROOT,
	SBX_LOCK_MOUNTS,
	SBX_HOSTNAME,
	SBX_DOMAINNAME,
	SBX_CHDIR,
	SBX_RLIMIT,
	SBX_SET_IDS,
	SBX_CAPS,
	SBX_NO_NEW_PRIVS,
	SBX_NEW_SESSION,
	SBX_SECCOMP,
	SBX_EXEC,
	SBX_LOOPBACK_UP,
	SBX_USERNS_LIMIT,
	SBX_LANDLOCK,
};

/* sbx_step.flags */
#define SBX_F_READONLY 0x01
#define SBX_F_DEVICES 0x02
#define SBX_F_OPTIONAL 0x04
#define SBX_F_AMBIENT 0x08
#define SBX_F_KEEP_GROUPS 0x10
/* SBX_REMOUNT_RO: a Protect step (path is the writable bind's target, src
 * the rest, resolved without symlinks); with SBX_F_READONLY it makes the
 * path read-only, without it only pins it in place. */
#define SBX_F_PROTECT 0x20

/*
 * One step. Which fields are used depends on kind:
 *
 *   path  target, host name, directory (Chdir.Dir)
 *   src   bind/copy source, link target, Chdir.Fallback, Overlay.Upper,
 *         Exec.Path
 *   aux   Overlay.Work
 *   strv  Overlay.Lower, Exec.Argv (NULL-terminated)
 *   data  File.Content, Seccomp.Program
 *   ids   SetIDs.Groups, Capabilities.Keep
 *   num1  Tmpfs/Overlay size, Rlimit soft
 *   num2  Rlimit hard
 *
 * SBX_LANDLOCK: strv the rule paths, ids one access mask per path (nids
 * entries, SBX_LL_REQUIRED marks a path that must exist), num1 the handled
 * file rights, num2 the handled network rights, mode the scopes, uid the
 * minimum ABI, data the port rules (SBX_LL_PORT_SIZE bytes each: uint32
 * port, uint32 rights).
 */
#define SBX_LL_REQUIRED 0x80000000u
#define SBX_LL_PORT_SIZE 8
struct sbx_step {
	int32_t kind;
	uint32_t flags;
	const char *path;
	const char *src;
	const char *aux;
	char *const *strv;
	const unsigned char *data;
	uint64_t data_len;
	const uint32_t *ids;
	uint32_t nids;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	int32_t resource;
	uint64_t num1;
	uint64_t num2;
};

/*
 * The pointer fields of a step and of the plan, each listed once:
 * X(type, field, count, size) where type is STR (a string), STRV (a
 * NULL-terminated array of strings) or BYTES (count elements of size
 * bytes, aligned to size). The plan cache's packing, unpacking and checks
 * (plan_blob.c) and its Go tests (plancache_flat.go) walk these lists, so a
 * new pointer field is added here and nowhere else. The plan's steps
 * array is walked on its own, step by step.
 */
#define SBX_STEP_POINTERS(X)                            \
	X(STR, path, 0, 1)                              \
	X(STR, src, 0, 1)                               \
	X(STR, aux, 0, 1)                               \
	X(STRV, strv, 0, 1)                             \
	X(BYTES, data, data_len, 1)                     \
	X(BYTES, ids, nids, sizeof(uint32_t))

#define SBX_PLAN_POINTERS(X)                            \
	X(STRV, envp, 0, 1)                             \
	X(BYTES, pass_fds, npass, sizeof(int32_t))      \
	X(STR, uid_map, 0, 1)                           \
	X(STR, gid_map, 0, 1)

struct sbx_plan {
	unsigned long clone_flags; /* CLONE_NEW* only */
	int32_t nsteps;
	const struct sbx_step *steps;
	char *const *envp;

	int32_t stdio[3]; /* become the payload's 0, 1, 2 */
	int32_t err_fd;   /* write end of the report pipe (O_CLOEXEC) */
	int32_t sync_fd;  /* read end of the sync pipe, or -1 */
	/* The launcher's ends, which the child closes first: its copy of
	 * the sync pipe's write end would keep the pipe open and hide the
	 * launcher's death. */
	int32_t parent_fds[2];

	int32_t wait_release;    /* block on sync_fd until the parent wrote the maps */
	int32_t die_with_parent; /* PR_SET_PDEATHSIG(SIGKILL), verified via sync_fd */
	int32_t new_session;     /* setsid before exec even without a step */
	int32_t init;            /* stay PID 1 and fork the payload */
	int32_t time_ns;         /* unshare(CLONE_NEWTIME) before the payload starts */
	int32_t wait_network;    /* block on sync_fd until the NAT helper configured our netns */
	int32_t cap_last_cap;    /* from /proc/sys/kernel/cap_last_cap, read by the parent */

	int32_t npass;
	const int32_t *pass_fds;

	/* After the launcher wrote the maps: the ids to take inside, or -1.
	 * A root launcher's child is host root, which a range map usually
	 * leaves unmapped: it could not even own the files it creates. */
	int64_t become_uid;
	int64_t become_gid;

	/* The child writes its own single-id maps (no round trip). */
	int32_t write_maps;
	int32_t deny_setgroups;
	/* The launcher writes uid_map and gid_map (idmap.c) while the child
	 * waits for its release (wait_release): maps naming host ids other
	 * than the launcher's own, which only the parent namespace may
	 * write. The fast path reads them from here. */
	int32_t parent_maps;
	const char *uid_map;
	const char *gid_map;

	/* The launcher's argv strings, blanked in the init so that
	 * /proc/1/cmdline inside shows nothing of the launcher. */
	uint64_t argv_start;
	uint64_t argv_len;

	/* The Go heap arena holding the launcher's objects, which the child
	 * never touches: left out of its copy of the address space
	 * (MADV_DONTFORK across clone). Zero length: copy everything. */
	uint64_t go_arena;
	uint64_t go_arena_len;

	/* The caller's process group and terminal (jobctl.c), filled in by
	 * each launch. */
	int32_t fg_tty;      /* 0-2: the stdio the launcher's terminal is on, whose
			      * foreground the sandbox's group takes; -1: none */
	int32_t job_fd;      /* write end of the job pipe (the init reports the
			      * payload's stops on it), or -1 */
	int32_t job_peer_fd; /* the launcher's read end, closed first, or -1 */

	/* network.mode "filtered": the child's end of a unix socketpair on
	 * which it hands the launcher the proxy's listening socket, made in
	 * the sandbox's network namespace (child_net.c), or -1; the
	 * launcher's end, closed first; and the port to listen on. */
	int32_t egress_fd;
	int32_t egress_peer_fd;
	int32_t egress_port;
};

/* sbx_report.code */
#define SBX_REPORT_SETUP 1
#define SBX_REPORT_EXEC 2

/* What the child writes to err_fd when it fails. One write of a fixed size,
 * smaller than PIPE_BUF, so it arrives whole or not at all. */
struct sbx_report {
	int32_t step; /* index into Plan.Steps; -1 before the first step */
	int32_t err;  /* errno */
	int32_t code; /* SBX_REPORT_* */
	char op[40];  /* the call that failed ("move_mount") */
	char detail[460];
};

/* Step index used for failures before the first step (id maps, the time
 * namespace). */
#define SBX_STEP_PRELUDE (-1)

/* sbx_spawn clones the sandbox's first process. It returns its pid, or -1
 * with *err set to clone's errno. The child never returns from it. */
pid_t sbx_spawn(const struct sbx_plan *plan, int *err);

#endif
