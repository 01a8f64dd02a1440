/*
 * Entries created inside the new root (symlink, dir, file) and the working
 * directory. Every name is created in a directory fd resolved inside the
 * new root, with O_NOFOLLOW on the last component, so a symlink planted
 * in a bound host directory cannot redirect a write to the host (F5).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

/* A copied file is bounded so that a huge or endless source (a growing
 * log) cannot stall the launch (B7). */
#define SBX_COPY_MAX (16 << 20)

int sbx_step_symlink(struct sbx_ctx *c, const struct sbx_step *s)
{
	char have[PATH_MAX];
	const char *name;
	ssize_t n;
	int dir;

	dir = sbx_parent_of(c, s->path, &name);
	if (dir < 0)
		return -1;
	if (symlinkat(s->src, dir, name) == 0) {
		close(dir);
		return 0;
	}
	if (errno != EEXIST)
		return sbx_fail(c, "symlink", s->path);
	/* Already there (a bound tree may carry it): fine if identical. */
	n = readlinkat(dir, name, have, sizeof(have) - 1);
	if (n < 0 || (size_t)n != strlen(s->src) || memcmp(have, s->src, (size_t)n) != 0)
		return sbx_fail_errno(c, EEXIST, "symlink", s->path);
	close(dir);
	return 0;
}

int sbx_step_dir(struct sbx_ctx *c, const struct sbx_step *s)
{
	const char *name;
	int dir, fd;

	if (strcmp(s->path, "/") == 0)
		return 0;
	dir = sbx_parent_of(c, s->path, &name);
	if (dir < 0)
		return -1;
	if (mkdirat(dir, name, s->mode) < 0) {
		if (errno != EEXIST)
			return sbx_fail(c, "mkdir", s->path);
		/* Existing: it must be a directory (or lead to one inside). */
		fd = sbx_openat2(c->root_fd, s->path, O_PATH | O_DIRECTORY,
				 SBX_RESOLVE_IN_ROOT | SBX_RESOLVE_NO_MAGICLINKS);
		if (fd < 0)
			return sbx_fail(c, "mkdir", s->path);
		close(fd);
	}
	close(dir);
	return 0;
}

static int sbx_write_all(int fd, const unsigned char *p, uint64_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n > (1 << 20) ? (1 << 20) : (size_t)n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (uint64_t)w;
	}
	return 0;
}

/* sbx_copy copies in to out: sendfile where the kernel can, read/write
 * through a stack buffer otherwise. */
static int sbx_copy(struct sbx_ctx *c, int in, int out, const char *what)
{
	unsigned char buf[16384];
	uint64_t total = 0;
	ssize_t n;

	for (;;) {
		n = sendfile(out, in, NULL, 1 << 20);
		if (n < 0 && (errno == EINVAL || errno == ENOSYS))
			break;
		if (n < 0)
			return sbx_fail(c, "copy", what);
		if (n == 0)
			return 0;
		total += (uint64_t)n;
		if (total > SBX_COPY_MAX)
			return sbx_fail_errno(c, EFBIG, "copy (more than 16 MiB)", what);
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sbx_fail(c, "read", what);
		if (n == 0)
			return 0;
		total += (uint64_t)n;
		if (total > SBX_COPY_MAX)
			return sbx_fail_errno(c, EFBIG, "copy (more than 16 MiB)", what);
		if (sbx_write_all(out, buf, (uint64_t)n) < 0)
			return sbx_fail(c, "write", what);
	}
}

static int sbx_special(mode_t m)
{
	return S_ISFIFO(m) || S_ISCHR(m) || S_ISBLK(m) || S_ISSOCK(m);
}

/* sbx_target_kind is the message for a file target that is not a regular
 * file (a report's op holds 39 characters). */
static const char *sbx_target_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "target is a FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "target is a device node";
	if (S_ISSOCK(m))
		return "target is a socket";
	return "target is not a regular file";
}

int sbx_step_file(struct sbx_ctx *c, const struct sbx_step *s)
{
	const char *name;
	struct stat st;
	int src = -1, dir, fd;

	if (s->src && s->src[0]) {
		if (c->host_fd < 0)
			return sbx_fail_errno(c, EINVAL, "copies must come before pivot-root", s->src);
		/* O_NONBLOCK: a fifo given as the source fails the check
		 * below instead of hanging the launch (B6). */
		src = sbx_open_host(c, s->src, O_RDONLY | O_NONBLOCK | O_NOCTTY);
		if (src < 0) {
			if (errno == ENOENT && (s->flags & SBX_F_OPTIONAL))
				return 0;
			return sbx_fail(c, "open source", s->src);
		}
		if (fstat(src, &st) < 0)
			return sbx_fail(c, "stat", s->src);
		if (!S_ISREG(st.st_mode))
			return sbx_fail_errno(c, EINVAL, "source is not a regular file", s->src);
	}
	dir = sbx_parent_of(c, s->path, &name);
	if (dir < 0)
		return -1;
	/*
	 * The target may lie in a writable bind, where a payload of an
	 * earlier launch can have put a FIFO in its place: opened for writing
	 * it would block the setup until a reader came, every launch (B16).
	 * A special file found there is not even opened (a device could act
	 * on open); O_NONBLOCK makes a FIFO swapped in after the look fail
	 * with ENXIO or open at once, and the fstat below refuses whatever
	 * is not a regular file.
	 */
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && sbx_special(st.st_mode))
		return sbx_fail_errno(c, EINVAL, sbx_target_kind(st.st_mode), s->path);
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		    s->mode);
	if (fd < 0 && errno == ENXIO)
		return sbx_fail_errno(c, EINVAL, "target is a FIFO or socket", s->path);
	if (fd < 0)
		return sbx_fail(c, "create", s->path);
	if (fstat(fd, &st) < 0)
		return sbx_fail(c, "stat", s->path);
	if (!S_ISREG(st.st_mode))
		return sbx_fail_errno(c, EINVAL, sbx_target_kind(st.st_mode), s->path);
	if (src >= 0) {
		if (sbx_copy(c, src, fd, s->src) < 0)
			return -1;
		close(src);
	} else if (s->data_len && sbx_write_all(fd, s->data, s->data_len) < 0) {
		return sbx_fail(c, "write", s->path);
	}
	/* The mode of a file that existed before is set too. */
	if (fchmod(fd, s->mode) < 0)
		return sbx_fail(c, "chmod", s->path);
	close(fd);
	close(dir);
	return 0;
}

/* sbx_chdir_in enters dir, resolved inside the new root. */
static int sbx_chdir_in(struct sbx_ctx *c, const char *dir)
{
	int fd = sbx_openat2(c->root_fd >= 0 ? c->root_fd : AT_FDCWD, dir, O_PATH | O_DIRECTORY,
			     SBX_RESOLVE_IN_ROOT | SBX_RESOLVE_NO_MAGICLINKS);

	if (fd < 0)
		return -1;
	if (fchdir(fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/*
 * The working directory must be inside the new root: a cwd left on the
 * host would let the payload walk the host tree with relative paths
 * (F16, runc CVE-2024-21626). getcwd tells: the kernel prefixes a path it
 * cannot reach from our root with "(unreachable)".
 */
int sbx_step_chdir(struct sbx_ctx *c, const struct sbx_step *s)
{
	char cwd[PATH_MAX];
	const char *dir = s->path;
	long n;

	if (sbx_chdir_in(c, dir) < 0) {
		if ((errno == ENOENT || errno == ENOTDIR) && s->src && s->src[0]) {
			dir = s->src;
			if (sbx_chdir_in(c, dir) < 0)
				return sbx_fail(c, "chdir", dir);
		} else {
			return sbx_fail(c, "chdir", dir);
		}
	}
	n = syscall(SYS_getcwd, cwd, sizeof(cwd));
	if (n < 0)
		return sbx_fail(c, "getcwd", dir);
	if (cwd[0] != '/')
		return sbx_fail_errno(c, EACCES, "cwd outside the sandbox", dir);
	return 0;
}
