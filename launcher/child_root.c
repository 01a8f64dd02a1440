/*
 * The new root: its scratch layout while the view is built, the pivot into
 * it, and the lock on every mount once the view is final.
 *
 * Layout while the view is built (bubblewrap's, proven against
 * CVE-2019-12439): a fresh tmpfs is mounted over an existing root-owned
 * directory (/tmp) inside the private mount namespace, which hides
 * whatever anyone prepared there; the process pivots into that tmpfs, so
 * the host's tree hangs at /oldroot and the sandbox's root at /newroot,
 * both created by us in a filesystem nobody else can reach. Sources are
 * resolved under /oldroot, targets under /newroot, by fd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

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
	c->host_fd = open(SBX_HOST_ROOT, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->host_fd < 0)
		return sbx_fail(c, "open", "host root");
	/* Our own /proc/PID directory in the host's procfs, kept for
	 * lock-mounts, which writes maps after the host's tree is gone and
	 * whether or not the sandbox has a /proc. */
	c->self_fd = sbx_open_host(c, "/proc/self", O_PATH | O_DIRECTORY);
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
	int self, dumpable;

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
	/* Taking ids inside after a root launcher mapped them (sbx_become,
	 * set-ids) left us non-dumpable, and the kernel then gives our
	 * /proc/self files to host root, whom the new namespace does not
	 * map: we could not open our own setgroups. Dumpable while we
	 * write, as we were before: tracing us still takes CAP_SYS_PTRACE
	 * over namespaces whose owner is host root. */
	dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return sbx_fail(c, "prctl PR_SET_DUMPABLE", NULL);
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
	if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return sbx_fail(c, "prctl PR_SET_DUMPABLE", NULL);
	return 0;
}
