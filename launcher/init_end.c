/*
 * Ending the sandbox without a pid namespace (L9).
 *
 * In a pid namespace the kernel ends every process of the sandbox when
 * its PID 1, the init, exits. Without one nothing does: a child the
 * payload forked and detached (setsid, a double fork) would live on,
 * re-parented to the host's init, after the sandbox and its launcher are
 * gone. So there the init is a subreaper (orphans of the sandbox come to
 * it, not to the host's init), and when it ends (the payload exited, or
 * the launcher died: its parent-death signal is one it catches, init.c)
 * it kills what is left itself: every process of its process group or
 * session (jobctl.c makes the sandbox one) and every child of its own,
 * found in the host's /proc, again and again, since killing a process
 * hands its children to the init, until it has no child left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

#define SBX_PROC_SUPER_MAGIC 0x9fa0
/* How long the init keeps killing (a process in uninterruptible sleep
 * dies only when it wakes) before it gives up: 3000 rounds of 10 ms. */
#define SBX_END_ROUNDS 3000

static int sbx_end_proc = -1;

struct sbx_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

void sbx_open_host_proc(struct sbx_ctx *c)
{
	struct statfs fs;
	int fd;

	/* Still the launcher's view of the file system: its /proc. */
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type != SBX_PROC_SUPER_MAGIC) {
		sbx_fail_errno(c, fd < 0 ? errno : ENOENT,
			       "an init without a pid namespace needs the host's /proc", "/proc");
		sbx_report(c, SBX_REPORT_SETUP);
	}
	c->hostproc_fd = fd;
	sbx_end_proc = fd;
}

/* sbx_end_ours reports whether pid is ours to end: a child of ours, or in
 * our process group or session (its fields 4, 5 and 6 of /proc/PID/stat). */
static int sbx_end_ours(long pid, pid_t me)
{
	char num[24], path[40], st[512], *p;
	long v[3] = {0, 0, 0};
	ssize_t n;
	int fd, i;

	path[0] = 0;
	sbx_join(path, sizeof(path), sbx_fmt_u64(num + sizeof(num), (uint64_t)pid, 10), "/stat");
	fd = openat(sbx_end_proc, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	st[n] = 0;
	/* The command name may hold anything but ends at the last ')'. */
	p = strrchr(st, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	p += 4;
	for (i = 0; i < 3; i++) {
		while (*p >= '0' && *p <= '9')
			v[i] = v[i] * 10 + (*p++ - '0');
		if (*p++ != ' ')
			return 0;
	}
	return v[0] == me || v[1] == me || v[2] == me;
}

/* sbx_end_round sends SIGKILL to every process that is ours to end. */
static void sbx_end_round(pid_t me)
{
	char buf[4096];
	long n;

	if (lseek(sbx_end_proc, 0, SEEK_SET) < 0)
		return;
	while ((n = syscall(SYS_getdents64, sbx_end_proc, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct sbx_dirent64 *d = (void *)(buf + off);
			const char *s = d->d_name;
			long pid = 0;

			off += d->d_reclen;
			for (; *s >= '0' && *s <= '9' && pid < (1L << 30); s++)
				pid = pid * 10 + (*s - '0');
			if (*s || pid <= 0 || pid == me)
				continue;
			if (sbx_end_ours(pid, me))
				syscall(SYS_kill, pid, SIGKILL);
		}
	}
}

void sbx_init_end_all(void)
{
	struct timespec pause = {0, 10 * 1000 * 1000};
	pid_t me = getpid();
	int idle = 0;

	if (sbx_end_proc < 0)
		return;
	for (;;) {
		int reaped = 0;
		pid_t w;

		sbx_end_round(me);
		while ((w = (pid_t)syscall(SYS_wait4, -1, NULL, WNOHANG | __WALL, NULL)) > 0)
			reaped = 1;
		if (w < 0 && errno == ECHILD)
			return;
		if (reaped) {
			idle = 0;
			continue;
		}
		if (++idle > SBX_END_ROUNDS)
			return;
		nanosleep(&pause, NULL);
	}
}
