/*
 * Writing a user namespace's id maps (idmap.c).
 */
#ifndef SANDBOX_LAUNCHER_IDMAP_H
#define SANDBOX_LAUNCHER_IDMAP_H

/* sbx_write_id_maps writes /proc/PID/setgroups ("deny", when asked),
 * uid_map and gid_map, each in one write, in the kernel's "inside outside
 * count" lines; pid 0 means the calling process. 0, or -1 with errno set
 * and *failed naming the file ("setgroups", "uid_map", "gid_map"). */
int sbx_write_id_maps(int pid, int deny_setgroups, const char *uid_map, const char *gid_map,
		      const char **failed);

/* sbx_deny_setgroups writes "deny" to /proc/PID/setgroups (pid 0: the
 * calling process); it takes effect only while gid_map is unwritten. 0, or
 * -1 with errno set. */
int sbx_deny_setgroups(int pid);

struct sbx_plan;

/* sbx_write_plan_maps writes the maps a plan leaves to the launcher
 * (parent_maps) for its child pid; 0 when it leaves none. The ordinary
 * path and the fast path both release the child this way. */
int sbx_write_plan_maps(const struct sbx_plan *p, int pid, const char **failed);

#endif
