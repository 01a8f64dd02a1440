/*
 * The descriptors the process was started with (startup_fds.c).
 */
#ifndef SANDBOX_LAUNCHER_STARTUP_FDS_H
#define SANDBOX_LAUNCHER_STARTUP_FDS_H

/* process.pass_fds takes descriptors 3 to 1023. */
#define SBX_STARTUP_FDS 1024

/* sbx_record_startup_fds lists /proc/self/fd; called first thing. */
void sbx_record_startup_fds(void);

/* sbx_startup_fd: 1 if fd was open at start, 0 if not, -1 if unknown. */
int sbx_startup_fd(int fd);

#endif
