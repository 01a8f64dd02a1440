/*
 * A flat plan (child.h) as a relocatable blob, for the plan cache.
 *
 * A plan the Go side lays out in one block holds pointers into that block
 * only, and every object in it (the plan, the step array, each string,
 * each string array, each byte or id array) has bytes of its own: the
 * allocator never shares one. Packing turns every pointer into its offset
 * from the block's start plus one (zero stays NULL), so the block can be
 * written to a file; unpacking, in a later launch, turns the offsets back
 * into pointers at wherever the block was read to.
 *
 * Unpacking trusts nothing (H4). A blob that is not laid out as the
 * packer lays it out could make the rewrite lie to its own checks: a step
 * array that overlaps the plan's header, or a string array that overlaps
 * another, would have one field rewritten twice, or read as an offset
 * after it became a pointer, and a check made on a field before a later
 * rewrite changed it would no longer hold. So unpacking walks the plan
 * three times with one walker (walk_plan):
 *
 *   1. claim: read the offsets only, and check that every object lies in
 *      the blob and that no two objects, the header included, share a
 *      byte; nothing is written;
 *   2. rewrite: turn each offset into a pointer; with the objects
 *      disjoint, each pointer field is rewritten exactly once and nothing
 *      rewritten is ever read as something else;
 *   3. check: walk the rewritten plan again, pointers this time, and check
 *      what the child relies on (every step has the fields its kind reads,
 *      the plan ends with its exec) on the values it will actually use.
 *
 * A blob that fails any of them is refused and the launch takes the
 * ordinary path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "plan_blob.h"

/* Limits far above any real plan; they bound the work a damaged blob can
 * cause, not what a profile may declare. */
#define BLOB_MAX_STEPS 65536
#define BLOB_MAX_STRV 65536
#define BLOB_MAX_PASS 1024
#define BLOB_MAX_IDS 4096

/* The only clone flags a plan may hold (cloneNamespaceFlags in
 * child_plan.go): any other bit would share the launcher's memory or
 * files with the sandbox. */
#define BLOB_CLONE_FLAGS                                                                           \
	(0x00020000UL /* CLONE_NEWNS */ | 0x02000000UL /* CLONE_NEWCGROUP */ |                       \
	 0x04000000UL /* CLONE_NEWUTS */ | 0x08000000UL /* CLONE_NEWIPC */ |                         \
	 0x10000000UL /* CLONE_NEWUSER */ | 0x20000000UL /* CLONE_NEWPID */ |                        \
	 0x40000000UL /* CLONE_NEWNET */)

int sbx_claims_init(struct sbx_claims *c, uint64_t len)
{
	c->len = len;
	c->bits = calloc((size_t)(len / 8 + 1), 1);
	return c->bits ? 0 : -1;
}

void sbx_claims_free(struct sbx_claims *c)
{
	free(c->bits);
	c->bits = NULL;
}

int sbx_claim(struct sbx_claims *c, uint64_t off, uint64_t n)
{
	uint64_t i;

	if (off > c->len || n > c->len - off)
		return -1;
	/* Bit by bit up to a byte boundary, then whole bytes, then the
	 * rest: a 16 MiB file's content costs 2 MiB of byte compares. */
	for (i = off; i < off + n && i % 8 != 0; i++) {
		if (c->bits[i / 8] & (1u << (i % 8)))
			return -1;
		c->bits[i / 8] |= (unsigned char)(1u << (i % 8));
	}
	for (; i + 8 <= off + n; i += 8) {
		if (c->bits[i / 8] != 0)
			return -1;
		c->bits[i / 8] = 0xff;
	}
	for (; i < off + n; i++) {
		if (c->bits[i / 8] & (1u << (i % 8)))
			return -1;
		c->bits[i / 8] |= (unsigned char)(1u << (i % 8));
	}
	return 0;
}

/* What one walk over the plan's pointer fields does with each. */
enum walk_mode {
	WALK_PACK,    /* pointers: check, then turn into offsets */
	WALK_CLAIM,   /* offsets: check and claim the objects, write nothing */
	WALK_REWRITE, /* offsets: turn into pointers */
	WALK_CHECK,   /* pointers: check again, after the rewrite */
};

struct blob {
	uintptr_t base;
	uint64_t len;
	enum walk_mode mode;
	struct sbx_claims claims; /* WALK_CLAIM */
};

/*
 * ref reads a pointer field and sets *addr to what it refers to: its value
 * in the pointer modes, the blob's start plus the offset in the offset
 * modes; 0 for NULL. -1 when it refers outside the blob.
 */
static int ref(const struct blob *b, const void *field, uintptr_t *addr)
{
	uintptr_t v;

	memcpy(&v, field, sizeof(v));
	*addr = 0;
	if (v == 0)
		return 0;
	if (b->mode == WALK_CLAIM || b->mode == WALK_REWRITE) {
		if (v - 1 >= b->len)
			return -1;
		*addr = b->base + (v - 1);
		return 0;
	}
	if (v < b->base || v - b->base >= b->len)
		return -1;
	*addr = v;
	return 0;
}

/*
 * object checks that the n bytes at addr lie inside the blob with the
 * given alignment and, when claiming, that no other object has any of
 * them. An empty array still has one byte of its own (the allocator gives
 * every object at least one), so it is claimed as one byte.
 */
static int object(struct blob *b, uintptr_t addr, uint64_t n, uint64_t align)
{
	uint64_t off = addr - b->base;

	if (n == 0)
		n = 1;
	if (off > b->len || n > b->len - off || addr % align != 0)
		return -1;
	if (b->mode == WALK_CLAIM)
		return sbx_claim(&b->claims, off, n);
	return 0;
}

/* settle stores a checked reference back: as an offset when packing, as a
 * pointer when rewriting; the other modes write nothing. */
static void settle(const struct blob *b, void *field, uintptr_t addr)
{
	uintptr_t v;

	switch (b->mode) {
	case WALK_PACK:
		v = addr - b->base + 1;
		break;
	case WALK_REWRITE:
		v = addr;
		break;
	default:
		return;
	}
	memcpy(field, &v, sizeof(v));
}

/* walk_bytes: an array of n bytes with the given alignment, or NULL. */
static int walk_bytes(struct blob *b, void *field, uint64_t n, uint64_t align)
{
	uintptr_t a;

	if (ref(b, field, &a) < 0)
		return -1;
	if (a == 0)
		return 0;
	if (object(b, a, n, align) < 0)
		return -1;
	settle(b, field, a);
	return 0;
}

/* walk_str: a string whose NUL lies inside the blob, or NULL. */
static int walk_str(struct blob *b, void *field)
{
	const char *end;
	uintptr_t a;

	if (ref(b, field, &a) < 0)
		return -1;
	if (a == 0)
		return 0;
	end = memchr((const char *)a, 0, (size_t)(b->base + b->len - a));
	if (end == NULL || object(b, a, (uint64_t)(end - (const char *)a) + 1, 1) < 0)
		return -1;
	settle(b, field, a);
	return 0;
}

/* walk_strv: a NULL-terminated array of strings, or NULL. The entries
 * are walked in place: rewriting one never turns it into NULL, so the
 * terminator is found at the same place in every mode. */
static int walk_strv(struct blob *b, void *field)
{
	uintptr_t a;
	char **v;
	uint64_t i, room;

	if (ref(b, field, &a) < 0)
		return -1;
	if (a == 0)
		return 0;
	if (a % sizeof(char *) != 0)
		return -1;
	v = (char **)a;
	room = (b->base + b->len - a) / sizeof(char *);
	for (i = 0;; i++) {
		if (i >= room || i > BLOB_MAX_STRV)
			return -1;
		if (v[i] == NULL)
			break;
		if (walk_str(b, &v[i]) < 0)
			return -1;
	}
	if (object(b, a, (i + 1) * sizeof(char *), sizeof(char *)) < 0)
		return -1;
	settle(b, field, a);
	return 0;
}

/* WALK_FIELD walks one field of SBX_STEP_POINTERS or SBX_PLAN_POINTERS
 * of the object s. */
#define WALK_STR(f, n, size) walk_str(b, &s->f)
#define WALK_STRV(f, n, size) walk_strv(b, &s->f)
#define WALK_BYTES(f, n, size) walk_bytes(b, &s->f, (uint64_t)s->n * (size), (size))
#define WALK_FIELD(type, f, n, size)                 \
	if (WALK_##type(f, n, size) < 0)             \
		return -1;

/* walk_step: every pointer field of one step. The counts (data_len,
 * nids) are plain numbers, never rewritten, so every walk reads the same. */
static int walk_step(struct blob *b, struct sbx_step *s)
{
	if (s->nids > BLOB_MAX_IDS || s->data_len > b->len)
		return -1;
	SBX_STEP_POINTERS(WALK_FIELD)
	return 0;
}

/*
 * walk_plan visits every pointer of the plan once, in one order for every
 * mode. The plan itself is the blob's first object: claimed first, so
 * nothing else may lie in its bytes.
 */
static int walk_plan(struct blob *b, struct sbx_plan *plan)
{
	struct sbx_step *steps;
	uintptr_t a;
	int32_t i;

	if ((uintptr_t)plan != b->base || object(b, b->base, sizeof(*plan), 8) < 0)
		return -1;
	if (plan->nsteps < 1 || plan->nsteps > BLOB_MAX_STEPS || plan->npass < 0 ||
	    plan->npass > BLOB_MAX_PASS)
		return -1;
	if (ref(b, &plan->steps, &a) < 0 || a == 0 ||
	    object(b, a, (uint64_t)plan->nsteps * sizeof(struct sbx_step), 8) < 0)
		return -1;
	steps = (struct sbx_step *)a;
	for (i = 0; i < plan->nsteps; i++) {
		if (walk_step(b, &steps[i]) < 0)
			return -1;
	}
	settle(b, &plan->steps, a);
	{
		struct sbx_plan *s = plan;

		SBX_PLAN_POINTERS(WALK_FIELD)
	}
	return 0;
}

/* A field added to a step or to the plan changes its size, and fails the
 * build here until the pointer lists above are checked: a pointer field
 * missing from SBX_STEP_POINTERS or SBX_PLAN_POINTERS would be cached as
 * the launcher's own address and followed by the next launch. */
_Static_assert(sizeof(struct sbx_step) == 104,
	       "struct sbx_step changed: list any new pointer field in SBX_STEP_POINTERS (child.h), then update this size");
_Static_assert(sizeof(struct sbx_plan) == 208,
	       "struct sbx_plan changed: list any new pointer field in SBX_PLAN_POINTERS (child.h), then update this size");

#define PTR_STR(S, f, n, size) {SBX_PTR_STR, offsetof(S, f), 0, 0, size},
#define PTR_STRV(S, f, n, size) {SBX_PTR_STRV, offsetof(S, f), 0, 0, size},
#define PTR_BYTES(S, f, n, size) {SBX_PTR_BYTES, offsetof(S, f), offsetof(S, n), sizeof(((S *)0)->n), size},
#define STEP_PTR(type, f, n, size) PTR_##type(struct sbx_step, f, n, size)
#define PLAN_PTR(type, f, n, size) PTR_##type(struct sbx_plan, f, n, size)

const struct sbx_ptr_field sbx_step_ptr_fields[] = {SBX_STEP_POINTERS(STEP_PTR)};
const int sbx_step_ptr_nfields = sizeof(sbx_step_ptr_fields) / sizeof(sbx_step_ptr_fields[0]);
const struct sbx_ptr_field sbx_plan_ptr_fields[] = {SBX_PLAN_POINTERS(PLAN_PTR)};
const int sbx_plan_ptr_nfields = sizeof(sbx_plan_ptr_fields) / sizeof(sbx_plan_ptr_fields[0]);

int sbx_plan_pack(struct sbx_plan *plan, uintptr_t base, uint64_t len)
{
	struct blob b = {base, len, WALK_PACK, {NULL, 0}};

	return walk_plan(&b, plan);
}

/* blob_landlock_incomplete: a Landlock step has one access mask per rule
 * path (the child reads ids[i] for each strv[i]) and whole port rules. */
static int blob_landlock_incomplete(const struct sbx_step *s)
{
	uint32_t n = 0;

	if (s->strv == NULL || s->ids == NULL)
		return 1;
	while (s->strv[n] != NULL) {
		if (n >= s->nids)
			return 1;
		n++;
	}
	return n == 0 || n != s->nids || s->data_len % SBX_LL_PORT_SIZE != 0;
}

/* blob_step_incomplete reports a step without a field the child reads
 * unconditionally for its kind (fill in child_plan.go always sets them).
 * An unknown kind is incomplete: a kind added to child.h must be added
 * here too. */
static int blob_step_incomplete(const struct sbx_step *s)
{
	switch (s->kind) {
	case SBX_MAKE_PRIVATE:
	case SBX_NEW_ROOT:
	case SBX_PIVOT_ROOT:
	case SBX_LOCK_MOUNTS:
	case SBX_SET_IDS:
	case SBX_CAPS:
	case SBX_NO_NEW_PRIVS:
	case SBX_NEW_SESSION:
	case SBX_LOOPBACK_UP:
	case SBX_USERNS_LIMIT:
		return 0;
	case SBX_SECCOMP:
		return s->data == NULL;
	case SBX_LANDLOCK:
		return blob_landlock_incomplete(s);
	case SBX_BIND:
	case SBX_SYMLINK:
	case SBX_CHDIR:
		return s->path == NULL || s->src == NULL;
	case SBX_OVERLAY:
		return s->path == NULL || s->strv == NULL;
	case SBX_EXEC:
		return s->src == NULL || s->strv == NULL || s->strv[0] == NULL;
	case SBX_TMPFS:
	case SBX_PROC:
	case SBX_DEV:
	case SBX_MQUEUE:
	case SBX_DIR:
	case SBX_FILE:
	case SBX_REMOUNT_RO:
	case SBX_HOSTNAME:
	case SBX_DOMAINNAME:
	case SBX_RLIMIT:
		return s->path == NULL;
	}
	return 1;
}

/* blob_plan_complete checks, on the rewritten plan, what the child relies
 * on beyond the pointers: the fields each kind reads, counts with their
 * arrays, and the shape every compiled plan has (one exec, last). */
static int blob_plan_complete(const struct sbx_plan *plan)
{
	int32_t i;

	if ((plan->clone_flags & ~BLOB_CLONE_FLAGS) != 0 || plan->envp == NULL)
		return 0;
	if (plan->npass > 0 && plan->pass_fds == NULL)
		return 0;
	if ((plan->write_maps || plan->parent_maps) && (plan->uid_map == NULL || plan->gid_map == NULL))
		return 0;
	/* Maps are written by one side only, and the launcher's while the
	 * child waits for them. */
	if ((plan->write_maps && plan->parent_maps) || (plan->parent_maps && !plan->wait_release))
		return 0;
	for (i = 0; i < plan->nsteps; i++) {
		const struct sbx_step *s = &plan->steps[i];

		if ((s->data_len > 0 && s->data == NULL) || (s->nids > 0 && s->ids == NULL) ||
		    blob_step_incomplete(s))
			return 0;
		if ((s->kind == SBX_EXEC) != (i == plan->nsteps - 1))
			return 0;
	}
	return 1;
}

int sbx_plan_unpack(void *blob, uint64_t len)
{
	struct blob b = {(uintptr_t)blob, len, WALK_CLAIM, {NULL, 0}};
	int rc;

	if (len < sizeof(struct sbx_plan) || (uintptr_t)blob % 8 != 0)
		return -1;
	if (sbx_claims_init(&b.claims, len) < 0)
		return -1;
	rc = walk_plan(&b, blob);
	sbx_claims_free(&b.claims);
	if (rc < 0)
		return -1;
	/* Every object is inside and has its bytes alone: the rewrite
	 * cannot fail, and changes each pointer field once. */
	b.mode = WALK_REWRITE;
	if (walk_plan(&b, blob) < 0)
		return -1;
	/* The checks that count are made on what the child will read. */
	b.mode = WALK_CHECK;
	if (walk_plan(&b, blob) < 0 || !blob_plan_complete(blob))
		return -1;
	return 0;
}
