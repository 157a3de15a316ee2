/*
 * canary_internal.h: what probes/canary*.c share (not for other modules):
 * the set and its endpoints.
 *
 *   canary.c          the running set: timers on core/schedule, the daily
 *                     budget, a probe sent and its response turned into an
 *                     observation, start and stop
 *   canary_request.c  the endpoints from the config and the request each
 *                     sends, in its provider's format (URL, body, headers)
 */
#ifndef VIGIL_PROBES_CANARY_INTERNAL_H
#define VIGIL_PROBES_CANARY_INTERNAL_H

#include "probes/canary.h"

#include "core/probe_budget.h"
#include "core/schedule.h"

#include <uv.h>

#define CANARY_PROMPT     "Reply with exactly this JSON object and nothing else: {\"ok\":true}"

#define ANTHROPIC_VERSION "2023-06-01"

#define MAX_HEADERS       4

struct endpoint {
	struct canary_set *set;
	size_t index;    /* in the schedule */
	size_t provider; /* index in cfg.providers */
	char name[VG_NAME_MAX + VG_MODEL_MAX + 2];
	char model[VG_MODEL_MAX];
	enum canary_kind kind;
	bool enabled;
	char reason[192];
	char url[CANARY_URL_MAX + VG_MODEL_MAX + 64];
	char *body;
	size_t body_len;
	char *headers[MAX_HEADERS]; /* one may hold the key: wiped before it is freed */
	size_t n_headers;
	uv_timer_t timer;
	int64_t next_ms; /* the scheduled start the timer waits for */
	bool in_flight;
	int64_t started_ms;
	uint64_t probes;
};

struct canary_set {
	uv_loop_t *loop;
	struct canary_config cfg;
	struct canary_opts o;
	canary_result_fn cb;
	void *ud;
	struct http_client *http;
	struct endpoint *ep;
	size_t n_ep;
	struct probe_budget budget[CANARY_MAX_PROVIDERS];
	struct schedule sched;
	uv_timer_t idle_timer;
	size_t once_left; /* once mode: endpoints not finished yet */
	size_t open_handles;
	bool stopping;
	uint64_t seq;
};

/* A line for the operator: the log hook of the options, or stderr. */
void canary__log(const struct canary_set *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* s->ep: one endpoint per configured provider and model, each with its
 * request built (disabled with a reason when it cannot be probed). Returns
 * 0 or VG_ENOMEM (the caller frees what was built). */
int canary__build_endpoints(struct canary_set *s);

#endif
