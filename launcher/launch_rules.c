/*
 * Rules a launch follows on both paths (launch_rules.h).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fast.h"
#include "launch_rules.h"

int sbx_cap_last_cap(void)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n, v = 0, i;

	if (fd < 0)
		return 40;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + buf[i] - '0';
	return v > 0 && v < 64 ? v : 40;
}

int sbx_exit_code(int status, int killed_for)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGKILL && killed_for)
			return 128 + killed_for;
		return 128 + WTERMSIG(status);
	}
	return 125;
}

int sbx_cache_mode(char **envp, int *verbose)
{
	const char *mode = sbx_cache_getenv(envp, "SANDBOX_PLAN_CACHE");

	*verbose = mode && strcmp(mode, "verbose") == 0;
	return !(mode && (strcmp(mode, "0") == 0 || strcmp(mode, "off") == 0));
}

int sbx_handles(int pid, int s)
{
	char path[64], buf[4096], *line;
	uint64_t bit = (uint64_t)1 << (s - 1);
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, "SigCgt:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0) {
			if (strtoull(line + 7, NULL, 16) & bit)
				return 1;
		}
	}
	return 0;
}

/* stops reports whether s is one a user or a tool sends to stop a
 * process, as opposed to one a payload may handle as a request (SIGUSR1). */
static int stops(int s)
{
	return s == SIGINT || s == SIGTERM || s == SIGHUP || s == SIGQUIT;
}

int sbx_forward_decide(struct sbx_forward *f, int pid, int s, int setup_over, int *arm)
{
	*arm = 0;
	if (!f->execd && setup_over)
		f->execd = 1;
	if (!f->execd) {
		if (s == SIGWINCH)
			return SBX_FWD_NONE;
		f->early++;
		if (!f->init)
			return SBX_FWD_STOP_SETUP;
		if (!f->abort_armed && (stops(s) || f->early >= 2)) {
			f->abort_armed = 1;
			*arm = 1;
		}
		return SBX_FWD_SEND;
	}
	if (f->pid1 && s != SIGWINCH && !sbx_handles(pid, s))
		return SBX_FWD_KILL;
	return SBX_FWD_SEND;
}

int sbx_exec_failure(int err, const char *cmd, char *buf, size_t size)
{
	int n;

	switch (err) {
	case ENOENT:
		snprintf(buf, size, "sandbox: %s: command not found", cmd);
		return 127;
	case EACCES:
		snprintf(buf, size, "sandbox: %s: permission denied", cmd);
		return 126;
	}
	/* In lower case, as the rest of a message continues. */
	n = snprintf(buf, size, "sandbox: %s: ", cmd);
	if (n < 0 || (size_t)n >= size)
		return 126;
	snprintf(buf + n, size - (size_t)n, "%s", strerror(err));
	buf[n] = (char)tolower((unsigned char)buf[n]);
	return 126;
}

const char *sbx_exec_limits(int err)
{
	switch (err) {
	case E2BIG: /* arguments and environment get a quarter of the stack limit */
		return "stack";
	case ENOMEM:
		return "as data stack";
	case EAGAIN:
		return "nproc";
	case EMFILE:
		return "nofile";
	}
	return NULL;
}
