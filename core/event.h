/*
 * event.h: the failure event, vigil's typed record of one detected failure,
 * and its JSON encoding (the wire form for --events, the store, sinks).
 *
 * A failure event cannot exist without a valid category, a subtype of that
 * category, a severity and a provider: event_init() refuses anything else,
 * and event_from_json() refuses the same, and any schema_version newer than
 * EVENT_SCHEMA_VERSION. The event carries the raw measurements that caused
 * it (struct causal_signals) so that no responder has to look them up.
 *
 * struct failure_event is a value type with no pointers: copy it freely.
 */
#ifndef VIGIL_CORE_EVENT_H
#define VIGIL_CORE_EVENT_H

#include "core/observation.h"

#include <jansson.h>

#define EVENT_SCHEMA_VERSION 1

/* The measurements behind a classification. Unset fields are VG_NONE, NaN,
 * 0 for http_status/latency_percentile, TE_NONE or "". */
struct causal_signals {
	double latency_ms;          /* the latency observed (or its percentile) */
	int32_t latency_percentile; /* 50, 95, 99; 0 = a single request */
	double threshold;           /* the threshold it crossed, in the signal's unit */
	int32_t http_status;        /* 0 = none */
	enum transport_error transport;
	char error_type[VG_SHORT_MAX];
	char error_code[VG_SHORT_MAX];
	char finish_reason[VG_SHORT_MAX];
	int64_t retry_after_ms;
	int64_t ratelimit_remaining;
	int64_t ratelimit_limit;
	double similarity;
	double token_delta_pct;
	int64_t input_tokens;
	int64_t predicted_input_tokens;
	int64_t retry_count;
	double error_rate;    /* share of failures in the window, 0..1 */
	int64_t window_count; /* requests in the window behind error_rate */
	double doc_age_s;
	double value;     /* any other measured value the subtype names */
	char detail[128]; /* short text: unsupported entities, masked PII, reason */
	/* A baseline verdict (core/baseline): the slot's usual value and its
	 * week-to-week band, in the signal's unit (ms, a share, tokens/s, $ per
	 * 1k tokens), the slot (hour of week, 0 = Monday 00:00 UTC) and its
	 * weight (0..1, docs/baselines.md "warm"). The observed value is in
	 * latency_ms (with latency_percentile), error_rate or value; the bar in
	 * threshold; the requests in window_count. */
	double baseline_expected;
	double baseline_lo, baseline_hi;
	int64_t baseline_slot;
	double baseline_weight;
};

struct failure_event {
	int32_t schema_version;
	uint64_t id;     /* unique within a pipeline run, assigned in order */
	int64_t time_ms; /* when it was detected (the observation's time) */
	enum category category;
	enum subtype subtype;
	enum severity severity;
	struct provider_id pid;
	char request_id[VG_REQUEST_ID_MAX];
	char template_id[VG_TEMPLATE_MAX];
	enum traffic_class traffic_class;
	int8_t retryable; /* enum vg_tri */
	struct causal_signals causal;
};

/* Set every causal signal to "not measured". */
void event_causal_init(struct causal_signals *c);

/*
 * Initialise *ev. Fails with VG_EINVAL, leaving *ev zeroed, when the category
 * or severity is out of range, the subtype does not belong to the category, or
 * the provider name is empty. Causal signals start unset; the rest is copied
 * from the arguments.
 */
int event_init(struct failure_event *ev, uint64_t id, int64_t time_ms, enum category cat,
               enum subtype sub, enum severity sev, const struct provider_id *pid);

/* The runbook of a category/subtype: a path under docs/runbooks/ with an anchor. Static. */
const char *event_runbook(enum category cat, enum subtype sub);

/* Mask API keys (core/redact; r may be NULL: the key shapes only) in every
 * text of `ev` that came from outside: names, ids, the provider's error
 * type and code, the finish reason, the detail. In place. */
struct redact;
void event_redact(struct failure_event *ev, const struct redact *r);

/* A one-line remediation hint for a subtype. Static. */
const char *event_hint(enum subtype sub);

/* Encode as a JSON object (only measured causal signals appear). Returns a new
 * reference (caller json_decref()s it), or NULL when out of memory. */
json_t *event_to_json(const struct failure_event *ev);

/*
 * Decode a JSON object produced by event_to_json() (or by another version).
 * Returns 0, or VG_EVERSION for a newer schema_version, or VG_EINVAL / VG_EPARSE
 * with a malloc'd message in *cause (caller frees) naming the field at fault.
 * `cause` may be NULL.
 */
int event_from_json(json_t *obj, struct failure_event *ev, char **cause);

#endif
