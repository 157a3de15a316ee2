/*
 * vgmem.h: growing arrays. The one doubling realloc that the replay
 * engine's and the line reader's arrays share: pure, no I/O.
 */
#ifndef VIGIL_CORE_VGMEM_H
#define VIGIL_CORE_VGMEM_H

#include <stddef.h>

/*
 * Make *v (an array of *cap elements of elem bytes) hold at least need
 * elements: doubling from *cap, or from first when empty. Returns 0 (also
 * when it was big enough) or VG_ENOMEM (on failure or size overflow; *v
 * and *cap are unchanged).
 */
int vg_grow(void **v, size_t *cap, size_t need, size_t elem, size_t first);

#endif
