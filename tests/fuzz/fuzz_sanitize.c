/*
 * fuzz_sanitize.c: libFuzzer harness for core/sanitize. Byte 0 picks the
 * flags and the output size; the rest is the text. Aborts when an output is
 * not valid terminal-safe UTF-8, when sanitising twice changes it, or when
 * sanitize_is_clean() disagrees with sanitize_text().
 */
#include "core/sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char b = s[0];
	int n = b < 0x80                 ? 1
	        : b >= 0xC2 && b <= 0xDF ? 2
	        : b >= 0xE0 && b <= 0xEF ? 3
	        : b >= 0xF0 && b <= 0xF4 ? 4
	                                 : 0;
	if (n == 0 || (size_t)n > avail)
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = (data[0] & 1) ? SANITIZE_KEEP_NEWLINES : 0;
	size_t cap = (data[0] & 2) ? 17 : 4 * size + 8;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	char *out = malloc(cap), *again = malloc(cap);
	if (!out || !again)
		abort();
	size_t n = sanitize_text(out, cap, in, len, flags);
	if (n >= cap || out[n] != '\0' || strlen(out) != n)
		abort();
	const unsigned char *u = (const unsigned char *)out;
	for (size_t i = 0; i < n;) {
		int k = utf8_len(u + i, n - i);
		if (k == 0)
			abort();
		if (k == 1 && (u[i] < 0x20 || u[i] == 0x7F) &&
		    !(u[i] == '\n' && (flags & SANITIZE_KEEP_NEWLINES)))
			abort();
		if (k == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0)
			abort();
		i += (size_t)k;
	}
	if (!sanitize_is_clean(out, n, flags))
		abort();
	size_t m = sanitize_text(again, cap, out, n, flags);
	if (m != n || memcmp(again, out, n) != 0)
		abort();
	if (cap > 4 * len + 4) {
		bool same = n == len && memcmp(out, in, n) == 0;
		if (sanitize_is_clean(in, len, flags) != same)
			abort();
	}
	free(out);
	free(again);
	return 0;
}
