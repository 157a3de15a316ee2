/* sim_buf.c: the simulator's growable buffer and JSON writer (see sim_buf.h). */
#include "sim/sim_buf.h"

#include "core/vgerr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_buf_init(struct sim_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void sim_buf_free(struct sim_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void sim_buf_reset(struct sim_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->p)
		b->p[0] = '\0';
}

static int grow(struct sim_buf *b, size_t extra)
{
	if (b->failed)
		return VG_ENOMEM;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		free(b->p);
		b->p = NULL;
		b->len = b->cap = 0;
		b->failed = true;
		return VG_ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int sim_buf_reserve(struct sim_buf *b, size_t extra)
{
	if (grow(b, extra))
		return VG_ENOMEM;
	b->p[b->len] = '\0';
	return 0;
}

int sim_buf_add(struct sim_buf *b, const void *data, size_t len)
{
	if (grow(b, len))
		return VG_ENOMEM;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int sim_buf_puts(struct sim_buf *b, const char *s)
{
	return sim_buf_add(b, s, strlen(s));
}

int sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n))
		return VG_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *sim_buf_cstr(struct sim_buf *b)
{
	return b->p && !b->failed ? b->p : "";
}

char *sim_buf_take(struct sim_buf *b, size_t *len)
{
	if (b->failed)
		return NULL;
	if (!b->p && sim_buf_add(b, "", 0))
		return NULL;
	char *p = b->p;
	if (len)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void sim_buf_json_string(struct sim_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (grow(b, len + 2))
		return;
	b->p[b->len++] = '"';
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sim_buf_add(b, s + start, i - start);
		char esc[7];
		switch (c) {
		case '"': sim_buf_add(b, "\\\"", 2); break;
		case '\\': sim_buf_add(b, "\\\\", 2); break;
		case '\n': sim_buf_add(b, "\\n", 2); break;
		case '\r': sim_buf_add(b, "\\r", 2); break;
		case '\t': sim_buf_add(b, "\\t", 2); break;
		default:
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			sim_buf_add(b, esc, 6);
		}
		start = i + 1;
	}
	sim_buf_add(b, s + start, len - start);
	sim_buf_add(b, "\"", 1);
}

/* ---- JSON writer ---- */

void sim_jw_init(struct sim_jw *w, struct sim_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

static void before_value(struct sim_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		sim_buf_add(w->b, ",", 1);
	w->need_comma[w->depth] = true;
}

static void jw_open(struct sim_jw *w, char c)
{
	before_value(w);
	sim_buf_add(w->b, &c, 1);
	if (w->depth + 1 < SIM_JW_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void jw_close(struct sim_jw *w, char c)
{
	sim_buf_add(w->b, &c, 1);
	if (w->depth > 0)
		w->depth--;
}

void sim_jw_obj(struct sim_jw *w)
{
	jw_open(w, '{');
}

void sim_jw_obj_end(struct sim_jw *w)
{
	jw_close(w, '}');
}

void sim_jw_arr(struct sim_jw *w)
{
	jw_open(w, '[');
}

void sim_jw_arr_end(struct sim_jw *w)
{
	jw_close(w, ']');
}

void sim_jw_key(struct sim_jw *w, const char *key)
{
	if (w->need_comma[w->depth])
		sim_buf_add(w->b, ",", 1);
	w->need_comma[w->depth] = true;
	sim_buf_json_string(w->b, key, strlen(key));
	sim_buf_add(w->b, ":", 1);
	w->after_key = true;
}

void sim_jw_strn(struct sim_jw *w, const char *s, size_t len)
{
	before_value(w);
	sim_buf_json_string(w->b, s, len);
}

void sim_jw_str(struct sim_jw *w, const char *s)
{
	if (!s) {
		sim_jw_null(w);
		return;
	}
	sim_jw_strn(w, s, strlen(s));
}

void sim_jw_int(struct sim_jw *w, int64_t v)
{
	before_value(w);
	sim_buf_printf(w->b, "%lld", (long long)v);
}

void sim_jw_num(struct sim_jw *w, double v, int decimals)
{
	before_value(w);
	if (!isfinite(v)) {
		sim_buf_add(w->b, "null", 4);
		return;
	}
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	if (n <= 0 || (size_t)n >= sizeof(tmp)) {
		sim_buf_add(w->b, "0", 1);
		return;
	}
	if (memchr(tmp, '.', (size_t)n)) {
		while (n > 1 && tmp[n - 1] == '0')
			n--;
		if (tmp[n - 1] == '.')
			n--;
	}
	if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
		sim_buf_add(w->b, "0", 1);
	else
		sim_buf_add(w->b, tmp, (size_t)n);
}

void sim_jw_bool(struct sim_jw *w, bool v)
{
	before_value(w);
	sim_buf_puts(w->b, v ? "true" : "false");
}

void sim_jw_null(struct sim_jw *w)
{
	before_value(w);
	sim_buf_add(w->b, "null", 4);
}

void sim_jw_raw(struct sim_jw *w, const char *json, size_t len)
{
	before_value(w);
	sim_buf_add(w->b, json, len);
}

void sim_jw_kstr(struct sim_jw *w, const char *key, const char *s)
{
	sim_jw_key(w, key);
	sim_jw_str(w, s);
}

void sim_jw_kint(struct sim_jw *w, const char *key, int64_t v)
{
	sim_jw_key(w, key);
	sim_jw_int(w, v);
}

void sim_jw_knum(struct sim_jw *w, const char *key, double v, int decimals)
{
	sim_jw_key(w, key);
	sim_jw_num(w, v, decimals);
}

void sim_jw_kbool(struct sim_jw *w, const char *key, bool v)
{
	sim_jw_key(w, key);
	sim_jw_bool(w, v);
}

void sim_jw_knull(struct sim_jw *w, const char *key)
{
	sim_jw_key(w, key);
	sim_jw_null(w);
}
