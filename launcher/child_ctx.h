/*
 * Internal to the sandbox's first process: its state and the helpers its
 * files share. Everything here runs after clone, in a copy of a
 * multi-threaded Go process in which only one thread exists: no malloc, no
 * stdio, no function that may take a libc lock another thread held at
 * clone time. Plain syscall wrappers (read, write, mount, prctl) are fine;
 * anything glibc broadcasts to "all threads" (setuid and friends) is not,
 * so those go through syscall(2) directly.
 */
#ifndef SANDBOX_LAUNCHER_CHILD_CTX_H
#define SANDBOX_LAUNCHER_CHILD_CTX_H

#include <stdint.h>
#include <sys/types.h>

#include "child.h"

struct sbx_ctx {
	const struct sbx_plan *plan;
	int step; /* index being executed, for reports */

	int root_fd;    /* O_PATH: the new root, from new-root to exec */
	int host_fd;    /* O_PATH: the host's root, from new-root to pivot-root */
	int devnull_fd; /* O_PATH: the host's /dev/null, verified char 1:3 */
	int proc_fd;    /* root of the last proc mounted here */
	int self_fd;    /* O_PATH: our /proc/PID in the host's procfs */
	/* The host's /proc, for an init without a pid namespace, which
	 * finds there what it must end with the sandbox (init.c); or -1. */
	int hostproc_fd;

	int did_setsid;
	int seccomp_at;   /* step index of the seccomp step, or -1 */
	int seccomp_done; /* loaded early (before privileges went) or in place */
	int early_at;     /* load seccomp before this step (no no_new_privs) */

	int is_payload; /* forked by the init */
	pid_t init_pid; /* the init's pid, in the payload */
	mode_t umask;   /* the caller's, restored before exec */

	/* The failure being reported. */
	int err;
	const char *op;
	char detail[sizeof(((struct sbx_report *)0)->detail)];
};

/* child.c */
void sbx_child_main(const struct sbx_plan *p) __attribute__((noreturn));
void sbx_run_steps(struct sbx_ctx *c, int from) __attribute__((noreturn));
int sbx_fail(struct sbx_ctx *c, const char *op, const char *path);
int sbx_fail_errno(struct sbx_ctx *c, int err, const char *op, const char *path);
void sbx_report(struct sbx_ctx *c, int code) __attribute__((noreturn));
size_t sbx_strlcpy(char *dst, const char *src, size_t size);
int sbx_join(char *dst, size_t size, const char *a, const char *b);
char *sbx_fmt_u64(char *end, uint64_t v, unsigned base);
int sbx_write_file(int dirfd, const char *path, const char *data, size_t len);
void sbx_arm_parent_death(struct sbx_ctx *c);
void sbx_close_fds_from(int lowest, int cloexec_only);

/* child_path.c: paths inside the new root */
int sbx_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
int sbx_open_host(struct sbx_ctx *c, const char *path, int flags);
int sbx_mkdirs(struct sbx_ctx *c, const char *dir);
int sbx_target(struct sbx_ctx *c, const char *path, int what, mode_t mode);
int sbx_parent_of(struct sbx_ctx *c, const char *path, const char **name);
#define SBX_T_EXISTING 0
#define SBX_T_DIR 1
#define SBX_T_FILE 2

/* Where the host's root hangs while the view is built (child_root.c). */
#define SBX_HOST_ROOT "/oldroot"

/* child_root.c */
int sbx_step_make_private(struct sbx_ctx *c);
int sbx_step_new_root(struct sbx_ctx *c);
int sbx_step_pivot_root(struct sbx_ctx *c);
int sbx_step_lock_mounts(struct sbx_ctx *c, const struct sbx_step *s);

/* child_overlay.c */
int sbx_step_overlay(struct sbx_ctx *c, const struct sbx_step *s);

/* child_mount.c */
int sbx_step_bind(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_tmpfs(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_mqueue(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_remount_ro(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_protect(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_mount_new(struct sbx_ctx *c, const char *type, const char *const *opts, uint64_t attrs,
		  const char *path);
int sbx_new_fs(struct sbx_ctx *c, const char *type, const char *const *opts,
	       uint64_t attrs);
int sbx_attach(struct sbx_ctx *c, int mnt, int target, const char *path);
int sbx_clone_tree(struct sbx_ctx *c, int from, const char *path, uint64_t set,
		   const char *what);

/* child_dev.c: proc and /dev */
int sbx_step_proc(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_dev(struct sbx_ctx *c, const struct sbx_step *s);
/* sbx_dev_console binds the caller's terminal among stdio, if any, onto
 * console in the /dev tmpfs dev (child_dev_tty.c). */
int sbx_dev_console(struct sbx_ctx *c, int dev);

/* child_files.c: entries created inside the new root */
int sbx_step_symlink(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_dir(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_file(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_chdir(struct sbx_ctx *c, const struct sbx_step *s);

/* child_priv.c */
int sbx_step_hostname(struct sbx_ctx *c, const struct sbx_step *s, int domain);
int sbx_step_rlimit(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_userns_limit(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_set_ids(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_caps(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_step_no_new_privs(struct sbx_ctx *c);
int sbx_step_new_session(struct sbx_ctx *c);
int sbx_step_seccomp(struct sbx_ctx *c, const struct sbx_step *s);

/* child_landlock.c */
int sbx_step_landlock(struct sbx_ctx *c, const struct sbx_step *s);
int sbx_become(struct sbx_ctx *c, uint32_t uid, uint32_t gid);

/* child_exec.c */
void sbx_step_exec(struct sbx_ctx *c, const struct sbx_step *s) __attribute__((noreturn));

/* child_net.c */
int sbx_step_loopback_up(struct sbx_ctx *c);
int sbx_egress_listen(struct sbx_ctx *c);
void sbx_wait_network(struct sbx_ctx *c);

/* init.c */
void sbx_start_init(struct sbx_ctx *c, int from) __attribute__((noreturn));

/* init_end.c: without a pid namespace */
void sbx_open_host_proc(struct sbx_ctx *c);
void sbx_init_end_all(void);

#endif
