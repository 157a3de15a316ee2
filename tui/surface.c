/*
 * surface.c: the implementation-independent part of the drawing surface:
 * UTF-8 decoding, column widths, clipping, the second fence against control
 * characters, glyphs and their ASCII fallbacks (see surface.h).
 */
#include "tui/surface.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void surf_clear(struct surface *s)
{
	s->ops->clear(s);
}

void surf_flush(struct surface *s)
{
	if (s->ops->flush)
		s->ops->flush(s);
}

/* Decode one character; returns its byte length (>= 1) and sets *cp, or
 * *cp = 0xFFFD for a malformed sequence (consuming one byte). */
static size_t decode(const unsigned char *p, uint32_t *cp)
{
	unsigned char b = p[0];
	size_t n;
	uint32_t c;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
		c = b & 0x1Fu;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		c = b & 0x0Fu;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		c = b & 0x07u;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (p[i] & 0x3Fu);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = c;
	return n;
}

/* Column width of a printable code point: 0 (combining, zero-width), 1, or 2
 * (East Asian wide and the emoji blocks). Controls are -1. */
static int cp_width(uint32_t c)
{
	if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
		return -1;
	if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	    (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
	    (c >= 0xFE20 && c <= 0xFE2F) || (c >= 0x200B && c <= 0x200F) ||
	    (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF ||
	    (c >= 0xFE00 && c <= 0xFE0F))
		return 0;
	if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
	    (c >= 0x3041 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
	    (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
	    (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) ||
	    (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) ||
	    (c >= 0x20000 && c <= 0x3FFFD))
		return 2;
	return 1;
}

int surf_text_width(const char *text)
{
	int w = 0;
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	while (*p) {
		uint32_t c;
		p += decode(p, &c);
		int cw = cp_width(c);
		w += cw < 0 ? 1 : cw;
	}
	return w;
}

int surf_put(struct surface *s, int row, int col, int maxcols, const char *text,
             enum surf_role role, unsigned attrs)
{
	if (!text || row < 0 || row >= s->rows || col >= s->cols)
		return 0;
	int limit = s->cols;
	if (maxcols >= 0 && col + maxcols < limit)
		limit = col + maxcols;
	int x = col;
	const unsigned char *p = (const unsigned char *)text;
	while (*p && x < limit) {
		uint32_t c;
		size_t n = decode(p, &c);
		const char *bytes = (const char *)p;
		p += n;
		int w = cp_width(c);
		if (w == 0)
			continue;
		if (w < 0 || c == 0xFFFD || (!s->unicode && c >= 0x80)) {
			bytes = "?";
			n = 1;
			w = 1;
		}
		if (x + w > limit)
			break;
		if (x >= 0)
			s->ops->cell(s, row, x, bytes, n, w, role, attrs);
		x += w;
	}
	return x - col;
}

int surf_printf(struct surface *s, int row, int col, int maxcols, enum surf_role role,
                unsigned attrs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return surf_put(s, row, col, maxcols, buf, role, attrs);
}

void surf_fill(struct surface *s, int row, int col, int n, enum surf_role role, unsigned attrs)
{
	if (row < 0 || row >= s->rows)
		return;
	int end = n < 0 ? s->cols : col + n;
	if (end > s->cols)
		end = s->cols;
	for (int x = col < 0 ? 0 : col; x < end; x++)
		s->ops->cell(s, row, x, " ", 1, 1, role, attrs);
}

int surf_field(struct surface *s, int row, int col, int width, bool right, const char *text,
               enum surf_role role, unsigned attrs)
{
	if (width <= 0)
		return 0;
	int w = surf_text_width(text);
	if (w > width)
		w = width;
	int pad = width - w;
	if (right) {
		surf_fill(s, row, col, pad, role, attrs);
		int drawn = surf_put(s, row, col + pad, w, text, role, attrs);
		if (drawn < w) /* a wide character did not fit: keep the field's width */
			surf_fill(s, row, col + pad + drawn, w - drawn, role, attrs);
	} else {
		int drawn = surf_put(s, row, col, width, text, role, attrs);
		surf_fill(s, row, col + drawn, width - drawn, role, attrs);
	}
	return width;
}

const char *surf_glyph(const struct surface *s, enum surf_glyph g)
{
	static const char *const utf8[GLYPH__COUNT] = {
		[GLYPH_SPARK_0] = "\u2581", [GLYPH_SPARK_1] = "\u2582",  [GLYPH_SPARK_2] = "\u2583",
		[GLYPH_SPARK_3] = "\u2584", [GLYPH_SPARK_4] = "\u2585",  [GLYPH_SPARK_5] = "\u2586",
		[GLYPH_SPARK_6] = "\u2587", [GLYPH_SPARK_7] = "\u2588",  [GLYPH_HLINE] = "\u2500",
		[GLYPH_VLINE] = "\u2502",   [GLYPH_ARROW] = "\u2192",    [GLYPH_CHECK] = "\u2713",
		[GLYPH_WARN] = "\u26a0",    [GLYPH_BULLET] = "\u2022",   [GLYPH_UP] = "\u2191",
		[GLYPH_DOWN] = "\u2193",    [GLYPH_ELLIPSIS] = "\u2026", [GLYPH_EMDASH] = "\u2014",
	};
	static const char *const ascii[GLYPH__COUNT] = {
		[GLYPH_SPARK_0] = "_", [GLYPH_SPARK_1] = ".",  [GLYPH_SPARK_2] = ",",
		[GLYPH_SPARK_3] = "-", [GLYPH_SPARK_4] = "=",  [GLYPH_SPARK_5] = "+",
		[GLYPH_SPARK_6] = "*", [GLYPH_SPARK_7] = "#",  [GLYPH_HLINE] = "-",
		[GLYPH_VLINE] = "|",   [GLYPH_ARROW] = "->",   [GLYPH_CHECK] = "v",
		[GLYPH_WARN] = "!",    [GLYPH_BULLET] = "*",   [GLYPH_UP] = "^",
		[GLYPH_DOWN] = "v",    [GLYPH_ELLIPSIS] = "~", [GLYPH_EMDASH] = "-",
	};
	if ((int)g < 0 || g >= GLYPH__COUNT)
		return "?";
	return s->unicode ? utf8[g] : ascii[g];
}

char surf_role_letter(enum surf_role role)
{
	static const char letters[ROLE__COUNT] = {
		[ROLE_NORMAL] = '.',     [ROLE_DIM] = 'd',          [ROLE_TITLE] = 't',
		[ROLE_TAB] = 'T',        [ROLE_HEADER] = 'h',       [ROLE_SELECTED] = 's',
		[ROLE_KEY] = 'k',        [ROLE_OK] = 'o',           [ROLE_WARN] = 'w',
		[ROLE_BAD] = 'b',        [ROLE_SEV_CRITICAL] = 'C', [ROLE_SEV_HIGH] = 'H',
		[ROLE_SEV_MEDIUM] = 'M', [ROLE_SEV_LOW] = 'L',      [ROLE_ALERT] = 'A',
	};
	if ((int)role < 0 || role >= ROLE__COUNT)
		return '?';
	return letters[role];
}
