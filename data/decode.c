/*
 * decode.c: gateway event lines into observations (see decode.h): the
 * decoder's life cycle, the UTF-8 check, and decode_line(), which trims,
 * checks and tokenizes a line (data/jtok) and hands it to the events-v1 fast
 * path (decode_v1.c: tokens walked against per-section field tables) or the
 * OTLP/JSON path (decode_otlp.c: jansson), with the scalar parsers both
 * share in decode_scalar.c (decode_internal.h lists them).
 *
 * The fast path never allocates per line: tokens, unescaped strings, header
 * views and embedding floats live in buffers the decoder grows and reuses.
 * Unescaping never makes a string longer, so a scratch of the line's length
 * holds every unescaped string of the line at once and pointers into it stay
 * valid while the line is being decoded.
 */
#include "data/decode.h"

#include "core/redact.h"
#include "core/vgerr.h"
#include "data/decode_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[DR__COUNT] = {
	"none",       "not_utf8",      "too_long",  "not_json",
	"not_object", "missing_field", "bad_field", "unknown_schema_version",
};

const char *decode_reason_name(enum decode_reason r)
{
	return (unsigned)r < DR__COUNT ? reason_names[r] : "unknown";
}

int decode_format_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "auto") == 0)
		return DECODE_AUTO;
	if (strcmp(s, "vigil") == 0)
		return DECODE_VIGIL;
	if (strcmp(s, "otlp") == 0)
		return DECODE_OTLP;
	return -1;
}

struct decoder *decoder_new(void)
{
	struct decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ntok_cap = 256;
	d->tok = malloc(d->ntok_cap * sizeof(*d->tok));
	/* jtok_parse() grows it as lines need */
	d->obs_cap = 1;
	d->obs = malloc(sizeof(*d->obs));
	if (!d->tok || !d->obs) {
		decoder_free(d);
		return NULL;
	}
	return d;
}

void decoder_free(struct decoder *d)
{
	if (!d)
		return;
	free(d->tok);
	free(d->scratch);
	free(d->floats);
	free(d->obs);
	free(d);
}

/* ---- UTF-8 ------------------------------------------------------------------ */

bool decode_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	/* ASCII fast path: 32 bytes at a time while there is no high bit (most
	 * lines are all ASCII), then eight at a time around the rest. */
	while (i + 32 <= len) {
		uint64_t w[4];
		memcpy(w, s + i, 32);
		if (((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) != 0)
			break;
		i += 32;
	}
	while (i < len) {
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned min;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			unsigned cc = s[i + k];
			if ((cc & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (cc & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* ---- small parsers ------------------------------------------------------------ */

/* ---- entry ----------------------------------------------------------------------------- */

int decode_line(struct decoder *d, enum decode_format fmt, const char *line, size_t len,
                struct decode_result *out)
{
	memset(out, 0, sizeof(*out));
	/* trim whitespace around the value (a CRLF file leaves a '\r') */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t' ||
	                   line[len - 1] == '\n'))
		len--;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	if (len == 0)
		return 0;
	if (len > DECODE_MAX_LINE) {
		out->reason = DR_TOO_LONG;
		snprintf(out->detail, sizeof(out->detail),
		         "line of %zu bytes is over the %zu-byte limit", len, DECODE_MAX_LINE);
		return 0;
	}
	if (!decode_utf8_valid(line, len)) {
		out->reason = DR_NOT_UTF8;
		snprintf(out->detail, sizeof(out->detail), "not valid UTF-8");
		return 0;
	}
	if (d->scratch_cap < len + 16) {
		char *ns = realloc(d->scratch, len + 16);
		if (!ns)
			return VG_ENOMEM;
		d->scratch = ns;
		d->scratch_cap = len + 16;
	}
	d->scratch_used = 0;
	struct jtok_error jerr;
	int ntok = jtok_parse(line, len, &d->tok, &d->ntok_cap, &jerr);
	if (ntok == JTOK_ENOMEM)
		return VG_ENOMEM;
	if (ntok < 0) {
		out->reason = DR_NOT_JSON;
		if (ntok == JTOK_EPART)
			snprintf(out->detail, sizeof(out->detail),
			         "not JSON: the line ends inside a value (%s)", jerr.what);
		else
			snprintf(out->detail, sizeof(out->detail), "not JSON: %s at byte %d",
			         jerr.what, (int)jerr.pos);
		return 0;
	}
	if (d->tok[0].type != JTOK_OBJECT) {
		out->reason = DR_NOT_OBJECT;
		snprintf(out->detail, sizeof(out->detail), "a JSON value but not an object");
		return 0;
	}
	if (fmt == DECODE_OTLP)
		return decode__decode_otlp(d, line, ntok, out);
	return decode__decode_v1(d, line, len, ntok, fmt == DECODE_AUTO, out);
}

void decode__redact_ids(struct observation *o)
{
	redact_str(NULL, o->request_id);
	redact_str(NULL, o->pid.provider);
	redact_str(NULL, o->pid.model);
	redact_str(NULL, o->pid.region);
	redact_str(NULL, o->pid.key_alias);
	redact_str(NULL, o->template_id);
	redact_str(NULL, o->after_failure_of);
	redact_str(NULL, o->schema_id);
}
