/*
 * sim_gateway.c: the gateway traffic generator: events-v1 lines as a
 * multi-provider gateway writes them while the scenario plays.
 *
 * Requests arrive as a seeded Poisson process (scenario time). Each request
 * picks a template (weights), follows the template's route (primary, then
 * fallbacks), retries retryable failures on the same provider, fails over
 * with selection.after_failure_of, and skips a provider whose recent
 * failures put it in cooldown (the gateway's own breaker). Every attempt is
 * decided by sim_decide() (the same function the provider server uses) and
 * written with the provider's own status, headers and body (sim_format.c).
 *
 * Lines are emitted in completion order through a min-heap keyed by the
 * attempt's end time: a line is released once no later arrival can end
 * before it.
 *
 * Draws (sim_rng.h): request n's root stream is fork(seed's gateway stream,
 * n), attempt k's is its fork (SIM_RNG_ATTEMPT, k), and every concern draws
 * from its own fork of one of them: per request the time to the next
 * arrival, the request's shape (template, streaming, prompt size), its id
 * and its facts; per attempt the region, the decision (sim_decide), the
 * connection, the text, the response id, a storm's invalid answer and the
 * backoff. So the output depends on the options only, and a draw added in
 * one concern moves no other.
 */
#include "sim/sim.h"

#include "core/vgerr.h"
#include "sim/sim_decide.h"
#include "sim/sim_format.h"
#include "sim/sim_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pending {
	int64_t end_t;
	uint64_t seq;
	char *line;
	size_t len;
};

struct gwprov {
	int consecutive;
	int64_t cooldown_until;
};

struct sim_gateway {
	struct sim_scenario *scn;
	double rate;
	uint64_t seed;
	int64_t start_ms;
	double ts_scale;
	int64_t duration;
	struct sim_rng base; /* the seed's gateway stream: request roots fork from it */
	struct sim_limiter lim;
	double next_arrival;
	uint64_t n_req, n_lines, seq;
	struct gwprov gp[SIM_MAX_PROVIDERS];
	struct pending *heap;
	size_t n_heap, cap_heap;
	bool arrivals_done;
	bool failed;
	double wsum;
	struct sim_buf line, text, ctx;
};

/* ---- the heap ---- */

static bool before(const struct pending *a, const struct pending *b)
{
	return a->end_t < b->end_t || (a->end_t == b->end_t && a->seq < b->seq);
}

static int heap_push(struct sim_gateway *g, int64_t end_t, const char *line, size_t len)
{
	if (g->n_heap == g->cap_heap) {
		size_t cap = g->cap_heap ? g->cap_heap * 2 : 256;
		struct pending *h = realloc(g->heap, cap * sizeof(*h));
		if (!h)
			return VG_ENOMEM;
		g->heap = h;
		g->cap_heap = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy)
		return VG_ENOMEM;
	memcpy(copy, line, len);
	copy[len] = '\0';
	size_t i = g->n_heap++;
	g->heap[i] = (struct pending){ end_t, g->seq++, copy, len };
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(&g->heap[i], &g->heap[parent]))
			break;
		struct pending t = g->heap[i];
		g->heap[i] = g->heap[parent];
		g->heap[parent] = t;
		i = parent;
	}
	return 0;
}

static struct pending heap_pop(struct sim_gateway *g)
{
	struct pending top = g->heap[0];
	g->heap[0] = g->heap[--g->n_heap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < g->n_heap && before(&g->heap[l], &g->heap[m]))
			m = l;
		if (r < g->n_heap && before(&g->heap[r], &g->heap[m]))
			m = r;
		if (m == i)
			break;
		struct pending t = g->heap[i];
		g->heap[i] = g->heap[m];
		g->heap[m] = t;
		i = m;
	}
	return top;
}

/* ---- lifetime ---- */

struct sim_gateway *sim_gateway_new(const struct sim_gateway_opts *o, char **cause)
{
	if (!o || !o->scenario) {
		if (cause)
			*cause = strdup("sim_gateway_new: no scenario");
		return NULL;
	}
	struct sim_gateway *g = calloc(1, sizeof(*g));
	struct sim_scenario *scn = malloc(sizeof(*scn));
	if (!g || !scn) {
		free(g);
		free(scn);
		if (cause)
			*cause = strdup("out of memory");
		return NULL;
	}
	memcpy(scn, o->scenario, sizeof(*scn));
	g->scn = scn;
	g->rate = o->rate > 0 ? o->rate : scn->traffic.rate;
	g->seed = o->seed ? o->seed : scn->seed;
	g->start_ms = o->start_ms;
	g->ts_scale = o->ts_scale > 0 ? o->ts_scale : 1.0;
	g->duration = o->duration_ms > 0 ? o->duration_ms : scn->duration_ms;
	for (int i = 0; i < scn->traffic.n_templates; i++)
		g->wsum += scn->traffic.templates[i].weight;
	sim_buf_init(&g->line);
	sim_buf_init(&g->text);
	sim_buf_init(&g->ctx);
	sim_rng_init(&g->base, g->seed, SIM_RNG_GATEWAY);
	struct sim_rng r = sim_rng_fork2(&g->base, 0, SIM_RNG_ARRIVAL);
	g->next_arrival = sim_rng_exp(&r, 1000.0 / g->rate);
	return g;
}

void sim_gateway_free(struct sim_gateway *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_heap; i++)
		free(g->heap[i].line);
	free(g->heap);
	sim_buf_free(&g->line);
	sim_buf_free(&g->text);
	sim_buf_free(&g->ctx);
	free(g->scn);
	free(g);
}

bool sim_gateway_done(const struct sim_gateway *g)
{
	return g->arrivals_done && g->n_heap == 0;
}

uint64_t sim_gateway_lines(const struct sim_gateway *g)
{
	return g->n_lines;
}

uint64_t sim_gateway_requests(const struct sim_gateway *g)
{
	return g->n_req;
}

/* ---- one request ---- */

static int pick_weighted(struct sim_rng *r, const double *w, int n, double sum)
{
	double u = sim_rng_unit(r) * sum;
	for (int i = 0; i < n; i++) {
		if (u < w[i])
			return i;
		u -= w[i];
	}
	return n - 1;
}

static int pick_template(struct sim_gateway *g, struct sim_rng *r)
{
	double w[SIM_MAX_TEMPLATES];
	const struct sim_traffic *tr = &g->scn->traffic;
	for (int i = 0; i < tr->n_templates; i++)
		w[i] = tr->templates[i].weight;
	return pick_weighted(r, w, tr->n_templates, g->wsum > 0 ? g->wsum : 1);
}

static int pick_region(const struct sim_provider *p, struct sim_rng *r)
{
	if (p->n_regions <= 1)
		return 0;
	double w[SIM_MAX_REGIONS], sum = 0;
	for (int i = 0; i < p->n_regions; i++) {
		w[i] = p->regions[i].weight;
		sum += w[i];
	}
	return pick_weighted(r, w, p->n_regions, sum > 0 ? sum : 1);
}

static bool retryable(const struct sim_answer *a)
{
	switch (a->outcome) {
	case SIM_F_RESET:
	case SIM_F_HANG:
	case SIM_F_TRUNCATED:
	case SIM_F_STREAM_ERROR:
	case SIM_F_RATE_LIMIT:
	case SIM_F_SERVER_ERROR:
	case SIM_F_UNAVAILABLE:
	case SIM_F_OVERLOADED:
	case SIM_F_TIMEOUT: return true;
	default: return false;
	}
}

/* The provider's raw finish reason for a complete 200. */
static const char *finish_reason(enum sim_kind k, const struct sim_answer *a)
{
	bool len = a->outcome == SIM_F_LENGTH, block = a->outcome == SIM_F_SAFETY_BLOCK;
	switch (k) {
	case SIM_OPENAI: return len ? "length" : block ? "content_filter" : "stop";
	case SIM_ANTHROPIC: return len ? "max_tokens" : block ? "refusal" : "end_turn";
	default: return len ? "MAX_TOKENS" : block ? "SAFETY" : "STOP";
	}
}

struct attempt {
	int provider, model, region, tmpl;
	int attempt;
	const char *reason;
	int after_failure_of; /* provider index or -1 */
	int64_t t;            /* start, scenario ms */
	bool stream;
	const char *request_id;
	int predicted;
	const struct sim_facts *facts;
	bool injected;
	bool storm_invalid;
};

/* Writes one events-v1 line for attempt at with answer a into g->line
 * (drawing from forks of the attempt's root stream); returns the attempt's
 * duration in scenario ms and sets *ok. */
static double write_line(struct sim_gateway *g, const struct attempt *at,
                         const struct sim_answer *a, const struct sim_rng *root, bool *ok)
{
	const struct sim_scenario *scn = g->scn;
	const struct sim_provider *p = &scn->providers[at->provider];
	const struct sim_model *m = &p->models[at->model];
	const struct sim_template *tp = &scn->traffic.templates[at->tmpl];
	struct sim_jw w;
	char ts[40];
	double timeout = (double)scn->traffic.timeout_ms;

	/* Connection phases: most requests reuse a pooled connection. */
	struct sim_rng cr = sim_rng_fork(root, SIM_RNG_CONNECTION);
	double dns = 0, conn = 0, tls = 0;
	if (sim_rng_unit(&cr) < 0.2) {
		dns = 1 + 4 * sim_rng_unit(&cr);
		conn = dns + 8 + 17 * sim_rng_unit(&cr);
		tls = conn + 15 + 25 * sim_rng_unit(&cr);
	}
	enum sim_fault o = a->outcome;
	const char *terr = NULL;
	double total, ttfb = -1;
	if (o == SIM_F_DNS) {
		terr = "dns";
		dns = a->total_ms;
		conn = tls = -1;
		total = dns;
	} else if (o == SIM_F_CONNECT) {
		terr = "connect";
		dns = dns > 0 ? dns : 1;
		conn = dns + a->total_ms;
		tls = -1;
		total = conn;
	} else if (o == SIM_F_RESET) {
		terr = "reset";
		total = tls + a->total_ms;
	} else if (o == SIM_F_HANG || tls + a->total_ms > timeout) {
		terr = "timeout";
		total = timeout;
		if (o != SIM_F_HANG && tls + a->ttfb_ms < timeout)
			ttfb = tls + a->ttfb_ms;
	} else {
		total = tls + a->total_ms;
		ttfb = tls + a->ttfb_ms;
	}
	bool has_http = !terr;

	/* The response as the provider sends it. */
	sim_buf_reset(&g->text);
	bool schema_valid = true;
	unsigned flags = a->text_flags;
	if (at->storm_invalid)
		flags |= 1u << SIM_TX_FORMAT;
	if (has_http && a->status == 200) {
		struct sim_rng words = sim_rng_fork(root, SIM_RNG_TEXT);
		if (o == SIM_F_SAFETY_BLOCK && a->prompt_block) {
			schema_valid = false;
		} else if (o == SIM_F_SAFETY_BLOCK) {
			sim_buf_puts(&g->text, sim_text_refusal(&words));
			schema_valid = !tp->schema_id[0];
		} else {
			sim_text_response(at->facts, tp->schema_id[0] != '\0', flags, &words,
			                  &g->text, &schema_valid);
		}
	}
	/* The line is released (written) at scenario time t + total, which is
	 * wall time start + (t + total) * ts_scale; durations keep their real
	 * length, so under a compressed clock ts moves back by what the
	 * compression takes off: ts + total_ms is then that write time, never
	 * ahead of it. With ts_scale 1 this is start + t. */
	int64_t ts_ms = g->start_ms +
	                (int64_t)llround((double)at->t * g->ts_scale - total * (1.0 - g->ts_scale));
	struct sim_rng ids = sim_rng_fork(root, SIM_RNG_ID);
	struct sim_answer ans = *a;
	struct sim_response resp;
	sim_response_init(&resp);
	struct sim_fmt_in in = {
		.kind = p->kind,
		.a = &ans,
		.model = m->name,
		.text = sim_buf_cstr(&g->text),
		.stream = at->stream,
		.stream_usage = at->stream,
		.now_ms = ts_ms + (int64_t)llround(ttfb > 0 ? ttfb : 0),
		.scale = g->ts_scale,
		.id_seed = sim_rng_next(&ids),
		.key_tail = NULL,
	};
	if (has_http)
		sim_format_answer(&in, &resp);
	bool complete200 =
	        has_http && a->status == 200 && o != SIM_F_TRUNCATED && o != SIM_F_STREAM_ERROR;
	*ok = complete200 && !at->storm_invalid;
	if (complete200 && at->storm_invalid)
		schema_valid = false;

	sim_buf_reset(&g->line);
	sim_jw_init(&w, &g->line);
	sim_jw_obj(&w);
	sim_jw_kint(&w, "schema_version", 1);
	sim_jw_kstr(&w, "ts", sim_time_rfc3339(ts_ms, true, ts, sizeof(ts)));
	sim_jw_kstr(&w, "request_id", at->request_id);
	sim_jw_kstr(&w, "provider", p->name);
	sim_jw_kstr(&w, "model", a->version[0] ? a->version : m->version);
	if (p->n_regions > 0)
		sim_jw_kstr(&w, "region", p->regions[at->region].name);
	if (p->key_alias[0])
		sim_jw_kstr(&w, "key_alias", p->key_alias);
	sim_jw_kstr(&w, "template", tp->name);
	sim_jw_kstr(&w, "traffic_class", tp->traffic_class);
	sim_jw_key(&w, "selection");
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "reason", at->reason);
	if (at->after_failure_of >= 0)
		sim_jw_kstr(&w, "after_failure_of", scn->providers[at->after_failure_of].name);
	sim_jw_kint(&w, "attempt", at->attempt);
	sim_jw_obj_end(&w);
	sim_jw_kbool(&w, "stream", at->stream);

	sim_jw_key(&w, "transport");
	sim_jw_obj(&w);
	if (dns >= 0)
		sim_jw_knum(&w, "dns_ms", dns, 1);
	if (conn >= 0)
		sim_jw_knum(&w, "connect_ms", conn, 1);
	if (tls >= 0)
		sim_jw_knum(&w, "tls_ms", tls, 1);
	if (ttfb >= 0)
		sim_jw_knum(&w, "ttfb_ms", ttfb, 1);
	sim_jw_knum(&w, "total_ms", total, 1);
	if (terr)
		sim_jw_kstr(&w, "error", terr);
	sim_jw_obj_end(&w);

	if (has_http) {
		size_t body_bytes = o == SIM_F_TRUNCATED ? resp.body.len / 2 : resp.body.len;
		sim_jw_key(&w, "http");
		sim_jw_obj(&w);
		sim_jw_kint(&w, "status", resp.status);
		sim_jw_key(&w, "headers");
		sim_jw_obj(&w);
		for (int i = 0; i < resp.n_headers; i++)
			sim_jw_kstr(&w, resp.headers[i].name, resp.headers[i].value);
		if (!resp.stream) {
			char cl[24];
			snprintf(cl, sizeof(cl), "%zu", resp.body.len);
			sim_jw_kstr(&w, "content-length", cl);
		}
		sim_jw_obj_end(&w);
		sim_jw_kint(&w, "body_bytes", (int64_t)body_bytes);
		bool with_body = resp.status != 200 || o == SIM_F_TRUNCATED ||
		                 o == SIM_F_STREAM_ERROR || o == SIM_F_SAFETY_BLOCK;
		if (with_body) {
			sim_jw_key(&w, "body");
			if (resp.json && o != SIM_F_TRUNCATED)
				sim_jw_raw(&w, resp.body.p ? resp.body.p : "null", resp.body.len);
			else
				sim_jw_strn(&w, resp.body.p ? resp.body.p : "", body_bytes);
		}
		sim_jw_obj_end(&w);
	}

	if (complete200) {
		sim_jw_key(&w, "response");
		sim_jw_obj(&w);
		if (o == SIM_F_SAFETY_BLOCK && a->prompt_block && p->kind == SIM_GOOGLE)
			sim_jw_kstr(&w, "block_reason", "SAFETY");
		else
			sim_jw_kstr(&w, "finish_reason", finish_reason(p->kind, a));
		if (tp->share_text && g->text.len)
			sim_jw_kstr(&w, "text", sim_buf_cstr(&g->text));
		if (tp->schema_id[0]) {
			sim_jw_kstr(&w, "schema_id", tp->schema_id);
			sim_jw_kbool(&w, "schema_valid", schema_valid);
		}
		sim_jw_obj_end(&w);
	}

	sim_jw_key(&w, "usage");
	sim_jw_obj(&w);
	if (complete200) {
		sim_jw_kint(&w, "input_tokens", a->input_tokens);
		sim_jw_kint(&w, "output_tokens", a->output_tokens);
		if (p->kind != SIM_GOOGLE || a->cached_tokens)
			sim_jw_kint(&w, "cached_input_tokens", a->cached_tokens);
	}
	sim_jw_kint(&w, "predicted_input_tokens", at->predicted);
	sim_jw_obj_end(&w);

	double cost = 0;
	if (complete200)
		cost = ((double)(a->input_tokens - a->cached_tokens) +
		        0.5 * (double)a->cached_tokens) *
		               m->price_in_per_1k / 1000.0 +
		       (double)a->output_tokens * m->price_out_per_1k / 1000.0;
	sim_jw_knum(&w, "cost_usd", cost, 8);
	sim_jw_kint(&w, "retry_count", at->attempt - 1);

	if (tp->rag) {
		sim_jw_key(&w, "context");
		sim_jw_obj(&w);
		sim_jw_kstr(&w, "text", sim_buf_cstr(&g->ctx));
		sim_jw_knum(&w, "doc_age_s", a->doc_age_s, 1);
		sim_jw_knum(&w, "top_similarity", a->top_similarity, 3);
		sim_jw_obj_end(&w);
	}
	sim_jw_obj_end(&w);
	sim_response_free(&resp);
	return total;
}

static int simulate(struct sim_gateway *g, double arrival)
{
	const struct sim_scenario *scn = g->scn;
	const struct sim_traffic *tr = &scn->traffic;
	uint64_t rid_n = g->n_req;
	struct sim_rng root = sim_rng_fork(&g->base, rid_n);
	struct sim_rng shape = sim_rng_fork(&root, SIM_RNG_REQUEST);
	int ti = pick_template(g, &shape);
	const struct sim_template *tp = &tr->templates[ti];
	bool stream = sim_rng_unit(&shape) < tp->stream;
	int predicted = (int)lround(tp->prompt_tokens * (0.85 + 0.3 * sim_rng_unit(&shape)));
	char request_id[40];
	struct sim_rng ids = sim_rng_fork(&root, SIM_RNG_ID);
	sim_fmt__id(request_id, sizeof(request_id), "gw_", 24, sim_fmt__b62, sim_rng_next(&ids));
	struct sim_facts facts;
	struct sim_rng fr = sim_rng_fork(&root, SIM_RNG_FACTS);
	sim_text_facts(sim_text_content(tp->content), &fr, &facts);

	/* Injection lives in a retrieved document: decide it for the request. */
	bool injected = false;
	for (int i = 0; i < scn->n_phases; i++) {
		const struct sim_phase *ph = &scn->phases[i];
		if (ph->fault == SIM_F_PROMPT_INJECTION && sim_phase_active(ph, (int64_t)arrival) &&
		    (ph->template_idx < 0 || ph->template_idx == ti))
			injected = true;
	}
	sim_buf_reset(&g->ctx);

	double t = arrival;
	int after = -1, attempt = 0;
	bool done = false;
	for (int ri = 0; ri < tp->n_route && !done; ri++) {
		int p = tp->route[ri];
		struct gwprov *gp = &g->gp[p];
		bool last = ri == tp->n_route - 1;
		if (!last && (int64_t)t < gp->cooldown_until) {
			after = p;
			continue;
		}
		int retries = 0, max_r = tr->max_retries;
		for (;;) {
			attempt++;
			struct sim_rng ra =
			        sim_rng_fork2(&root, SIM_RNG_ATTEMPT, (uint64_t)attempt);
			struct sim_rng rr = sim_rng_fork(&ra, SIM_RNG_REGION);
			int region = pick_region(&scn->providers[p], &rr);
			struct sim_req rq = {
				.scope = { p, tp->model[ri], region, ti },
				.t_ms = (int64_t)t,
				.stream = stream,
				.prompt_tokens = predicted,
				.max_tokens = tp->output_tokens * 4,
				.want_tokens = tp->output_tokens,
			};
			struct sim_answer a;
			sim_decide(scn, &g->lim, &rq, &ra, &a);
			bool injected_now = injected && (a.text_flags & (1u << SIM_TX_INJECTION));
			if (attempt == 1 || g->ctx.len == 0) {
				sim_buf_reset(&g->ctx);
				if (tp->rag)
					sim_text_context(&facts, injected_now, &g->ctx);
			}
			bool storm = false;
			if (a.storm_retries > 0 && a.status == 200) {
				struct sim_rng sr = sim_rng_fork(&ra, SIM_RNG_STORM);
				storm = sim_rng_unit(&sr) < a.storm_invalid;
			}
			if (a.storm_retries > max_r)
				max_r = a.storm_retries;
			struct attempt at = {
				.provider = p,
				.model = tp->model[ri],
				.region = region,
				.tmpl = ti,
				.attempt = attempt,
				.reason = ri == 0 ? "primary" : "fallback",
				.after_failure_of = ri == 0 ? -1 : after,
				.t = (int64_t)t,
				.stream = stream,
				.request_id = request_id,
				.predicted = predicted,
				.facts = &facts,
				.injected = injected_now,
				.storm_invalid = storm,
			};
			bool ok;
			double dur = write_line(g, &at, &a, &ra, &ok);
			if (g->line.failed)
				return VG_ENOMEM;
			int64_t end_t = (int64_t)llround(t + dur);
			if (heap_push(g, end_t, g->line.p, g->line.len))
				return VG_ENOMEM;
			/* The gateway's breaker counts hard provider failures: not invalid
			 * JSON, and not 429s (those fail over at once, request by request). */
			bool provider_failed = !ok && !storm && a.outcome != SIM_F_RATE_LIMIT;
			if (provider_failed) {
				if (++gp->consecutive >= tr->breaker_failures) {
					gp->cooldown_until = end_t + tr->cooldown_ms;
					gp->consecutive = 0;
				}
			} else {
				gp->consecutive = 0;
			}
			t += dur;
			if (ok || (!storm && a.status == 200 && !retryable(&a))) {
				done = true;
				break;
			}
			bool again = (storm || retryable(&a)) && retries < max_r;
			if (a.outcome == SIM_F_RATE_LIMIT && a.retry_after_ms > 10000)
				again = false;
			if (!again)
				break;
			retries++;
			double backoff = 500.0 * (double)(1 << (retries - 1 < 6 ? retries - 1 : 6));
			struct sim_rng br = sim_rng_fork(&ra, SIM_RNG_BACKOFF);
			backoff *= 0.75 + 0.5 * sim_rng_unit(&br);
			if (a.outcome == SIM_F_RATE_LIMIT && a.retry_after_ms > 0)
				backoff = (double)a.retry_after_ms;
			if (storm)
				backoff = 50;
			t += backoff;
		}
		after = p;
		t += 5;
	}
	return 0;
}

static int release(struct sim_gateway *g, int64_t upto, sim_line_cb cb, void *ud)
{
	while (g->n_heap > 0 && g->heap[0].end_t <= upto) {
		struct pending top = heap_pop(g);
		int rc = cb ? cb(ud, top.line, top.len) : 0;
		free(top.line);
		g->n_lines++;
		if (rc)
			return rc;
	}
	return 0;
}

int sim_gateway_advance(struct sim_gateway *g, int64_t until_ms, sim_line_cb cb, void *ud)
{
	if (g->failed)
		return VG_ENOMEM;
	while (!g->arrivals_done) {
		if (g->next_arrival >= (double)g->duration) {
			g->arrivals_done = true;
			break;
		}
		if (g->next_arrival >= (double)until_ms)
			break;
		int rc = release(g, (int64_t)g->next_arrival, cb, ud);
		if (rc)
			return rc;
		if (simulate(g, g->next_arrival)) {
			g->failed = true;
			return VG_ENOMEM;
		}
		g->n_req++;
		struct sim_rng r = sim_rng_fork2(&g->base, g->n_req, SIM_RNG_ARRIVAL);
		double shape = sim_curve_at(&g->scn->traffic.shape, (int64_t)g->next_arrival, 1.0) *
		               sim_rhythm_rate(g->scn, (int64_t)g->next_arrival);
		if (shape <= 0)
			g->next_arrival += 1000;
		else
			g->next_arrival += sim_rng_exp(&r, 1000.0 / (g->rate * shape));
	}
	int64_t upto = until_ms;
	if (!g->arrivals_done && (int64_t)g->next_arrival < upto)
		upto = (int64_t)g->next_arrival;
	return release(g, upto, cb, ud);
}
