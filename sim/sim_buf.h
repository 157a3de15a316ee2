/*
 * sim_buf.h: a growable byte buffer and a small streaming JSON writer on top
 * of it, used by the simulator to write provider bodies and gateway lines.
 *
 * The buffer is sticky on failure (curl's dynbuf habit): after an allocation
 * fails it frees its memory, sets `failed`, and ignores further appends, so a
 * writer checks once at the end. The JSON writer tracks commas itself: call
 * sim_jw_key() then exactly one value, or values directly inside arrays.
 */
#ifndef VIGIL_SIM_BUF_H
#define VIGIL_SIM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_buf {
	char *p; /* NUL-terminated while len > 0 or after sim_buf_cstr() */
	size_t len, cap;
	bool failed;
};

/* Initialise an empty buffer (no allocation yet). */
void sim_buf_init(struct sim_buf *b);

/* Free the memory and reset to empty. */
void sim_buf_free(struct sim_buf *b);

/* Forget the contents but keep the memory (and clear `failed`). */
void sim_buf_reset(struct sim_buf *b);

/* Append bytes / a C string / formatted text. Return 0, or VG_ENOMEM (the
 * buffer is then freed and marked failed). */
int sim_buf_add(struct sim_buf *b, const void *data, size_t len);
int sim_buf_puts(struct sim_buf *b, const char *s);
int sim_buf_printf(struct sim_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Make room for `extra` more bytes (plus the NUL) without changing the
 * contents. Returns 0 or VG_ENOMEM (the buffer is then freed and failed). */
int sim_buf_reserve(struct sim_buf *b, size_t extra);

/* The contents as a NUL-terminated string ("" when empty or failed); borrowed. */
const char *sim_buf_cstr(struct sim_buf *b);

/* Take the memory: returns a malloc'd NUL-terminated string (caller frees),
 * NULL when the buffer failed; the buffer is left empty. */
char *sim_buf_take(struct sim_buf *b, size_t *len);

/* ---- JSON writer ---- */

#define SIM_JW_DEPTH 32

struct sim_jw {
	struct sim_buf *b;
	int depth;
	bool need_comma[SIM_JW_DEPTH];
	bool after_key;
};

/* Start writing JSON into b (appending to what is there). */
void sim_jw_init(struct sim_jw *w, struct sim_buf *b);

void sim_jw_obj(struct sim_jw *w);     /* { */
void sim_jw_obj_end(struct sim_jw *w); /* } */
void sim_jw_arr(struct sim_jw *w);     /* [ */
void sim_jw_arr_end(struct sim_jw *w); /* ] */
void sim_jw_key(struct sim_jw *w, const char *key);
void sim_jw_str(struct sim_jw *w, const char *s);
void sim_jw_strn(struct sim_jw *w, const char *s, size_t len);
void sim_jw_int(struct sim_jw *w, int64_t v);
/* A number with up to `decimals` digits after the point (trailing zeros cut). */
void sim_jw_num(struct sim_jw *w, double v, int decimals);
void sim_jw_bool(struct sim_jw *w, bool v);
void sim_jw_null(struct sim_jw *w);
/* A value that is already JSON text (copied verbatim). */
void sim_jw_raw(struct sim_jw *w, const char *json, size_t len);

/* Key + value shorthands. sim_jw_kstr() writes null for a NULL string. */
void sim_jw_kstr(struct sim_jw *w, const char *key, const char *s);
void sim_jw_kint(struct sim_jw *w, const char *key, int64_t v);
void sim_jw_knum(struct sim_jw *w, const char *key, double v, int decimals);
void sim_jw_kbool(struct sim_jw *w, const char *key, bool v);
void sim_jw_knull(struct sim_jw *w, const char *key);

/* Append s to b as a JSON string literal (quotes and escapes included). */
void sim_buf_json_string(struct sim_buf *b, const char *s, size_t len);

#endif
