#ifndef SBX_PREFAULT_H
#define SBX_PREFAULT_H

/* sbx_prefault_image maps the executable's read-only segments (prefault.c). */
void sbx_prefault_image(void);

#endif
