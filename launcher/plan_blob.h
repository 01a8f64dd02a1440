/*
 * A flat plan as a relocatable blob (plan_blob.c), for the plan cache.
 */
#ifndef SANDBOX_LAUNCHER_PLAN_BLOB_H
#define SANDBOX_LAUNCHER_PLAN_BLOB_H

#include <stdint.h>

#include "child.h"

/* sbx_plan_pack turns the pointers of a plan laid out in the len bytes at
 * base (the plan itself first) into offsets. 0, or -1 when an object it
 * points to does not lie inside the block. */
int sbx_plan_pack(struct sbx_plan *plan, uintptr_t base, uint64_t len);

/* sbx_plan_unpack turns a packed plan of len bytes back into pointers, in
 * place, checking that every object lies inside it, that no two objects
 * (the plan's own header included) overlap, and then, on the pointers,
 * that it is a whole plan. 0, or -1 when it is not; the blob is then of
 * no use. */
int sbx_plan_unpack(void *blob, uint64_t len);

/* Which bytes of a block are taken, to refuse objects that overlap: the
 * plan's and the cache file's (fast_lookup.c). */
struct sbx_claims {
	unsigned char *bits; /* one bit a byte */
	uint64_t len;
};

int sbx_claims_init(struct sbx_claims *c, uint64_t len);
/* sbx_claim takes [off, off+n); -1 when it leaves the block or any of its
 * bytes is taken already. */
int sbx_claim(struct sbx_claims *c, uint64_t off, uint64_t n);
void sbx_claims_free(struct sbx_claims *c);

/* The pointer fields of SBX_STEP_POINTERS and SBX_PLAN_POINTERS as data,
 * for code that cannot expand the lists (the Go tests read plans through
 * them). count_off and count_size locate a BYTES field's count. */
enum { SBX_PTR_STR, SBX_PTR_STRV, SBX_PTR_BYTES };
struct sbx_ptr_field {
	uint32_t type;
	uint32_t off;
	uint32_t count_off;
	uint32_t count_size;
	uint32_t size;
};
extern const struct sbx_ptr_field sbx_step_ptr_fields[];
extern const int sbx_step_ptr_nfields;
extern const struct sbx_ptr_field sbx_plan_ptr_fields[];
extern const int sbx_plan_ptr_nfields;

#endif
