/* vgerr.c: descriptions of enum vg_err. */
#include "core/vgerr.h"

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
