/*
 * The caller's terminal as /dev/console.
 *
 * The sandbox's /dev/pts is a devpts instance of its own, so the terminal
 * the payload was handed as stdin, stdout or stderr has no name inside:
 * ttyname(3) (and tty(1), os.ttyname, ssh, gpg's pinentry, vim's checks)
 * fails with ENODEV. ttyname accepts any node under /dev that is the very
 * inode of the open terminal (same st_dev, st_ino and st_rdev), so the
 * host's node is bound onto /dev/console, as bubblewrap does: the numbered
 * path could not be used, since it would cover or clash with the
 * sandbox's own ptys of the same number.
 *
 * Nothing is reachable through the node that the payload could not
 * already reach through the descriptor it holds: the node is the same
 * terminal, checked to be the same inode, and bound read-only (chmod and
 * chown of the caller's terminal fail with EROFS). Opening it never makes
 * it the payload's controlling terminal, since it already is the caller's
 * session's, and TIOCSTI and TIOCLINUX stay refused by the seccomp filter
 * on every descriptor. Both launch paths run this same step, and it reads
 * the terminal at run time, so a cached plan needs nothing of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

/* sbx_stdio_tty returns the first of 0, 1, 2 that is a terminal, with its
 * stat in st, or -1. */
static int sbx_stdio_tty(struct stat *st)
{
	struct termios tio;
	int i;

	for (i = 0; i < 3; i++) {
		if (ioctl(i, TCGETS, &tio) == 0 && fstat(i, st) == 0 && S_ISCHR(st->st_mode))
			return i;
	}
	return -1;
}

/* sbx_tty_host_node opens, under the host's root, the node the terminal
 * on fd was opened from, or returns -1 when it has no name there that is
 * the same inode (a terminal of another mount namespace, a removed node). */
static int sbx_tty_host_node(struct sbx_ctx *c, int fd, const struct stat *st)
{
	char link[PATH_MAX], name[16];
	const char *path = link;
	struct stat node;
	ssize_t n;
	int nfd;

	if (c->self_fd < 0)
		return -1;
	snprintf(name, sizeof(name), "fd/%d", fd);
	n = readlinkat(c->self_fd, name, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = '\0';
	/* The link is read with the host's tree under the scratch root. */
	if (strncmp(link, SBX_HOST_ROOT "/", sizeof(SBX_HOST_ROOT)) == 0)
		path = link + sizeof(SBX_HOST_ROOT) - 1;
	if (strncmp(path, "/dev/", 5) != 0)
		return -1;
	nfd = sbx_open_host(c, path, O_PATH | O_NOFOLLOW);
	if (nfd < 0)
		return -1;
	if (fstat(nfd, &node) < 0 || !S_ISCHR(node.st_mode) || node.st_rdev != st->st_rdev ||
	    node.st_dev != st->st_dev || node.st_ino != st->st_ino) {
		close(nfd);
		return -1;
	}
	return nfd;
}

int sbx_dev_console(struct sbx_ctx *c, int dev)
{
	struct stat st;
	int fd, src, dst, tree;

	fd = sbx_stdio_tty(&st);
	if (fd < 0)
		return 0;
	src = sbx_tty_host_node(c, fd, &st);
	if (src < 0)
		return 0;
	dst = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0) {
		close(src);
		return sbx_fail(c, "create", "console");
	}
	tree = sbx_clone_tree(c, src, "",
			      SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC,
			      "console");
	close(src);
	if (tree < 0 || sbx_attach(c, tree, dst, "console") < 0)
		return -1;
	close(tree);
	close(dst);
	return 0;
}
