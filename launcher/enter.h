#ifndef SANDBOX_LAUNCHER_ENTER_H
#define SANDBOX_LAUNCHER_ENTER_H

#include <stdint.h>
#include <sys/types.h>

#include "child.h"

/* Stages of sbx_enter_spawn, for the launcher's message. */
enum sbx_enter_stage {
	SBX_ENTER_FORK,
	SBX_ENTER_CLOSE,
	SBX_ENTER_DUMPABLE,
	SBX_ENTER_GROUPS,
	SBX_ENTER_SETNS,
	SBX_ENTER_CLONE,
};

/* sbx_enter_spawn starts a process in the namespaces nsflags of the
 * process pidfd refers to, with the supplementary groups groups[0..ngroups)
 * (host ids; skipped where this process may not set them), running plan's
 * steps (enter.c). It returns its pid (the launcher's child), or -1 with
 * *err and *stage set. */
pid_t sbx_enter_spawn(const struct sbx_plan *plan, int pidfd, unsigned long nsflags, const uint32_t *groups,
		      int ngroups, int *err, int *stage);

#endif
