/*
 * A flat plan (child.h) as a relocatable blob, for the plan cache.
 *
 * A plan the Go side lays out in one block holds pointers into that block
 * only. Packing turns every pointer into its offset from the block's start
 * plus one (zero stays NULL), so the block can be written to a file;
 * unpacking, in a later launch, turns the offsets back into pointers at
 * wherever the block was read to. Unpacking trusts nothing: every offset,
 * length, count and string must lie inside the blob, or the blob is
 * refused and the launch takes the ordinary path.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "child.h"
#include "plan_blob.h"

/* Limits far above any real plan; they bound the work a damaged blob can
 * cause, not what a profile may declare. */
#define BLOB_MAX_STEPS 65536
#define BLOB_MAX_STRV 65536

struct blob {
	uintptr_t base;
	uint64_t len;
};

/* pack_ptr converts one pointer in place; -1 when it points outside. */
static int pack_ptr(const struct blob *b, void *field)
{
	uintptr_t p;

	memcpy(&p, field, sizeof(p));
	if (p == 0)
		return 0;
	if (p < b->base || p - b->base >= b->len)
		return -1;
	p = p - b->base + 1;
	memcpy(field, &p, sizeof(p));
	return 0;
}

static int pack_strv(const struct blob *b, void *field)
{
	char *const *v;
	size_t i;

	memcpy(&v, field, sizeof(v));
	if (v == NULL)
		return 0;
	for (i = 0; v[i] != NULL; i++) {
		if (pack_ptr(b, (void *)&v[i]) < 0)
			return -1;
	}
	return pack_ptr(b, field);
}

int sbx_plan_pack(struct sbx_plan *plan, uintptr_t base, uint64_t len)
{
	struct blob b = {base, len};
	struct sbx_step *steps = (struct sbx_step *)plan->steps;
	int32_t i;

	if ((uintptr_t)plan != base)
		return -1;
	for (i = 0; i < plan->nsteps; i++) {
		struct sbx_step *s = &steps[i];

		if (pack_ptr(&b, &s->path) < 0 || pack_ptr(&b, &s->src) < 0 ||
		    pack_ptr(&b, &s->aux) < 0 || pack_strv(&b, &s->strv) < 0 ||
		    pack_ptr(&b, &s->data) < 0 || pack_ptr(&b, &s->ids) < 0)
			return -1;
	}
	if (pack_ptr(&b, &plan->steps) < 0 || pack_strv(&b, &plan->envp) < 0 ||
	    pack_ptr(&b, &plan->pass_fds) < 0 || pack_ptr(&b, &plan->uid_map) < 0 ||
	    pack_ptr(&b, &plan->gid_map) < 0)
		return -1;
	return 0;
}

/*
 * unpack_ptr turns an offset into a pointer to n bytes with the given
 * alignment inside the blob; NULL stays NULL. -1 when it does not fit.
 */
static int unpack_ptr(const struct blob *b, void *field, uint64_t n, uint64_t align)
{
	uintptr_t off;

	memcpy(&off, field, sizeof(off));
	if (off == 0)
		return 0;
	off--;
	if (off > b->len || n > b->len - off || (b->base + off) % align != 0)
		return -1;
	off += b->base;
	memcpy(field, &off, sizeof(off));
	return 0;
}

/* unpack_str also requires the string's NUL inside the blob. */
static int unpack_str(const struct blob *b, void *field)
{
	const char *s;

	if (unpack_ptr(b, field, 1, 1) < 0)
		return -1;
	memcpy(&s, field, sizeof(s));
	if (s == NULL)
		return 0;
	if (memchr(s, 0, b->base + b->len - (uintptr_t)s) == NULL)
		return -1;
	return 0;
}

/* unpack_strv: a NULL-terminated array of strings inside the blob. */
static int unpack_strv(const struct blob *b, void *field, int required)
{
	char **v;
	uint64_t i, room;

	if (unpack_ptr(b, field, sizeof(char *), sizeof(char *)) < 0)
		return -1;
	memcpy(&v, field, sizeof(v));
	if (v == NULL)
		return required ? -1 : 0;
	room = (b->base + b->len - (uintptr_t)v) / sizeof(char *);
	for (i = 0;; i++) {
		if (i >= room || i > BLOB_MAX_STRV)
			return -1;
		if (v[i] == NULL)
			return 0;
		if (unpack_str(b, &v[i]) < 0)
			return -1;
	}
}

/* blob_step_incomplete reports a step without a field the child reads
 * unconditionally for its kind (fill in child_plan.go always sets them). */
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
		return 0;
	case SBX_SECCOMP:
		return s->data == NULL;
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

int sbx_plan_unpack(void *blob, uint64_t len)
{
	struct blob b = {(uintptr_t)blob, len};
	struct sbx_plan *plan = blob;
	struct sbx_step *steps;
	int32_t i;

	if (len < sizeof(*plan) || (uintptr_t)blob % 8 != 0)
		return -1;
	if (plan->nsteps < 1 || plan->nsteps > BLOB_MAX_STEPS || plan->npass < 0 ||
	    plan->npass > 1024)
		return -1;
	if (unpack_ptr(&b, &plan->steps, (uint64_t)plan->nsteps * sizeof(struct sbx_step), 8) < 0 ||
	    plan->steps == NULL)
		return -1;
	if (unpack_strv(&b, &plan->envp, 1) < 0 ||
	    unpack_ptr(&b, &plan->pass_fds, (uint64_t)plan->npass * sizeof(int32_t), 4) < 0 ||
	    (plan->npass > 0 && plan->pass_fds == NULL) ||
	    unpack_str(&b, &plan->uid_map) < 0 || unpack_str(&b, &plan->gid_map) < 0)
		return -1;
	if ((plan->write_maps || plan->parent_maps) && (plan->uid_map == NULL || plan->gid_map == NULL))
		return -1;
	/* Maps are written by one side only, and the launcher's while the
	 * child waits for them. */
	if ((plan->write_maps && plan->parent_maps) || (plan->parent_maps && !plan->wait_release))
		return -1;
	steps = (struct sbx_step *)plan->steps;
	for (i = 0; i < plan->nsteps; i++) {
		struct sbx_step *s = &steps[i];

		if (s->nids > 4096 || s->data_len > len)
			return -1;
		if (unpack_str(&b, &s->path) < 0 || unpack_str(&b, &s->src) < 0 ||
		    unpack_str(&b, &s->aux) < 0 || unpack_strv(&b, &s->strv, 0) < 0 ||
		    unpack_ptr(&b, &s->data, s->data_len, 1) < 0 ||
		    unpack_ptr(&b, &s->ids, (uint64_t)s->nids * sizeof(uint32_t), 4) < 0)
			return -1;
		if ((s->data_len > 0 && s->data == NULL) || (s->nids > 0 && s->ids == NULL) ||
		    blob_step_incomplete(s))
			return -1;
	}
	return 0;
}
