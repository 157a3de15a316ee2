/*
 * rollup.c: per-series minute and hour summaries (see rollup.h). The fold
 * adds a request to the open minute only; a minute is merged into its hour
 * when it closes, so a request costs one rollup_add() whatever the spans.
 */
#include "core/rollup.h"

#include "core/semantic.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rollup_series_of(const struct observation *obs, bool aggregate, struct rollup_series *out)
{
	memset(out, 0, sizeof(*out));
	model_copy_str(out->provider, sizeof(out->provider), obs->pid.provider, (size_t)-1);
	if (!aggregate)
		model_copy_str(out->alias, sizeof(out->alias), obs->pid.model,
		               semantic_model_alias_len(obs->pid.model));
	out->source = obs->source;
}

int rollup_series_name(const struct rollup_series *k, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s %s", k->provider, k->alias[0] ? k->alias : "(all)",
	                k->source == OBS_PROBE ? "probe" : "gateway");
}

int rollup_err_of(const struct observation *obs)
{
	/* By normalised error class; -2: none, look further. */
	static const signed char by_class[EC__COUNT] = {
		[EC_OK] = -2,
		[EC_RATE_LIMIT] = RU_RATE_LIMIT,
		[EC_QUOTA_EXHAUSTED] = RU_OTHER,
		[EC_SPEND_CAP] = RU_OTHER,
		[EC_OVERLOADED] = RU_SERVER,
		[EC_SERVER_ERROR] = RU_SERVER,
		[EC_TIMEOUT] = RU_TIMEOUT,
		[EC_AUTH] = RU_OTHER,
		[EC_PERMISSION] = RU_OTHER,
		[EC_INVALID_REQUEST] = RU_INVALID,
		[EC_CONTEXT_LENGTH] = RU_INVALID,
		[EC_NOT_FOUND] = RU_INVALID,
		[EC_TOO_LARGE] = RU_INVALID,
		[EC_CONTENT_FILTER] = RU_CONTENT_FILTER,
		[EC_TRANSPORT] = RU_TIMEOUT,
		[EC_OTHER] = RU_OTHER,
	};
	if (obs->transport_error != TE_NONE)
		return RU_TIMEOUT;
	unsigned ec = (unsigned)obs->norm.error_class;
	int e = ec < EC__COUNT ? by_class[ec] : RU_OTHER;
	if (e != -2)
		return e;
	/* The usual answer, first. */
	if (obs->http_status < 400 && !obs->norm.safety_block && !obs->norm.stream_error &&
	    obs->norm.finish != FR_CONTENT_FILTER)
		return -1;
	/* A gateway line may carry a status and flags without an error class. */
	if (obs->norm.safety_block || obs->norm.finish == FR_CONTENT_FILTER)
		return RU_CONTENT_FILTER;
	if (obs->norm.stream_error)
		return RU_SERVER;
	int st = obs->http_status;
	if (st == 429)
		return RU_RATE_LIMIT;
	if (st == 408 || st == 504)
		return RU_TIMEOUT;
	if (st >= 500)
		return RU_SERVER;
	if (st == 401 || st == 402 || st == 403)
		return RU_OTHER;
	if (st >= 400)
		return RU_INVALID;
	return -1;
}

/* ln x for the mean metrics, without libm's log (it runs twice a request):
 * x = 2^e m with m in [1, 2), ln m = 2 atanh(t), t = (m - 1) / (m + 1) <=
 * 1/3, summed to t^7 (error under 2e-5). Both learning and judging read
 * the same values, so what error there is cancels. */
static double fast_ln(double x)
{
	if (!(x >= 0x1p-1000 && x <= 0x1p1000))
		return x > 0 ? log(x) : NAN;
	uint64_t bits;
	memcpy(&bits, &x, sizeof(bits));
	int e = (int)(bits >> 52) - 1023;
	bits = (bits & 0xfffffffffffffULL) | 0x3ff0000000000000ULL;
	double m;
	memcpy(&m, &bits, sizeof(m));
	double t = (m - 1) / (m + 1), t2 = t * t;
	return (double)e * 0.6931471805599453 +
	       2 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7))));
}

void rollup_sample_of(const struct observation *obs, const struct semantic_verdicts *v,
                      struct rollup_sample *s)
{
	s->err = rollup_err_of(obs);
	bool ok = s->err < 0;
	double total = obs->total_ms, ttfb = obs->ttfb_ms;
	s->latency_ms = ok && total > 0 ? total : NAN;
	s->lat_bucket = ok && total > 0 ? lhist_index(total) : 0;
	bool ttft = ok && obs->stream == VG_TRI_TRUE && ttfb > 0;
	s->ttft_ms = ttft ? ttfb : NAN;
	s->ttft_bucket = ttft ? lhist_index(ttfb) : 0;
	int64_t in = observation_input_tokens(obs), out = observation_output_tokens(obs);
	s->prompt_tokens = vg_has(in) && in > 0 ? (double)in : 0;
	s->completion_tokens = vg_has(out) && out > 0 ? (double)out : 0;
	s->cost_usd = obs->cost_usd >= 0 ? obs->cost_usd : 0;
	s->tps_log = NAN;
	if (ok && s->completion_tokens > 0 && total > 0) {
		double gen = ttfb > 0 && ttfb < total ? total - ttfb : total;
		s->tps_log = fast_ln(s->completion_tokens * 1000.0 / gen);
	}
	double tokens = s->prompt_tokens + s->completion_tokens;
	s->cost_log = s->cost_usd > 0 && tokens > 0 ? fast_ln(s->cost_usd * 1000.0 / tokens) : NAN;
	s->quality = semantic_quality_pass(v ? v : &obs->verdicts);
	s->model = obs->pid.model;
}

void rollup_init(struct rollup *r, int64_t start_ms, int64_t span_ms)
{
	memset(r, 0, sizeof(*r));
	r->start_ms = start_ms;
	r->span_ms = span_ms;
}

void rollup_add(struct rollup *r, const struct rollup_sample *s)
{
	r->requests += 1;
	if (s->err >= 0 && s->err < RU_ERR__COUNT)
		r->errors[s->err] += 1;
	else
		r->successes += 1;
	/* lhist_add_at() without the call: this runs per request and series. */
	if (s->latency_ms > 0 && s->lat_bucket < LHIST_BUCKETS) {
		r->latency.b[s->lat_bucket] += 1;
		r->latency.total += 1;
	}
	if (s->ttft_ms > 0 && s->ttft_bucket < LHIST_BUCKETS) {
		r->ttft.b[s->ttft_bucket] += 1;
		r->ttft.total += 1;
	}
	r->prompt_tokens += s->prompt_tokens;
	r->completion_tokens += s->completion_tokens;
	r->cost_usd += s->cost_usd;
	if (!isnan(s->tps_log)) {
		r->tps_n += 1;
		r->tps_log += s->tps_log;
		r->tps_log2 += s->tps_log * s->tps_log;
	}
	if (!isnan(s->cost_log)) {
		r->cost_n += 1;
		r->cost_log += s->cost_log;
		r->cost_log2 += s->cost_log * s->cost_log;
	}
	if (s->quality == 1.0)
		r->quality_pass += 1;
	else if (s->quality == 0.0)
		r->quality_fail += 1;
}

void rollup_merge(struct rollup *dst, const struct rollup *src)
{
	dst->requests += src->requests;
	dst->successes += src->successes;
	for (int i = 0; i < RU_ERR__COUNT; i++)
		dst->errors[i] += src->errors[i];
	dst->prompt_tokens += src->prompt_tokens;
	dst->completion_tokens += src->completion_tokens;
	dst->cost_usd += src->cost_usd;
	dst->tps_n += src->tps_n;
	dst->tps_log += src->tps_log;
	dst->tps_log2 += src->tps_log2;
	dst->cost_n += src->cost_n;
	dst->cost_log += src->cost_log;
	dst->cost_log2 += src->cost_log2;
	dst->quality_pass += src->quality_pass;
	dst->quality_fail += src->quality_fail;
	dst->flags |= src->flags;
	if (src->model[0])
		memcpy(dst->model, src->model, sizeof(dst->model));
	if (src->latency.total > 0)
		lhist_merge(&dst->latency, &src->latency);
	if (src->ttft.total > 0)
		lhist_merge(&dst->ttft, &src->ttft);
}

void rollup_acc_init(struct rollup_acc *a)
{
	memset(a, 0, sizeof(*a));
}

static int64_t floor_to(int64_t t, int64_t span)
{
	int64_t r = t % span;
	return r < 0 ? t - r - span : t - r;
}

int rollup_roll(struct rollup_acc *a, int64_t now, struct rollup *closed_minute,
                struct rollup *closed_hour)
{
	if (!a->open) {
		rollup_init(&a->minute, floor_to(now, ROLLUP_MINUTE_MS), ROLLUP_MINUTE_MS);
		rollup_init(&a->hour, floor_to(now, ROLLUP_HOUR_MS), ROLLUP_HOUR_MS);
		a->open = true;
		return 0;
	}
	if (now < a->minute.start_ms + ROLLUP_MINUTE_MS)
		return 0;
	int closed = 0;
	/* The model version carries over: a marker is a change against it. */
	char model[VG_MODEL_MAX];
	memcpy(model, a->minute.model, sizeof(model));
	if (a->minute.requests > 0) {
		rollup_merge(&a->hour, &a->minute);
		memcpy(closed_minute, &a->minute, sizeof(*closed_minute));
		closed |= ROLLUP_CLOSED_MINUTE;
	}
	if (now >= a->hour.start_ms + ROLLUP_HOUR_MS) {
		if (a->hour.requests > 0) {
			memcpy(closed_hour, &a->hour, sizeof(*closed_hour));
			closed |= ROLLUP_CLOSED_HOUR;
		}
		rollup_init(&a->hour, floor_to(now, ROLLUP_HOUR_MS), ROLLUP_HOUR_MS);
		memcpy(a->hour.model, model, sizeof(model));
	}
	rollup_init(&a->minute, floor_to(now, ROLLUP_MINUTE_MS), ROLLUP_MINUTE_MS);
	memcpy(a->minute.model, model, sizeof(model));
	return closed;
}

void rollup_note_model(struct rollup_acc *a, const char *model)
{
	if (!model || !model[0] || strcmp(model, a->minute.model) == 0)
		return;
	/* A new version answers for the alias; the first one seen and a return
	 * to the one before (two versions in use) are no change. */
	if (a->minute.model[0] && strcmp(model, a->prev_model) != 0)
		a->minute.flags |= ROLLUP_F_MARKER;
	memcpy(a->prev_model, a->minute.model, sizeof(a->prev_model));
	model_copy_str(a->minute.model, sizeof(a->minute.model), model, (size_t)-1);
}

int rollup_fold(struct rollup_acc *a, const struct rollup_sample *s, bool aggregate, int64_t now,
                struct rollup *closed_minute, struct rollup *closed_hour)
{
	int closed = rollup_roll(a, now, closed_minute, closed_hour);
	if (!aggregate)
		rollup_note_model(a, s->model);
	rollup_add(&a->minute, s);
	return closed;
}

double rollup_quantile_q(int i)
{
	return i <= 0 ? 0.50 : i == 1 ? 0.95 : 0.99;
}

static void mean_var(double n, double sum, double sum2, double *mean, double *var)
{
	*mean = n > 0 ? sum / n : NAN;
	*var = n > 1 ? fmax(0.0, (sum2 - n * *mean * *mean) / (n - 1)) : NAN;
}

void rollup_stats_of(const struct rollup *r, struct rollup_stats *st)
{
	st->requests = r->requests;
	st->lat_n = r->latency.total;
	st->ttft_n = r->ttft.total;
	for (int i = 0; i < 3; i++) {
		double q = rollup_quantile_q(i);
		st->lat_log[i] = st->lat_n > 0 ? log(lhist_quantile(&r->latency, q)) : NAN;
		st->ttft_log[i] = st->ttft_n > 0 ? log(lhist_quantile(&r->ttft, q)) : NAN;
	}
	st->tps_n = r->tps_n;
	mean_var(r->tps_n, r->tps_log, r->tps_log2, &st->tps_mean, &st->tps_var);
	st->cost_n = r->cost_n;
	mean_var(r->cost_n, r->cost_log, r->cost_log2, &st->cost_mean, &st->cost_var);
	st->quality_n = r->quality_pass + r->quality_fail;
}
