/*
 * Rules a launch follows on both paths (launch_rules.h).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
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
