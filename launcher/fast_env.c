/*
 * The part of the caller's environment a cached plan depends on
 * (plan_cache.h's env_sum). The cache file names the variables the
 * profile's load and compile read and the ones the payload's environment
 * passes; only they are compared, so a launch whose environment differs in
 * anything else (a benchmark's per-run variable, a menu's startup token,
 * the shell's OLDPWD) still finds its plan. Written once, here: the Go
 * side that stores the digest calls this through cgo (launch_rules.go).
 *
 * The digest is SHA-256 of SBX_CACHE_ENV_TAG and its NUL, then for each
 * name in the file's order the name and a NUL, then for each entry of
 * envp it matches, in envp's order, a byte 1, the entry and a NUL. A name
 * matches an entry whose name (the part before the first '=', or all of
 * an entry without one) is the same; a name ending in '*' matches every
 * entry whose name starts with what precedes it, so that "*" matches the
 * whole environment. Names are never empty and contain neither '=' nor a
 * byte 1, so the encoding reads back one way only: a variable set, unset,
 * changed, repeated or added under a prefix changes the digest.
 */
#include <string.h>

#include "fast.h"

/* env_match reports whether the envp entry kv is one the name item
 * covers. */
static int env_match(const char *item, size_t n, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t kn = eq ? (size_t)(eq - kv) : strlen(kv);

	if (n > 0 && item[n - 1] == '*')
		return kn >= n - 1 && memcmp(kv, item, n - 1) == 0;
	return kn == n && memcmp(kv, item, n) == 0;
}

int sbx_cache_env_digest(char **envp, const char *names, uint64_t len, uint64_t count,
			 unsigned char sum[32])
{
	static const unsigned char mark = 1;
	struct sbx_sha256 s;
	uint64_t i, off = 0;
	char **e;

	sbx_sha256_init(&s);
	sbx_sha256_write(&s, SBX_CACHE_ENV_TAG, sizeof(SBX_CACHE_ENV_TAG));
	for (i = 0; i < count; i++) {
		const char *item = names + off;
		const char *end = off < len ? memchr(item, 0, len - off) : NULL;
		size_t n;

		if (end == NULL || end == item || memchr(item, '=', (size_t)(end - item)) ||
		    memchr(item, mark, (size_t)(end - item)))
			return -1;
		n = (size_t)(end - item);
		sbx_sha256_write(&s, item, n + 1);
		for (e = envp; e && *e; e++) {
			if (!env_match(item, n, *e))
				continue;
			sbx_sha256_write(&s, &mark, 1);
			sbx_sha256_write(&s, *e, strlen(*e) + 1);
		}
		off += n + 1;
	}
	if (off != len)
		return -1;
	sbx_sha256_sum(&s, sum);
	return 0;
}
