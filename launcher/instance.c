/*
 * Writing and removing the record of a running sandbox (instance.h).
 * The reader is Go (internal/instance), which never trusts a record: it
 * compares the recorded start time with the live process's, so a record
 * left by a launcher that was killed, or whose pid was reused, is pruned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"

/* open_dir opens (making it 0700 if missing) name under dirfd, refusing a
 * symlink or a directory another user owns or may write: records decide
 * what `sandbox stop` signals. */
static int open_dir(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* start_time reads field 22 of /proc/PID/stat, after the command's ")". */
static int start_time(int pid, char *out, size_t size)
{
	char path[64], buf[1024], *p;
	int fd, n, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	/* ") S ppid ..." : field 3 is the state, after ") ". */
	for (field = 2; *p && field < 22; p++) {
		if (*p == ' ')
			field++;
	}
	n = 0;
	while (p[n] >= '0' && p[n] <= '9' && n < (int)size - 1) {
		out[n] = p[n];
		n++;
	}
	out[n] = 0;
	return n > 0 ? 0 : -1;
}

static int put(int fd, const char *s)
{
	size_t n = strlen(s) + 1;

	return write(fd, s, n) == (ssize_t)n ? 0 : -1;
}

int sbx_instance_write(const char *base, int pid, const char *name, int nargs, char *const *args,
		       char id[SBX_INSTANCE_ID_LEN + 1], char *path, size_t path_size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[SBX_INSTANCE_ID_LEN / 2];
	char tmp[64], num[32], start[32];
	int bfd, sfd, dfd, fd, i, ok;

	if (base == NULL || base[0] != '/' || start_time(pid, start, sizeof(start)) < 0)
		return -1;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (i = 0; i < (int)sizeof(rnd); i++) {
		id[2 * i] = hex[rnd[i] >> 4];
		id[2 * i + 1] = hex[rnd[i] & 15];
	}
	id[SBX_INSTANCE_ID_LEN] = 0;
	if (snprintf(path, path_size, "%s/sandbox/instances/%s", base, id) >= (int)path_size)
		return -1;
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return -1;
	sfd = open_dir(bfd, "sandbox");
	close(bfd);
	if (sfd < 0)
		return -1;
	dfd = open_dir(sfd, "instances");
	close(sfd);
	if (dfd < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", id);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(dfd);
		return -1;
	}
	ok = put(fd, SBX_INSTANCE_MAGIC) == 0 && put(fd, id) == 0 && put(fd, name ? name : "") == 0;
	snprintf(num, sizeof(num), "%d", pid);
	ok = ok && put(fd, num) == 0 && put(fd, start) == 0;
	snprintf(num, sizeof(num), "%d", (int)getpid());
	ok = ok && put(fd, num) == 0;
	for (i = 0; ok && i < nargs; i++)
		ok = put(fd, args[i]) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, id) < 0) {
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

void sbx_instance_remove(const char *path)
{
	if (path && path[0] == '/')
		unlink(path);
}
