/*
 * The one implementation of writing id maps, for every path that writes
 * them: the sandbox writing its own single-id maps (child.c), and the
 * launcher writing the maps the sandbox may not write itself, which are
 * every map naming a host id other than the launcher's own (a root
 * launch's unprivileged id, explicit maps, root's subordinate ids). The
 * ordinary path calls it through cgo (run_ids.go) and the plan cache's
 * fast path calls it before Go starts (fast.c), so a cached launch maps
 * exactly what a compiled one does.
 *
 * It runs in the child between clone and exec too: system calls only, no
 * allocation, no stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "idmap.h"

/* idmap_path writes "/proc/PID/NAME" (or "/proc/self/NAME") to buf. */
static void idmap_path(char *buf, size_t size, int pid, const char *name)
{
	char digits[16];
	size_t n = 0, i = 0;
	const char *parts[3] = {"/proc/", "self", name};

	if (pid > 0) {
		char rev[16];
		unsigned v = (unsigned)pid;

		do {
			rev[i++] = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0 && i < sizeof(rev));
		while (i > 0)
			digits[n++] = rev[--i];
		digits[n] = 0;
		parts[1] = digits;
	}
	n = 0;
	for (i = 0; i < 3; i++) {
		const char *s = parts[i];

		while (*s && n + 2 < size)
			buf[n++] = *s++;
		if (i == 1 && n + 2 < size)
			buf[n++] = '/';
	}
	buf[n] = 0;
}

/* idmap_write writes data to the file in a single write, as the kernel
 * requires of a map. */
static int idmap_write(int pid, const char *name, const char *data)
{
	char path[64];
	size_t len = strlen(data);
	ssize_t n;
	int fd, e;

	idmap_path(path, sizeof(path), pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len) {
		e = n < 0 ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

int sbx_deny_setgroups(int pid)
{
	/* A kernel without the file (before 3.19) has no setgroups rule. */
	if (idmap_write(pid, "setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int sbx_write_id_maps(int pid, int deny_setgroups, const char *uid_map, const char *gid_map,
		      const char **failed)
{
	*failed = NULL;
	if (uid_map == NULL || gid_map == NULL) {
		*failed = uid_map == NULL ? "uid_map" : "gid_map";
		errno = EINVAL;
		return -1;
	}
	/* Before the gid map: the kernel refuses an unprivileged gid map
	 * while setgroups is allowed. */
	if (deny_setgroups && sbx_deny_setgroups(pid) < 0) {
		*failed = "setgroups";
		return -1;
	}
	if (idmap_write(pid, "uid_map", uid_map) < 0) {
		*failed = "uid_map";
		return -1;
	}
	if (idmap_write(pid, "gid_map", gid_map) < 0) {
		*failed = "gid_map";
		return -1;
	}
	return 0;
}

int sbx_write_plan_maps(const struct sbx_plan *p, int pid, const char **failed)
{
	*failed = NULL;
	if (!p->parent_maps)
		return 0;
	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return sbx_write_id_maps(pid, p->deny_setgroups, p->uid_map, p->gid_map, failed);
}
