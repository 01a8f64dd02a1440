/*
 * The Landlock step: the payload restricts itself to the rules the
 * compiler derived from the mount view (compile/landlock.go), last before
 * seccomp, on the payload's own thread. The paths are opened here, inside
 * the new root, so each rule names what the payload sees.
 *
 * Best effort by ABI: the plan holds every right the sandbox wants, and
 * the kernel's ABI decides which of them it can handle; only a kernel
 * below the profile's landlock.require is an error. Defined here, not
 * taken from <linux/landlock.h>, which older C libraries ship without the
 * network rules and scopes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define SBX_LL_CREATE_RULESET_VERSION 1u
#define SBX_LL_RULE_PATH_BENEATH 1
#define SBX_LL_RULE_NET_PORT 2

/* The file rights a rule on something other than a directory may hold:
 * execute, write_file, read_file, truncate, ioctl_dev. */
#define SBX_LL_FILE_RIGHTS (0x1ull | 0x2ull | 0x4ull | (1ull << 14) | (1ull << 15))

struct sbx_ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct sbx_ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct sbx_ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
};

/* sbx_ll_fs_rights are the file rights ABI abi knows. */
static uint64_t sbx_ll_fs_rights(int abi)
{
	uint64_t m = (1ull << 13) - 1; /* ABI 1: execute .. make_sym */

	if (abi >= 2)
		m |= 1ull << 13; /* refer */
	if (abi >= 3)
		m |= 1ull << 14; /* truncate */
	if (abi >= 5)
		m |= 1ull << 15; /* ioctl_dev */
	return m;
}

/* sbx_ll_attr_size is the size of the ruleset attribute ABI abi reads:
 * an older kernel refuses fields it does not know. */
static size_t sbx_ll_attr_size(int abi)
{
	if (abi >= 6)
		return sizeof(struct sbx_ll_ruleset_attr);
	if (abi >= 4)
		return 2 * sizeof(uint64_t);
	return sizeof(uint64_t);
}

static int sbx_ll_fail(struct sbx_ctx *c, int fd, const char *op, const char *path)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	return sbx_fail_errno(c, err, op, path);
}

static int sbx_ll_paths(struct sbx_ctx *c, const struct sbx_step *s, int rs, uint64_t fs)
{
	uint32_t i;

	for (i = 0; i < s->nids && s->strv[i] != NULL; i++) {
		struct sbx_ll_path_beneath pb;
		struct stat st;
		uint64_t allowed = (uint64_t)(s->ids[i] & ~SBX_LL_REQUIRED) & fs;
		int fd;

		fd = open(s->strv[i], O_PATH | O_CLOEXEC);
		if (fd < 0) {
			/* A rule from an optional mount that was skipped, or
			 * a path the payload cannot reach anyway. */
			if ((errno == ENOENT || errno == EACCES) && !(s->ids[i] & SBX_LL_REQUIRED))
				continue;
			return sbx_ll_fail(c, rs, "open (landlock rule)", s->strv[i]);
		}
		if (fstat(fd, &st) < 0) {
			close(fd);
			return sbx_ll_fail(c, rs, "fstat (landlock rule)", s->strv[i]);
		}
		if (!S_ISDIR(st.st_mode))
			allowed &= SBX_LL_FILE_RIGHTS;
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = allowed;
		pb.parent_fd = fd;
		if (allowed != 0 &&
		    syscall(SYS_landlock_add_rule, rs, SBX_LL_RULE_PATH_BENEATH, &pb, 0) < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return sbx_ll_fail(c, rs, "landlock_add_rule", s->strv[i]);
		}
		close(fd);
	}
	return 0;
}

/*
 * sbx_ll_inherited lets the payload reopen the files it was handed (its
 * standard streams, pass_fds) through /proc/self/fd or /dev/stdout: they
 * lie outside the view (a host file, the host's terminal), where no rule
 * reaches. Each gets a rule of its own, for the inode only, with the
 * rights its descriptor already has: reading one opened for reading,
 * writing one opened for writing. Pipes and sockets are not checked by
 * Landlock, and directories are refused as descriptors before launch.
 */
static void sbx_ll_inherited(const struct sbx_ctx *c, int rs, uint64_t fs)
{
	const struct sbx_plan *p = c->plan;
	int32_t i;

	for (i = 0; i < 3 + p->npass; i++) {
		int fd = i < 3 ? i : p->pass_fds[i - 3];
		struct sbx_ll_path_beneath pb;
		struct stat st;
		int fl;

		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
			continue;
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = 1ull << 15; /* ioctl_dev, as the fd has */
		if ((fl & O_ACCMODE) != O_WRONLY)
			pb.allowed_access |= 0x4; /* read_file */
		if ((fl & O_ACCMODE) != O_RDONLY)
			pb.allowed_access |= 0x2 | (1ull << 14); /* write_file, truncate */
		pb.allowed_access &= fs;
		pb.parent_fd = fd;
		/* Best effort: a file the kernel will not take a rule for
		 * stays usable through its descriptor. */
		if (pb.allowed_access != 0)
			syscall(SYS_landlock_add_rule, rs, SBX_LL_RULE_PATH_BENEATH, &pb, 0);
	}
}

static int sbx_ll_ports(struct sbx_ctx *c, const struct sbx_step *s, int rs, uint64_t net)
{
	uint64_t off;

	if (net == 0)
		return 0;
	for (off = 0; off + SBX_LL_PORT_SIZE <= s->data_len; off += SBX_LL_PORT_SIZE) {
		struct sbx_ll_net_port np;
		uint32_t port, access;

		memcpy(&port, s->data + off, 4);
		memcpy(&access, s->data + off + 4, 4);
		np.allowed_access = access & net;
		np.port = port;
		if (np.allowed_access != 0 &&
		    syscall(SYS_landlock_add_rule, rs, SBX_LL_RULE_NET_PORT, &np, 0) < 0)
			return sbx_ll_fail(c, rs, "landlock_add_rule", "network port");
	}
	return 0;
}

int sbx_step_landlock(struct sbx_ctx *c, const struct sbx_step *s)
{
	struct sbx_ll_ruleset_attr attr;
	long abi;
	int rs;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, SBX_LL_CREATE_RULESET_VERSION);
	if (abi < 0)
		abi = 0;
	if (abi < (long)s->uid) {
		char detail[96], num[24], *p;

		sbx_strlcpy(detail, "kernel Landlock ABI ", sizeof(detail));
		p = sbx_fmt_u64(num + sizeof(num), (uint64_t)abi, 10);
		strncat(detail, p, sizeof(detail) - strlen(detail) - 1);
		strncat(detail, " is below landlock.require", sizeof(detail) - strlen(detail) - 1);
		return sbx_fail_errno(c, EOPNOTSUPP, "landlock", detail);
	}
	if (abi == 0)
		return 0; /* no Landlock here; explain said so */
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = s->num1 & sbx_ll_fs_rights((int)abi);
	attr.handled_access_net = abi >= 4 ? s->num2 & 0x3 : 0;
	attr.scoped = abi >= 6 ? s->mode & 0x3 : 0;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sbx_ll_attr_size((int)abi), 0);
	if (rs < 0)
		return sbx_fail(c, "landlock_create_ruleset", NULL);
	if (sbx_ll_paths(c, s, rs, attr.handled_access_fs) < 0 ||
	    sbx_ll_ports(c, s, rs, attr.handled_access_net) < 0)
		return -1;
	sbx_ll_inherited(c, rs, attr.handled_access_fs);
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		return sbx_ll_fail(c, rs, "landlock_restrict_self", NULL);
	close(rs);
	return 0;
}
