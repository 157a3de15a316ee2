/*
 * observation.h: everything vigil learns about one request, from a canary
 * probe or a gateway event (the fields of events-v1), in one value type.
 *
 * "Not measured" is kept distinct from zero: integer fields hold VG_NONE,
 * double fields NaN, tri-state flags VG_TRI_UNSET, enums their *_UNSET value
 * and strings the empty string until something sets them. Call
 * observation_init() before filling one.
 *
 * Ownership: identifiers are copied into fixed buffers (the struct can be
 * copied with memcpy and handed to another thread). The large texts
 * (response text, context text, embedding) are borrowed pointers: they stay
 * valid only as long as the buffer the producer decoded them from, which is
 * until the observation has been fed to the pipeline. Whoever keeps an
 * observation longer copies what it needs.
 */
#ifndef VIGIL_CORE_OBSERVATION_H
#define VIGIL_CORE_OBSERVATION_H

#include "core/model.h"

#define VG_REQUEST_ID_MAX 128
#define VG_TEMPLATE_MAX   64
#define VG_SHORT_MAX      64

enum obs_source { OBS_GATEWAY, OBS_PROBE };

/* Rate-limit headroom of one kind (requests or tokens). */
struct ratelimit {
	int64_t limit;     /* VG_NONE when not reported */
	int64_t remaining; /* VG_NONE when not reported */
	int64_t reset_ms;  /* ms from the response until the window resets, VG_NONE if absent */
};

/*
 * What the provider said, in the provider-independent terms core/normalise
 * derives from status, headers and body.
 */
struct norm_signals {
	enum err_class error_class;
	int8_t retryable;       /* enum vg_tri */
	int64_t retry_after_ms; /* VG_NONE when the provider gave no hint */
	struct ratelimit rl_requests;
	struct ratelimit rl_tokens;
	enum finish_reason finish;       /* FR_UNSET when none */
	char finish_raw[VG_SHORT_MAX];   /* the provider's own finish/stop reason */
	bool safety_block;               /* prompt or output blocked for safety */
	char block_reason[VG_SHORT_MAX]; /* e.g. Gemini promptFeedback.blockReason */
	char error_type[VG_SHORT_MAX];   /* error.type / error.status, as sent */
	char error_code[VG_SHORT_MAX];   /* error.code / ErrorInfo.reason / details.error_code */
	bool stream_error;               /* a failure inside a 2xx answer: an SSE error event,
					 * or a Responses API object with status "failed" */
	bool body_truncated;             /* the JSON body ends early */
	bool body_not_json;              /* a body was present but was not JSON */
	int64_t input_tokens;            /* usage read from the body, VG_NONE if absent */
	int64_t output_tokens;
	int64_t cached_tokens;
};

/*
 * Verdicts of the semantic checks (core/semantic modules fill them; the
 * taxonomy turns them into categories). All start unset.
 */
struct semantic_verdicts {
	int8_t schema_valid;               /* enum vg_tri: validator's verdict, or the gateway's */
	char schema_pointer[VG_SHORT_MAX]; /* JSON pointer of the first failure */
	int8_t hallucination;              /* enum vg_tri */
	int32_t unsupported_entities;      /* -1 when not measured */
	char hallucination_sample[96];     /* a few unsupported entities */
	int8_t hallucination_excess;       /* enum vg_tri: at a rate over the baseline of the
	                                    * provider's model (unset: not judged; false: a
	                                    * hallucination within the usual rate, no event) */
	double similarity;                 /* vs the template's centroid, NaN if not measured */
	int8_t regression;
	int8_t coherence;
	int8_t token_inflation;
	double token_delta_pct; /* (input - predicted) / predicted * 100, NaN if not measured */
	int8_t context_stuffing;
	int8_t pii_leak;
	char pii_kind[16];   /* "email", "phone", "card", "secret" */
	char pii_sample[32]; /* masked, never the value */
	int8_t jailbreak;
	int8_t extraction;
	int8_t stale_context;
	int8_t embedding_drift;
	bool deferred; /* heavy checks were sent to the sidecar */
	/* Measurements behind the verdicts above (core/semantic; NaN / -1 / ""
	 * when not measured), for causal signals and the console. */
	char schema_keyword[24];    /* the failing keyword: "required", "type", "json", ... */
	double similarity_baseline; /* the key's usual similarity (slow average) */
	bool model_changed;         /* within the window after a model-version change */
	double repeat_ratio;        /* repeated word-trigram share of the response */
	int32_t contradictions;     /* self-corrections and negated statements */
	double stuffing_ratio;      /* the template's mean actual/predicted input over the window */
	double jailbreak_rate;      /* blocks and refusals / requests over the window */
	double drift_baseline;      /* the template's usual top_similarity */
	double hallucination_rate;  /* the model's hallucinations / responses, recent window */
	double hallucination_baseline; /* ... its usual rate */
	int32_t hallucination_window;  /* responses in that window, -1 when not measured */
};

struct observation {
	enum obs_source source;
	int64_t ts_ms; /* request start, ms since the epoch */
	char request_id[VG_REQUEST_ID_MAX];
	int32_t attempt; /* selection.attempt: 1 first try; -1 when not given */
	struct provider_id pid;
	enum provider_kind kind;
	char template_id[VG_TEMPLATE_MAX];
	enum traffic_class traffic_class;
	enum selection_reason selection_reason;
	char after_failure_of[VG_NAME_MAX];
	int8_t stream; /* enum vg_tri */

	/* Transport: phase end times in ms from request start (libcurl's meaning). */
	double dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
	enum transport_error transport_error;

	/* HTTP */
	int32_t http_status; /* -1 when there was no HTTP answer */
	int64_t body_bytes;
	struct norm_signals norm;

	/* Response */
	char schema_id[VG_TEMPLATE_MAX];
	const char *text; /* borrowed, may be NULL */
	size_t text_len;
	const float *embedding; /* borrowed, may be NULL */
	size_t embedding_len;

	/* Usage and cost (from flat fields; core/normalise fills norm.* from the body) */
	int64_t input_tokens, output_tokens, cached_input_tokens, predicted_input_tokens;
	double cost_usd;
	int32_t retry_count; /* -1 when not given */

	/* Context given to the model */
	const char *context_text; /* borrowed, may be NULL */
	size_t context_len;
	double doc_age_s;
	double top_similarity;

	struct semantic_verdicts verdicts;
};

/* Set every field to "not measured". */
void observation_init(struct observation *obs);

/* Set every semantic verdict to "not measured". */
void semantic_verdicts_init(struct semantic_verdicts *v);

/* Set every field of normalised signals to "not measured". */
void norm_signals_init(struct norm_signals *n);

/* Input tokens: the flat field when measured, else the one read from the body. */
static inline int64_t observation_input_tokens(const struct observation *obs)
{
	return vg_has(obs->input_tokens) ? obs->input_tokens : obs->norm.input_tokens;
}

/* Output tokens, the same way. */
static inline int64_t observation_output_tokens(const struct observation *obs)
{
	return vg_has(obs->output_tokens) ? obs->output_tokens : obs->norm.output_tokens;
}

/* The normalised finish reason (FR_UNSET when none was reported). */
enum finish_reason observation_finish(const struct observation *obs);

/* End time: ts_ms + total_ms when measured, else ts_ms. */
int64_t observation_end_ms(const struct observation *obs);

#endif
