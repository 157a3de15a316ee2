/*
 * sanitize.h: make text that came from outside (model output, provider error
 * messages, header values, names in a gateway's event file, an operator's
 * note) safe to show on a terminal.
 *
 * The result is valid UTF-8 with no C0 or C1 control character, no DEL and
 * no escape sequence: CSI ("\x1b[2J"), OSC ("\x1b]0;title\x07"), DCS, SOS,
 * PM and APC strings and the short ESC sequences (charset designations, RIS
 * "\x1bc") are removed whole, parameters included, whether they are
 * introduced by ESC, by a raw 8-bit C1 byte (0x9b, 0x9d, ...) or by a C1
 * code point encoded in UTF-8 (U+009B, ...). Bidirectional overrides and
 * isolates (U+202A..U+202E, U+2066..U+2069), which reorder what the reader
 * sees, are removed too. Invalid UTF-8 (stray bytes, overlong forms,
 * surrogates) becomes U+FFFD. Tabs, carriage returns and line separators
 * become a space; line feeds too unless SANITIZE_KEEP_NEWLINES is given.
 *
 * Pure: no allocation, no locale. sanitize(sanitize(x)) == sanitize(x).
 */
#ifndef VIGIL_CORE_SANITIZE_H
#define VIGIL_CORE_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* Keep '\n' as is (for multi-line detail text); otherwise it becomes ' '. */
#define SANITIZE_KEEP_NEWLINES 0x1u

/*
 * Sanitise `len` bytes of `src` (which need not be NUL-terminated; NUL bytes
 * are dropped) into `dst` of `dstsize` bytes, always NUL-terminated when
 * dstsize > 0. Output that does not fit is cut at a character boundary,
 * never inside a UTF-8 sequence. Returns the number of bytes written (without
 * the NUL). `dst` and `src` must not overlap. `src` may be NULL when len is 0.
 */
size_t sanitize_text(char *dst, size_t dstsize, const char *src, size_t len, unsigned flags);

/* The same for a NUL-terminated string (NULL gives ""). */
size_t sanitize_str(char *dst, size_t dstsize, const char *src, unsigned flags);

/* True when `len` bytes of `s` are already what sanitize_text() would return
 * with `flags` (no change needed). */
bool sanitize_is_clean(const char *s, size_t len, unsigned flags);

#endif
