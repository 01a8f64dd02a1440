/*
 * Protect steps (checklist H1, H2): a file the host trusts, exposed by a
 * writable bind, is bound onto itself read-only; a directory on the way to
 * one is bound onto itself as it is ("pinned"), because a mount point
 * cannot be renamed, removed or replaced, while any plain directory above
 * a read-only bind could be renamed away and rebuilt without it.
 *
 * They come after every mount of the profile, so no ordering of the
 * profile can undo them. The path is resolved in two parts: the writable
 * bind's target inside the new root (as the bind itself was), then the
 * rest beneath it without following any symlink. The compiler saw real
 * directories there; a symlink found now means the host changed since, and
 * the launch fails rather than protect some other file. The last component
 * is not followed either: a symlink the host trusts (~/.bashrc pointing
 * into a dotfiles repository) is itself bound onto itself, so it cannot be
 * replaced; the compiler protects its target as a path of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "child_ctx.h"
#include "child_sys.h"

int sbx_step_protect(struct sbx_ctx *c, const struct sbx_step *s)
{
	char shown[PATH_MAX];
	const char *rel = s->src ? s->src : "";
	uint64_t set = (s->flags & SBX_F_READONLY) ? SBX_MOUNT_ATTR_RDONLY : 0;
	int root, tgt, tree;
	size_t n;

	/* The whole inside path, for the failure's detail. */
	n = sbx_strlcpy(shown, s->path, sizeof(shown));
	if (rel[0] && n + 1 < sizeof(shown)) {
		if (n == 0 || shown[n - 1] != '/')
			shown[n++] = '/';
		sbx_strlcpy(shown + n, rel, sizeof(shown) - n);
	}
	if (c->root_fd < 0)
		return sbx_fail_errno(c, EINVAL, "no new root (new-root must come first)", shown);
	root = sbx_openat2(c->root_fd, s->path, O_PATH, SBX_RESOLVE_IN_ROOT | SBX_RESOLVE_NO_MAGICLINKS);
	if (root < 0)
		return sbx_fail(c, "openat2", shown);
	tgt = root;
	if (rel[0]) {
		tgt = sbx_openat2(root, rel, O_PATH | O_NOFOLLOW,
				  SBX_RESOLVE_BENEATH | SBX_RESOLVE_NO_SYMLINKS | SBX_RESOLVE_NO_MAGICLINKS);
		if (tgt < 0) {
			int e = errno;

			close(root);
			if (e == ELOOP)
				return sbx_fail_errno(c, e, "a symlink appeared on the way to a protected path", shown);
			return sbx_fail_errno(c, e, "openat2", shown);
		}
		close(root);
	}
	/* Always a new mount on top, even on a mount point: the copy keeps
	 * the flags of what it copies (nosuid, nodev, read-only), plus
	 * read-only when asked, on every submount. */
	tree = sbx_clone_tree(c, tgt, "", set, shown);
	if (tree < 0)
		return -1;
	if (sbx_attach(c, tree, tgt, shown) < 0)
		return -1;
	close(tree);
	close(tgt);
	return 0;
}
