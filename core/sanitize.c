/*
 * sanitize.c: strip terminal control from outside text (see sanitize.h).
 *
 * One walker does the work; it emits into a bounded buffer and notes whether
 * it changed anything, which gives both sanitize_text() and
 * sanitize_is_clean(). Escape sequences are parsed the way ECMA-48 and xterm
 * delimit them, so a sequence's parameters vanish with it instead of showing
 * up as debris ("[2J"); an unterminated string sequence (OSC, DCS, ...)
 * swallows the rest of the input, which is the safe direction.
 */
#include "core/sanitize.h"

#include <stdint.h>
#include <string.h>

struct out {
	char *dst;
	size_t size; /* 0: count only (no buffer) */
	size_t n;
	bool full;
	bool changed;
};

static void emit(struct out *o, const char *bytes, size_t n)
{
	if (o->full)
		return;
	if (o->dst) {
		if (o->n + n + 1 > o->size) {
			o->full = true;
			o->changed = true;
			return;
		}
		memcpy(o->dst + o->n, bytes, n);
	}
	o->n += n;
}

static void emit_replacement(struct out *o)
{
	emit(o, "\xEF\xBF\xBD", 3);
	o->changed = true;
}

/*
 * Decode one UTF-8 character at s[0..avail). Returns its length and sets *cp,
 * or returns 0 when the bytes there are not a valid, shortest-form encoding
 * of a Unicode scalar value.
 */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t n;
	uint32_t c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
		c = b & 0x1Fu;
		min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		c = b & 0x0Fu;
		min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		c = b & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3Fu);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* After a CSI introducer: parameters, intermediates, one final byte. A byte
 * outside those ranges ends the (malformed) sequence and is read as text. */
static size_t skip_csi(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && s[i] >= 0x30 && s[i] <= 0x3F)
		i++;
	while (i < len && s[i] >= 0x20 && s[i] <= 0x2F)
		i++;
	if (i < len && s[i] >= 0x40 && s[i] <= 0x7E)
		i++;
	return i;
}

/* After an OSC/DCS/SOS/PM/APC introducer: everything up to and including the
 * terminator (BEL, ST as ESC '\', 0x9c or U+009C; CAN and SUB abort). An ESC
 * not followed by '\' ends the string and starts a new sequence. */
static size_t skip_string(const unsigned char *s, size_t len, size_t i)
{
	while (i < len) {
		unsigned char b = s[i];
		if (b == 0x07 || b == 0x18 || b == 0x1A || b == 0x9C)
			return i + 1;
		if (b == 0x1B)
			return (i + 1 < len && s[i + 1] == '\\') ? i + 2 : i;
		if (b == 0xC2 && i + 1 < len && s[i + 1] == 0x9C)
			return i + 2;
		i++;
	}
	return len;
}

/* A C1 control (as a code point 0x80..0x9f) found at s[i - its length]:
 * returns where reading resumes. */
static size_t skip_c1(uint32_t cp, const unsigned char *s, size_t len, size_t i)
{
	switch (cp) {
	case 0x9B: return skip_csi(s, len, i);
	case 0x90: /* DCS */
	case 0x98: /* SOS */
	case 0x9D: /* OSC */
	case 0x9E: /* PM */
	case 0x9F: /* APC */ return skip_string(s, len, i);
	default: return i;
	}
}

/* After ESC at s[i - 1]. */
static size_t skip_escape(const unsigned char *s, size_t len, size_t i)
{
	if (i >= len)
		return len;
	unsigned char c = s[i];
	if (c == '[')
		return skip_csi(s, len, i + 1);
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
		return skip_string(s, len, i + 1);
	if (c >= 0x20 && c <= 0x2F) {
		while (i < len && s[i] >= 0x20 && s[i] <= 0x2F)
			i++;
		if (i < len && s[i] >= 0x30 && s[i] <= 0x7E)
			i++;
		return i;
	}
	if (c >= 0x30 && c <= 0x7E)
		return i + 1;
	return i; /* a control or non-ASCII byte: drop only the ESC */
}

static bool is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static void walk(struct out *o, const unsigned char *s, size_t len, unsigned flags)
{
	size_t i = 0;
	while (i < len && !o->full) {
		unsigned char b = s[i];
		if (b == 0x1B) {
			o->changed = true;
			i = skip_escape(s, len, i + 1);
			continue;
		}
		if (b < 0x80) {
			if (b == '\n' && (flags & SANITIZE_KEEP_NEWLINES)) {
				emit(o, "\n", 1);
			} else if (b == '\n' || b == '\t' || b == '\r') {
				emit(o, " ", 1);
				o->changed = true;
			} else if (b < 0x20 || b == 0x7F) {
				o->changed = true;
			} else {
				emit(o, (const char *)&s[i], 1);
			}
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			o->changed = true;
			/* A raw 8-bit C1 introducer still starts a sequence on
			 * terminals in 8-bit mode: drop it whole. */
			if (b == 0x90 || b == 0x98 || b == 0x9B || b == 0x9D || b == 0x9E ||
			    b == 0x9F)
				i = skip_c1(b, s, len, i + 1);
			else {
				emit_replacement(o);
				i++;
			}
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9F) {
			o->changed = true;
			i = skip_c1(cp, s, len, i + n);
			continue;
		}
		if (is_bidi_control(cp)) {
			o->changed = true;
		} else if (cp == 0x2028 || cp == 0x2029) {
			emit(o, (flags & SANITIZE_KEEP_NEWLINES) ? "\n" : " ", 1);
			o->changed = true;
		} else {
			emit(o, (const char *)&s[i], n);
		}
		i += n;
	}
}

size_t sanitize_text(char *dst, size_t dstsize, const char *src, size_t len, unsigned flags)
{
	if (!dst || dstsize == 0)
		return 0;
	struct out o = { dst, dstsize, 0, false, false };
	if (src)
		walk(&o, (const unsigned char *)src, len, flags);
	dst[o.n] = '\0';
	return o.n;
}

size_t sanitize_str(char *dst, size_t dstsize, const char *src, unsigned flags)
{
	return sanitize_text(dst, dstsize, src, src ? strlen(src) : 0, flags);
}

bool sanitize_is_clean(const char *s, size_t len, unsigned flags)
{
	struct out o = { NULL, 0, 0, false, false };
	if (s)
		walk(&o, (const unsigned char *)s, len, flags);
	return !o.changed;
}
