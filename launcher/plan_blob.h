/*
 * A flat plan as a relocatable blob (plan_blob.c), for the plan cache.
 */
#ifndef SANDBOX_LAUNCHER_PLAN_BLOB_H
#define SANDBOX_LAUNCHER_PLAN_BLOB_H

#include <stdint.h>

#include "child.h"

/* sbx_plan_pack turns the pointers of a plan laid out in the len bytes at
 * base (the plan itself first) into offsets. 0, or -1 when a pointer
 * leads outside the block. */
int sbx_plan_pack(struct sbx_plan *plan, uintptr_t base, uint64_t len);

/* sbx_plan_unpack turns a packed plan of len bytes back into pointers, in
 * place, checking that everything lies inside it. 0, or -1 when it does
 * not hold a whole plan. */
int sbx_plan_unpack(void *blob, uint64_t len);

#endif
