/*
 * Paths inside the new root, and host paths.
 *
 * Every target is resolved with openat2(RESOLVE_IN_ROOT) relative to the
 * new root's fd: a symlink (absolute or "../../..") found on the way is
 * followed as if the new root were "/", so nothing outside it is ever
 * created or mounted on (F5, F7, bubblewrap CVE-2019-12439's kin). What is
 * missing is created one component at a time in the directory fd just
 * resolved, and mounts go onto the O_PATH fd that was resolved, never onto
 * a path looked up again, so swapping a directory for a symlink at the
 * right moment gains nothing (F6, runc CVE-2021-30465).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

#define SBX_IN_ROOT (SBX_RESOLVE_IN_ROOT | SBX_RESOLVE_NO_MAGICLINKS)

int sbx_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct sbx_open_how how;
	int i, fd = -1;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = resolve;
	/* EAGAIN: a rename raced the scoped lookup; the kernel asks to
	 * retry rather than risk an escape. */
	for (i = 0; i < 64; i++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/*
 * sbx_open_host opens a host path. After new-root the host's tree hangs at
 * host_fd; resolving in it keeps the host's own meaning of absolute
 * symlinks (/etc/resolv.conf -> /run/...). Magic links (/proc/PID/root)
 * are refused: they would name this process's view, not the host's.
 */
int sbx_open_host(struct sbx_ctx *c, const char *path, int flags)
{
	if (c->host_fd < 0) {
		errno = EINVAL;
		return -1;
	}
	return sbx_openat2(c->host_fd, path, flags, SBX_IN_ROOT);
}

/* sbx_mkdirs returns an O_PATH fd of dir inside the new root, creating each
 * missing component with mode 0755. */
int sbx_mkdirs(struct sbx_ctx *c, const char *dir)
{
	char buf[PATH_MAX];
	size_t i, len;
	int cur, next;

	if (c->root_fd < 0)
		return sbx_fail_errno(c, EINVAL, "no new root (new-root must come first)", dir);
	cur = sbx_openat2(c->root_fd, dir, O_PATH | O_DIRECTORY, SBX_IN_ROOT);
	if (cur >= 0)
		return cur;
	if (errno != ENOENT)
		return sbx_fail(c, "openat2", dir);
	len = sbx_strlcpy(buf, dir, sizeof(buf));
	if (len >= sizeof(buf))
		return sbx_fail_errno(c, ENAMETOOLONG, "openat2", dir);
	cur = sbx_openat2(c->root_fd, "/", O_PATH | O_DIRECTORY, SBX_IN_ROOT);
	if (cur < 0)
		return sbx_fail(c, "openat2", "/");
	i = 0;
	while (i < len) {
		size_t start, end;

		while (i < len && buf[i] == '/')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && buf[i] != '/')
			i++;
		end = i;
		buf[end] = 0;
		/* Each prefix is resolved from the new root again, so a
		 * symlink met on the way stays inside it. */
		next = sbx_openat2(c->root_fd, buf, O_PATH | O_DIRECTORY, SBX_IN_ROOT);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(cur, buf + start, 0755) < 0 && errno != EEXIST)
				return sbx_fail(c, "mkdir", buf);
			next = sbx_openat2(c->root_fd, buf, O_PATH | O_DIRECTORY, SBX_IN_ROOT);
			if (next < 0 && errno == ENOENT)
				return sbx_fail(c, "a dangling symlink is in the way", buf);
		}
		if (next < 0)
			return sbx_fail(c, "openat2", buf);
		close(cur);
		cur = next;
		if (end < len)
			buf[end] = '/';
	}
	return cur;
}

/* sbx_parent_of returns an fd of path's parent directory (created when
 * missing) and points *name at the last component. */
int sbx_parent_of(struct sbx_ctx *c, const char *path, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash || slash[1] == 0 || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0)
		return sbx_fail_errno(c, EINVAL, "target is not a clean absolute path", path);
	*name = slash + 1;
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* "/x": the parent is "/" */
	if (n >= sizeof(dir))
		return sbx_fail_errno(c, ENAMETOOLONG, "target", path);
	memcpy(dir, path, n);
	dir[n] = 0;
	return sbx_mkdirs(c, dir);
}

/* sbx_clean_last reports whether path ends in a name (not "/", "." or
 * ".."), which sbx_parent_of can create. */
static int sbx_clean_last(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] && strcmp(slash + 1, ".") != 0 && strcmp(slash + 1, "..") != 0;
}

/*
 * sbx_target returns an fd of path inside the new root (O_PATH, or the
 * file it just created). When what is SBX_T_DIR or SBX_T_FILE and the path
 * is missing, the missing parents are created and the last component is
 * created as a directory or an empty file (a mount point for a
 * non-directory).
 */
int sbx_target(struct sbx_ctx *c, const char *path, int what, mode_t mode)
{
	const char *name, *op;
	int fd, parent, e;

	if (c->root_fd < 0)
		return sbx_fail_errno(c, EINVAL, "no new root (new-root must come first)", path);
	/*
	 * Nearly every target is new (the root starts empty), so it is
	 * created first, in its parent resolved inside the new root: the
	 * file's own fd, or the directory opened without following a
	 * link, is the mount point. Three calls fewer than looking the
	 * path up, failing, creating and looking it up again.
	 */
	if (what != SBX_T_EXISTING && sbx_clean_last(path)) {
		parent = sbx_parent_of(c, path, &name);
		if (parent < 0)
			return -1;
		op = what == SBX_T_DIR ? "mkdir" : "create";
		if (what == SBX_T_DIR) {
			fd = mkdirat(parent, name, mode);
			if (fd == 0) {
				op = "open";
				fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			}
		} else {
			fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
				    mode);
		}
		e = errno;
		close(parent);
		if (fd >= 0)
			return fd;
		if (e != EEXIST)
			return sbx_fail_errno(c, e, op, path);
	}
	/* Already there: resolved inside the new root, where a dangling
	 * symlink fails rather than being followed anywhere. */
	fd = sbx_openat2(c->root_fd, path, O_PATH, SBX_IN_ROOT);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT || what == SBX_T_EXISTING)
		return sbx_fail(c, "openat2", path);
	if (!sbx_clean_last(path)) {
		/* Says why ("/x/.." cannot be created). */
		sbx_parent_of(c, path, &name);
		return -1;
	}
	return sbx_fail(c, "a dangling symlink is in the way", path);
}
