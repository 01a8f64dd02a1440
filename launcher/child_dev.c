/*
 * proc and /dev.
 *
 * Device nodes cannot be created inside (no CAP_MKNOD over devices in a
 * user namespace, and we do not want them anyway): each one is a bind of
 * the host's node, opened by fd under the host's root and checked to be
 * the character device it claims to be before it is used, whether for
 * /dev or to mask a /proc file (F12, runc CVE-2025-31133). Each bind is
 * read-only, so the host's node cannot be changed from inside (R2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

/* sbx_host_dev opens /dev/NAME on the host and checks it is char
 * major:minor. */
static int sbx_host_dev(struct sbx_ctx *c, const char *name, unsigned maj, unsigned min)
{
	char path[64];
	struct stat st;
	int fd;

	if (c->host_fd < 0)
		return sbx_fail_errno(c, EINVAL, "proc and dev must come before pivot-root", name);
	sbx_join(path, sizeof(path), "/dev/", name);
	fd = sbx_open_host(c, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return sbx_fail(c, "open", path);
	if (fstat(fd, &st) < 0)
		return sbx_fail(c, "stat", path);
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		return sbx_fail_errno(c, ENODEV, "not the expected character device", path);
	return fd;
}

static int sbx_devnull(struct sbx_ctx *c)
{
	if (c->devnull_fd < 0)
		c->devnull_fd = sbx_host_dev(c, "null", 1, 3);
	return c->devnull_fd;
}

/* sbx_bind_onto binds the node src onto the file dst (an fd). */
static int sbx_bind_onto(struct sbx_ctx *c, int src, uint64_t set, int dst, const char *name)
{
	int tree;

	tree = sbx_clone_tree(c, src, "", set, name);
	if (tree < 0)
		return -1;
	if (sbx_attach(c, tree, dst, name) < 0)
		return -1;
	close(tree);
	return 0;
}

/*
 * Files of /proc that reveal or reach the host kernel beyond what a
 * sandbox needs (F11): covered with /dev/null. Directories: covered with
 * an empty read-only tmpfs. Read-only: the sysctls and writable kernel
 * knobs (F10), which a root launcher without a user namespace would
 * otherwise write for the whole machine.
 */
static const char *const sbx_proc_masked_files[] = {
	"kcore",       "keys",	     "key-users", "latency_stats", "timer_list", "timer_stats",
	"sched_debug", "sysrq-trigger", "kpagecount", "kpageflags",	   "kpagecgroup", NULL,
};
static const char *const sbx_proc_masked_dirs[] = {"acpi", "asound", "scsi", NULL};
static const char *const sbx_proc_readonly[] = {"sys", "bus", "fs", "irq", NULL};

static int sbx_mask_proc(struct sbx_ctx *c, int proc)
{
	const uint64_t ro = SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV |
			    SBX_MOUNT_ATTR_NOEXEC;
	int i, fd, null;

	for (i = 0; sbx_proc_masked_files[i]; i++) {
		fd = openat(proc, sbx_proc_masked_files[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* not in this kernel */
		null = sbx_devnull(c);
		if (null < 0 ||
		    sbx_bind_onto(c, null, ro & ~SBX_MOUNT_ATTR_NODEV, fd, sbx_proc_masked_files[i]) < 0)
			return -1;
		close(fd);
	}
	for (i = 0; sbx_proc_masked_dirs[i]; i++) {
		const char *opts[] = {"source", "tmpfs", "mode", "0555", "size", "4096", NULL};
		int mnt;

		fd = openat(proc, sbx_proc_masked_dirs[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		mnt = sbx_new_fs(c, "tmpfs", opts, ro);
		if (mnt < 0 || sbx_attach(c, mnt, fd, sbx_proc_masked_dirs[i]) < 0)
			return -1;
		close(mnt);
		close(fd);
	}
	for (i = 0; sbx_proc_readonly[i]; i++) {
		int tree;

		fd = openat(proc, sbx_proc_readonly[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		tree = sbx_clone_tree(c, proc, sbx_proc_readonly[i], ro, sbx_proc_readonly[i]);
		if (tree < 0 || sbx_attach(c, tree, fd, sbx_proc_readonly[i]) < 0)
			return -1;
		close(tree);
		close(fd);
	}
	return 0;
}

int sbx_step_proc(struct sbx_ctx *c, const struct sbx_step *s)
{
	const char *opts[] = {"source", "proc", NULL};
	struct statfs sf;
	int mnt, tgt;

	mnt = sbx_new_fs(c, "proc", opts,
			 SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return -1;
	/* Everything below writes through this fd; make sure it is the
	 * procfs we asked for (F13, runc CVE-2019-16884). */
	if (fstatfs(mnt, &sf) < 0)
		return sbx_fail(c, "statfs", s->path);
	if (sf.f_type != SBX_PROC_SUPER_MAGIC)
		return sbx_fail_errno(c, EINVAL, "not a procfs", s->path);
	tgt = sbx_target(c, s->path, SBX_T_DIR, 0755);
	if (tgt < 0 || sbx_attach(c, mnt, tgt, s->path) < 0)
		return -1;
	close(tgt);
	if (sbx_mask_proc(c, mnt) < 0)
		return -1;
	if (c->proc_fd >= 0)
		close(c->proc_fd);
	c->proc_fd = mnt;
	return 0;
}

static const struct {
	const char *name;
	unsigned maj, min;
} sbx_dev_nodes[] = {
	{"null", 1, 3}, {"zero", 1, 5},	   {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *const sbx_dev_links[] = {
	"fd", "/proc/self/fd", "stdin", "/proc/self/fd/0", "stdout", "/proc/self/fd/1",
	"stderr", "/proc/self/fd/2", "ptmx", "pts/ptmx", NULL,
};

/* A minimal /dev (F14): nodes, a private devpts, shm and the usual links. */
int sbx_step_dev(struct sbx_ctx *c, const struct sbx_step *s)
{
	const char *topts[] = {"source", "tmpfs", "mode", "0755", NULL};
	const char *popts[] = {"source", "devpts", "ptmxmode", "0666", "mode", "620", NULL};
	const char *sopts[] = {"source", "tmpfs", "mode", "1777", NULL};
	unsigned i;
	int dev, tgt, mnt, fd;

	dev = sbx_new_fs(c, "tmpfs", topts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV |
						    SBX_MOUNT_ATTR_NOEXEC);
	if (dev < 0)
		return -1;
	tgt = sbx_target(c, s->path, SBX_T_DIR, 0755);
	if (tgt < 0 || sbx_attach(c, dev, tgt, s->path) < 0)
		return -1;
	close(tgt);
	for (i = 0; i < sizeof(sbx_dev_nodes) / sizeof(sbx_dev_nodes[0]); i++) {
		int src = sbx_host_dev(c, sbx_dev_nodes[i].name, sbx_dev_nodes[i].maj,
				       sbx_dev_nodes[i].min);

		if (src < 0)
			return -1;
		/* The mount point: a file we just made in our own tmpfs, so
		 * its fd is the target. */
		fd = openat(dev, sbx_dev_nodes[i].name,
			    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0)
			return sbx_fail(c, "create", sbx_dev_nodes[i].name);
		/* The node's own mount must not be nodev. It is read-only:
		 * reading and writing a device node never needs a writable
		 * mount, but chmod, chown, utimes and setxattr change the
		 * host's node and then fail with EROFS (R2), whoever the
		 * payload is on the host. */
		if (sbx_bind_onto(c, src,
				  SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC,
				  fd, sbx_dev_nodes[i].name) < 0)
			return -1;
		close(fd);
		if (src != c->devnull_fd)
			close(src);
	}
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		return sbx_fail(c, "mkdir", s->path);
	mnt = sbx_new_fs(c, "devpts", popts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return -1;
	fd = openat(dev, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || sbx_attach(c, mnt, fd, "pts") < 0)
		return -1;
	close(fd);
	close(mnt);
	mnt = sbx_new_fs(c, "tmpfs", sopts, SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return -1;
	fd = openat(dev, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || sbx_attach(c, mnt, fd, "shm") < 0)
		return -1;
	close(fd);
	close(mnt);
	if (sbx_dev_console(c, dev) < 0)
		return -1;
	for (i = 0; sbx_dev_links[i]; i += 2) {
		if (symlinkat(sbx_dev_links[i + 1], dev, sbx_dev_links[i]) < 0)
			return sbx_fail(c, "symlink", sbx_dev_links[i]);
	}
	close(dev);
	return 0;
}
