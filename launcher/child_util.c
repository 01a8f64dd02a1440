/*
 * Small helpers of the sandbox's first process: strings without libc's
 * allocating functions, failure reports, fds and the parent-death check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

size_t sbx_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = src ? strlen(src) : 0;

	if (size == 0)
		return n;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = 0;
	} else {
		if (n)
			memcpy(dst, src, n);
		dst[n] = 0;
	}
	return n;
}

/* sbx_join writes a + b into dst; ENAMETOOLONG when it does not fit. */
int sbx_join(char *dst, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 1 > size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb + 1);
	return 0;
}

/* sbx_fmt_u64 writes v backwards ending just before end and returns the
 * first character. */
char *sbx_fmt_u64(char *end, uint64_t v, unsigned base)
{
	*--end = 0;
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	return end;
}

int sbx_fail(struct sbx_ctx *c, const char *op, const char *path)
{
	return sbx_fail_errno(c, errno, op, path);
}

int sbx_fail_errno(struct sbx_ctx *c, int err, const char *op, const char *path)
{
	c->err = err;
	c->op = op;
	sbx_strlcpy(c->detail, path ? path : "", sizeof(c->detail));
	errno = err;
	return -1;
}

void sbx_report(struct sbx_ctx *c, int code)
{
	struct sbx_report r;

	memset(&r, 0, sizeof(r));
	r.step = c->step;
	r.err = c->err;
	r.code = code;
	sbx_strlcpy(r.op, c->op ? c->op : "", sizeof(r.op));
	sbx_strlcpy(r.detail, c->detail, sizeof(r.detail));
	/* Nothing to do if this fails: the parent then sees EOF and a child
	 * that exited 125 without saying why, and says so. */
	if (write(c->plan->err_fd, &r, sizeof(r)) < 0) {
	}
	if (code == SBX_REPORT_EXEC)
		_exit(c->err == ENOENT ? 127 : 126);
	_exit(125);
}

int sbx_write_file(int dirfd, const char *path, const char *data, size_t len)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -1;
	/* One write: id maps must arrive in a single call. */
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/*
 * sbx_arm_parent_death makes the kernel kill this process when the
 * launcher's thread that cloned it dies, then closes the race where the
 * launcher died before the prctl: its end of the sync pipe is then
 * closed, and poll says so. (getppid() cannot tell: in a new pid
 * namespace it is 0 whether the parent lives or not.) The death signal is
 * cleared by every change of uid or gid, so this runs again right before
 * exec (or in the init after its fork).
 */
void sbx_arm_parent_death(struct sbx_ctx *c)
{
	struct pollfd pfd = {.fd = c->plan->sync_fd, .events = POLLIN};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	if (pfd.fd < 0)
		return;
	while (poll(&pfd, 1, 0) < 0 && errno == EINTR) {
	}
	if (pfd.revents & (POLLHUP | POLLERR))
		_exit(125);
}

/*
 * sbx_close_fds_from marks every fd from lowest up close-on-exec (or
 * closes it), so the payload inherits none of the launcher's files (D1,
 * D2). close_range is one call; the loop is for kernels before 5.11.
 */
void sbx_close_fds_from(int lowest, int cloexec_only)
{
	struct rlimit rl;
	unsigned flags = cloexec_only ? SBX_CLOSE_RANGE_CLOEXEC : 0;
	long fd, max = 65536;

	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, flags) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur < max)
		max = (long)rl.rlim_cur;
	for (fd = lowest; fd < max; fd++) {
		if (cloexec_only)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		else
			close((int)fd);
	}
}

