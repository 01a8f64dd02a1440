/*
 * The launcher dies with its own parent (launcher_death.c).
 */
#ifndef SANDBOX_LAUNCHER_DEATH_H
#define SANDBOX_LAUNCHER_DEATH_H

/* sbx_record_start_parent notes the launcher's parent; called first thing. */
void sbx_record_start_parent(void);

/* sbx_die_with_launcher_parent makes the kernel kill the launcher when that
 * parent dies, and kills it now if the parent already did. -1 with errno
 * when the kernel refuses. */
int sbx_die_with_launcher_parent(void);

#endif
