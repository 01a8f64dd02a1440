/*
 * Mount steps: the new root, binds, tmpfs, mqueue, overlay, remount-ro,
 * pivot-root and lock-mounts.
 *
 * Layout while the view is built (bubblewrap's, proven against
 * CVE-2019-12439): a fresh tmpfs is mounted over an existing root-owned
 * directory (/tmp) inside the private mount namespace, which hides
 * whatever anyone prepared there; the process pivots into that tmpfs, so
 * the host's tree hangs at /oldroot and the sandbox's root at /newroot,
 * both created by us in a filesystem nobody else can reach. Sources are
 * resolved under /oldroot, targets under /newroot, by fd.
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

#define SBX_OLDROOT "/oldroot"

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

/* Nothing mounted from here on may propagate back to the host (F9). */
int sbx_step_make_private(struct sbx_ctx *c)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sbx_fail(c, "mount MS_PRIVATE", "/");
	return 0;
}

int sbx_step_new_root(struct sbx_ctx *c)
{
	/* Existing root-owned directories; the first one present is
	 * covered. Being inside our private namespace, the cover is seen
	 * by no one else. */
	static const char *const bases[] = {"/tmp", "/run", "/mnt", NULL};
	const char *base = NULL;
	int i;

	for (i = 0; bases[i]; i++) {
		if (mount("sandbox-base", bases[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") == 0) {
			base = bases[i];
			break;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return sbx_fail(c, "mount tmpfs", bases[i]);
	}
	if (!base)
		return sbx_fail_errno(c, ENOENT, "mount tmpfs", "/tmp");
	if (chdir(base) < 0)
		return sbx_fail(c, "chdir", base);
	if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
		return sbx_fail(c, "mkdir", base);
	if (mount("tmpfs", "newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return sbx_fail(c, "mount tmpfs", "new root");
	/* The host's root moves to /oldroot; pivot_root hands its lock
	 * (MNT_LOCKED in a user namespace) to our tmpfs, which is what lets
	 * us detach the host's tree later. */
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
		return sbx_fail(c, "pivot_root", base);
	if (chdir("/") < 0)
		return sbx_fail(c, "chdir", "/");
	c->root_fd = open("/newroot", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->root_fd < 0)
		return sbx_fail(c, "open", "new root");
	c->host_fd = open(SBX_OLDROOT, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->host_fd < 0)
		return sbx_fail(c, "open", "host root");
	/* Our own /proc/PID directory in the host's procfs, kept for
	 * lock-mounts, which writes maps after the host's tree is gone and
	 * whether or not the sandbox has a /proc. */
	c->self_fd = sbx_open_host(c, "/proc/self", O_PATH | O_DIRECTORY);
	return 0;
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
	if (sbx_mask_sysfs(c, src, tree, s->src) < 0)
		return -1;
	close(tgt);
	close(tree);
	close(src);
	return 0;
}

/* sbx_mount_new creates a filesystem and attaches it at path. */
static int sbx_mount_new(struct sbx_ctx *c, const char *type, const char *const *opts,
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

	opts[3] = sbx_fmt_u64(mode + sizeof(mode), s->mode ? s->mode : 0755, 8);
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

/* sbx_fd_path appends "/oldroot/proc/self/fd/N" (a path the kernel can
 * resolve to an fd we verified) to buf. */
static int sbx_fd_path(char *buf, size_t size, int fd)
{
	char num[24];

	return sbx_join(buf + strlen(buf), size - strlen(buf), SBX_OLDROOT "/proc/self/fd/",
			sbx_fmt_u64(num + sizeof(num), (uint64_t)fd, 10));
}

/*
 * Overlay layers are opened by fd under the host's root and given to the
 * kernel as /proc/self/fd paths: the host's meaning of the paths is kept,
 * and no ':' or ',' in a host path can change the option string. A tmpfs
 * upper is attached in our scratch root (overlayfs refuses layers on
 * detached mounts); the overlay keeps its own reference after pivot-root.
 */
int sbx_step_overlay(struct sbx_ctx *c, const struct sbx_step *s)
{
	char lower[PATH_MAX], upper[64], work[64], scratch[32], num[24];
	const char *opts[13];
	int i, n = 0, fd, nlower = 0;

	if (c->host_fd < 0)
		return sbx_fail_errno(c, EINVAL, "overlay must come before pivot-root", s->path);
	lower[0] = 0;
	for (i = 0; s->strv && s->strv[i]; i++) {
		fd = sbx_open_host(c, s->strv[i], O_PATH | O_DIRECTORY);
		if (fd < 0) {
			if (errno == ENOENT && (s->flags & SBX_F_OPTIONAL))
				continue;
			return sbx_fail(c, "open lower", s->strv[i]);
		}
		if ((nlower++ && sbx_join(lower + strlen(lower), sizeof(lower) - strlen(lower), ":", "") < 0) ||
		    sbx_fd_path(lower, sizeof(lower), fd) < 0)
			return sbx_fail(c, "overlay", "too many lower dirs");
	}
	if (nlower == 0) {
		if (s->flags & SBX_F_OPTIONAL)
			return 0;
		return sbx_fail_errno(c, ENOENT, "open lower", s->path);
	}
	upper[0] = work[0] = 0;
	if (s->src && s->src[0]) {
		fd = sbx_open_host(c, s->src, O_PATH | O_DIRECTORY);
		if (fd < 0 || sbx_fd_path(upper, sizeof(upper), fd) < 0)
			return sbx_fail(c, "open upper", s->src);
		fd = sbx_open_host(c, s->aux, O_PATH | O_DIRECTORY);
		if (fd < 0 || sbx_fd_path(work, sizeof(work), fd) < 0)
			return sbx_fail(c, "open work", s->aux);
	} else {
		char sz[24], dir[32];
		const char *topts[] = {"source", "tmpfs", "mode", "0755", NULL, NULL, NULL};
		int mnt, at;

		if (s->num1) {
			topts[4] = "size";
			topts[5] = sbx_fmt_u64(sz + sizeof(sz), s->num1, 10);
		}
		mnt = sbx_new_fs(c, "tmpfs", topts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
		if (mnt < 0)
			return -1;
		sbx_join(scratch, sizeof(scratch), "/overlay-",
			 sbx_fmt_u64(num + sizeof(num), (uint64_t)c->step, 10));
		if (mkdir(scratch, 0700) < 0 && errno != EEXIST)
			return sbx_fail(c, "mkdir", scratch);
		at = open(scratch, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (at < 0)
			return sbx_fail(c, "open", scratch);
		if (sbx_attach(c, mnt, at, s->path) < 0)
			return -1;
		close(at);
		close(mnt);
		sbx_join(dir, sizeof(dir), scratch, "/upper");
		if (mkdir(dir, 0755) < 0)
			return sbx_fail(c, "mkdir", dir);
		sbx_strlcpy(upper, dir, sizeof(upper));
		sbx_join(dir, sizeof(dir), scratch, "/work");
		if (mkdir(dir, 0755) < 0)
			return sbx_fail(c, "mkdir", dir);
		sbx_strlcpy(work, dir, sizeof(work));
	}
	opts[n++] = "source";
	opts[n++] = "overlay";
	opts[n++] = "lowerdir";
	opts[n++] = lower;
	opts[n++] = "upperdir";
	opts[n++] = upper;
	opts[n++] = "workdir";
	opts[n++] = work;
	/* In a user namespace overlayfs may not use trusted.* xattrs. */
	if (c->plan->clone_flags & CLONE_NEWUSER) {
		opts[n++] = "userxattr";
		opts[n++] = NULL;
	}
	opts[n] = NULL;
	return sbx_mount_new(c, "overlay", opts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV, s->path);
}

int sbx_step_remount_ro(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct sbx_mount_attr attr;
	int tgt, tree;

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

/*
 * sbx_check_devnull refuses a view whose /dev/null is anything but the null
 * device: every program writes there, and a symlink or a regular file
 * planted in a bound /dev would receive it all (F12).
 */
static int sbx_check_devnull(struct sbx_ctx *c)
{
	struct stat st;
	int fd = sbx_openat2(c->root_fd, "/dev/null", O_PATH | O_NOFOLLOW,
			     SBX_RESOLVE_IN_ROOT | SBX_RESOLVE_NO_MAGICLINKS);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : sbx_fail(c, "open", "/dev/null");
	if (fstat(fd, &st) < 0)
		return sbx_fail(c, "stat", "/dev/null");
	close(fd);
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		return sbx_fail_errno(c, ENODEV, "not the null device (char 1:3)", "/dev/null");
	return 0;
}

int sbx_step_pivot_root(struct sbx_ctx *c)
{
	if (c->root_fd < 0)
		return sbx_fail_errno(c, EINVAL, "no new root (new-root must come first)", NULL);
	if (sbx_check_devnull(c) < 0)
		return -1;
	if (c->host_fd >= 0)
		close(c->host_fd);
	if (c->devnull_fd >= 0)
		close(c->devnull_fd);
	c->host_fd = c->devnull_fd = -1;
	/* pivot_root(".", ".") stacks the scratch root on top of the new
	 * one, and one lazy umount takes it away together with the host's
	 * tree hanging under it at /oldroot: nothing of the host stays
	 * reachable (I6), and no directory for the old root is needed
	 * inside. One umount, not two: each costs an RCU grace period. */
	if (fchdir(c->root_fd) < 0)
		return sbx_fail(c, "fchdir", "new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return sbx_fail(c, "pivot_root", "new root");
	if (umount2(".", MNT_DETACH) < 0)
		return sbx_fail(c, "umount", "host root");
	if (chdir("/") < 0)
		return sbx_fail(c, "chdir", "/");
	return 0;
}

/*
 * Lock every mount (F3): a further user and mount namespace, whose mounts
 * all come from a more privileged namespace and are therefore locked
 * together: no remount, no umount, whatever capabilities the payload
 * keeps in the new namespace. The new namespace starts with a full
 * bounding set, so capabilities are dropped after this step. Its maps are
 * one id each, written by us: the kernel allows that to the owner for its
 * own ids once setgroups is denied.
 */
int sbx_step_lock_mounts(struct sbx_ctx *c, const struct sbx_step *s)
{
	char map[64], num[24];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int self;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return sbx_fail(c, "unshare", "user and mount namespace");
	/* The root fd still points into the namespace we left; entering it
	 * (chdir) would put the working directory out of reach. */
	if (c->root_fd >= 0)
		close(c->root_fd);
	c->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0)
		return sbx_fail(c, "open", "/");
	/* The maps are opened after unshare: the kernel binds a map file to
	 * the namespace its task is in when the file is opened. */
	self = c->self_fd;
	if (self < 0 && c->proc_fd >= 0)
		self = openat(c->proc_fd, "self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (self < 0)
		return sbx_fail_errno(c, ENOENT, "lock-mounts needs /proc", "/proc/self");
	if (sbx_write_file(self, "setgroups", "deny", 4) < 0 && errno != ENOENT)
		return sbx_fail(c, "write", "/proc/self/setgroups");
	map[0] = 0;
	sbx_join(map, sizeof(map), sbx_fmt_u64(num + sizeof(num), s->uid, 10), " ");
	sbx_join(map + strlen(map), sizeof(map) - strlen(map), sbx_fmt_u64(num + sizeof(num), uid, 10), " 1\n");
	if (sbx_write_file(self, "uid_map", map, strlen(map)) < 0)
		return sbx_fail(c, "write", "/proc/self/uid_map");
	map[0] = 0;
	sbx_join(map, sizeof(map), sbx_fmt_u64(num + sizeof(num), s->gid, 10), " ");
	sbx_join(map + strlen(map), sizeof(map) - strlen(map), sbx_fmt_u64(num + sizeof(num), gid, 10), " 1\n");
	if (sbx_write_file(self, "gid_map", map, strlen(map)) < 0)
		return sbx_fail(c, "write", "/proc/self/gid_map");
	if (self != c->self_fd)
		close(self);
	return 0;
}
