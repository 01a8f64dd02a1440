/*
 * Privilege steps: host and domain names, resource limits, ids,
 * capabilities, no_new_privs, the session and seccomp.
 *
 * They all act on the calling thread only, which is fine here because the
 * child has exactly one (P3: no Go scheduler can move the work to another
 * thread between two of these calls). Id changes go through syscall(2):
 * glibc's setresuid would try to broadcast the change to the launcher's
 * other threads, which do not exist in this copy of the process, and
 * wait for them forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define SBX_CAP_V3 0x20080522

struct sbx_cap_header {
	uint32_t version;
	int pid;
};

struct sbx_cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};

static int sbx_capget(struct sbx_cap_data d[2])
{
	struct sbx_cap_header h = {SBX_CAP_V3, 0};

	return (int)syscall(SYS_capget, &h, d);
}

static int sbx_capset(struct sbx_cap_data d[2])
{
	struct sbx_cap_header h = {SBX_CAP_V3, 0};

	return (int)syscall(SYS_capset, &h, d);
}

/* sbx_raise_effective makes every permitted capability effective again:
 * a uid change (even with keep-caps) empties the effective set, and the
 * steps after it still need CAP_SETPCAP and friends. */
static void sbx_raise_effective(void)
{
	struct sbx_cap_data d[2];

	if (sbx_capget(d) < 0)
		return;
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	sbx_capset(d);
}

int sbx_step_hostname(struct sbx_ctx *c, const struct sbx_step *s, int domain)
{
	size_t n = strlen(s->path);

	if (domain ? setdomainname(s->path, n) < 0 : sethostname(s->path, n) < 0)
		return sbx_fail(c, domain ? "setdomainname" : "sethostname", s->path);
	return 0;
}

int sbx_step_rlimit(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct {
		uint64_t cur, max;
	} lim = {s->num1, s->num2};

	if (syscall(SYS_prlimit64, 0, s->resource, &lim, NULL) < 0)
		return sbx_fail(c, "prlimit", s->path);
	return 0;
}

/*
 * sbx_step_userns_limit sets user.max_user_namespaces in the sandbox's user
 * namespace (I9). The /proc/sys/user files are per user namespace: a
 * write changes the table of the writer's own namespace, and needs
 * CAP_SYS_RESOURCE there, which this process holds until the
 * capabilities step. The limit counts every namespace created below this
 * one, so the nested one LockMounts makes (num1 leaves room for it) and
 * any the payload tries after it are counted against it, and nothing
 * below can raise it: its capabilities are only in its own namespace.
 * Run first, while the host's /proc is still where it was.
 */
int sbx_step_userns_limit(struct sbx_ctx *c, const struct sbx_step *s)
{
	static const char path[] = "/proc/sys/user/max_user_namespaces";
	char num[24];
	const char *v = sbx_fmt_u64(num + sizeof(num), s->num1, 10);

	if (sbx_write_file(AT_FDCWD, path, v, strlen(v)) < 0) {
		if (s->flags & SBX_F_OPTIONAL)
			return 0;
		return sbx_fail(c, "write", path);
	}
	return 0;
}

/*
 * sbx_become takes ids inside a user namespace whose maps the launcher just
 * wrote. A root launcher's range map allows setgroups, and root's own
 * groups are dropped; where setgroups is denied (a caller's subordinate
 * ranges) the caller's groups stay, since shedding them would open what
 * they shut out (P4). Capabilities in the namespace stay.
 */
int sbx_become(struct sbx_ctx *c, uint32_t uid, uint32_t gid)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return sbx_fail(c, "prctl PR_SET_KEEPCAPS", NULL);
	if (!c->plan->deny_setgroups && syscall(SYS_setgroups, (size_t)0, NULL) < 0 && errno != EPERM)
		return sbx_fail(c, "setgroups", NULL);
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return sbx_fail(c, "setresgid", NULL);
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return sbx_fail(c, "setresuid", NULL);
	sbx_raise_effective();
	return 0;
}

int sbx_step_set_ids(struct sbx_ctx *c, const struct sbx_step *s)
{
	/* Keep the permitted set across the uid change: capabilities are
	 * set to exactly what the profile keeps in the next step. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return sbx_fail(c, "prctl PR_SET_KEEPCAPS", NULL);
	if (!(s->flags & SBX_F_KEEP_GROUPS) && syscall(SYS_setgroups, (size_t)s->nids, s->ids) < 0)
		return sbx_fail(c, "setgroups", NULL);
	if (syscall(SYS_setresgid, s->gid, s->gid, s->gid) < 0)
		return sbx_fail(c, "setresgid", NULL);
	if (syscall(SYS_setresuid, s->uid, s->uid, s->uid) < 0)
		return sbx_fail(c, "setresuid", NULL);
	/* The kernel made us non-dumpable for the id change only if
	 * fs.suid_dumpable is 0. Whatever it is, this process must stay so
	 * until exec: `sandbox enter` runs this step in a process whose
	 * memory is the launcher's, inside a sandbox whose payload would
	 * otherwise ptrace it once its capabilities are dropped (E1). Exec
	 * makes the payload dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return sbx_fail(c, "prctl PR_SET_DUMPABLE", NULL);
	sbx_raise_effective();
	return 0;
}

/*
 * Capabilities: all five sets become exactly the kept ones (P1). Order
 * matters: the bounding set is cut while CAP_SETPCAP is still effective;
 * then effective, permitted and inheritable are set; the ambient set last,
 * because the kernel only raises into it what is both permitted and
 * inheritable. A payload running as uid 0 inside regains, at exec,
 * permitted = inheritable | bounding: both are the kept set.
 */
int sbx_step_caps(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct sbx_cap_data d[2];
	uint64_t keep = 0;
	int cap, last = c->plan->cap_last_cap;
	uint32_t i;

	for (i = 0; i < s->nids; i++) {
		if (s->ids[i] > (uint32_t)last || s->ids[i] >= 64)
			return sbx_fail_errno(c, EINVAL, "capability not known to this kernel", NULL);
		keep |= (uint64_t)1 << s->ids[i];
	}
	sbx_raise_effective();
	for (cap = 0; cap <= last && cap < 64; cap++) {
		if (keep & ((uint64_t)1 << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0)
			return sbx_fail(c, "prctl PR_CAPBSET_DROP", NULL);
	}
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = d[0].inheritable = (uint32_t)keep;
	d[1].effective = d[1].permitted = d[1].inheritable = (uint32_t)(keep >> 32);
	if (sbx_capset(d) < 0)
		return sbx_fail(c, "capset", NULL);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return sbx_fail(c, "prctl PR_CAP_AMBIENT_CLEAR_ALL", NULL);
	if (s->flags & SBX_F_AMBIENT) {
		for (i = 0; i < s->nids; i++) {
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, s->ids[i], 0, 0) < 0)
				return sbx_fail(c, "prctl PR_CAP_AMBIENT_RAISE", NULL);
		}
	}
	return 0;
}

int sbx_step_no_new_privs(struct sbx_ctx *c)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return sbx_fail(c, "prctl PR_SET_NO_NEW_PRIVS", NULL);
	return 0;
}

/* A new session has no controlling terminal: TIOCSTI has no target (T1). */
int sbx_step_new_session(struct sbx_ctx *c)
{
	if (syscall(SYS_setsid) < 0)
		return sbx_fail(c, "setsid", NULL);
	c->did_setsid = 1;
	return 0;
}

int sbx_step_seccomp(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct sock_fprog prog;

	c->seccomp_done = 1;
	if (s->data_len == 0)
		return 0;
	if (s->data_len % sizeof(struct sock_filter) != 0 ||
	    s->data_len / sizeof(struct sock_filter) > 0xffff)
		return sbx_fail_errno(c, EINVAL, "seccomp program size", NULL);
	memset(&prog, 0, sizeof(prog));
	prog.len = (unsigned short)(s->data_len / sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)(uintptr_t)s->data;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return sbx_fail(c, "seccomp", NULL);
	return 0;
}
