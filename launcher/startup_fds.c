/*
 * The descriptors the launcher's process was started with. A profile's
 * process.pass_fds names descriptors of the caller; by the time the
 * launcher checks them, the process has opened descriptors of its own
 * (the Go runtime's cgroup files and poller, the report pipe), and a
 * pass_fds entry that happens to name one of those would hand the payload
 * a launcher-internal descriptor (D2). The fast path's constructor records
 * the set before anything in the process opens a file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "startup_fds.h"

static uint64_t startup_fds[SBX_STARTUP_FDS / 64];
static int startup_known;

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

void sbx_record_startup_fds(void)
{
	char buf[4096];
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (dfd < 0)
		return;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct linux_dirent64 *d = (void *)(buf + off);
			const char *p = d->d_name;
			long fd = 0;

			off += d->d_reclen;
			if (*p < '0' || *p > '9')
				continue;
			for (; *p >= '0' && *p <= '9' && fd < SBX_STARTUP_FDS; p++)
				fd = fd * 10 + (*p - '0');
			if (*p == 0 && fd < SBX_STARTUP_FDS && fd != dfd)
				startup_fds[fd / 64] |= (uint64_t)1 << (fd % 64);
		}
	}
	close(dfd);
	startup_known = n == 0;
}

int sbx_startup_fd(int fd)
{
	if (!startup_known)
		return -1;
	if (fd < 0 || fd >= SBX_STARTUP_FDS)
		return 0;
	return (startup_fds[fd / 64] >> (fd % 64)) & 1;
}
