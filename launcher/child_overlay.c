/*
 * Overlay mounts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

/* sbx_fd_path appends "/oldroot/proc/self/fd/N" (a path the kernel can
 * resolve to an fd we verified) to buf. */
static int sbx_fd_path(char *buf, size_t size, int fd)
{
	char num[24];

	return sbx_join(buf + strlen(buf), size - strlen(buf), SBX_HOST_ROOT "/proc/self/fd/",
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

