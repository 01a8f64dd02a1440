/*
 * The kinds of descriptor the payload may inherit (D4). A descriptor is a
 * capability the sandbox's mount view does not bound: whatever it points
 * at on the host stays reachable through it. For most kinds that is the
 * point of passing it (a pipe, a socket, an open file), but some reach far
 * beyond the object itself:
 *
 *  - a directory resolves paths from where it is on the host: openat(fd,
 *    "..") or /proc/self/fd/N/.. walk up to the host's root;
 *  - an O_PATH descriptor does the same for a directory, and for a file is
 *    reopened through /proc/self/fd/N with whatever access the file's
 *    mode allows, not the access it was opened with;
 *  - a pidfd lets pidfd_getfd copy descriptors out of a host process the
 *    caller owns (its shell, its editor), directories included;
 *  - a namespace descriptor is a handle on one of the host's namespaces.
 *
 * Both launch paths call this: the Go path to refuse with the profile line,
 * the plan cache's fast path to leave such a launch to the Go path.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "pass_fds.h"

/* From linux/magic.h, which older headers lack. */
#define SBX_NSFS_MAGIC 0x6e736673
#define SBX_PIDFS_MAGIC 0x50494446

int sbx_fd_refused(int fd)
{
	struct stat st;
	struct statfs sf;
	char path[64], link[32];
	int fl = fcntl(fd, F_GETFL);
	ssize_t n;

	if (fl < 0)
		return SBX_FD_OK;
	if (fl & O_PATH)
		return SBX_FD_OPATH;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
		return SBX_FD_UNKNOWN;
	if (S_ISDIR(st.st_mode))
		return SBX_FD_DIRECTORY;
	/* A namespace descriptor looks like a regular file; only its file
	 * system tells it apart. */
	if ((unsigned long)sf.f_type == SBX_NSFS_MAGIC)
		return SBX_FD_NAMESPACE;
	if ((unsigned long)sf.f_type == SBX_PIDFS_MAGIC)
		return SBX_FD_PIDFD;
	/* Before pidfs (Linux 6.9) a pidfd is an anonymous inode, named by
	 * its link. */
	if ((st.st_mode & S_IFMT) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			if (strcmp(link, "anon_inode:[pidfd]") == 0)
				return SBX_FD_PIDFD;
		}
	}
	return SBX_FD_OK;
}
