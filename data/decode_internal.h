/*
 * decode_internal.h: what data/decode*.c share (not for other modules): the
 * decoder's buffers and the functions the files hand each other.
 *
 *   decode.c         the decoder's life cycle, the UTF-8 check, decode_line()
 *                    (which path a line takes)
 *   decode_scalar.c  the scalar parsers both paths use: JSON numbers
 *                    (locale-free) and string unescaping
 *   decode_v1.c      the events-v1 fast path: jtok tokens walked against
 *                    per-section field tables
 *   decode_otlp.c    the OTLP/JSON path: spans through a jansson tree
 */
#ifndef VIGIL_DATA_DECODE_INTERNAL_H
#define VIGIL_DATA_DECODE_INTERNAL_H

#include "data/decode.h"

#include "core/normalise.h"
#include "data/jtok.h"

struct observation;

/* Mask API key shapes (core/redact) in an observation's names and ids, so a
 * key a gateway logged by mistake (a key alias that is the key, a request id
 * that holds one) goes no further: not into series, rollups, metrics
 * labels, the store or a page. Texts keep their length. */
void decode__redact_ids(struct observation *o);

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAX_HEADERS 64

/* A token's text (p, n) is exactly the literal lit ("null", "true"). */
#define decode__is_literal(p, n, lit)                                                              \
	((n) == sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0)

struct decoder {
	struct jtok *tok;
	size_t ntok_cap;
	char *scratch; /* unescaped strings of the current line */
	size_t scratch_cap, scratch_used;
	float *floats; /* response.embedding */
	size_t floats_cap;
	struct norm_header headers[MAX_HEADERS];
	struct observation *obs; /* results (one for events-v1, many for OTLP) */
	size_t obs_cap;
};

/*
 * A JSON number, locale-free. Exact for up to 19 significant digits and small
 * exponents (the numbers gateways write); otherwise within a rounding step.
 * *is_int tells whether it had neither fraction nor exponent.
 */
bool decode__parse_json_number(const char *s, size_t len, double *out, int64_t *iout, bool *is_int);

/* Unescape a JSON string body into dst (room for len bytes); returns the length or -1. */
long decode__unescape(const char *s, size_t len, char *dst);

/* The events-v1 path for a tokenized line (ntok tokens in d->tok); with
 * auto_format a top-level resourceSpans hands the line to the OTLP path.
 * Returns 0 (res says what came out) or VG_ENOMEM. */
int decode__decode_v1(struct decoder *d, const char *js, size_t len, int ntok, bool auto_format,
                      struct decode_result *res);

/* The OTLP/JSON path for a tokenized line: one observation per GenAI span.
 * Returns 0 (res says what came out) or VG_ENOMEM. */
int decode__decode_otlp(struct decoder *d, const char *js, int ntok, struct decode_result *res);

#endif
