/*
 * sim_decide.c: one request's fate (see sim_decide.h). Each concern draws
 * from its own fork of the request's root stream (sim_rng.h): whether a
 * phase hits the request (one stream per phase, keyed by its name, so a
 * phase added to a scenario leaves the others' hits alone), the mid-stream
 * failure of an overloaded stream, tokens, latency, the stream's deltas
 * before an error, and the retrieval's age and similarity. A branch draws
 * only what it needs: no draw is made to keep a count.
 */
#include "sim/sim_decide.h"

#include "sim/sim_text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define Z95 1.6448536269514722

enum cls { CLS_TRANSPORT, CLS_HTTP, CLS_ANSWER, CLS__COUNT };

static int outcome_class(enum sim_fault f)
{
	switch (f) {
	case SIM_F_DNS:
	case SIM_F_CONNECT:
	case SIM_F_RESET:
	case SIM_F_HANG: return CLS_TRANSPORT;
	case SIM_F_RATE_LIMIT:
	case SIM_F_QUOTA:
	case SIM_F_SPEND_CAP:
	case SIM_F_SERVER_ERROR:
	case SIM_F_UNAVAILABLE:
	case SIM_F_OVERLOADED:
	case SIM_F_TIMEOUT:
	case SIM_F_AUTH:
	case SIM_F_HTML_413: return CLS_HTTP;
	case SIM_F_TRUNCATED:
	case SIM_F_STREAM_ERROR:
	case SIM_F_SAFETY_BLOCK:
	case SIM_F_LENGTH:
	case SIM_F_JAILBREAK: return CLS_ANSWER;
	default: return -1;
	}
}

static int status_of(enum sim_fault f, enum sim_kind k)
{
	switch (f) {
	case SIM_F_RATE_LIMIT: return 429;
	case SIM_F_QUOTA: return k == SIM_ANTHROPIC ? 402 : 429;
	case SIM_F_SPEND_CAP: return k == SIM_GOOGLE ? 400 : 429;
	case SIM_F_SERVER_ERROR: return 500;
	case SIM_F_UNAVAILABLE: return 503;
	case SIM_F_OVERLOADED: return k == SIM_ANTHROPIC ? 529 : 503;
	case SIM_F_TIMEOUT: return 504;
	case SIM_F_AUTH: return k == SIM_GOOGLE ? 400 : 401;
	case SIM_F_HTML_413: return 413;
	case SIM_F_DNS:
	case SIM_F_CONNECT:
	case SIM_F_RESET:
	case SIM_F_HANG: return 0;
	default: return 200;
	}
}

static void limiter(const struct sim_scenario *s, struct sim_limiter *lim, const struct sim_req *rq,
                    int est_tokens, bool consume, struct sim_answer *a,
                    const struct sim_phase **from)
{
	const struct sim_scope *sc = &rq->scope;
	int64_t rpm, tpm;
	sim_timeline_limits(s, sc, rq->t_ms, &rpm, &tpm, from);
	int pi = sc->provider, mi = sc->model >= 0 && sc->model < SIM_MAX_MODELS ? sc->model : 0;
	int64_t win = rq->t_ms / SIM_WINDOW_MS + 1;
	if (lim->window[pi][mi] != win) {
		lim->window[pi][mi] = win;
		lim->used_req[pi][mi] = 0;
		lim->used_tok[pi][mi] = 0;
	}
	int64_t reset = win * SIM_WINDOW_MS - rq->t_ms;
	a->rl_limit_req = rpm;
	a->rl_limit_tok = tpm;
	a->rl_reset_req_ms = reset;
	a->rl_reset_tok_ms = reset;
	if (consume) {
		if (lim->used_req[pi][mi] >= rpm) {
			a->outcome = SIM_F_RATE_LIMIT;
			a->phase = *from;
		} else if (lim->used_tok[pi][mi] + est_tokens > tpm) {
			a->outcome = SIM_F_RATE_LIMIT;
			a->phase = *from;
			a->rl_tokens = true;
		} else {
			lim->used_req[pi][mi]++;
			lim->used_tok[pi][mi] += est_tokens;
		}
	}
	a->rl_rem_req = rpm - lim->used_req[pi][mi];
	a->rl_rem_tok = tpm - lim->used_tok[pi][mi];
	if (a->rl_rem_req < 0)
		a->rl_rem_req = 0;
	if (a->rl_rem_tok < 0)
		a->rl_rem_tok = 0;
}

void sim_decide(const struct sim_scenario *s, struct sim_limiter *lim, const struct sim_req *rq,
                const struct sim_rng *root, struct sim_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->retry_after_ms = -1;
	a->doc_age_s = NAN;
	a->top_similarity = NAN;
	a->chunk_bytes = 64;
	const struct sim_scope *sc = &rq->scope;
	const struct sim_provider *p = &s->providers[sc->provider];
	const struct sim_model *m =
	        sc->model >= 0 && sc->model < p->n_models ? &p->models[sc->model] : NULL;
	snprintf(a->version, sizeof(a->version), "%s", m ? m->version : "");
	int64_t t = rq->t_ms;

	const struct sim_phase *cls[CLS__COUNT] = { NULL, NULL, NULL };
	const struct sim_phase *lat = NULL, *stale = NULL, *drift = NULL;
	double token_factor = 1.0;
	for (int i = 0; i < s->n_phases; i++) {
		const struct sim_phase *ph = &s->phases[i];
		if (!sim_phase_active(ph, t) || !sim_phase_matches(s, ph, sc))
			continue;
		if (ph->version[0])
			snprintf(a->version, sizeof(a->version), "%s", ph->version);
		if (ph->fault == SIM_F_MARKER)
			continue;
		if (ph->fault == SIM_F_RATE_LIMIT && (ph->rpm.n || ph->tpm.n))
			continue; /* the limiter plays it */
		struct sim_rng hit = sim_rng_fork2(root, SIM_RNG_FAULT, sim_rng_hash(ph->name, 0));
		if (sim_rng_unit(&hit) >= sim_phase_share(ph, t))
			continue;
		int64_t rel = t - ph->at_ms;
		int c = outcome_class(ph->fault);
		if (ph->fault == SIM_F_STREAM_ERROR && !rq->stream)
			c = -1;
		if (c >= 0) {
			if (!cls[c])
				cls[c] = ph;
			if (ph->fault == SIM_F_JAILBREAK)
				a->content |= 1u << SIM_F_JAILBREAK;
			continue;
		}
		switch (ph->fault) {
		case SIM_F_LATENCY:
			if (!lat)
				lat = ph;
			break;
		case SIM_F_TOKEN_INFLATION:
			token_factor *= sim_curve_at(&ph->factor, rel, 3.0);
			break;
		case SIM_F_CONTEXT_STUFFING:
			token_factor *= sim_curve_at(&ph->factor, rel, 1.2);
			break;
		case SIM_F_PROMPT_INJECTION:
			token_factor *= sim_curve_at(&ph->factor, rel, 6.0);
			a->text_flags |= 1u << SIM_TX_INJECTION;
			break;
		case SIM_F_HALLUCINATION: a->text_flags |= 1u << SIM_TX_HALLUCINATION; break;
		case SIM_F_REGRESSION: a->text_flags |= 1u << SIM_TX_REGRESSION; break;
		case SIM_F_FORMAT_VIOLATION: a->text_flags |= 1u << SIM_TX_FORMAT; break;
		case SIM_F_COHERENCE: a->text_flags |= 1u << SIM_TX_COHERENCE; break;
		case SIM_F_PII_LEAK: a->text_flags |= 1u << SIM_TX_PII; break;
		case SIM_F_STALE_CONTEXT:
			if (!stale)
				stale = ph;
			break;
		case SIM_F_EMBEDDING_DRIFT:
			if (!drift)
				drift = ph;
			break;
		case SIM_F_RETRY_STORM:
			a->storm_retries = ph->retries;
			a->storm_invalid = ph->invalid;
			break;
		default: break;
		}
		a->content |= 1u << ph->fault;
	}
	for (int c = 0; c < CLS__COUNT && !a->outcome; c++) {
		if (cls[c]) {
			a->outcome = cls[c]->fault == SIM_F_JAILBREAK ? SIM_F_SAFETY_BLOCK
			                                              : cls[c]->fault;
			a->phase = cls[c];
		}
	}

	/* An overloaded Anthropic often accepts a stream and fails it later. */
	if (a->outcome == SIM_F_OVERLOADED && rq->stream && p->kind == SIM_ANTHROPIC) {
		struct sim_rng mid = sim_rng_fork(root, SIM_RNG_MID_STREAM);
		if (sim_rng_unit(&mid) < 0.5)
			a->outcome = SIM_F_STREAM_ERROR;
	}

	/* Tokens (the cache draw, conditional, comes last in this stream). */
	struct sim_rng tok = sim_rng_fork(root, SIM_RNG_TOKENS);
	double noise = 1.0 + 0.03 * (2.0 * sim_rng_unit(&tok) - 1.0);
	int want = rq->want_tokens > 0 ? rq->want_tokens : 150;
	double out_draw = sim_rng_lognormal(&tok, 1.0, 0.25);
	int est = rq->prompt_tokens + (rq->max_tokens > 0 ? rq->max_tokens : want);

	/* Rate limits: every request that reaches the provider is counted. */
	bool reaches = a->outcome != SIM_F_DNS && a->outcome != SIM_F_CONNECT;
	bool consume = reaches && (!a->outcome || outcome_class(a->outcome) == CLS_ANSWER);
	const struct sim_phase *rl_from = NULL;
	enum sim_fault before = a->outcome;
	const struct sim_phase *before_ph = a->phase;
	if (reaches) {
		a->outcome = SIM_F_NONE;
		limiter(s, lim, rq, est, consume, a, &rl_from);
		if (a->outcome != SIM_F_RATE_LIMIT) {
			a->outcome = before;
			a->phase = before_ph;
		}
	}
	if (a->outcome == SIM_F_RATE_LIMIT) {
		if (!a->rl_tokens)
			a->rl_rem_req = 0;
		else
			a->rl_rem_tok = 0;
		int64_t r = a->rl_tokens ? a->rl_reset_tok_ms : a->rl_reset_req_ms;
		a->retry_after_ms = (r + 999) / 1000 * 1000;
	}
	a->status = status_of(a->outcome, p->kind);

	/* Latency. */
	double med, p95;
	sim_timeline_latency(s, sc, lat, t, &med, &p95);
	double sigma = p95 > med && med > 0 ? log(p95 / med) / Z95 : 0.0;
	struct sim_rng lr = sim_rng_fork(root, SIM_RNG_LATENCY);
	double total = sim_rng_lognormal(&lr, med, sigma);
	double err_ms = sim_rng_lognormal(&lr, p->error_ms, 0.5);
	double ttft_share = 0.15 + 0.15 * sim_rng_unit(&lr);
	double dns_slow = sim_rng_unit(&lr);
	if (lat) {
		a->drip_ms = lat->drip_ms;
		a->chunk_bytes = lat->chunk_bytes;
	}
	struct sim_rng se = sim_rng_fork(root, SIM_RNG_STREAM_ERR);
	int stream_events = 2 + (int)sim_rng_below(&se, 6);
	switch (a->outcome) {
	case SIM_F_NONE:
	case SIM_F_TRUNCATED:
	case SIM_F_LENGTH:
	case SIM_F_STREAM_ERROR:
	case SIM_F_SAFETY_BLOCK:
		a->total_ms = total;
		a->ttfb_ms = rq->stream ? total * ttft_share : total * 0.98;
		break;
	case SIM_F_TIMEOUT: a->total_ms = a->ttfb_ms = err_ms * 100; break;
	case SIM_F_HANG:
		a->total_ms = a->ttfb_ms = -1; /* never */
		break;
	case SIM_F_DNS:
		a->total_ms = a->ttfb_ms = dns_slow < 0.5 ? err_ms / 4 : 5000 + err_ms;
		break;
	default: a->total_ms = a->ttfb_ms = err_ms; break;
	}
	a->stream_events_before_error = stream_events;

	/* Tokens of the answer. */
	bool answered = a->status == 200;
	if (answered) {
		a->input_tokens = (int)lround(rq->prompt_tokens * noise * token_factor);
		if (a->input_tokens < 1)
			a->input_tokens = 1;
		int out = (int)lround(want * out_draw);
		if (a->text_flags & (1u << SIM_TX_INJECTION))
			out *= 3;
		if (out < 1)
			out = 1;
		if (a->outcome == SIM_F_LENGTH)
			out = rq->max_tokens > 0 ? rq->max_tokens : want * 2;
		else if (rq->max_tokens > 0 && out > rq->max_tokens)
			out = rq->max_tokens;
		if (a->outcome == SIM_F_SAFETY_BLOCK) {
			a->prompt_block = a->phase && a->phase->prompt_block;
			out = a->prompt_block ? 0 : 8 + (int)(out_draw * 6);
			a->text_flags |= 1u << SIM_TX_REFUSAL;
		}
		a->output_tokens = out;
		if (a->input_tokens >= 1024 && sim_rng_unit(&tok) < 0.3)
			a->cached_tokens = a->input_tokens / 2 / 128 * 128;
	}

	/* Retrieval: the phase's curve with a little jitter, or the usual spread. */
	struct sim_rng ar = sim_rng_fork(root, SIM_RNG_DOC_AGE);
	double age;
	if (stale) {
		age = sim_curve_at(&stale->value, t - stale->at_ms, 9 * 86400.0) *
		      (1.0 + 0.02 * sim_rng_normal(&ar));
	} else {
		age = sim_rng_lognormal(&ar, 129600, 0.6);
		if (age > 5 * 86400.0)
			age = 5 * 86400.0;
	}
	struct sim_rng sr = sim_rng_fork(root, SIM_RNG_SIMILARITY);
	double sim = drift ? sim_curve_at(&drift->value, t - drift->at_ms, 0.6) +
	                             0.03 * sim_rng_normal(&sr)
	                   : 0.82 + 0.03 * sim_rng_normal(&sr);
	a->doc_age_s = age < 0 ? 0 : age;
	a->top_similarity = sim < 0 ? 0 : sim > 1 ? 1 : sim;
}
