/*
 * sinks.h: how each configured sink is spoken to: the HTTP request for an
 * outbox row (URL, headers, the secret inserted at send time), what its
 * answer means (delivered, retry later, rejected for good), and the
 * Alertmanager duty of re-sending alerts (firing ones every
 * resend_interval, resolved ones for resolve_timeout, as Alertmanager
 * expects of its clients).
 *
 *   pagerduty     POST <url> (the Events v2 enqueue URL), body = the row's
 *                 payload with "routing_key" set from the secret
 *   alertmanager  POST <url>/api/v2/alerts for alert lists,
 *                 POST <url>/api/v2/silences for a silence (an object with
 *                 "matchers"); optional bearer secret
 *   webhook       POST <url>, the payload; optional bearer/basic secret;
 *                 Idempotency-Key
 *   jira          POST <url>/rest/api/2/issue; bearer or basic secret;
 *                 Idempotency-Key
 *
 * What each sink is comes in a struct sink_spec (below), which app/config
 * fills from vigil.yaml's sinks section.
 *
 * Secrets are read once from the environment variables the specs name and
 * live only in this module's memory: never in a row, a log line or a metric.
 * Text that goes to logs (answers of a sink) passes sinks_redact() first.
 *
 * Threads: loop thread only.
 */
#ifndef VIGIL_DATA_SINKS_H
#define VIGIL_DATA_SINKS_H

#include "core/route.h"
#include "net/http.h"

struct sinks;

#define SINK_URL_MAX 256
#define SINK_ENV_MAX 64

/* How a webhook or Jira secret is sent. */
enum sink_auth {
	SINK_AUTH_BEARER, /* "Authorization: Bearer <secret>" (the default) */
	SINK_AUTH_BASIC,  /* the variable holds "user:token", sent as Basic */
};

/* One sink to deliver to. Zero-initialise it and set what you know. */
struct sink_spec {
	char name[VG_NAME_MAX];        /* unique; the outbox rows' sink name */
	enum sink_kind kind;           /* pagerduty, alertmanager, webhook, jira */
	char url[SINK_URL_MAX];        /* see the table above */
	char secret_env[SINK_ENV_MAX]; /* variable with the routing key or token; "": none */
	enum sink_auth auth;           /* webhook, jira */
	int64_t timeout_ms;            /* per delivery attempt (<= 0: 10 s) */
	int64_t resend_interval_ms;    /* alertmanager: re-send firing alerts this often */
	int64_t resolve_timeout_ms;    /* alertmanager: keep sending resolved ones this long */
};

/* What a delivery attempt's answer means. */
enum sink_verdict {
	SINK_DELIVERED, /* 2xx */
	SINK_RETRY,     /* 408, 425, 429, 5xx, no answer: try again after retry_after_ms */
	SINK_REJECTED,  /* any other 4xx: never retried (logged) */
};

/* A sink as data/outbox sees it. */
struct sink_info {
	char name[VG_NAME_MAX];
	enum sink_kind kind;
	int64_t timeout_ms;
};

/* Reads an environment variable (getenv in production; tests pass their own). */
typedef const char *(*sinks_getenv_fn)(void *data, const char *name);

/*
 * Set up the sinks of specs[n] (copied). Secrets are read through
 * `getenv_fn` (NULL: getenv). Returns 0 and *out, or VG_ECONFIG with a
 * malloc'd message in *cause naming the sink and the variable (never its
 * value) when a named variable is unset or empty, or VG_ENOMEM.
 */
int sinks_new(const struct sink_spec *specs, size_t n, sinks_getenv_fn getenv_fn, void *env_data,
              struct sinks **out, char **cause);

/* Free; NULL does nothing. The secrets are wiped first. Stop the resend timer
 * (sinks_stop_resend) before. */
void sinks_free(struct sinks *s);

/* Number of sinks and the i-th one (borrowed). */
size_t sinks_count(const struct sinks *s);
const struct sink_info *sinks_info(const struct sinks *s, size_t i);
/* The sink named `name`, or -1. */
int sinks_find(const struct sinks *s, const char *name);

/*
 * The HTTP request for delivering `payload` to sink `i`. Webhook and Jira
 * deliveries carry `idem_key` (may be NULL or "": none) as the header
 * "Idempotency-Key" (bytes outside visible ASCII become '_'), so a receiver
 * can drop a delivery it has seen: delivery is at least once (the outbox
 * sends a row again after a crash between the send and the commit of its
 * outcome). PagerDuty and Alertmanager de-duplicate by dedup_key and label
 * set instead. Fills *req; the strings it points to live in *scratch (free
 * with sinks_request_done()) and may hold the secret: never log them.
 * Returns 0, VG_EINVAL (a payload the sink cannot send, e.g. not JSON for
 * PagerDuty), or VG_ENOMEM.
 */
struct sink_scratch {
	char url[SINK_URL_MAX + 64];
	char *headers[4];
	size_t n_headers;
	char *body; /* when the payload had to be rewritten (routing key) */
};
int sinks_request(const struct sinks *s, size_t i, const char *payload, const char *idem_key,
                  struct http_request *req, struct sink_scratch *scratch);
void sinks_request_done(struct sink_scratch *scratch);

/* Classify an answer; *retry_after_ms gets the wait a 429/503 asked for
 * (Retry-After in seconds or as an HTTP date, relative to now_ms), or 0. */
enum sink_verdict sinks_verdict(const struct http_response *r, int64_t now_ms,
                                int64_t *retry_after_ms);

/* Static names: "delivered", "retry", "rejected". */
const char *sinks_verdict_name(enum sink_verdict v);

/*
 * Replace every occurrence of every secret in text (in place) with
 * "[redacted]"-sized stars, for log lines that quote a sink's answer.
 */
void sinks_redact(const struct sinks *s, char *text);

/* ---- Alertmanager re-sends ------------------------------------------------------ */

/*
 * Note an alert list delivered to Alertmanager sink `i` (a row's payload):
 * each alert is remembered by its label set, firing until a later list
 * resolves it (endsAt). Call after each delivered alertmanager row.
 */
void sinks_alertmanager_delivered(struct sinks *s, size_t i, const char *payload, int64_t now_ms);

/* The answer to each re-send attempt to sink `i` (the response is borrowed
 * for the call), so that it counts like any delivery (data/outbox's
 * outbox_resend_hook). */
typedef void (*sinks_attempt_cb)(void *data, size_t i, const struct http_response *r);

/*
 * Start re-sending on `loop` with `http`: every resend_interval of each
 * alertmanager sink, one POST of all its remembered alerts (firing, and
 * resolved ones for resolve_timeout after they resolved). Best effort: a
 * failed re-send is tried again sooner (5 s, doubling up to the interval).
 * Every attempt's answer goes to `on_attempt` (may be NULL). Returns 0 or
 * VG_ENOMEM. `now_ms` gives the wall clock (NULL: the system clock).
 */
int sinks_start_resend(struct sinks *s, uv_loop_t *loop, struct http_client *http,
                       int64_t (*now_ms)(void *), void *now_data, sinks_attempt_cb on_attempt,
                       void *attempt_data);
void sinks_stop_resend(struct sinks *s);

/* Alerts remembered for re-sending by sink `i`, and re-sends done. */
size_t sinks_alertmanager_active(const struct sinks *s, size_t i);
uint64_t sinks_resends(const struct sinks *s);

#endif
