/*
 * qrate.c: per-key failure rate against its baseline (see qrate.h).
 */
#include "core/qrate.h"

#include <math.h>
#include <string.h>

void qrate_defaults(struct qrate_settings *s)
{
	s->window_ms = 60 * 1000;
	s->half_life_ms = 60 * 60 * 1000;
	s->prior_rate = 0.05;
	s->prior_weight = 20;
	s->floor = 0.002;
	s->ratio = 2;
	s->alpha = 0.001;
	s->change_alpha = 0.05;
	s->min_failures = 2;
	s->clean_rate = 0.005;
	s->burst = false;
	s->warmup = 200;
	s->change_window_ms = 60 * 60 * 1000;
}

void qrate_init(struct qrate *q, const struct qrate_settings *s)
{
	memset(q, 0, sizeof(*q));
	q->bucket_ms = s->window_ms / QRATE_BUCKETS;
	if (q->bucket_ms < 1)
		q->bucket_ms = 1;
	for (int i = 0; i < QRATE_BUCKETS; i++)
		q->start[i] = INT64_MIN;
	q->base_at = INT64_MIN;
	q->changed_at = INT64_MIN;
	q->alarm_at = INT64_MIN;
}

void qrate_change(struct qrate *q, int64_t now)
{
	q->changed_at = now;
	q->chg_n = q->chg_k = 0;
}

/* Bucket number of t (floor division). */
static int64_t bucket_of(const struct qrate *q, int64_t t)
{
	int64_t b = t / q->bucket_ms;
	return (t % q->bucket_ms < 0) ? b - 1 : b;
}

static int slot_of(int64_t b)
{
	return (int)(((b % QRATE_BUCKETS) + QRATE_BUCKETS) % QRATE_BUCKETS);
}

static void window_add(struct qrate *q, int64_t now, bool failed)
{
	int64_t b = bucket_of(q, now);
	int i = slot_of(b);
	if (q->start[i] != b) {
		if (q->start[i] != INT64_MIN && q->start[i] > b)
			return; /* too old: its bucket was reused */
		q->start[i] = b;
		q->n[i] = q->k[i] = 0;
	}
	q->n[i]++;
	q->k[i] += failed;
}

/* Counts of the buckets within the window ending at now's bucket. */
static void window_total(const struct qrate *q, int64_t now, uint32_t *n, uint32_t *k)
{
	int64_t b = bucket_of(q, now);
	*n = *k = 0;
	for (int i = 0; i < QRATE_BUCKETS; i++) {
		if (q->start[i] == INT64_MIN || q->start[i] > b || q->start[i] <= b - QRATE_BUCKETS)
			continue;
		*n += q->n[i];
		*k += q->k[i];
	}
}

static double decay(const struct qrate *q, const struct qrate_settings *s, int64_t now)
{
	if (q->base_at == INT64_MIN || now <= q->base_at || s->half_life_ms <= 0)
		return 1.0;
	return exp2(-(double)(now - q->base_at) / (double)s->half_life_ms);
}

bool qrate_alarmed(const struct qrate *q, const struct qrate_settings *s, int64_t now)
{
	return q->alarm_at != INT64_MIN && now >= q->alarm_at && now - q->alarm_at <= s->window_ms;
}

double qrate_baseline(const struct qrate *q, const struct qrate_settings *s, int64_t now)
{
	double d = decay(q, s, now);
	double p = qrate_posterior(q->base_k * d, q->base_n * d, s->prior_rate, s->prior_weight);
	return p > s->floor ? p : s->floor;
}

double qrate_posterior(double k, double n, double prior_rate, double prior_weight)
{
	double w = prior_weight > 0 ? prior_weight : 0;
	double den = n + w;
	return den > 0 ? (k + prior_rate * w) / den : prior_rate;
}

double qrate_glr(uint32_t n, uint32_t k, double p)
{
	if (n == 0 || k > n || !(p > 0) || !(p < 1))
		return 0;
	double x = (double)k / (double)n;
	if (x <= p)
		return 0;
	double kl = x * log(x / p);
	if (x < 1)
		kl += (1 - x) * log((1 - x) / (1 - p));
	return (double)n * kl;
}

/* The test of k failures in n responses against p. */
static bool in_excess(const struct qrate_settings *s, uint32_t n, uint32_t k, double p,
                      double alpha)
{
	if (n == 0 || (int64_t)k < (int64_t)s->min_failures || (double)k < s->ratio * p * (double)n)
		return false;
	if (!(alpha > 0 && alpha < 1))
		return true;
	return qrate_glr(n, k, p) >= -log(alpha);
}

/* The burst test: every run of the newest responses that starts with a
 * failure (the others only dilute it). */
static bool burst(const struct qrate *q, const struct qrate_settings *s, double p, double alpha)
{
	uint32_t k = 0;
	for (uint32_t m = 1; m <= q->seq_n; m++) {
		if (!((q->seq >> (m - 1)) & 1))
			continue;
		k++;
		if (in_excess(s, m, k, p, alpha))
			return true;
	}
	return false;
}

void qrate_add(struct qrate *q, const struct qrate_settings *s, bool failed, int64_t now,
               struct qrate_verdict *out)
{
	double p = qrate_baseline(q, s, now);
	window_add(q, now, failed);
	bool alarmed = qrate_alarmed(q, s, now);
	/* The baseline learns a response once it leaves the newest 64 (a
	 * burst is judged against what was usual before it), and not while
	 * alarmed (an incident is not usual). */
	bool frozen = alarmed && q->learned >= (uint64_t)(s->warmup > 0 ? s->warmup : 0);
	if (q->seq_n == 64 && !frozen) {
		q->learned++;
		double d = decay(q, s, now);
		q->base_n = q->base_n * d + 1;
		q->base_k = q->base_k * d + (double)(q->seq >> 63);
		if (q->base_at == INT64_MIN || now > q->base_at)
			q->base_at = now;
	}
	q->seq = (q->seq << 1) | (failed ? 1u : 0u);
	if (q->seq_n < 64)
		q->seq_n++;
	bool in_change = q->changed_at != INT64_MIN && now >= q->changed_at &&
	                 now - q->changed_at <= s->change_window_ms;
	if (in_change) {
		q->chg_n++;
		q->chg_k += failed;
	}

	memset(out, 0, sizeof(*out));
	window_total(q, now, &out->n, &out->k);
	out->rate = out->n ? (double)out->k / (double)out->n : 0;
	out->baseline = p;
	out->changed = in_change;
	if (failed) {
		bool ex = p <= s->clean_rate ||
		          in_excess(s, out->n, out->k, p, alarmed ? s->change_alpha : s->alpha);
		if (!ex && !alarmed && s->burst)
			ex = burst(q, s, p, s->alpha);
		if (!ex && !alarmed && in_change)
			ex = in_excess(s, q->chg_n, q->chg_k, p, s->change_alpha);
		out->excess = ex;
		if (ex)
			q->alarm_at = now;
	}
}
