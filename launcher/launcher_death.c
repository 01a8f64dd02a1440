/*
 * die_with_parent for the launcher itself (L8), as bubblewrap's
 * --die-with-parent: when the program that started the launcher dies, the
 * launcher dies too, and with it the whole sandbox (the sandbox's first
 * process dies with the launcher: child_util.c, init.c). Without it a
 * payload would live on, holding its locks and files, after the script or
 * service that ran it was killed.
 *
 * The kernel sends the signal when the parent's thread that started us
 * exits. The parent may be gone already by the time the launcher asks, so
 * the parent is noted first thing at start (the constructor of fast.c)
 * and compared after the prctl: a different one means it died in
 * between, and the launcher dies as the signal would have made it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher_death.h"

static pid_t sbx_start_parent = -1;

void sbx_record_start_parent(void)
{
	sbx_start_parent = getppid();
}

int sbx_die_with_launcher_parent(void)
{
	pid_t parent = sbx_start_parent >= 0 ? sbx_start_parent : getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -1;
	if (getppid() != parent)
		syscall(SYS_kill, getpid(), SIGKILL);
	return 0;
}
