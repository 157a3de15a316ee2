/*
 * decode.h: gateway event lines -> observations. Two formats, chosen per line
 * when asked to (DECODE_AUTO):
 *   - vigil's own events-v1 (docs/events.md), decoded with a fast tokenizer
 *     (data/jtok) and a field table, no allocation per line;
 *   - OpenTelemetry GenAI spans as OTLP/JSON (the Collector's file exporter:
 *     one ExportTraceServiceRequest per line), decoded with jansson. One line
 *     may hold many spans, so one line gives zero or more observations.
 *
 * A line that cannot be used (not UTF-8, over DECODE_MAX_LINE, not JSON, not
 * an object, a required field missing, a field of the wrong type, an unknown
 * schema_version) is reported with a reason and a one-line explanation naming
 * the field; the caller quarantines it. Decoding also runs core/normalise on
 * the status, headers and body, so observations come out with `norm` filled.
 *
 * Threads: a decoder is used by one thread at a time and shares nothing with
 * other decoders (one per worker). Ownership: the observations and every
 * borrowed pointer in them (text, context text, embedding) point into the
 * line or into the decoder's scratch, valid until the next decode_line() on
 * the same decoder or until the line's buffer changes, whichever comes first.
 */
#ifndef VIGIL_DATA_DECODE_H
#define VIGIL_DATA_DECODE_H

#include "core/observation.h"

#include <stddef.h>

/* Lines longer than this (newline excluded) are quarantined unread. */
#define DECODE_MAX_LINE ((size_t)1 << 20)

/* How much of a bad line a quarantine row keeps. */
#define DECODE_HEAD_BYTES 256

enum decode_format { DECODE_AUTO, DECODE_VIGIL, DECODE_OTLP };

enum decode_reason {
	DR_NONE,            /* decoded */
	DR_NOT_UTF8,        /* invalid UTF-8 */
	DR_TOO_LONG,        /* over DECODE_MAX_LINE */
	DR_NOT_JSON,        /* not a JSON text */
	DR_NOT_OBJECT,      /* JSON, but not an object */
	DR_MISSING_FIELD,   /* a required field is absent */
	DR_BAD_FIELD,       /* a field has the wrong type or an impossible value */
	DR_UNKNOWN_VERSION, /* schema_version newer than this build knows */
	DR__COUNT
};

struct decode_result {
	const struct observation *obs; /* borrowed (see the top of this file) */
	size_t n_obs;
	size_t n_ignored;          /* OTLP spans that are not GenAI spans */
	enum decode_reason reason; /* DR_NONE, or why (part of) the line is quarantined */
	char detail[192];          /* "missing required field 'request_id'", "" when fine */
};

struct decoder;

/* A static lower-case name for a reason ("not_json", "missing_field", ...). */
const char *decode_reason_name(enum decode_reason r);

/* Parse "auto", "vigil" or "otlp"; -1 when unknown. */
int decode_format_parse(const char *s);

/* A new decoder, or NULL when out of memory. Free with decoder_free(). */
struct decoder *decoder_new(void);

/* Free a decoder; NULL does nothing. */
void decoder_free(struct decoder *d);

/*
 * Decode one line (without its newline; a trailing '\r' is ignored) into
 * *out. Returns 0 when the line was looked at: out->n_obs observations (0
 * for a blank line), and out->reason != DR_NONE when the line (or, for OTLP,
 * some of its spans) must be quarantined, with out->detail saying why; good
 * spans of a partly bad OTLP line are still returned. Returns VG_ENOMEM when
 * memory ran out (nothing decoded; the line may be retried).
 */
int decode_line(struct decoder *d, enum decode_format fmt, const char *line, size_t len,
                struct decode_result *out);

/* True when buf[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool decode_utf8_valid(const char *buf, size_t len);

#endif
