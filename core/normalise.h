/*
 * normalise.h: provider adapters. Turns what one provider answered (status,
 * headers, body bytes) into provider-independent signals (struct
 * norm_signals): an error class, whether a retry can help and when, rate-limit
 * headroom in ms from now, the finish reason, 200-status safety blocks, usage.
 *
 * It branches on structured fields (status, error.type, error.code,
 * error.status, details[].@type), never on message text, and maps anything it
 * does not know to "other". It never fails on bad input: a body that is not
 * JSON, cut short or of an unexpected shape still yields signals from the
 * status and headers. Pure: the response's arrival time comes in as now_ms.
 */
#ifndef VIGIL_CORE_NORMALISE_H
#define VIGIL_CORE_NORMALISE_H

#include "core/observation.h"

/* One response header; the name is matched case-insensitively. Borrowed. */
struct norm_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct norm_input {
	enum provider_kind kind;           /* PK_OTHER applies only generic rules */
	int status;                        /* HTTP status, -1 when there was no answer */
	enum transport_error transport;    /* TE_NONE unless the transport failed */
	const struct norm_header *headers; /* may be NULL when nheaders is 0 */
	size_t nheaders;
	const char *body; /* raw bytes as received (JSON, SSE or anything); may be NULL */
	size_t body_len;
	int64_t now_ms; /* when the response arrived: turns absolute resets into "ms from now" */
};

/*
 * Fill *out from *in. *out is overwritten entirely. Never fails and never
 * reads outside the given buffers; the body is parsed only when it is needed
 * (always for non-2xx, for 2xx when it is present).
 */
void normalise_response(const struct norm_input *in, struct norm_signals *out);

/* The default error class of a bare HTTP status (what a body cannot refine). */
enum err_class normalise_status_class(int status);

/* Whether a retry can help, by default, for an error class (enum vg_tri). */
int normalise_class_retryable(enum err_class c, int status);

/* A provider's raw finish reason, normalised (FR_OTHER when unknown). */
enum finish_reason normalise_finish_reason(const char *raw, size_t len);

#endif
