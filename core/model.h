/*
 * model.h: the vocabulary every module shares: failure categories and their
 * subtypes, severities, provider kinds, traffic classes, transport errors,
 * normalised error classes and finish reasons, and the "not measured" values.
 *
 * Each enum has a name function returning a static lower-case string (the
 * spelling used in JSON, metrics and the console) and a parse function that
 * maps such a string back, returning a negative value when it is unknown.
 * Only core/taxonomy decides which category an observation falls into; this
 * file only names things.
 */
#ifndef VIGIL_CORE_MODEL_H
#define VIGIL_CORE_MODEL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "Not measured" is never zero: integers use VG_NONE, doubles NaN. */
#define VG_NONE     INT64_MIN
#define VG_NONE_D   ((double)NAN)
#define vg_has(x)   ((x) != VG_NONE)
#define vg_has_d(x) (!isnan(x))

/* A tri-state flag: unset, false, true. */
enum vg_tri { VG_TRI_UNSET = -1, VG_TRI_FALSE = 0, VG_TRI_TRUE = 1 };

enum category {
	CAT_PROVIDER,
	CAT_QUALITY,
	CAT_COST,
	CAT_SECURITY,
	CAT_DATA,
	/* vigil's own health: outside the five-category taxonomy. */
	CAT_MONITOR,
	CAT__COUNT
};
#define CAT_TAXONOMY_COUNT 5

enum subtype {
	/* PROVIDER, hard */
	SUB_DNS,
	SUB_CONNECT,
	SUB_TLS,
	SUB_TIMEOUT,
	SUB_RESET,
	SUB_SERVER_ERROR,
	SUB_OVERLOADED,
	SUB_AUTH,
	/* PROVIDER, not retryable: retrying is pointless */
	SUB_QUOTA_EXHAUSTED,
	SUB_SPEND_CAP,
	SUB_INVALID_REQUEST,
	/* PROVIDER, soft */
	SUB_RATE_LIMIT,
	SUB_LATENCY,
	SUB_TRUNCATION,
	SUB_CONTENT_FILTER,
	SUB_OSCILLATION,
	SUB_PROVIDER_OTHER,
	/* QUALITY */
	SUB_HALLUCINATION,
	SUB_REGRESSION,
	SUB_FORMAT_VIOLATION,
	SUB_COHERENCE,
	/* COST */
	SUB_TOKEN_INFLATION,
	SUB_RETRY_STORM,
	SUB_CONTEXT_STUFFING,
	/* SECURITY */
	SUB_PROMPT_INJECTION,
	SUB_JAILBREAK,
	SUB_PII_LEAK,
	SUB_EXTRACTION,
	/* DATA */
	SUB_EMBEDDING_DRIFT,
	SUB_STALE_CONTEXT,
	SUB_GROUND_TRUTH_CORRUPTION,
	/* MONITOR (vigil's own health) */
	SUB_SIDECAR_BLIND_SPOT,
	SUB_STORE_QUEUE_FULL,
	SUB_SINK_UNREACHABLE,
	SUB_TAIL_FILE_GONE,
	SUB_STORE_CORRUPT,
	SUB_GATEWAY_QUIET,
	SUB_STORE_UNWRITABLE,
	SUB__COUNT
};

enum severity { SEV_CRITICAL, SEV_HIGH, SEV_MEDIUM, SEV_LOW, SEV__COUNT };

enum provider_kind { PK_OPENAI, PK_ANTHROPIC, PK_GOOGLE, PK_OTHER, PK__COUNT };

enum traffic_class {
	TC_UNSET = -1,
	TC_REVENUE,
	TC_COMPLIANCE,
	TC_INTERNAL,
	TC_EXPERIMENTAL,
	TC__COUNT
};

enum selection_reason {
	SEL_UNSET = -1,
	SEL_PRIMARY,
	SEL_FALLBACK,
	SEL_LOAD_BALANCED,
	SEL_CANARY,
	SEL__COUNT
};

enum transport_error { TE_NONE, TE_DNS, TE_CONNECT, TE_TLS, TE_TIMEOUT, TE_RESET, TE__COUNT };

/* What a provider's answer means, independent of the provider. */
enum err_class {
	EC_OK,
	EC_RATE_LIMIT,      /* 429: slow down and retry */
	EC_QUOTA_EXHAUSTED, /* billing/quota gone: a retry never helps */
	EC_SPEND_CAP,       /* organisation spend cap reached: a retry never helps */
	EC_OVERLOADED,      /* capacity short for everyone (529, 503 overloaded) */
	EC_SERVER_ERROR,    /* 500, 502, other 5xx */
	EC_TIMEOUT,         /* 504, deadline exceeded, 408 */
	EC_AUTH,            /* 401, invalid key */
	EC_PERMISSION,      /* 403 */
	EC_INVALID_REQUEST, /* 400 and other 4xx caused by the request */
	EC_CONTEXT_LENGTH,  /* prompt over the model's context window */
	EC_NOT_FOUND,       /* 404, model not found */
	EC_TOO_LARGE,       /* 413 */
	EC_CONTENT_FILTER,  /* prompt or output blocked by safety (often HTTP 200) */
	EC_TRANSPORT,       /* no HTTP answer: see enum transport_error */
	EC_OTHER,
	EC__COUNT
};

/* Finish reasons, normalised; the raw value is kept beside it. */
enum finish_reason {
	FR_UNSET = -1,
	FR_STOP,
	FR_LENGTH,
	FR_CONTENT_FILTER,
	FR_TOOL,
	FR_REFUSAL,
	FR_OTHER,
	FR__COUNT
};

/* Who served a request: never the API key itself, only its alias. A value
 * type; the strings are NUL-terminated and truncated to fit. */
#define VG_NAME_MAX  48
#define VG_MODEL_MAX 96
struct provider_id {
	char provider[VG_NAME_MAX];  /* "openai", "anthropic", "google", or another name */
	char model[VG_MODEL_MAX];    /* model version as sent ("gpt-4o-mini-2024-07-18") */
	char region[VG_NAME_MAX];    /* endpoint region, may be empty */
	char key_alias[VG_NAME_MAX]; /* API key alias, may be empty */
};

/* Copy at most len bytes of src (or up to its NUL when len is (size_t)-1) into
 * dst of size dstsize, always NUL-terminating; a copy that does not fit is
 * cut at a UTF-8 character boundary, never inside a sequence. Returns true
 * when it all fit. */
bool model_copy_str(char *dst, size_t dstsize, const char *src, size_t len);

/* Circuit breaker states, and one transition between them (an event of its own). */
enum breaker_state { BRK_CLOSED, BRK_OPEN, BRK_HALF_OPEN, BRK__COUNT };

struct breaker_transition {
	int64_t time_ms;
	char provider[VG_NAME_MAX];
	char model[VG_MODEL_MAX]; /* "" for a provider-wide breaker */
	enum breaker_state from, to;
	char reason[96];         /* "5 consecutive hard failures (503)", "cooldown elapsed", ... */
	int32_t opens_in_window; /* opens within the oscillation window, this one included */
	bool oscillating;        /* opens_in_window reached the oscillation threshold */
};

const char *model_breaker_state_name(enum breaker_state s);
int model_breaker_state_parse(const char *s, size_t len);

/* Static lower-case names ("provider", "rate_limit", "critical", ...). */
const char *model_category_name(enum category c);
const char *model_subtype_name(enum subtype s);
const char *model_severity_name(enum severity s);
const char *model_provider_kind_name(enum provider_kind k);
const char *model_traffic_class_name(enum traffic_class t);
const char *model_selection_reason_name(enum selection_reason r);
const char *model_transport_error_name(enum transport_error e);
const char *model_err_class_name(enum err_class e);
const char *model_finish_reason_name(enum finish_reason f);

/* Parse a name back; -1 when it is unknown. `len` may be (size_t)-1 for NUL-terminated. */
int model_category_parse(const char *s, size_t len);
int model_subtype_parse(const char *s, size_t len);
int model_severity_parse(const char *s, size_t len);
int model_traffic_class_parse(const char *s, size_t len);
int model_selection_reason_parse(const char *s, size_t len);
int model_transport_error_parse(const char *s, size_t len);
int model_err_class_parse(const char *s, size_t len);
int model_finish_reason_parse(const char *s, size_t len);

/* Provider kind from a provider name: "openai", "anthropic", "google"
 * ("gemini", "vertex_ai", "gcp.gemini" and "gcp.vertex_ai" too); PK_OTHER otherwise. */
enum provider_kind model_provider_kind_from_name(const char *s, size_t len);

/* The category a subtype belongs to. */
enum category model_subtype_category(enum subtype s);

/* True for provider subtypes that act at once (hard failures); false for soft
 * ones that need a sliding-window test, and for other categories. */
bool model_subtype_is_hard(enum subtype s);

/* True when retrying cannot help (quota, spend cap, auth, invalid request). */
bool model_subtype_retry_pointless(enum subtype s);

#endif
