/*
 * Which descriptors may reach the payload (pass_fds.c).
 */
#ifndef SANDBOX_LAUNCHER_PASS_FDS_H
#define SANDBOX_LAUNCHER_PASS_FDS_H

/* What sbx_fd_refused found; 0: the descriptor may be passed. */
#define SBX_FD_OK 0
#define SBX_FD_DIRECTORY 1
#define SBX_FD_OPATH 2
#define SBX_FD_PIDFD 3
#define SBX_FD_NAMESPACE 4
#define SBX_FD_UNKNOWN 5

/* sbx_fd_refused: why fd must not be handed to the payload, SBX_FD_OK if
 * it may (a descriptor that is not open is SBX_FD_OK: the caller reports
 * that itself). */
int sbx_fd_refused(int fd);

#endif
