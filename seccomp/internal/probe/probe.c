/*
 * probe: makes system calls and reports what the kernel (or a seccomp
 * filter in front of it) answered. The launcher's seccomp tests run it once
 * without a filter and once under each filter and compare.
 *
 *   probe [-p PREFIX] CHECK...
 *
 * Each CHECK runs in a forked child, so one that gets the process killed
 * cannot hide the others, and prints one line:
 *
 *   NAME ok            the call succeeded
 *   NAME EPERM         it failed with that errno
 *   NAME signal:SIGSYS the child was killed by that signal
 *
 * Calls that are meant to be denied are made with bad pointers, bad file
 * descriptors or invalid flag combinations, so that when a call does reach
 * the kernel it fails harmlessly (EFAULT, EBADF, EINVAL) instead of doing
 * anything, even as root. The tests run the probe in a new session without
 * a controlling terminal, with /dev/null as stdin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD ((void *)1) /* a pointer that always faults */

/* Syscall numbers newer than some libc headers. */
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443
#endif

static const char *prefix = "";

/* sys turns a libc syscall() result into 0 or -errno. */
static long sys(long r) { return r < 0 ? -errno : r; }

/*
 * int80 makes an i386 system call through int $0x80, which a 64-bit
 * process can do whenever the kernel has IA32 emulation. A seccomp filter
 * sees it with AUDIT_ARCH_I386 and i386 numbers.
 */
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* A pseudo-terminal pair's slave, to aim terminal ioctls at a real tty. */
static int open_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1;
	return open(ptsname(m), O_RDWR | O_NOCTTY);
}

static long tty_ioctl(int fd, unsigned long req)
{
	char c = '\n';
	if (fd < 0)
		return -EBADFD; /* no pty: a distinct answer the tests reject */
	return sys(syscall(SYS_ioctl, fd, req, &c));
}

static void *thread_main(void *arg) { return arg; }

static long check_pthread(void)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, thread_main, NULL);
	if (e != 0)
		return -e;
	return -pthread_join(t, NULL);
}

static long check_fork(void)
{
	int st;
	pid_t p = fork();
	if (p < 0)
		return -errno;
	if (p == 0)
		_exit(7);
	if (waitpid(p, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -ECHILD;
}

/*
 * grandchild: a child forks again and the grandchild executes this (static)
 * program anew with a few denied calls; a filter must follow both the fork
 * and the exec.
 */
static long check_grandchild(void)
{
	int st;
	pid_t p = fork();
	if (p < 0)
		return -errno;
	if (p == 0) {
		char *argv[] = {"probe", "-p", "grandchild_", "unshare_user", "mount", "tiocsti_stdin", "getpid", NULL};
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

/* clone(flag | CLONE_SIGHAND) without CLONE_VM is EINVAL before the kernel
 * looks at anything else, so an allowed call creates nothing. */
static long clone_flag(unsigned long flag)
{
	return sys(syscall(SYS_clone, flag | CLONE_SIGHAND, 0, 0, 0, 0));
}

struct check {
	const char *name;
	long (*fn)(void);
};

/*
 * The checks that are one call each. Expected answers live in the Go test;
 * the comment after a call is what an unfiltered kernel says as root.
 */
#define SIMPLE_CHECKS(X)                                                                  \
	/* controls: calls every policy allows */                                        \
	X(getpid, sys(syscall(SYS_getpid)))                        /* ok */              \
	X(ptrace, sys(syscall(SYS_ptrace, -1L, 0, 0, 0)))          /* EIO or ESRCH */    \
	X(kcmp, sys(syscall(SYS_kcmp, -1, -1, -1, 0, 0)))          /* ESRCH */           \
	X(fanotify_init, sys(syscall(SYS_fanotify_init, ~0u, 0)))  /* EINVAL */          \
	X(personality_query, sys(syscall(SYS_personality, 0xffffffffUL)))               \
	X(personality_linux, sys(syscall(SYS_personality, 0UL)))                         \
	X(clone_sighand, clone_flag(0))                            /* EINVAL */          \
	X(tiocgwinsz_pty, tty_ioctl(open_pty(), TIOCGWINSZ))       /* ok */              \
	/* S4 terminal injection */                                                      \
	X(tiocsti_stdin, tty_ioctl(0, TIOCSTI))                    /* ENOTTY */          \
	X(tiocsti_pty, tty_ioctl(open_pty(), TIOCSTI))             /* ok */              \
	X(tiocsti_hi_pty, tty_ioctl(open_pty(), (1UL << 32) | TIOCSTI))                  \
	X(tioclinux_pty, tty_ioctl(open_pty(), TIOCLINUX))         /* EINVAL */          \
	/* S5 */                                                                         \
	X(clone3, sys(syscall(SYS_clone3, NULL, 0)))               /* EINVAL */          \
	/* S6 namespaces and mounts */                                                   \
	X(clone_newns, clone_flag(CLONE_NEWNS))                    /* EINVAL */          \
	X(clone_newcgroup, clone_flag(CLONE_NEWCGROUP))                                  \
	X(clone_newuts, clone_flag(CLONE_NEWUTS))                                        \
	X(clone_newipc, clone_flag(CLONE_NEWIPC))                                        \
	X(clone_newuser, clone_flag(CLONE_NEWUSER))                                      \
	X(clone_newpid, clone_flag(CLONE_NEWPID))                                        \
	X(clone_newnet, clone_flag(CLONE_NEWNET))                                        \
	X(unshare_user, sys(syscall(SYS_unshare, CLONE_NEWUSER)))  /* ok, in the child */\
	X(setns, sys(syscall(SYS_setns, -1, 0)))                   /* EBADF */           \
	X(mount, sys(syscall(SYS_mount, BAD, BAD, BAD, 0, BAD)))   /* EFAULT */          \
	X(umount2, sys(syscall(SYS_umount2, BAD, 0)))                                    \
	X(pivot_root, sys(syscall(SYS_pivot_root, BAD, BAD)))                            \
	X(chroot, sys(syscall(SYS_chroot, BAD)))                                         \
	X(fsopen, sys(syscall(SYS_fsopen, BAD, 0)))                                      \
	X(fsconfig, sys(syscall(SYS_fsconfig, -1, 0, NULL, NULL, 0)))                    \
	X(fsmount, sys(syscall(SYS_fsmount, -1, 0, 0)))                                  \
	X(fspick, sys(syscall(SYS_fspick, -1, BAD, 0)))                                  \
	X(open_tree, sys(syscall(SYS_open_tree, -1, BAD, 0)))                            \
	X(open_tree_attr, sys(syscall(SYS_open_tree_attr, -1, BAD, 0, NULL, 0)))         \
	X(move_mount, sys(syscall(SYS_move_mount, -1, BAD, -1, BAD, 0)))                 \
	X(mount_setattr, sys(syscall(SYS_mount_setattr, -1, BAD, 0, NULL, 0)))           \
	/* S7 and the rest of the deny-list */                                           \
	X(keyctl, sys(syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0)))    /* EOPNOTSUPP */      \
	X(add_key, sys(syscall(SYS_add_key, BAD, BAD, NULL, 0, 0)))                      \
	X(request_key, sys(syscall(SYS_request_key, BAD, BAD, NULL, 0)))                 \
	X(bpf, sys(syscall(SYS_bpf, -1, NULL, 0)))                                       \
	X(perf_event_open, sys(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0)))        \
	X(userfaultfd, sys(syscall(SYS_userfaultfd, ~0u)))                               \
	X(io_uring_setup, sys(syscall(SYS_io_uring_setup, 0, NULL)))                     \
	X(io_uring_enter, sys(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0)))        \
	X(io_uring_register, sys(syscall(SYS_io_uring_register, -1, 0, NULL, 0)))        \
	X(init_module, sys(syscall(SYS_init_module, BAD, 16, "")))                       \
	X(finit_module, sys(syscall(SYS_finit_module, -1, "", 0)))                       \
	X(delete_module, sys(syscall(SYS_delete_module, BAD, 0)))                        \
	X(kexec_load, sys(syscall(SYS_kexec_load, 0, 1000, NULL, 0xdead0000UL)))         \
	X(kexec_file_load, sys(syscall(SYS_kexec_file_load, -1, -1, 0, NULL, ~0UL)))     \
	X(syslog, sys(syscall(SYS_syslog, 9999, NULL, 0)))                               \
	X(personality_linux32, sys(syscall(SYS_personality, 8UL)))                       \
	X(personality_hi, sys(syscall(SYS_personality, (1UL << 32) | 0x0040000)))        \
	X(modify_ldt, sys(syscall(SYS_modify_ldt, 1, NULL, 0)))                          \
	X(settimeofday, sys(syscall(SYS_settimeofday, BAD, NULL)))                       \
	X(clock_settime, sys(syscall(SYS_clock_settime, -1, BAD)))                       \
	X(clock_adjtime, sys(syscall(SYS_clock_adjtime, -1, BAD)))                       \
	X(adjtimex, sys(syscall(SYS_adjtimex, BAD)))                                     \
	X(acct, sys(syscall(SYS_acct, BAD)))                                             \
	X(swapon, sys(syscall(SYS_swapon, BAD, 0)))                                      \
	X(swapoff, sys(syscall(SYS_swapoff, BAD)))                                       \
	X(reboot, sys(syscall(SYS_reboot, 0, 0, 0, NULL)))         /* EINVAL */          \
	X(quotactl, sys(syscall(SYS_quotactl, 0, BAD, 0, NULL)))                         \
	X(quotactl_fd, sys(syscall(SYS_quotactl_fd, -1, 0, 0, NULL)))                    \
	X(vhangup, sys(syscall(SYS_vhangup)))                      /* ok: no tty */      \
	X(iopl, sys(syscall(SYS_iopl, 99)))                                              \
	X(ioperm, sys(syscall(SYS_ioperm, 0x10000UL, 1UL, 0)))                           \
	X(open_by_handle_at, sys(syscall(SYS_open_by_handle_at, -1, BAD, 0)))            \
	X(name_to_handle_at, sys(syscall(SYS_name_to_handle_at, -1, BAD, BAD, BAD, 0)))  \
	X(lookup_dcookie, sys(syscall(SYS_lookup_dcookie, 0, NULL, 0)))                  \
	X(nfsservctl, sys(syscall(SYS_nfsservctl, 0, NULL, NULL)))                       \
	X(uselib, sys(syscall(SYS_uselib, BAD)))                                         \
	X(ustat, sys(syscall(SYS_ustat, 0, BAD)))                                        \
	X(sysfs, sys(syscall(SYS_sysfs, 99)))                                            \
	X(_sysctl, sys(syscall(SYS__sysctl, NULL)))                                      \
	/* S2 the i386 ABI: unshare 310, mount 21, ptrace 26, getpid 20 */               \
	X(i386_unshare, int80(310, CLONE_NEWUSER, 0, 0))                                 \
	X(i386_mount, int80(21, 1, 1, 1))                                                \
	X(i386_ptrace, int80(26, -1, 0, 0))                                              \
	X(i386_getpid, int80(20, 0, 0, 0))                                               \
	/* S3 the x32 ABI (this kernel has none: ENOSYS unfiltered) */                   \
	X(x32_getpid, sys(syscall(0x40000000 | SYS_getpid)))                             \
	X(x32_unshare, sys(syscall(0x40000000 | SYS_unshare, CLONE_NEWUSER)))            \
	/* S9 a number no kernel has (yet) */                                            \
	X(nr1000, sys(syscall(1000)))

#define DEFINE_CHECK(n, expr) \
	static long check_##n(void) { return (expr); }
SIMPLE_CHECKS(DEFINE_CHECK)

static const struct check checks[] = {
#define LIST_CHECK(n, expr) {#n, check_##n},
	SIMPLE_CHECKS(LIST_CHECK)
	{"pthread", check_pthread},
	{"fork", check_fork},
	{"grandchild", check_grandchild},
};

static void report(const char *name, const char *result)
{
	dprintf(1, "%s%s %s\n", prefix, name, result);
}

static int run(const char *name)
{
	const struct check *c = NULL;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (strcmp(checks[i].name, name) == 0)
			c = &checks[i];
	if (c == NULL) {
		report(name, "unknown-check");
		return 1;
	}
	pid_t p = fork();
	if (p < 0) {
		report(name, "fork-failed");
		return 1;
	}
	if (p == 0) {
		long r = c->fn();
		if (r >= 0) {
			report(name, "ok");
		} else {
			const char *e = strerrorname_np((int)-r);
			report(name, e ? e : "unknown-errno");
		}
		_exit(0);
	}
	int st;
	if (waitpid(p, &st, 0) < 0) {
		report(name, "wait-failed");
		return 1;
	}
	if (WIFSIGNALED(st)) {
		char buf[32];
		const char *s = sigabbrev_np(WTERMSIG(st));
		snprintf(buf, sizeof buf, "signal:SIG%s", s ? s : "?");
		report(name, buf);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, bad = 0;
	if (argc > 2 && strcmp(argv[1], "-p") == 0) {
		prefix = argv[2];
		i = 3;
	}
	for (; i < argc; i++)
		bad |= run(argv[i]);
	return bad;
}
