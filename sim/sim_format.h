/*
 * sim_format.h: the three providers' wire formats, written by the simulator
 * on its own (never with vigil's parsers): status, headers and body of a
 * success, a streamed success (SSE, with the provider's own mid-stream
 * error), every fault the scenario can inject, and the provider's own
 * answer to a malformed request.
 *
 * The provider server sends what these functions write; the gateway
 * generator copies the same status, headers and body into its events-v1
 * lines, so both halves of the simulator show the same bytes.
 *
 * struct sim_response owns its body (sim_response_free()). Header names are
 * lower-case static strings; values are copied.
 */
#ifndef VIGIL_SIM_FORMAT_H
#define VIGIL_SIM_FORMAT_H

#include "sim/sim_buf.h"
#include "sim/sim_decide.h"

#define SIM_MAX_HEADERS 28
#define SIM_MAX_EVENTS  64

struct sim_header {
	const char *name;
	char value[200];
};

struct sim_response {
	int status;
	struct sim_header headers[SIM_MAX_HEADERS];
	int n_headers;
	struct sim_buf body; /* the whole body; for a stream, every SSE event in order */
	bool stream;         /* text/event-stream: body is SSE */
	bool json;           /* body is JSON (false for HTML and SSE) */
	/* Streams: end offset of each event in body, for pacing; n_events = 0 otherwise. */
	size_t event_end[SIM_MAX_EVENTS];
	int n_events;
};

/* What the server or gateway is answering. */
struct sim_fmt_in {
	enum sim_kind kind;
	const struct sim_answer *a;
	const char *model;    /* the model as the client named it */
	const char *text;     /* response text for a 200 ("" when none) */
	bool stream;          /* the client asked for a stream */
	bool stream_usage;    /* OpenAI stream_options.include_usage */
	int64_t now_ms;       /* reported time of the answer (ms since the epoch) */
	double scale;         /* reported ms per scenario ms (1 / speed; 1 when virtual) */
	uint64_t id_seed;     /* makes ids (request-id, message ids) reproducible */
	const char *key_tail; /* last 4 characters of the API key for messages, or NULL */
};

/* Malformed or unroutable requests: the provider's own 4xx. */
enum sim_cerr {
	SIM_CERR_BAD_JSON,   /* body is not JSON / not an object */
	SIM_CERR_MISSING,    /* a required field is missing (param names it) */
	SIM_CERR_INVALID,    /* a field has the wrong type or value (param names it) */
	SIM_CERR_NO_KEY,     /* no API key header */
	SIM_CERR_NO_VERSION, /* Anthropic: no anthropic-version header */
	SIM_CERR_MODEL,      /* unknown model (param holds the name) */
	SIM_CERR_CONTEXT,    /* prompt longer than the context window */
	SIM_CERR_NOT_FOUND,  /* unknown path (param holds "METHOD /path") */
	SIM_CERR_METHOD,     /* wrong method for a known path */
	SIM_CERR_TOO_LARGE,  /* body over the size cap: the CDN's HTML 413 */
};

void sim_response_init(struct sim_response *r);
void sim_response_free(struct sim_response *r);

/* Add a header (value formatted, truncated to fit); ignored when full. */
void sim_response_header(struct sim_response *r, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A header's value, or NULL. */
const char *sim_response_get(const struct sim_response *r, const char *name);

/* The HTTP reason phrase of a status ("Too Many Requests"). */
const char *sim_format_reason(int status);

/*
 * Write the answer in->a for provider in->kind into *out (initialised by the
 * caller). Transport outcomes (dns, connect, reset, hang) get no body; a
 * truncated answer gets the full body (the transport cuts it).
 */
void sim_format_answer(const struct sim_fmt_in *in, struct sim_response *out);

/* Write the provider's own answer to a malformed request. param: the field,
 * model, tokens count or path the message names (may be NULL); n: a number
 * the message needs (tokens for SIM_CERR_CONTEXT, the limit otherwise). */
void sim_format_client_error(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                             int64_t n, int64_t limit, struct sim_response *out);

/* GET /v1/models (OpenAI, Anthropic) or /v1beta/models (Google). */
void sim_format_models(const struct sim_fmt_in *in, const struct sim_provider *p,
                       struct sim_response *out);

/* ---- helpers shared by the per-provider files (sim_fmt_*.c) ---- */

/* Reproducible id text: prefix + n characters of alphabet from seed. */
void sim_fmt__id(char *dst, size_t size, const char *prefix, int n, const char *alphabet,
                 uint64_t seed);
extern const char sim_fmt__b62[];
extern const char sim_fmt__hex[];

/* Split text into up to max pieces at word boundaries; returns the count and
 * fills start/len. */
int sim_fmt__pieces(const char *text, int max, size_t *start, size_t *len);

/* Close the current SSE event (record its end offset). */
void sim_fmt__event_end(struct sim_response *r);

/* HTML 413 bodies, as the CDN in front of each API writes them. */
void sim_fmt__html_413(struct sim_response *out, enum sim_kind kind);

void sim_fmt__openai(const struct sim_fmt_in *in, struct sim_response *out);
void sim_fmt__anthropic(const struct sim_fmt_in *in, struct sim_response *out);
void sim_fmt__google(const struct sim_fmt_in *in, struct sim_response *out);
void sim_fmt__openai_cerr(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                          int64_t n, int64_t limit, struct sim_response *out);
void sim_fmt__anthropic_cerr(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                             int64_t n, int64_t limit, struct sim_response *out);
void sim_fmt__google_cerr(const struct sim_fmt_in *in, enum sim_cerr e, const char *param,
                          int64_t n, int64_t limit, struct sim_response *out);

#endif
