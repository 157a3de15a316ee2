/*
 * vgerr.h: the project's one error enum, and the one formatter of the
 * `char **cause` texts that go with it.
 *
 * Functions that can fail return int: 0, or a negative enum vg_err. Codes from
 * libuv, libcurl and SQLite are translated once, at the boundary, and the
 * original is kept in the caller's detail text. A function that explains its
 * failures takes `char **cause` (NULL: the caller does not want the text) and
 * sets it with vg_cause(); the caller frees it.
 *
 * Pure (libc formatting and malloc only), so every layer may use it; sim/
 * uses this header and nothing else of core/.
 */
#ifndef VIGIL_CORE_VGERR_H
#define VIGIL_CORE_VGERR_H

#include <stdarg.h>

enum vg_err {
	VG_OK = 0,
	VG_ENOMEM = -1,    /* allocation failed */
	VG_EINVAL = -2,    /* invalid argument or value */
	VG_EPARSE = -3,    /* input could not be parsed */
	VG_ERANGE = -4,    /* value out of range */
	VG_EVERSION = -5,  /* schema version newer than this build knows */
	VG_ENOTFOUND = -6, /* no such item */
	VG_EIO = -7,       /* file or socket error */
	VG_EFULL = -8,     /* a bounded queue or buffer is full */
	VG_ETOOBIG = -9,   /* input over its size cap */
	VG_EDB = -10,      /* database error */
	VG_ENET = -11,     /* network error */
	VG_ECONFIG = -12,  /* configuration error */
	VG_EUSAGE = -13,   /* command-line usage error */
	VG_ESTATE = -14,   /* operation not valid in the current state */
	VG_ECORRUPT = -15, /* a database file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB) */
};

/* A static, human-readable description of an enum vg_err (or "unknown error"). */
const char *vg_strerror(int err);

/*
 * Format a cause (printf-style, any length) into a new string for *cause and
 * return rc, so that `return vg_cause(cause, VG_EIO, "%s: %s", path, why);`
 * both explains and fails. When cause is NULL nothing is formatted. *cause is
 * overwritten, never freed: it must not hold a string still owned. When
 * memory runs out *cause is NULL (rc is still returned). The caller frees
 * *cause with free().
 */
int vg_cause(char **cause, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* vg_cause() for a formatter that takes its own variable arguments. */
int vg_vcause(char **cause, int rc, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

#endif
