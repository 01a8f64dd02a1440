/*
 * Mount steps: binds, tmpfs, mqueue and remount-ro, and the helpers every
 * mount goes through.
 *
 * All mounting goes through the fd-based mount API (open_tree, fsopen,
 * fsmount, mount_setattr, move_mount): attributes are set on a detached
 * tree before it becomes visible, recursively (F2), and the tree is
 * attached to the exact fd that was resolved inside the new root (F6).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

/* sbx_fs_log appends the kernel's message for a failed fsconfig (overlay
 * and others explain themselves there) to the failure's detail. */
static void sbx_fs_log(struct sbx_ctx *c, int fs)
{
	char msg[200];
	size_t used = strlen(c->detail);
	ssize_t n = read(fs, msg, sizeof(msg) - 1);

	if (n <= 2 || used + 3 >= sizeof(c->detail))
		return;
	msg[n] = 0;
	if (msg[n - 1] == '\n')
		msg[n - 1] = 0;
	/* Messages start with "e " (error), "w " or "i ". */
	memcpy(c->detail + used, ": ", 3);
	sbx_strlcpy(c->detail + used + 2, msg + 2, sizeof(c->detail) - used - 2);
}

/*
 * sbx_new_fs creates a detached mount of a new filesystem. opts holds
 * key/value pairs ending in NULL; a NULL value sets a flag.
 */
int sbx_new_fs(struct sbx_ctx *c, const char *type, const char *const *opts, uint64_t attrs)
{
	int fs, mnt, i;
	int e;

	fs = (int)syscall(SYS_fsopen, type, SBX_FSOPEN_CLOEXEC);
	if (fs < 0)
		return sbx_fail(c, "fsopen", type);
	for (i = 0; opts && opts[i]; i += 2) {
		long r;

		if (opts[i + 1])
			r = syscall(SYS_fsconfig, fs, SBX_FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0);
		else
			r = syscall(SYS_fsconfig, fs, SBX_FSCONFIG_SET_FLAG, opts[i], NULL, 0);
		if (r < 0) {
			e = errno;
			sbx_fail_errno(c, e, "fsconfig", opts[i]);
			sbx_fs_log(c, fs);
			return -1;
		}
	}
	if (syscall(SYS_fsconfig, fs, SBX_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		e = errno;
		sbx_fail_errno(c, e, "fsconfig create", type);
		sbx_fs_log(c, fs);
		return -1;
	}
	mnt = (int)syscall(SYS_fsmount, fs, SBX_FSMOUNT_CLOEXEC, attrs);
	if (mnt < 0)
		return sbx_fail(c, "fsmount", type);
	close(fs);
	return mnt;
}

/* sbx_attach mounts the detached tree mnt onto the resolved fd target. */
int sbx_attach(struct sbx_ctx *c, int mnt, int target, const char *path)
{
	if (syscall(SYS_move_mount, mnt, "", target, "",
		    SBX_MOVE_MOUNT_F_EMPTY_PATH | SBX_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return sbx_fail(c, "move_mount", path);
	return 0;
}

/*
 * sbx_clone_tree returns a detached copy of the mount tree at from/path
 * (path "" means from itself), with set applied to every mount in it.
 * Recursive, because a bind that skipped submounts would reveal what they
 * cover, and because read-only must reach the submounts too (F2).
 */
int sbx_clone_tree(struct sbx_ctx *c, int from, const char *path, uint64_t set, const char *what)
{
	struct sbx_mount_attr attr;
	unsigned flags = SBX_OPEN_TREE_CLONE | O_CLOEXEC | SBX_AT_RECURSIVE;
	int tree;

	if (path[0] == 0)
		flags |= SBX_AT_EMPTY_PATH;
	else
		flags |= SBX_AT_SYMLINK_NOFOLLOW;
	tree = (int)syscall(SYS_open_tree, from, path, flags);
	if (tree < 0)
		return sbx_fail(c, "open_tree", what);
	if (set) {
		memset(&attr, 0, sizeof(attr));
		attr.attr_set = set;
		if (syscall(SYS_mount_setattr, tree, "", SBX_AT_EMPTY_PATH | SBX_AT_RECURSIVE, &attr,
			    sizeof(attr)) < 0)
			return sbx_fail(c, "mount_setattr", what);
	}
	return tree;
}

/* What a bound sysfs hides (F11): firmware tables and power capping
 * controls of the host. */
static const char *const sbx_sysfs_masked[] = {"firmware", "devices/virtual/powercap", NULL};

/*
 * sbx_mask_sysfs covers those with an empty read-only tmpfs when a bind
 * brought the root of a sysfs into the sandbox (tree is the bound tree,
 * attached).
 */
static int sbx_mask_sysfs(struct sbx_ctx *c, int src, int tree, const char *what)
{
	const char *opts[] = {"source", "tmpfs", "mode", "0555", "size", "4096", NULL};
	struct statfs sf;
	int i, fd, mnt;

	if (fstatfs(src, &sf) < 0 || sf.f_type != SBX_SYSFS_MAGIC)
		return 0;
	for (i = 0; sbx_sysfs_masked[i]; i++) {
		fd = openat(tree, sbx_sysfs_masked[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* not the sysfs root, or not in this kernel */
		mnt = sbx_new_fs(c, "tmpfs", opts,
				 SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV |
					 SBX_MOUNT_ATTR_NOEXEC);
		if (mnt < 0 || sbx_attach(c, mnt, fd, what) < 0)
			return -1;
		close(mnt);
		close(fd);
	}
	return 0;
}

int sbx_step_bind(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct stat st;
	uint64_t set = SBX_MOUNT_ATTR_NOSUID;
	int src, tree, tgt;

	if (c->host_fd < 0)
		return sbx_fail_errno(c, EINVAL, "binds must come before pivot-root", s->src);
	src = sbx_open_host(c, s->src, O_PATH);
	if (src < 0) {
		if (errno == ENOENT && (s->flags & SBX_F_OPTIONAL))
			return 0;
		return sbx_fail(c, "open source", s->src);
	}
	if (fstat(src, &st) < 0)
		return sbx_fail(c, "stat", s->src);
	if (!(s->flags & SBX_F_DEVICES))
		set |= SBX_MOUNT_ATTR_NODEV;
	if (s->flags & SBX_F_READONLY)
		set |= SBX_MOUNT_ATTR_RDONLY;
	tree = sbx_clone_tree(c, src, "", set, s->src);
	if (tree < 0)
		return -1;
	tgt = sbx_target(c, s->path, S_ISDIR(st.st_mode) ? SBX_T_DIR : SBX_T_FILE,
			 S_ISDIR(st.st_mode) ? 0755 : 0644);
	if (tgt < 0)
		return -1;
	if (sbx_attach(c, tree, tgt, s->path) < 0)
		return -1;
	/* Only a directory can be the root of a sysfs. */
	if (S_ISDIR(st.st_mode) && sbx_mask_sysfs(c, src, tree, s->src) < 0)
		return -1;
	close(tgt);
	close(tree);
	close(src);
	return 0;
}

/* sbx_mount_new creates a filesystem and attaches it at path. */
int sbx_mount_new(struct sbx_ctx *c, const char *type, const char *const *opts,
			 uint64_t attrs, const char *path)
{
	int mnt, tgt;

	mnt = sbx_new_fs(c, type, opts, attrs);
	if (mnt < 0)
		return -1;
	tgt = sbx_target(c, path, SBX_T_DIR, 0755);
	if (tgt < 0)
		return -1;
	if (sbx_attach(c, mnt, tgt, path) < 0)
		return -1;
	close(tgt);
	close(mnt);
	return 0;
}

int sbx_step_tmpfs(struct sbx_ctx *c, const struct sbx_step *s)
{
	char mode[24], size[24];
	const char *opts[7] = {"source", "tmpfs", "mode", NULL, NULL, NULL, NULL};

	/* The mode is the plan's, defaults included (profile Mount.Perm):
	 * a mode of 0 is one a profile wrote, not a missing one. */
	opts[3] = sbx_fmt_u64(mode + sizeof(mode), s->mode, 8);
	if (s->num1) {
		opts[4] = "size";
		opts[5] = sbx_fmt_u64(size + sizeof(size), s->num1, 10);
	}
	return sbx_mount_new(c, "tmpfs", opts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV, s->path);
}

int sbx_step_mqueue(struct sbx_ctx *c, const struct sbx_step *s)
{
	const char *opts[] = {"source", "mqueue", NULL};

	return sbx_mount_new(c, "mqueue", opts,
			     SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC, s->path);
}

int sbx_step_remount_ro(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct sbx_mount_attr attr;
	int tgt, tree;

	if (s->flags & SBX_F_PROTECT)
		return sbx_step_protect(c, s);
	tgt = sbx_target(c, s->path, SBX_T_EXISTING, 0);
	if (tgt < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = SBX_MOUNT_ATTR_RDONLY;
	if (syscall(SYS_mount_setattr, tgt, "", SBX_AT_EMPTY_PATH | SBX_AT_RECURSIVE, &attr,
		    sizeof(attr)) == 0) {
		close(tgt);
		return 0;
	}
	if (errno != EINVAL)
		return sbx_fail(c, "mount_setattr", s->path);
	/* Not a mount point: bind it onto itself, read-only. */
	tree = sbx_clone_tree(c, tgt, "", SBX_MOUNT_ATTR_RDONLY, s->path);
	if (tree < 0 || sbx_attach(c, tree, tgt, s->path) < 0)
		return -1;
	close(tree);
	close(tgt);
	return 0;
}

