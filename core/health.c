/*
 * health.c: decaying health windows (see health.h). Every accumulator is a
 * forward-decayed sum; HEALTH_SUMS lists the scalar ones once, for rescaling
 * and merging.
 */
#include "core/health.h"

#include <math.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Rescale when the newest weight would exceed 2^RESCALE_AT. */
#define RESCALE_AT 60.0

#define HEALTH_SUMS(X)                                                                             \
	X(n)                                                                                       \
	X(errors)                                                                                  \
	X(out_tokens)                                                                              \
	X(gen_s)                                                                                   \
	X(in_tokens)                                                                               \
	X(ttfb_s)                                                                                  \
	X(schema_n)                                                                                \
	X(schema_ok)                                                                               \
	X(hal_n)                                                                                   \
	X(hal_ok)                                                                                  \
	X(stab_n)                                                                                  \
	X(stab_ok)                                                                                 \
	X(cost_n)                                                                                  \
	X(cost_obs)                                                                                \
	X(cost_exp)                                                                                \
	X(cost_all)                                                                                \
	X(cost_tokens)                                                                             \
	X(hr_w)                                                                                    \
	X(hr_t)                                                                                    \
	X(hr_h)                                                                                    \
	X(hr_tt)                                                                                   \
	X(hr_th)

static const char *const status_names[] = { "2xx", "4xx", "429", "5xx", "none" };
_Static_assert(COUNT(status_names) == HS__COUNT, "status names");

static const char *const err_names[] = {
	"rate_limit", "server_error", "timeout", "content_filter",
	"transport",  "account",      "client",  "other",
};
_Static_assert(COUNT(err_names) == HE__COUNT, "error names");

const char *health_status_name(enum health_status s)
{
	return (int)s >= 0 && s < HS__COUNT ? status_names[s] : "unknown";
}

const char *health_err_name(enum health_err e)
{
	return (int)e >= 0 && e < HE__COUNT ? err_names[e] : "unknown";
}

void health_init(struct health *h, int64_t half_life_ms)
{
	memset(h, 0, sizeof(*h));
	h->half_life_ms = half_life_ms > 0 ? (double)half_life_ms : 300000.0;
	h->landmark_ms = INT64_MIN;
	h->last_ms = INT64_MIN;
	h->headroom_last = NAN;
	h->headroom_last_ms = INT64_MIN;
}

static void scale(struct health *h, double f)
{
#define SCALE(field) h->field *= f;
	HEALTH_SUMS(SCALE)
#undef SCALE
	for (size_t i = 0; i < HS__COUNT; i++)
		h->status[i] *= f;
	for (size_t i = 0; i < HE__COUNT; i++)
		h->err[i] *= f;
	lhist_scale(&h->latency, f);
}

/* Move the regression's time origin later by d minutes. */
static void shift(struct health *h, double d)
{
	h->hr_tt += -2.0 * d * h->hr_t + d * d * h->hr_w;
	h->hr_th -= d * h->hr_h;
	h->hr_t -= d * h->hr_w;
}

/* Move the landmark to `to`, scaling every weight. */
static void rebase(struct health *h, int64_t to)
{
	double dt = (double)(to - h->landmark_ms);
	shift(h, dt / 60000.0);
	scale(h, exp2(-dt / h->half_life_ms));
	h->landmark_ms = to;
}

/* The forward-decay weight of a sample at *now (clamped to the landmark). */
static double weight(struct health *h, int64_t *now)
{
	if (h->landmark_ms == INT64_MIN)
		h->landmark_ms = *now;
	if (*now < h->landmark_ms)
		*now = h->landmark_ms;
	double age = (double)(*now - h->landmark_ms) / h->half_life_ms;
	if (age > RESCALE_AT) {
		rebase(h, *now);
		age = 0;
	}
	if (*now > h->last_ms)
		h->last_ms = *now;
	return exp2(age);
}

static void quality(struct health *h, double w, int8_t schema_valid, int8_t hallucination,
                    int8_t unstable)
{
	if (schema_valid != VG_TRI_UNSET) {
		h->schema_n += w;
		if (schema_valid == VG_TRI_TRUE)
			h->schema_ok += w;
	}
	if (hallucination != VG_TRI_UNSET) {
		h->hal_n += w;
		if (hallucination == VG_TRI_FALSE)
			h->hal_ok += w;
	}
	if (unstable != VG_TRI_UNSET) {
		h->stab_n += w;
		if (unstable == VG_TRI_FALSE)
			h->stab_ok += w;
	}
}

void health_record_quality(struct health *h, int8_t schema_valid, int8_t hallucination,
                           int8_t unstable, int64_t now)
{
	double w = weight(h, &now);
	quality(h, w, schema_valid, hallucination, unstable);
}

/* A measured, finite, non-negative value (anything else is "not measured"). */
static bool ok_val(double x)
{
	return isfinite(x) && x >= 0;
}

/* Non-finite measurements would poison the sums for good: drop them. */
static void clean_sample(struct health_sample *s)
{
	if (!ok_val(s->latency_ms))
		s->latency_ms = NAN;
	if (!ok_val(s->ttfb_ms))
		s->ttfb_ms = NAN;
	if (!ok_val(s->cost_usd))
		s->cost_usd = NAN;
	if (!ok_val(s->expected_cost_usd))
		s->expected_cost_usd = NAN;
	if (!ok_val(s->headroom))
		s->headroom = NAN;
}

/* Add a clean sample whose latency falls in bucket `bucket` of the histogram. */
static void record(struct health *h, const struct health_sample *s, size_t bucket, int64_t now)
{
	double w = weight(h, &now);

	h->n += w;
	if (s->error)
		h->errors += w;
	if ((int)s->status >= 0 && s->status < HS__COUNT)
		h->status[s->status] += w;
	if (s->err >= 0 && s->err < HE__COUNT)
		h->err[s->err] += w;
	if (s->latency_ms > 0)
		lhist_add_at(&h->latency, bucket, w);

	if (!s->error && vg_has(s->output_tokens) && s->output_tokens >= 0 && s->latency_ms > 0) {
		double gen = s->latency_ms;
		if (s->ttfb_ms > 0 && s->ttfb_ms < s->latency_ms)
			gen = s->latency_ms - s->ttfb_ms;
		h->out_tokens += w * (double)s->output_tokens;
		h->gen_s += w * gen / 1000.0;
	}
	if (!s->error && vg_has(s->input_tokens) && s->input_tokens >= 0 && s->ttfb_ms > 0) {
		h->in_tokens += w * (double)s->input_tokens;
		h->ttfb_s += w * s->ttfb_ms / 1000.0;
	}

	quality(h, w, s->schema_valid, s->hallucination, s->unstable);

	if (s->cost_usd >= 0) {
		double tokens = 0;
		if (vg_has(s->input_tokens) && s->input_tokens > 0)
			tokens += (double)s->input_tokens;
		if (vg_has(s->output_tokens) && s->output_tokens > 0)
			tokens += (double)s->output_tokens;
		if (tokens > 0) {
			h->cost_all += w * s->cost_usd;
			h->cost_tokens += w * tokens;
		}
		if (s->expected_cost_usd > 0) {
			h->cost_n += w;
			h->cost_obs += w * s->cost_usd;
			h->cost_exp += w * s->expected_cost_usd;
		}
	}

	if (s->headroom >= 0) {
		double t = (double)(now - h->landmark_ms) / 60000.0;
		h->hr_w += w;
		h->hr_t += w * t;
		h->hr_h += w * s->headroom;
		h->hr_tt += w * t * t;
		h->hr_th += w * t * s->headroom;
		h->headroom_last = s->headroom;
		h->headroom_last_ms = now;
	}
}

void health_record(struct health *h, const struct health_sample *in, int64_t now)
{
	health_record2(h, NULL, in, now);
}

void health_record2(struct health *a, struct health *b, const struct health_sample *in, int64_t now)
{
	health_record2_at(a, b, in, in->latency_ms > 0 ? lhist_index(in->latency_ms) : 0, now);
}

void health_record2_at(struct health *a, struct health *b, const struct health_sample *in,
                       size_t bucket, int64_t now)
{
	struct health_sample s = *in;
	clean_sample(&s);
	record(a, &s, bucket, now);
	if (b)
		record(b, &s, bucket, now);
}

void health_merge(struct health *dst, const struct health *src)
{
	if (src->landmark_ms == INT64_MIN)
		return;
	if (dst->landmark_ms == INT64_MIN) {
		double hl = dst->half_life_ms;
		*dst = *src;
		dst->half_life_ms = hl;
		return;
	}
	/* Bring src's weights and times into dst's frame: weights by the ratio
	 * of the landmarks' decays, regression times by the landmarks' distance. */
	double f = exp2((double)(src->landmark_ms - dst->landmark_ms) / dst->half_life_ms);
	double d = (double)(src->landmark_ms - dst->landmark_ms) / 60000.0;
	double hr_t = src->hr_t + d * src->hr_w;
	double hr_tt = src->hr_tt + 2.0 * d * src->hr_t + d * d * src->hr_w;
	double hr_th = src->hr_th + d * src->hr_h;
#define ADD(field) dst->field += f * src->field;
	HEALTH_SUMS(ADD)
#undef ADD
	/* The regression sums were added unshifted above; correct them. */
	dst->hr_t += f * (hr_t - src->hr_t);
	dst->hr_tt += f * (hr_tt - src->hr_tt);
	dst->hr_th += f * (hr_th - src->hr_th);
	for (size_t i = 0; i < HS__COUNT; i++)
		dst->status[i] += f * src->status[i];
	for (size_t i = 0; i < HE__COUNT; i++)
		dst->err[i] += f * src->err[i];
	for (size_t i = 0; i < LHIST_BUCKETS; i++)
		dst->latency.b[i] += f * src->latency.b[i];
	dst->latency.total += f * src->latency.total;
	if (src->last_ms > dst->last_ms)
		dst->last_ms = src->last_ms;
	if (src->headroom_last_ms > dst->headroom_last_ms) {
		dst->headroom_last = src->headroom_last;
		dst->headroom_last_ms = src->headroom_last_ms;
	}
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

void health_read(const struct health *h, int64_t now, struct health_numbers *o)
{
	memset(o, 0, sizeof(*o));
	double decay = 1.0;
	if (h->landmark_ms != INT64_MIN && now > h->landmark_ms)
		decay = exp2(-(double)(now - h->landmark_ms) / h->half_life_ms);
	o->requests = h->n * decay;
	o->availability = h->n > 0 ? 1.0 - h->errors / h->n : NAN;
	o->p50_ms = lhist_quantile(&h->latency, 0.50);
	o->p95_ms = lhist_quantile(&h->latency, 0.95);
	o->p99_ms = lhist_quantile(&h->latency, 0.99);
	for (size_t i = 0; i < HS__COUNT; i++)
		o->status_share[i] = ratio(h->status[i], h->n);
	for (size_t i = 0; i < HE__COUNT; i++)
		o->err_rate[i] = ratio(h->err[i], h->n);
	o->output_tps = ratio(h->out_tokens, h->gen_s);
	o->input_tps = ratio(h->in_tokens, h->ttfb_s);
	o->schema_valid_rate = ratio(h->schema_ok, h->schema_n);
	o->hallucination_pass_rate = ratio(h->hal_ok, h->hal_n);
	o->similarity_stability = ratio(h->stab_ok, h->stab_n);
	double q = NAN;
	const double parts[] = { o->schema_valid_rate, o->hallucination_pass_rate,
		                 o->similarity_stability };
	for (size_t i = 0; i < COUNT(parts); i++) {
		if (!isnan(parts[i]))
			q = isnan(q) ? parts[i] : q * parts[i];
	}
	o->quality_score = q;
	o->cost_per_1k_usd = h->cost_tokens > 0 ? h->cost_all / h->cost_tokens * 1000.0 : NAN;
	o->cost_efficiency = ratio(h->cost_obs, h->cost_exp);
	o->headroom = h->headroom_last;
	o->headroom_slope = NAN;
	o->headroom_eta_ms = NAN;
	if (h->hr_w > 0) {
		double mt = h->hr_t / h->hr_w, mh = h->hr_h / h->hr_w;
		double var = h->hr_tt / h->hr_w - mt * mt;
		double cov = h->hr_th / h->hr_w - mt * mh;
		if (var > 1e-6) { /* samples spread over more than ~0.1 s */
			o->headroom_slope = cov / var;
			if (o->headroom_slope < 0 && h->headroom_last >= 0)
				o->headroom_eta_ms =
				        h->headroom_last / -o->headroom_slope * 60000.0;
		}
	}
}
