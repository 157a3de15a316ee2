/*
 * vgmem.c: growing arrays (see vgmem.h).
 */
#include "core/vgmem.h"

#include "core/vgerr.h"

#include <stdint.h>
#include <stdlib.h>

int vg_grow(void **v, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : (first ? first : 1);
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return VG_ENOMEM;
		n *= 2;
	}
	if (elem && n > SIZE_MAX / elem)
		return VG_ENOMEM;
	void *p = realloc(*v, n * elem);
	if (!p)
		return VG_ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}
