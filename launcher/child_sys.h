/*
 * System call numbers and constants of the new mount API, openat2 and
 * close_range, spelled out here so the child builds against old libc
 * headers too. The numbers of these calls are the same on every
 * architecture (they were allocated after the tables were unified).
 */
#ifndef SANDBOX_LAUNCHER_CHILD_SYS_H
#define SANDBOX_LAUNCHER_CHILD_SYS_H

#include <stdint.h>
#include <sys/syscall.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

#define SBX_OPEN_TREE_CLONE 1
#define SBX_AT_RECURSIVE 0x8000
#define SBX_AT_EMPTY_PATH 0x1000
#define SBX_AT_SYMLINK_NOFOLLOW 0x100
#define SBX_MOVE_MOUNT_F_EMPTY_PATH 0x04
#define SBX_MOVE_MOUNT_T_EMPTY_PATH 0x40
#define SBX_FSOPEN_CLOEXEC 0x1
#define SBX_FSMOUNT_CLOEXEC 0x1
#define SBX_FSCONFIG_SET_FLAG 0
#define SBX_FSCONFIG_SET_STRING 1
#define SBX_FSCONFIG_CMD_CREATE 6

#define SBX_MOUNT_ATTR_RDONLY 0x1
#define SBX_MOUNT_ATTR_NOSUID 0x2
#define SBX_MOUNT_ATTR_NODEV 0x4
#define SBX_MOUNT_ATTR_NOEXEC 0x8

struct sbx_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

#define SBX_RESOLVE_NO_MAGICLINKS 0x02
#define SBX_RESOLVE_NO_SYMLINKS 0x04
#define SBX_RESOLVE_BENEATH 0x08
#define SBX_RESOLVE_IN_ROOT 0x10

struct sbx_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

#define SBX_CLOSE_RANGE_CLOEXEC (1U << 2)

#define SBX_PROC_SUPER_MAGIC 0x9fa0
#define SBX_SYSFS_MAGIC 0x62656572

#endif
