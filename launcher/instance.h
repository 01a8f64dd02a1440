/*
 * Records of running sandboxes (instance.c): one file a launch, in
 * <base>/sandbox/instances, where <base> is the plan cache's parent
 * ($XDG_RUNTIME_DIR, or /run for root). Both launch paths write it with
 * this code, so `sandbox ps` sees every launch.
 */
#ifndef SANDBOX_LAUNCHER_INSTANCE_H
#define SANDBOX_LAUNCHER_INSTANCE_H

#include <stddef.h>

#define SBX_INSTANCE_MAGIC "sandbox-instance-1"
#define SBX_INSTANCE_ID_LEN 12

/*
 * sbx_instance_write records the sandbox whose host pid is pid, started by
 * this launcher for the invocation args[0..nargs) (the launcher's own
 * arguments after its name), under name ("" for none). The file is
 * NUL-separated: magic, id, name, pid, the pid's start time (field 22 of
 * /proc/PID/stat), the launcher's pid, then the arguments. It is written
 * to a temporary name and renamed, so a reader sees all of it or nothing.
 * On success 0, with the id in id (13 bytes) and the file's path in path;
 * -1 otherwise (no runtime directory, or it cannot be written).
 */
int sbx_instance_write(const char *base, int pid, const char *name, int nargs, char *const *args,
		       char id[SBX_INSTANCE_ID_LEN + 1], char *path, size_t path_size);

/* sbx_instance_remove removes the record written at path (if any). */
void sbx_instance_remove(const char *path);

#endif
