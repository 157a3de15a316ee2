/* vgerr.c: descriptions of enum vg_err, and the cause formatter (see vgerr.h). */
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>

const char *vg_strerror(int err)
{
	switch (err) {
	case VG_OK: return "success";
	case VG_ENOMEM: return "out of memory";
	case VG_EINVAL: return "invalid argument";
	case VG_EPARSE: return "parse error";
	case VG_ERANGE: return "value out of range";
	case VG_EVERSION: return "unsupported schema version";
	case VG_ENOTFOUND: return "not found";
	case VG_EIO: return "input/output error";
	case VG_EFULL: return "queue full";
	case VG_ETOOBIG: return "input too large";
	case VG_EDB: return "database error";
	case VG_ENET: return "network error";
	case VG_ECONFIG: return "configuration error";
	case VG_EUSAGE: return "usage error";
	case VG_ESTATE: return "invalid state";
	case VG_ECORRUPT: return "database file is corrupt";
	}
	return "unknown error";
}

int vg_vcause(char **cause, int rc, const char *fmt, va_list ap)
{
	if (!cause)
		return rc;
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	*cause = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (*cause)
		vsnprintf(*cause, (size_t)n + 1, fmt, again);
	va_end(again);
	return rc;
}

int vg_cause(char **cause, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vg_vcause(cause, rc, fmt, ap);
	va_end(ap);
	return rc;
}
