/*
 * The last step: hand the process over to the payload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child_ctx.h"

/* Used when the sandbox's environment has no PATH. */
#define SBX_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * sbx_exec_path runs file like execvpe, looking it up in path (the
 * sandbox's PATH, so inside the new root). It returns the errno that
 * explains the failure: EACCES when some candidate existed but could not
 * be run, ENOENT when none existed.
 */
static int sbx_exec_path(const char *file, char *const argv[], char *const envp[], const char *path)
{
	char buf[PATH_MAX];
	const char *p, *end;
	size_t flen = strlen(file), dlen;
	int seen_eacces = 0;

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	if (flen == 0)
		return ENOENT;
	if (!path || !path[0])
		path = SBX_DEFAULT_PATH;
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen == 0) {
			/* An empty entry is the working directory. */
			memcpy(buf, ".", 1);
			dlen = 1;
		} else if (dlen + flen + 2 <= sizeof(buf)) {
			memcpy(buf, p, dlen);
		}
		if (dlen + flen + 2 <= sizeof(buf)) {
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			execve(buf, argv, envp);
			switch (errno) {
			case EACCES:
				seen_eacces = 1;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
			case ENAMETOOLONG:
				break;
			default:
				return errno;
			}
		}
		if (*end == 0)
			break;
	}
	return seen_eacces ? EACCES : ENOENT;
}

void sbx_step_exec(struct sbx_ctx *c, const struct sbx_step *s)
{
	const struct sbx_plan *p = c->plan;
	uint64_t none = 0;
	int i, err;

	if (p->new_session && !c->did_setsid && syscall(SYS_setsid) < 0) {
		sbx_fail(c, "setsid", NULL);
		sbx_report(c, SBX_REPORT_SETUP);
	}
	/* Id changes cleared the death signal; arm it again, last. (The
	 * payload under an init got its own, relative to the init.) */
	if (p->die_with_parent && !c->is_payload)
		sbx_arm_parent_death(c);
	/* Only 0-2 and the declared fds reach the payload (D1, D2): every
	 * fd the launcher had, the report pipe included, closes at exec. */
	sbx_close_fds_from(3, 1);
	for (i = 0; i < p->npass; i++) {
		int fd = p->pass_fds[i];

		if (fd == p->err_fd || fd == p->sync_fd || fcntl(fd, F_SETFD, 0) < 0) {
			sbx_fail_errno(c, EBADF, "pass fd", NULL);
			sbx_report(c, SBX_REPORT_SETUP);
		}
	}
	umask(c->umask);
	if (!s->strv || !s->strv[0]) {
		sbx_fail_errno(c, EINVAL, "exec: empty command", NULL);
		sbx_report(c, SBX_REPORT_SETUP);
	}
	/* Signals forwarded during setup are pending; they are delivered
	 * now, or to the payload right after exec. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
	err = sbx_exec_path(s->strv[0], s->strv, p->envp, s->src);
	sbx_fail_errno(c, err, "exec", s->strv[0]);
	sbx_report(c, SBX_REPORT_EXEC);
}
