/*
 * probe: the attack program the security tests run inside a sandbox.
 *
 *   probe NAME[=ARG]...
 *
 * Every probe runs in a child process of its own, so a probe that the
 * seccomp filter kills, or that changes its process (a new namespace, a
 * personality), cannot disturb the next one. For each probe one line is
 * printed:
 *
 *   NAME ret=R errno=ENAME sig=S[ detail]
 *
 * ret and errno are what the attacked call returned; sig is the signal that
 * killed the child (0 when it exited). The Go tests hold the expectations:
 * this program only reports.
 *
 * Most probes pass arguments that the kernel itself rejects harmlessly
 * (bad pointers, fd -1, pid 0x7ffffff0), the method of bubblewrap's
 * try-syscall: a call that reaches the kernel answers EFAULT, EBADF, ESRCH
 * or EINVAL, while a call the filter denies answers the filter's errno or
 * is killed. So a denial is told apart from the kernel's own refusal
 * without doing anything harmful when the filter is missing.
 *
 * Built statically (gcc -static) so the same binary also shows that the
 * filter applies to static programs started as grandchildren (checklist S8).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>

/* A pointer the kernel cannot read: copy_from_user answers EFAULT. */
#define BADPTR ((void *)1)
/* A pid no process has: the kernel answers ESRCH. */
#define NOPID 0x7ffffff0

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#define X32_SYSCALL_BIT 0x40000000

struct mount_attr_arg {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* detail collects extra text a probe reports after its result. */
static char detail[1024];

static void add_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_detail(const char *fmt, ...)
{
	size_t n = strlen(detail);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail + n, sizeof detail - n, fmt, ap);
	va_end(ap);
}

/*
 * int80 makes an i386 system call from this 64-bit program. A filter that
 * does not check the architecture reads i386 numbers as x86_64 ones: 310
 * (unshare on i386) is process_vm_readv's neighbour on x86_64, 21 (mount) is
 * access, 26 (ptrace) is msync, all allowed (checklist S2).
 */
static long int80(long nr, long a, long b, long c, long d, long e)
{
	long ret;
	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
		     : "memory", "r8", "r9", "r10", "r11");
	ret = (int)ret;
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static long argnum(const char *arg)
{
	return arg ? strtol(arg, NULL, 0) : 0;
}

/* ---- namespaces and mounts (S6, F3, F4, I7) ---- */

static long p_unshare_user(const char *a) { (void)a; return unshare(CLONE_NEWUSER); }
static long p_unshare_mnt(const char *a) { (void)a; return unshare(CLONE_NEWNS); }
static long p_unshare_net(const char *a) { (void)a; return unshare(CLONE_NEWNET); }

/* clone_ns clones with namespace flags through the raw system call. */
static long clone_ns(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 0;
	}
	return pid;
}

static long p_clone_newuser(const char *a) { (void)a; return clone_ns(CLONE_NEWUSER); }
static long p_clone_newns(const char *a) { (void)a; return clone_ns(CLONE_NEWNS); }
static long p_setns(const char *a) { (void)a; return setns(-1, 0); }
static long p_mount(const char *a) { (void)a; return mount(BADPTR, BADPTR, BADPTR, 0, BADPTR); }
static long p_umount2(const char *a) { (void)a; return umount2(BADPTR, 0); }
static long p_pivot_root(const char *a) { (void)a; return syscall(SYS_pivot_root, BADPTR, BADPTR); }
static long p_chroot(const char *a) { (void)a; return chroot(BADPTR); }
static long p_open_tree(const char *a) { (void)a; return syscall(SYS_open_tree, -1, BADPTR, 0); }
static long p_move_mount(const char *a) { (void)a; return syscall(SYS_move_mount, -1, BADPTR, -1, BADPTR, 0); }
static long p_fsopen(const char *a) { (void)a; return syscall(SYS_fsopen, BADPTR, 0); }
static long p_fsconfig(const char *a) { (void)a; return syscall(SYS_fsconfig, -1, 6 /* CMD_CREATE */, NULL, NULL, 0); }
static long p_fsmount(const char *a) { (void)a; return syscall(SYS_fsmount, -1, 0, 0); }
static long p_fspick(const char *a) { (void)a; return syscall(SYS_fspick, -1, BADPTR, 0); }
static long p_mount_setattr(const char *a) { (void)a; return syscall(SYS_mount_setattr, -1, BADPTR, 0, BADPTR, sizeof(struct mount_attr_arg)); }

/* remount_rw=PATH tries to make a read-only bind writable again (F3). */
static long p_remount_rw(const char *path)
{
	return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL);
}

/* umount=PATH detaches a mount, which would uncover what it hides (F3). */
static long p_umount(const char *path) { return umount2(path, MNT_DETACH); }

/* setattr_rw=PATH clears read-only on a tree with the new mount API (F3, F4). */
static long p_setattr_rw(const char *path)
{
	struct mount_attr_arg attr = {.attr_clr = MOUNT_ATTR_RDONLY};
	return syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr);
}

/* mount_tmpfs=PATH mounts a tmpfs, to see where it becomes visible (F9). */
static long p_mount_tmpfs(const char *path)
{
	return mount("probe-tmpfs", path, "tmpfs", 0, "size=64k");
}

/* ---- dangerous calls (S7) ---- */

static long p_keyctl(const char *a)
{
	(void)a;
	/* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, never creating. */
	long id = syscall(SYS_keyctl, 0, -3, 0);
	if (id >= 0)
		add_detail(" keyring=%ld", id);
	return id;
}
static long p_add_key(const char *a) { (void)a; return syscall(SYS_add_key, BADPTR, BADPTR, NULL, 0, -3); }
static long p_request_key(const char *a) { (void)a; return syscall(SYS_request_key, BADPTR, BADPTR, NULL, -3); }
static long p_bpf(const char *a) { (void)a; return syscall(SYS_bpf, 0, BADPTR, 16); }
static long p_perf_event_open(const char *a) { (void)a; return syscall(SYS_perf_event_open, BADPTR, 0, -1, -1, 0); }
/* UFFD_USER_MODE_ONLY passes the privilege check; the unknown bit is EINVAL. */
static long p_userfaultfd(const char *a) { (void)a; return syscall(SYS_userfaultfd, 1 | 0x4000); }
static long p_kexec_load(const char *a) { (void)a; return syscall(SYS_kexec_load, 0, 100000, NULL, 0); }
static long p_kexec_file_load(const char *a) { (void)a; return syscall(SYS_kexec_file_load, -1, -1, 0, BADPTR, 0); }
static long p_init_module(const char *a) { (void)a; return syscall(SYS_init_module, BADPTR, 0, ""); }
static long p_finit_module(const char *a) { (void)a; return syscall(SYS_finit_module, -1, "", 0); }
static long p_delete_module(const char *a) { (void)a; return syscall(SYS_delete_module, BADPTR, 0); }
/* SYSLOG_ACTION_SIZE_BUFFER only reads the buffer's size. */
static long p_syslog(const char *a) { (void)a; return syscall(SYS_syslog, 10, NULL, 0); }
static long p_personality_query(const char *a) { (void)a; return personality(0xffffffff); }
static long p_personality_set(const char *a) { (void)a; return personality(PER_LINUX32); }
/* modify_ldt's result is a 32-bit int, so -EFAULT arrives as 0xfffffff2. */
static long p_modify_ldt(const char *a)
{
	(void)a;
	long r = syscall(SYS_modify_ldt, 1, BADPTR, 16);
	if (r >= 0xfffff001L && r <= 0xffffffffL) {
		errno = (int)(0x100000000L - r);
		return -1;
	}
	return r;
}
static long p_io_uring_setup(const char *a) { (void)a; return syscall(SYS_io_uring_setup, 1, BADPTR); }
static long p_io_uring_enter(const char *a) { (void)a; return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long p_io_uring_register(const char *a) { (void)a; return syscall(SYS_io_uring_register, -1, 0, NULL, 0); }
static long p_ptrace(const char *a) { (void)a; return ptrace(PTRACE_PEEKDATA, NOPID, NULL, NULL); }

static long vm_rw(long pid, int write)
{
	char buf[8];
	struct iovec local = {buf, sizeof buf}, remote = {(void *)0x1000, sizeof buf};
	return write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
		     : process_vm_readv(pid, &local, 1, &remote, 1, 0);
}
static long p_process_vm_readv(const char *a) { (void)a; return vm_rw(NOPID, 0); }
static long p_process_vm_writev(const char *a) { (void)a; return vm_rw(NOPID, 1); }

/* ptrace_attach=PID attacks a real host process (I2). */
static long p_ptrace_attach(const char *a)
{
	long pid = argnum(a);
	long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	if (r == 0) {
		int saved = errno;
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		errno = saved;
	}
	return r;
}

/*
 * vm_read=PID reads an unmapped address of a real process: EFAULT means
 * the kernel let us at its memory, EPERM that we were refused (I2).
 */
static long p_vm_read(const char *a) { return vm_rw(argnum(a), 0); }

/* ---- other ABIs and unknown numbers (S2, S3, S9) ---- */

static long p_int80_unshare(const char *a) { (void)a; return int80(310, CLONE_NEWUSER, 0, 0, 0, 0); }
static long p_int80_mount(const char *a) { (void)a; return int80(21, 1, 1, 1, 0, 1); }
static long p_int80_ptrace(const char *a) { (void)a; return int80(26, PTRACE_PEEKDATA, NOPID, 0, 0, 0); }
static long p_int80_getpid(const char *a) { (void)a; return int80(20, 0, 0, 0, 0, 0); }
static long p_x32_unshare(const char *a) { (void)a; return syscall(X32_SYSCALL_BIT | SYS_unshare, CLONE_NEWUSER); }
static long p_nr(const char *a) { return syscall(argnum(a), BADPTR, BADPTR, BADPTR, BADPTR, BADPTR, BADPTR); }

/* ---- threads and clone3 (S5) ---- */

static void *thread_main(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

static long p_pthread(const char *a)
{
	(void)a;
	pthread_t t;
	int v = 0;
	int err = pthread_create(&t, NULL, thread_main, &v);
	if (err != 0) {
		errno = err;
		return -1;
	}
	pthread_join(t, NULL);
	add_detail(" value=%d", v);
	return v == 42 ? 0 : -1;
}

/* A zero size is EINVAL in the kernel; the filter must answer ENOSYS. */
static long p_clone3(const char *a) { (void)a; return syscall(SYS_clone3, NULL, 0); }

/* ---- terminal (S4, T1) ---- */

static long tiocsti_on(int fd, unsigned long req)
{
	static const char inject[] = "echo INJECTED\n";
	long r = 0;
	for (const char *c = inject; *c; c++) {
		r = syscall(SYS_ioctl, fd, req, c);
		if (r < 0)
			return r;
	}
	return r;
}
static long p_tiocsti(const char *a) { return tiocsti_on(argnum(a), TIOCSTI); }
/* The kernel compares only the low 32 bits of the request (CVE-2019-10063). */
static long p_tiocsti_hi(const char *a) { return tiocsti_on(argnum(a), TIOCSTI | (1UL << 32)); }
static long p_tioclinux(const char *a)
{
	char sub = 6; /* TIOCL_GETSHIFTSTATE: a read-only subcode */
	return syscall(SYS_ioctl, argnum(a), TIOCLINUX, &sub);
}
static long p_tioclinux_hi(const char *a)
{
	char sub = 6;
	return syscall(SYS_ioctl, argnum(a), TIOCLINUX | (1UL << 32), &sub);
}

/* tiocexcl=FD puts the terminal on FD in exclusive mode: nobody without
 * CAP_SYS_ADMIN can open it any more, not even the caller's shell (R4). */
static long p_tiocexcl(const char *a) { return ioctl(argnum(a), TIOCEXCL); }
/* tiocgexcl=FD answers 1 when the terminal on FD is in exclusive mode. */
static long p_tiocgexcl(const char *a)
{
	int x = 0;
	if (ioctl(argnum(a), TIOCGEXCL, &x) < 0)
		return -1;
	return x != 0;
}
/* rawtty=FD leaves the terminal on FD in raw mode, without echo (R4). */
static long p_rawtty(const char *a)
{
	struct termios t;
	if (tcgetattr(argnum(a), &t) < 0)
		return -1;
	cfmakeraw(&t);
	return tcsetattr(argnum(a), TCSANOW, &t);
}

/* ---- the caller's process group (R3) ---- */

/* The payload's process group, 0: in the caller's group these reach the
 * script that started the sandbox and its other children. */
static long p_killpg0(const char *a) { (void)a; return kill(0, SIGTERM); }
static long p_nice_pgrp(const char *a) { (void)a; return setpriority(PRIO_PGRP, 0, 19); }
static long p_ioprio_pgrp(const char *a)
{
	(void)a;
	/* IOPRIO_WHO_PGRP, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0) */
	return syscall(SYS_ioprio_set, 2, 0, 3 << 13);
}

/* ---- filesystem (F1, F2, F14, F10, F11) ---- */

/* write=PATH creates or appends to a file. */
static long p_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	long r = write(fd, "probe\n", 6);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* rewrite=PATH writes a file's own content back: a sysctl keeps its value. */
static long p_rewrite(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf);
	if (n <= 0) {
		close(fd);
		return -1;
	}
	long r = pwrite(fd, buf, n, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	return r < 0 ? -1 : 0;
}

static long p_truncate(const char *path) { return truncate(path, 0); }
static long p_setxattr(const char *path) { return setxattr(path, "user.probe", "x", 1, 0); }
static long p_chmod(const char *path) { return chmod(path, 0777); }
/* chown=PATH gives the file to the caller's own ids: a change of owner on
 * a file another id owns, and at least a new ctime on one's own (R2). */
static long p_chown(const char *path) { return chown(path, getuid(), getgid()); }
static long p_unlink(const char *path) { return unlink(path); }
static long p_mkdir(const char *path) { return mkdir(path, 0755); }
static long p_utimes(const char *path) { return utimensat(AT_FDCWD, path, NULL, 0); }
static long p_mknod(const char *path) { return mknod(path, S_IFCHR | 0666, makedev(1, 3)); }

/*
 * inspect=PATH opens a file without writing and reports what it is: its
 * type, device numbers, filesystem magic, and how many bytes a read gives.
 * Masked paths must be missing, denied, or empty (F11).
 */
static long p_inspect(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	struct statfs sfs;
	fstat(fd, &st);
	fstatfs(fd, &sfs);
	add_detail(" mode=%o rdev=%u:%u fs=%lx", st.st_mode, major(st.st_rdev), minor(st.st_rdev),
		   (unsigned long)sfs.f_type);
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return 0;
	}
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0)
		add_detail(" read=%s", strerrorname_np(errno));
	else
		add_detail(" read=%zd", n);
	close(fd);
	return 0;
}

/* openw=PATH opens for writing and closes without writing anything. */
static long p_openw(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	struct statfs sfs;
	fstat(fd, &st);
	fstatfs(fd, &sfs);
	add_detail(" mode=%o rdev=%u:%u fs=%lx", st.st_mode, major(st.st_rdev), minor(st.st_rdev),
		   (unsigned long)sfs.f_type);
	close(fd);
	return 0;
}

/* ---- processes and identity (I1, I8, P5, P7) ---- */

static long p_setgroups(const char *a) { (void)a; return setgroups(0, NULL); }
static long p_kill(const char *a) { return kill(argnum(a), 0); }

/*
 * exe=PID opens /proc/PID/exe the way CVE-2019-5736 did: an O_PATH handle
 * to the binary a supervisor runs from, reopened through /proc/self/fd for
 * reading, then for writing (nothing is written). It reports the binary's
 * device and inode so the test can tell whether it is the launcher's file
 * on the host, and the seals, since a sealed copy is a safe answer (P5).
 */
static long p_exe(const char *a)
{
	char path[64], self[64];
	snprintf(path, sizeof path, "/proc/%ld/exe", argnum(a));
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) == 0)
		add_detail(" dev=%u:%u ino=%lu nlink=%lu", major(st.st_dev), minor(st.st_dev),
			   (unsigned long)st.st_ino, (unsigned long)st.st_nlink);
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	int rd = open(self, O_RDONLY | O_CLOEXEC);
	if (rd >= 0) {
		add_detail(" read=ok seals=%d", fcntl(rd, F_GET_SEALS));
		close(rd);
	} else {
		add_detail(" read=%s", strerrorname_np(errno));
	}
	int wr = open(self, O_WRONLY | O_CLOEXEC);
	if (wr >= 0) {
		add_detail(" write=ok");
		close(wr);
	} else {
		add_detail(" write=%s", strerrorname_np(errno));
	}
	close(fd);
	return 0;
}

/* ---- network (I3) ---- */

static long p_connect_tcp(const char *a)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(argnum(a))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* connect_abstract=NAME connects to the abstract unix socket @NAME. */
static long p_connect_abstract(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	if (n > sizeof sa.sun_path - 1)
		n = sizeof sa.sun_path - 1;
	memcpy(sa.sun_path + 1, name, n);
	long r = connect(fd, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + 1 + n);
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* ---- the table ---- */

struct probe {
	const char *name;
	long (*run)(const char *arg);
};

static long p_nested(const char *arg);

static const struct probe probes[] = {
	{"nested", p_nested},
	{"unshare_user", p_unshare_user},
	{"unshare_mnt", p_unshare_mnt},
	{"unshare_net", p_unshare_net},
	{"clone_newuser", p_clone_newuser},
	{"clone_newns", p_clone_newns},
	{"setns", p_setns},
	{"mount", p_mount},
	{"umount2", p_umount2},
	{"pivot_root", p_pivot_root},
	{"chroot", p_chroot},
	{"open_tree", p_open_tree},
	{"move_mount", p_move_mount},
	{"fsopen", p_fsopen},
	{"fsconfig", p_fsconfig},
	{"fsmount", p_fsmount},
	{"fspick", p_fspick},
	{"mount_setattr", p_mount_setattr},
	{"remount_rw", p_remount_rw},
	{"umount", p_umount},
	{"setattr_rw", p_setattr_rw},
	{"mount_tmpfs", p_mount_tmpfs},
	{"keyctl", p_keyctl},
	{"add_key", p_add_key},
	{"request_key", p_request_key},
	{"bpf", p_bpf},
	{"perf_event_open", p_perf_event_open},
	{"userfaultfd", p_userfaultfd},
	{"kexec_load", p_kexec_load},
	{"kexec_file_load", p_kexec_file_load},
	{"init_module", p_init_module},
	{"finit_module", p_finit_module},
	{"delete_module", p_delete_module},
	{"syslog", p_syslog},
	{"personality_query", p_personality_query},
	{"personality_set", p_personality_set},
	{"modify_ldt", p_modify_ldt},
	{"io_uring_setup", p_io_uring_setup},
	{"io_uring_enter", p_io_uring_enter},
	{"io_uring_register", p_io_uring_register},
	{"ptrace", p_ptrace},
	{"process_vm_readv", p_process_vm_readv},
	{"process_vm_writev", p_process_vm_writev},
	{"ptrace_attach", p_ptrace_attach},
	{"vm_read", p_vm_read},
	{"int80_unshare", p_int80_unshare},
	{"int80_mount", p_int80_mount},
	{"int80_ptrace", p_int80_ptrace},
	{"int80_getpid", p_int80_getpid},
	{"x32_unshare", p_x32_unshare},
	{"nr", p_nr},
	{"pthread", p_pthread},
	{"clone3", p_clone3},
	{"tiocsti", p_tiocsti},
	{"tiocexcl", p_tiocexcl},
	{"tiocgexcl", p_tiocgexcl},
	{"rawtty", p_rawtty},
	{"killpg0", p_killpg0},
	{"nice_pgrp", p_nice_pgrp},
	{"ioprio_pgrp", p_ioprio_pgrp},
	{"tiocsti_hi", p_tiocsti_hi},
	{"tioclinux", p_tioclinux},
	{"tioclinux_hi", p_tioclinux_hi},
	{"write", p_write},
	{"rewrite", p_rewrite},
	{"truncate", p_truncate},
	{"setxattr", p_setxattr},
	{"chmod", p_chmod},
	{"chown", p_chown},
	{"unlink", p_unlink},
	{"mkdir", p_mkdir},
	{"utimes", p_utimes},
	{"mknod", p_mknod},
	{"inspect", p_inspect},
	{"openw", p_openw},
	{"setgroups", p_setgroups},
	{"kill", p_kill},
	{"exe", p_exe},
	{"connect_tcp", p_connect_tcp},
	{"connect_abstract", p_connect_abstract},
};

struct outcome {
	long ret;
	int err;
	char detail[sizeof detail];
};

/* run forks, runs one probe in the child and prints what happened. */
static void run(const char *spec)
{
	char name[128];
	const char *arg = strchr(spec, '=');
	size_t n = arg ? (size_t)(arg - spec) : strlen(spec);
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, spec, n);
	name[n] = 0;
	if (arg)
		arg++;

	const struct probe *p = NULL;
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
		if (strcmp(probes[i].name, name) == 0)
			p = &probes[i];
	if (!p) {
		printf("%s unknown-probe\n", spec);
		fflush(stdout);
		return;
	}

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(pfd[0]);
		struct outcome o = {0};
		errno = 0;
		o.ret = p->run(arg);
		o.err = o.ret < 0 ? errno : 0;
		memcpy(o.detail, detail, sizeof detail);
		if (write(pfd[1], &o, sizeof o) != sizeof o)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	struct outcome o = {0};
	ssize_t got = read(pfd[0], &o, sizeof o);
	close(pfd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (got != sizeof o) {
		printf("%s ret=none errno=none sig=%d\n", spec, sig);
	} else {
		const char *en = o.err ? strerrorname_np(o.err) : "0";
		printf("%s ret=%ld errno=%s sig=%d%s\n", spec, o.ret, en ? en : "?", sig, o.detail);
	}
	fflush(stdout);
}

/*
 * "grandchild" as the first argument runs the remaining probes from a
 * freshly executed copy of this program two generations down (S8).
 */
static int grandchild(int argc, char **argv)
{
	pid_t c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0) {
			argv[1] = argv[0];
			execv("/proc/self/exe", argv + 1);
			perror("execv");
			_exit(2);
		}
		int st;
		waitpid(g, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 2);
	}
	int st;
	waitpid(c, &st, 0);
	(void)argc;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/*
 * "fds" as the only argument lists this process's open descriptors, one
 * "fd N TARGET" line each, leaving out the one reading the list (D1, D2).
 */
static int list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		perror("opendir /proc/self/fd");
		return 2;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char path[300], target[4096];
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = 0;
		printf("fd %s %s\n", e->d_name, target);
	}
	closedir(d);
	return 0;
}

/*
 * "with-session-keyring CMD ARG..." joins a new session keyring, prints its
 * id and runs CMD: the caller of a launcher then has a session keyring of
 * its own, as after a login, for the keyring test to look for (P7).
 */
static int with_session_keyring(char **argv)
{
	long id = syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL);
	if (id < 0) {
		perror("keyctl join");
		return 2;
	}
	printf("caller-session-keyring %ld\n", id);
	fflush(stdout);
	execv(argv[0], argv);
	perror("execv");
	return 2;
}

/*
 * nested=NAME:ARG makes a user and a mount namespace of its own, where this
 * process holds every capability (no exec follows, so none is lost), and
 * runs probe NAME with ARG there: the attacks on mounts of a payload that
 * keeps no capability but may make namespaces.
 */
static long p_nested(const char *arg)
{
	char name[64];
	const char *colon = arg ? strchr(arg, ':') : NULL;
	size_t n = colon ? (size_t)(colon - arg) : 0;

	if (!colon || n >= sizeof name) {
		errno = EINVAL;
		return -1;
	}
	memcpy(name, arg, n);
	name[n] = 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		snprintf(detail, sizeof detail, "unshare");
		return -1;
	}
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
		if (strcmp(probes[i].name, name) == 0)
			return probes[i].run(colon + 1);
	errno = ENOENT;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "with-session-keyring") == 0)
		return with_session_keyring(argv + 2);
	if (argc > 1 && strcmp(argv[1], "grandchild") == 0)
		return grandchild(argc, argv);
	if (argc == 2 && strcmp(argv[1], "fds") == 0)
		return list_fds();
	for (int i = 1; i < argc; i++)
		run(argv[i]);
	return 0;
}
