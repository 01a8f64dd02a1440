/*
 * Finding the plan cached for this invocation, and deciding whether it
 * still holds. A cached plan is used only when everything it was compiled
 * from is as it was: the same launcher executable, the same ids, the same
 * arguments byte for byte (by their SHA-256, which names the file), the
 * same values of the variables the plan depends on (fast_env.c), the same
 * working directory,
 * and every host path the profile loader and the compiler consulted
 * (profile files, directories searched, bind sources) unchanged down to
 * its inode and change time. Otherwise the ordinary path compiles afresh.
 *
 * The cache is trusted only as far as the caller's own files are: its
 * directories and the file must belong to the effective user and be
 * writable by no one else, and no symlink is followed, so another user
 * cannot hand a launch a plan (F15). A set-id launch uses no cache.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fast.h"
#include "plan_blob.h"

uint64_t sbx_cache_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

const char *sbx_cache_getenv(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++) {
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	}
	return NULL;
}

static int join(char *buf, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 1 > size)
		return -1;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb + 1);
	return 0;
}

/*
 * sbx_cache_base: $XDG_RUNTIME_DIR, or /run for root. Both are memory, not
 * disk: a cached plan holds the variables a profile passes in, which must
 * not outlive the session on a disk.
 */
int sbx_cache_base(char **envp, unsigned euid, char *buf, size_t size)
{
	const char *d = sbx_cache_getenv(envp, "XDG_RUNTIME_DIR");

	if (d && d[0] == '/')
		return join(buf, size, d, "");
	if (euid == 0)
		return join(buf, size, "/run", "");
	return -1;
}

/* open_owned opens name under dirfd without following a symlink, and
 * checks that the effective user owns it and no one else may write it. */
static int open_owned(int dirfd, const char *name, int flags, struct stat *st)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || st->st_uid != geteuid() || (st->st_mode & 022) != 0) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* sbx_cache_key is the digest of this invocation's arguments, as
 * plan_cache.h defines it; its first 8 bytes in hex name the file (the Go
 * side that stores the plan calls this too, launch_rules.go). */
void sbx_cache_key(int argc, char **argv, unsigned char key[32], char *name)
{
	static const char hex[] = "0123456789abcdef";
	struct sbx_sha256 s;
	char num[16], *q = num + sizeof(num);
	unsigned n = (unsigned)argc - 1;
	int i;

	sbx_sha256_init(&s);
	sbx_sha256_write(&s, SBX_CACHE_KEY_TAG, sizeof(SBX_CACHE_KEY_TAG));
	*--q = 0;
	do {
		*--q = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	sbx_sha256_write(&s, q, (size_t)(num + sizeof(num) - q));
	for (i = 1; i < argc; i++)
		sbx_sha256_write(&s, argv[i], strlen(argv[i]) + 1);
	sbx_sha256_sum(&s, key);
	for (i = 0; i < 8; i++) {
		name[2 * i] = hex[key[i] >> 4];
		name[2 * i + 1] = hex[key[i] & 15];
	}
	memcpy(name + 16, ".plan", 6);
}

/* read_cache reads the cache file for this invocation into memory. */
static void *read_cache(const char *name, char **envp, uint64_t *len, const char **why)
{
	char base[4096];
	struct stat st;
	int dfd, fd;
	uint64_t got = 0;
	void *buf;

	if (sbx_cache_base(envp, geteuid(), base, sizeof(base)) < 0) {
		*why = "no cache directory (no $XDG_RUNTIME_DIR)";
		return NULL;
	}
	dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*why = "cannot open the cache directory's parent";
		return NULL;
	}
	fd = open_owned(dfd, "sandbox", O_RDONLY | O_DIRECTORY, &st);
	close(dfd);
	if (fd < 0) {
		*why = "no cache directory of this user's";
		return NULL;
	}
	dfd = fd;
	fd = open_owned(dfd, "plans", O_RDONLY | O_DIRECTORY, &st);
	close(dfd);
	if (fd < 0) {
		*why = "no cache directory of this user's";
		return NULL;
	}
	dfd = fd;
	fd = open_owned(dfd, name, O_RDONLY | O_NONBLOCK, &st);
	close(dfd);
	if (fd < 0) {
		*why = errno == ENOENT ? "no plan cached for these arguments"
				       : "the cached plan is not this user's alone";
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct sbx_cache_head) ||
	    st.st_size > (off_t)SBX_CACHE_MAX_SIZE) {
		close(fd);
		*why = "the cached plan is not a regular file of a plausible size";
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (buf == NULL) {
		close(fd);
		*why = "out of memory";
		return NULL;
	}
	while (got < (uint64_t)st.st_size) {
		ssize_t n = read(fd, (char *)buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	close(fd);
	if (got != (uint64_t)st.st_size) {
		free(buf);
		*why = "cannot read the cached plan";
		return NULL;
	}
	*len = got;
	return buf;
}

/* same_stat compares a path's stat now with what the cache recorded. */
static int same_stat(const struct sbx_cache_stat *c, int rc, const struct stat *st)
{
	if (rc < 0)
		return c->err == errno;
	return c->err == 0 && c->mode == st->st_mode && c->dev == st->st_dev &&
	       c->ino == st->st_ino && c->size == (uint64_t)st->st_size &&
	       c->mtime_sec == st->st_mtim.tv_sec && c->mtime_nsec == st->st_mtim.tv_nsec &&
	       c->ctime_sec == st->st_ctim.tv_sec && c->ctime_nsec == st->st_ctim.tv_nsec;
}

/* same_presence compares only whether the path is there and its type. */
static int same_presence(const struct sbx_cache_stat *c, int rc, const struct stat *st)
{
	if (rc < 0)
		return c->err == errno;
	return c->err == 0 && (c->mode & S_IFMT) == (st->st_mode & S_IFMT);
}

/* in_file checks that [off, off+n) lies inside the file. */
static int in_file(uint64_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

/* string_at returns the NUL-terminated string at off, or NULL. */
static const char *string_at(const char *f, uint64_t len, uint64_t off)
{
	if (off >= len || memchr(f + off, 0, len - off) == NULL)
		return NULL;
	return f + off;
}

/* same_cwd checks the working directory the way the plan saw it: $PWD when
 * it names the current directory (as Go's os.Getwd does), else getcwd. */
static int same_cwd(const char *cached, char **envp)
{
	const char *pwd = sbx_cache_getenv(envp, "PWD");
	struct stat dot, st;
	char buf[4096];

	if (stat(".", &dot) == 0 && pwd && pwd[0] == '/' && stat(pwd, &st) == 0 &&
	    st.st_dev == dot.st_dev && st.st_ino == dot.st_ino)
		return strcmp(pwd, cached) == 0;
	if (getcwd(buf, sizeof(buf)) == NULL)
		return 0;
	return strcmp(buf, cached) == 0;
}

/* claim_string claims the NUL-terminated string at off. */
static int claim_string(struct sbx_claims *c, const char *f, uint64_t len, uint64_t off)
{
	const char *s = string_at(f, len, off);

	return s == NULL ? -1 : sbx_claim(c, off, strlen(s) + 1);
}

/*
 * check_regions checks that the regions the header names lie inside the
 * file and share no byte with each other or with the header (H4), as the
 * writer lays them out: a dependency's path inside the plan, say, would
 * be rewritten by the unpacking, and read afterwards as something else.
 */
static int check_regions(const struct sbx_cache_head *h, const char *f, uint64_t len)
{
	const struct sbx_cache_dep *deps;
	struct sbx_claims c;
	uint64_t i;
	int ok;

	if (h->ndeps > 65536 || h->deps_off % 8 != 0 || h->plan_off % 8 != 0 ||
	    !in_file(len, h->env_off, h->env_len) || h->env_count > h->env_len ||
	    !in_file(len, h->deps_off, h->ndeps * sizeof(struct sbx_cache_dep)) ||
	    string_at(f, len, h->cwd_off) == NULL || strlen(f + h->cwd_off) + 1 != h->cwd_len ||
	    string_at(f, len, h->say_off) == NULL || strlen(f + h->say_off) + 1 != h->say_len)
		return 0;
	if (sbx_claims_init(&c, len) < 0)
		return 0;
	deps = (const void *)(f + h->deps_off);
	ok = sbx_claim(&c, 0, sizeof(*h)) == 0 && sbx_claim(&c, h->cwd_off, h->cwd_len) == 0 &&
	     sbx_claim(&c, h->say_off, h->say_len) == 0 &&
	     sbx_claim(&c, h->env_off, h->env_len) == 0 &&
	     sbx_claim(&c, h->deps_off, h->ndeps * sizeof(struct sbx_cache_dep)) == 0 &&
	     sbx_claim(&c, h->plan_off, h->plan_len) == 0;
	for (i = 0; ok && i < h->ndeps; i++)
		ok = claim_string(&c, f, len, deps[i].path_off) == 0;
	sbx_claims_free(&c);
	return ok;
}

/* check_head checks the header and the checksum, and that every region it
 * names lies inside the file, alone. */
static const char *check_head(const struct sbx_cache_head *h, const char *f, uint64_t len)
{
	if (memcmp(h->magic, SBX_CACHE_MAGIC, sizeof(SBX_CACHE_MAGIC)) != 0 ||
	    h->version != SBX_CACHE_VERSION || h->head_size != sizeof(*h))
		return "the cached plan is of another format";
	if (h->total != len ||
	    sbx_cache_hash(SBX_FNV_OFFSET, f + sizeof(*h), len - sizeof(*h)) != h->sum)
		return "the cached plan is damaged";
	if (!check_regions(h, f, len))
		return "the cached plan is damaged";
	return NULL;
}

/* check_inputs compares everything the plan was compiled from with now. */
static const char *check_inputs(const struct sbx_cache_head *h, const char *f, uint64_t len,
				const unsigned char key[32], char **envp)
{
	const struct sbx_cache_dep *deps = (const void *)(f + h->deps_off);
	unsigned char sum[32];
	struct stat st;
	uint64_t i;
	int rc;

	if (h->uid != getuid() || h->gid != getgid() || h->euid != geteuid() || h->egid != getegid())
		return "written for other ids";
	if (memcmp(h->key, key, sizeof(h->key)) != 0)
		return "written for other arguments";
	if (sbx_cache_env_digest(envp, f + h->env_off, h->env_len, h->env_count, sum) < 0)
		return "the cached plan is damaged";
	if (memcmp(h->env_sum, sum, sizeof(sum)) != 0)
		return "a variable the plan depends on changed";
	rc = stat("/proc/self/exe", &st);
	if (!same_stat(&h->exe, rc, &st))
		return "written by another sandbox executable";
	if (!same_cwd(f + h->cwd_off, envp))
		return "written in another working directory";
	for (i = 0; i < h->ndeps; i++) {
		const char *p = string_at(f, len, deps[i].path_off);
		int (*same)(const struct sbx_cache_stat *, int, const struct stat *) =
			(deps[i].flags & SBX_DEP_PRESENCE) ? same_presence : same_stat;

		if (p == NULL)
			return "the cached plan is damaged";
		rc = lstat(p, &st);
		if (!same(&deps[i].lst, rc, &st))
			return "a file the plan was compiled from changed";
		/* stat(2) finds what lstat(2) found unless the path is a
		 * symlink: compare that with the recorded stat instead of
		 * asking again (the recording side does the same,
		 * hostview/inputs.go). */
		if (rc == 0 && S_ISLNK(st.st_mode))
			rc = stat(p, &st);
		if (!same(&deps[i].st, rc, &st))
			return "a file the plan was compiled from changed";
	}
	return NULL;
}

int sbx_cache_lookup(int argc, char **argv, char **envp, struct sbx_cached *out, const char **why)
{
	const struct sbx_cache_head *h;
	unsigned char key[32];
	char name[32];
	uint64_t len = 0;
	char *f;

	if (getauxval(AT_SECURE)) {
		*why = "set-id launch";
		return -1;
	}
	sbx_cache_key(argc, argv, key, name);
	f = read_cache(name, envp, &len, why);
	if (f == NULL)
		return -1;
	h = (const void *)f;
	*why = check_head(h, f, len);
	if (*why == NULL)
		*why = check_inputs(h, f, len, key, envp);
	if (*why == NULL && sbx_plan_unpack(f + h->plan_off, h->plan_len) < 0)
		*why = "the cached plan is damaged";
	if (*why != NULL) {
		free(f);
		return -1;
	}
	out->file = f;
	out->plan = (struct sbx_plan *)(f + h->plan_off);
	out->say = f + h->say_off;
	return 0;
}
