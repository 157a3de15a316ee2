/*
 * canary.c: the canary probes (see canary.h): endpoints from the config,
 * their requests in each provider's format, the timers that follow
 * core/schedule, the daily budget (core/probe_budget), and the turning of an
 * http_response into an observation. The endpoints and their requests are
 * built by canary_request.c; the set's state is in canary_internal.h.
 *
 * Every endpoint owns one uv_timer; the set owns the HTTP client and one
 * more timer that defers the once-mode on_idle callback to a fresh loop
 * iteration (so the caller may stop the set from it). The set is freed when
 * the last of its timers has closed.
 *
 * Stopping from inside the result callback is safe: net/http calls a
 * completion only after the transfer is out of the multi handle and off the
 * client's list (so http_client_close() cannot complete or free it a second
 * time) and frees it after the callback returns; a closing client is torn
 * down once its dispatch loop is done; and the set's own memory waits for
 * its timers' close callbacks, after the callback has returned.
 */
#include "probes/canary.h"

#include "core/normalise.h"
#include "core/price.h"
#include "core/probe_budget.h"
#include "core/schedule.h"
#include "core/vgerr.h"
#include "net/clock.h"
#include "probes/canary_internal.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

static int64_t now_ms(const struct canary_set *s)
{
	return s->o.now_ms ? s->o.now_ms(s->o.now_ud) : clock_wall_ms();
}

void canary__log(const struct canary_set *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->o.log)
		s->o.log(s->o.log_ud, line);
	else
		fprintf(stderr, "vigil probe: %s\n", line);
}

static void wipe_free(char *p)
{
	if (!p)
		return;
	volatile char *v = p;
	while (*v)
		*v++ = '\0';
	free(p);
}

/* ---- results ---- */

static void budget_hook(struct canary_set *s, size_t pi, int64_t now)
{
	const struct canary_hooks *h = &s->o.hooks;
	if (h->budget)
		h->budget(h->ud, s->cfg.providers[pi].name, s->budget[pi].exhausted,
		          probe_budget_spent(&s->budget[pi], now));
}

/* The model's answer text (borrowed from j), or NULL. */
static const char *answer_text(json_t *j, enum provider_kind kind)
{
	json_t *t;
	if (kind == PK_ANTHROPIC) {
		size_t i;
		json_t *blk;
		json_array_foreach (json_object_get(j, "content"), i, blk) {
			t = json_object_get(blk, "text");
			if (json_is_string(t))
				return json_string_value(t);
		}
		return NULL;
	}
	if (kind == PK_GOOGLE) {
		json_t *c = json_array_get(json_object_get(j, "candidates"), 0);
		json_t *part =
		        json_array_get(json_object_get(json_object_get(c, "content"), "parts"), 0);
		t = json_object_get(part, "text");
		return json_is_string(t) ? json_string_value(t) : NULL;
	}
	json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
	t = json_object_get(json_object_get(ch, "message"), "content");
	return json_is_string(t) ? json_string_value(t) : NULL;
}

/* Whether the answer is the JSON object {"ok":true} (whitespace and a
 * Markdown code fence around it are tolerated). */
static bool answer_ok(const char *text)
{
	if (!text)
		return false;
	const char *a = strchr(text, '{');
	const char *b = strrchr(text, '}');
	if (!a || !b || b < a)
		return false;
	for (const char *p = text; p < a; p++)
		if (!strchr(" \t\r\n`json", *p))
			return false;
	for (const char *p = b + 1; *p; p++)
		if (!strchr(" \t\r\n`", *p))
			return false;
	json_t *j = json_loadb(a, (size_t)(b - a + 1), 0, NULL);
	bool ok = json_is_object(j) && json_object_size(j) == 1 &&
	          json_is_true(json_object_get(j, "ok"));
	json_decref(j);
	return ok;
}

static double us_to_ms(int64_t us)
{
	return us > 0 ? (double)us / 1000.0 : VG_NONE_D;
}

static void once_done(struct canary_set *s);

static void on_response(void *data, const struct http_response *r)
{
	struct endpoint *e = data;
	struct canary_set *s = e->set;
	e->in_flight = false;
	if (r->err == VG_ESTATE || s->stopping)
		return; /* cancelled by canary_stop(): nothing to report */
	const struct canary_provider *p = &s->cfg.providers[e->provider];
	int64_t now = now_ms(s);
	if (r->err && r->err != VG_ENET) {
		canary__log(s, "%s: probe lost: %s", e->name, vg_strerror(r->err));
		once_done(s);
		return;
	}
	/* A transfer that broke after the status line arrived is an answer cut
	 * short (content-length mismatch, chunked body never finished): the
	 * provider answered, the body is truncated. */
	bool cut = r->err == VG_ENET && r->status >= 100 &&
	           (r->curl_code == CURLE_PARTIAL_FILE || r->curl_code == CURLE_RECV_ERROR);
	enum transport_error te = r->err == VG_ENET && !cut ? r->transport : TE_NONE;

	struct observation obs;
	observation_init(&obs);
	obs.source = OBS_PROBE;
	obs.ts_ms = e->started_ms;
	obs.attempt = 1;
	model_copy_str(obs.pid.provider, sizeof(obs.pid.provider), p->name, (size_t)-1);
	model_copy_str(obs.pid.model, sizeof(obs.pid.model), e->model, (size_t)-1);
	model_copy_str(obs.pid.region, sizeof(obs.pid.region), p->region, (size_t)-1);
	model_copy_str(obs.pid.key_alias, sizeof(obs.pid.key_alias), p->key_alias, (size_t)-1);
	obs.kind = p->kind;
	model_copy_str(obs.template_id, sizeof(obs.template_id),
	               e->kind == CANARY_MODELS ? "canary-models" : "canary", (size_t)-1);
	obs.traffic_class = TC_INTERNAL;
	obs.selection_reason = SEL_CANARY;
	obs.stream = VG_TRI_FALSE;
	obs.dns_ms = us_to_ms(r->times.namelookup_us);
	obs.connect_ms = us_to_ms(r->times.connect_us);
	obs.tls_ms = us_to_ms(r->times.appconnect_us);
	obs.ttfb_ms = us_to_ms(r->times.starttransfer_us);
	obs.total_ms = (double)r->times.total_us / 1000.0;
	obs.transport_error = te;
	obs.http_status = te == TE_NONE ? r->status : -1;
	obs.body_bytes = r->body_bytes;

	struct norm_header hs[64];
	size_t nh = r->n_headers < 64 ? r->n_headers : 64;
	for (size_t i = 0; i < nh; i++) {
		hs[i].name = r->headers[i].name;
		hs[i].name_len = strlen(r->headers[i].name);
		hs[i].value = r->headers[i].value;
		hs[i].value_len = strlen(r->headers[i].value);
	}
	struct norm_input in = {
		.kind = obs.kind,
		.status = obs.http_status,
		.transport = te,
		.headers = hs,
		.nheaders = nh,
		.body = r->body_len ? r->body : NULL,
		.body_len = r->body_len,
		.now_ms = now,
	};
	normalise_response(&in, &obs.norm);
	if (r->truncated && !cut)
		obs.norm.body_truncated = false; /* our own cap, not the provider's doing */
	if (cut && te == TE_NONE)
		obs.norm.body_truncated = true;

	const char *rid = http_response_header(r, "x-request-id");
	if (!rid)
		rid = http_response_header(r, "request-id");
	if (!rid)
		rid = http_response_header(r, "x-goog-request-id");
	s->seq++;
	if (rid && rid[0])
		model_copy_str(obs.request_id, sizeof(obs.request_id), rid, (size_t)-1);
	else
		snprintf(obs.request_id, sizeof(obs.request_id), "canary-%s-%llu", e->name,
		         (unsigned long long)s->seq);

	bool answered = te == TE_NONE && obs.http_status >= 200 && obs.http_status < 300;
	bool complete = answered && !obs.norm.body_truncated && !obs.norm.stream_error &&
	                !obs.norm.body_not_json;
	json_t *doc = NULL;
	if (e->kind == CANARY_COMPLETION && complete) {
		doc = json_loadb(r->body, r->body_len, 0, NULL);
		const char *text = doc ? answer_text(doc, obs.kind) : NULL;
		if (text) {
			obs.text = text;
			obs.text_len = strlen(text);
		}
		/* The {"ok":true} check, unless the provider already explained a
		 * missing or partial answer (safety block, length limit). */
		enum finish_reason fr = obs.norm.finish;
		if (!obs.norm.safety_block && fr != FR_LENGTH && fr != FR_CONTENT_FILTER &&
		    fr != FR_REFUSAL) {
			obs.verdicts.schema_valid = answer_ok(text) ? VG_TRI_TRUE : VG_TRI_FALSE;
			if (obs.verdicts.schema_valid == VG_TRI_FALSE)
				model_copy_str(obs.verdicts.schema_pointer,
				               sizeof(obs.verdicts.schema_pointer), "/ok",
				               (size_t)-1);
		}
	}
	bool healthy = complete && !obs.norm.safety_block && obs.norm.finish != FR_LENGTH &&
	               obs.norm.finish != FR_CONTENT_FILTER &&
	               (e->kind == CANARY_MODELS || obs.verdicts.schema_valid == VG_TRI_TRUE);

	/* Cost: usage x the model's price (core/price); unknown when the price or
	 * the usage is, and then no spend is charged. */
	double cost = VG_NONE_D;
	if (e->kind == CANARY_COMPLETION) {
		const struct canary_model *m =
		        price_find(e->model, p->models, p->n_models, sizeof(p->models[0]),
		                   offsetof(struct canary_model, name));
		if (m)
			cost = price_cost(m->price_in_per_1k, m->price_out_per_1k,
			                  observation_input_tokens(&obs),
			                  observation_output_tokens(&obs));
	}
	obs.cost_usd = cost;
	struct probe_budget *b = &s->budget[e->provider];
	probe_budget_charge(b, now, cost);

	struct canary_result res = {
		.endpoint = e->name,
		.provider = p->name,
		.model = e->model,
		.kind = e->kind,
		.healthy = healthy,
		.error = te != TE_NONE || cut ? r->error : "",
		.times = &r->times,
		.spend_usd = isnan(cost) ? 0 : cost,
		.spend_today_usd = probe_budget_spent(b, now),
		.budget_usd = b->limit_usd > 0 ? b->limit_usd : 0,
		.seq = s->seq,
		.index = e->index,
	};
	if (s->o.hooks.result)
		s->o.hooks.result(s->o.hooks.ud, &obs, &res);
	budget_hook(s, e->provider, now);
	if (s->cb)
		s->cb(s->ud, &obs, &res);
	json_decref(doc);
	once_done(s);
}

/* ---- starting probes ---- */

static void on_idle_timer(uv_timer_t *t)
{
	struct canary_set *s = t->data;
	if (!s->stopping && s->o.on_idle)
		s->o.on_idle(s->ud);
}

static void once_done(struct canary_set *s)
{
	/* after canary_stop() (from the result callback, say) the idle timer
	 * is closing: never start it again */
	if (!s->o.once || s->once_left == 0 || s->stopping)
		return;
	if (--s->once_left == 0)
		uv_timer_start(&s->idle_timer, on_idle_timer, 0, 0);
}

/* Start one probe now, or skip it (budget, still in flight). Returns true
 * when a request went out. */
static bool probe(struct endpoint *e)
{
	struct canary_set *s = e->set;
	const struct canary_provider *p = &s->cfg.providers[e->provider];
	int64_t now = now_ms(s);
	if (e->in_flight)
		return false;
	struct probe_budget *b = &s->budget[e->provider];
	bool changed = false;
	bool ok = probe_budget_allows(b, now, &changed);
	if (changed && !ok)
		canary__log(s,
		            "%s: daily probe budget spent ($%.6f of $%.6f today, UTC): no canaries "
		            "until 00:00 UTC",
		            p->name, probe_budget_spent(b, now), b->limit_usd);
	else if (changed && ok)
		canary__log(s, "%s: a new UTC day: canaries resume (budget $%.6f)", p->name,
		            b->limit_usd);
	if (changed)
		budget_hook(s, e->provider, now);
	if (!ok) {
		if (s->o.hooks.skipped)
			s->o.hooks.skipped(s->o.hooks.ud, p->name, e->model, "budget");
		return false;
	}
	struct http_request req = {
		.method = e->kind == CANARY_MODELS ? "GET" : "POST",
		.url = e->url,
		.headers = (const char *const *)e->headers,
		.n_headers = e->n_headers,
		.body = e->body,
		.body_len = e->body_len,
		.connect_timeout_ms = s->cfg.connect_timeout_ms,
		.timeout_ms = s->cfg.timeout_ms,
		.fresh_connect = true,
		.max_body = (size_t)s->cfg.max_body,
		.ca_file = s->o.ca_file,
		.resolve = s->o.resolve,
	};
	e->started_ms = now;
	int rc = http_request(s->http, &req, on_response, e, NULL);
	if (rc) {
		canary__log(s, "%s: cannot start a probe: %s", e->name, vg_strerror(rc));
		return false;
	}
	e->in_flight = true;
	e->probes++;
	return true;
}

static void arm(struct endpoint *e, int64_t now)
{
	struct canary_set *s = e->set;
	int64_t from = e->next_ms > now ? e->next_ms : now;
	int64_t next = schedule_next(&s->sched, e->index, from);
	if (next < 0) /* more endpoints than ms in an interval: plain interval */
		next = from + s->cfg.interval_ms;
	e->next_ms = next;
}

static void on_timer(uv_timer_t *t);

static void schedule_after(struct endpoint *e, int64_t now)
{
	arm(e, now);
	int64_t delay = e->next_ms - now;
	uv_timer_start(&e->timer, on_timer, (uint64_t)(delay > 0 ? delay : 0), 0);
}

static void on_timer(uv_timer_t *t)
{
	struct endpoint *e = t->data;
	struct canary_set *s = e->set;
	if (s->stopping)
		return;
	if (e->in_flight)
		canary__log(s, "%s: previous probe still running at the next start: skipped",
		            e->name);
	else
		probe(e);
	if (!s->stopping) /* the log callback may have stopped the set */
		schedule_after(e, now_ms(s));
}

/* ---- the set ---- */

static void on_closed(uv_handle_t *h)
{
	struct canary_set *s = h->data;
	if (h != (uv_handle_t *)&s->idle_timer) {
		struct endpoint *e = ((uv_timer_t *)h)->data;
		s = e->set;
	}
	if (--s->open_handles > 0)
		return;
	for (size_t i = 0; i < s->n_ep; i++) {
		for (size_t k = 0; k < s->ep[i].n_headers; k++)
			wipe_free(s->ep[i].headers[k]);
		free(s->ep[i].body);
	}
	free(s->ep);
	free(s);
}

static void free_unstarted(struct canary_set *s)
{
	if (s->ep) {
		for (size_t i = 0; i < s->n_ep; i++) {
			for (size_t k = 0; k < s->ep[i].n_headers; k++)
				wipe_free(s->ep[i].headers[k]);
			free(s->ep[i].body);
		}
	}
	free(s->ep);
	free(s);
}

int canary_start_opts(uv_loop_t *loop, const struct canary_config *cfg, const struct canary_opts *o,
                      canary_result_fn cb, void *ud, struct canary_set **out, char **cause)
{
	*out = NULL;
	struct canary_set *s = calloc(1, sizeof(*s));
	if (!s) {
		if (cause)
			*cause = strdup("out of memory");
		return VG_ENOMEM;
	}
	s->loop = loop;
	s->cfg = *cfg;
	if (o)
		s->o = *o;
	s->cb = cb;
	s->ud = ud;
	int rc = canary__build_endpoints(s);
	if (rc) {
		if (cause)
			*cause = strdup("out of memory building the canaries");
		free_unstarted(s);
		return rc;
	}
	rc = http_client_new(loop, &s->http);
	if (rc) {
		if (cause)
			*cause = strdup("libcurl could not be set up (http_global_init?)");
		free_unstarted(s);
		return rc;
	}
	uint64_t seed = s->o.seed ? s->o.seed : cfg->seed;
	if (!seed) {
		/* A stable seed per instance name, so restarts keep the timetable. */
		seed = 1469598103934665603ULL;
		for (const char *c = cfg->instance; *c; c++)
			seed = (seed ^ (unsigned char)*c) * 1099511628211ULL;
	}
	s->sched = (struct schedule){
		.interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms : 60000,
		.jitter_ms = cfg->jitter_ms,
		.seed = seed,
		.count = s->n_ep ? s->n_ep : 1,
	};
	uv_timer_init(loop, &s->idle_timer);
	s->idle_timer.data = s;
	s->open_handles = 1;
	int64_t now = now_ms(s);
	for (size_t pi = 0; s->o.spent_today_usd && pi < cfg->n_providers; pi++)
		if (s->o.spent_today_usd[pi] > 0) /* false for NaN */
			probe_budget_charge(&s->budget[pi], now, s->o.spent_today_usd[pi]);
	for (size_t i = 0; i < s->n_ep; i++) {
		struct endpoint *e = &s->ep[i];
		uv_timer_init(loop, &e->timer);
		e->timer.data = e;
		s->open_handles++;
	}
	size_t enabled = 0;
	for (size_t i = 0; i < s->n_ep; i++)
		enabled += s->ep[i].enabled;
	if (s->o.once) {
		s->once_left = enabled;
		for (size_t i = 0; i < s->n_ep; i++) {
			if (s->ep[i].enabled && !probe(&s->ep[i]))
				once_done(s);
		}
		if (enabled == 0)
			uv_timer_start(&s->idle_timer, on_idle_timer, 0, 0);
	} else {
		for (size_t i = 0; i < s->n_ep; i++)
			if (s->ep[i].enabled)
				schedule_after(&s->ep[i], now);
	}
	*out = s;
	return 0;
}

struct canary_set *canary_start(uv_loop_t *loop, const struct canary_config *cfg,
                                canary_result_fn cb, void *ud)
{
	struct canary_set *s = NULL;
	char *cause = NULL;
	if (canary_start_opts(loop, cfg, NULL, cb, ud, &s, &cause) != 0) {
		fprintf(stderr, "vigil probe: %s\n", cause ? cause : "cannot start the canaries");
		free(cause);
		return NULL;
	}
	return s;
}

void canary_stop(struct canary_set *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	http_client_close(s->http); /* in-flight probes end with VG_ESTATE: ignored */
	s->http = NULL;
	for (size_t i = 0; i < s->n_ep; i++) {
		uv_timer_stop(&s->ep[i].timer);
		uv_close((uv_handle_t *)&s->ep[i].timer, on_closed);
	}
	uv_timer_stop(&s->idle_timer);
	uv_close((uv_handle_t *)&s->idle_timer, on_closed);
}

size_t canary_probe_now(struct canary_set *s)
{
	size_t n = 0;
	if (!s || s->stopping)
		return 0;
	for (size_t i = 0; i < s->n_ep; i++)
		if (s->ep[i].enabled && probe(&s->ep[i]))
			n++;
	return n;
}

size_t canary_endpoint_count(const struct canary_set *s)
{
	return s ? s->n_ep : 0;
}

bool canary_endpoint(const struct canary_set *s, size_t i, struct canary_endpoint_info *out)
{
	if (!s || i >= s->n_ep)
		return false;
	const struct endpoint *e = &s->ep[i];
	const struct probe_budget *b = &s->budget[e->provider];
	out->endpoint = e->name;
	out->provider = s->cfg.providers[e->provider].name;
	out->model = e->model;
	out->kind = e->kind;
	out->enabled = e->enabled;
	out->disabled_reason = e->reason;
	out->probes = e->probes;
	out->spend_today_usd = probe_budget_spent(b, now_ms(s));
	out->budget_exhausted = b->exhausted;
	return true;
}
