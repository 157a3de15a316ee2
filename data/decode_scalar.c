/*
 * decode_scalar.c: the scalar parsers both decoding paths share (see
 * decode_internal.h): a JSON number without the C library's locale or
 * allocation, and a JSON string's escapes undone in place of a copy.
 */
#include "data/decode_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small parsers ------------------------------------------------------------ */

static const double pow10_tab[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                            1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	                            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/*
 * A JSON number, locale-free. Exact for up to 19 significant digits and small
 * exponents (the numbers gateways write); otherwise within a rounding step.
 * *is_int tells whether it had neither fraction nor exponent.
 */
bool decode__parse_json_number(const char *s, size_t len, double *out, int64_t *iout, bool *is_int)
{
	/* The common case first: [-]digits[.digits], 18 digits at most, no
	 * exponent; exact, and the same value the general path gives. */
	{
		const char *p = s, *e = s + len;
		bool fneg = p < e && *p == '-';
		p += fneg;
		const char *d0 = p;
		uint64_t m = 0;
		while (p < e && (unsigned)(*p - '0') < 10)
			m = m * 10 + (uint64_t)(*p++ - '0');
		size_t nint = (size_t)(p - d0), nfrac = 0;
		bool ok = nint > 0 && !(nint > 1 && *d0 == '0');
		if (ok && p < e && *p == '.') {
			const char *f0 = ++p;
			while (p < e && (unsigned)(*p - '0') < 10)
				m = m * 10 + (uint64_t)(*p++ - '0');
			nfrac = (size_t)(p - f0);
			ok = nfrac > 0;
		}
		if (ok && p == e && nint + nfrac <= 18) {
			double v = (double)m;
			if (nfrac)
				v /= pow10_tab[nfrac];
			*out = fneg ? -v : v;
			*is_int = nfrac == 0;
			if (*is_int)
				*iout = fneg ? -(int64_t)m : (int64_t)m;
			return true;
		}
	}
	size_t i = 0;
	bool neg = false;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0, dropped = 0;
	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i >= len || s[i] < '0' || s[i] > '9')
		return false;
	if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		return false; /* leading zero */
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (digits < 19) {
			mant = mant * 10 + (uint64_t)(s[i] - '0');
			if (mant)
				digits++;
		} else {
			dropped++;
		}
	}
	bool integral = true;
	if (i < len && s[i] == '.') {
		integral = false;
		i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return false;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				if (mant)
					digits++;
				exp10--;
			}
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		integral = false;
		i++;
		bool eneg = false;
		int e = 0;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= len || s[i] < '0' || s[i] > '9')
			return false;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (e < 10000)
				e = e * 10 + (s[i] - '0');
		}
		exp10 += eneg ? -e : e;
	}
	if (i != len)
		return false;
	exp10 += dropped;
	double v = (double)mant;
	if (exp10 < 0 && exp10 >= -22)
		v /= pow10_tab[-exp10];
	else if (exp10 > 0 && exp10 <= 22)
		v *= pow10_tab[exp10];
	else if (exp10 != 0)
		v *= pow(10.0, exp10);
	*out = neg ? -v : v;
	*is_int = integral && dropped == 0 && mant <= (uint64_t)INT64_MAX;
	if (*is_int)
		*iout = neg ? -(int64_t)mant : (int64_t)mant;
	return true;
}

static void put_utf8(char *dst, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		dst[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		dst[(*n)++] = (char)(0xC0 | (cp >> 6));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		dst[(*n)++] = (char)(0xE0 | (cp >> 12));
		dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		dst[(*n)++] = (char)(0xF0 | (cp >> 18));
		dst[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(const char *s, size_t len, size_t i, uint32_t *out)
{
	if (i + 4 > len)
		return false;
	uint32_t v = 0;
	for (size_t k = 0; k < 4; k++) {
		int h = hexval(s[i + k]);
		if (h < 0)
			return false;
		v = (v << 4) | (uint32_t)h;
	}
	*out = v;
	return true;
}

/* Unescape a JSON string body into dst (room for len bytes); returns the length or -1. */
long decode__unescape(const char *s, size_t len, char *dst)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if ((unsigned char)c < 0x20)
			return -1;
		if (c != '\\') {
			dst[n++] = c;
			continue;
		}
		if (++i >= len)
			return -1;
		switch (s[i]) {
		case '"': dst[n++] = '"'; break;
		case '\\': dst[n++] = '\\'; break;
		case '/': dst[n++] = '/'; break;
		case 'b': dst[n++] = '\b'; break;
		case 'f': dst[n++] = '\f'; break;
		case 'n': dst[n++] = '\n'; break;
		case 'r': dst[n++] = '\r'; break;
		case 't': dst[n++] = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (!hex4(s, len, i + 1, &cp))
				return -1;
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (i + 2 < len && s[i + 1] == '\\' && s[i + 2] == 'u' &&
				    hex4(s, len, i + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			put_utf8(dst, &n, cp);
			break;
		}
		default: return -1;
		}
	}
	return (long)n;
}
