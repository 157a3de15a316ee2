/*
 * semantic_bench.c: what the semantic checks cost.
 *
 *   1. inline: semantic_inline() per 2 KB structured response (a JSON
 *      answer validated against a schema, with token counts, a 2 KB
 *      context, entities, PII and the local embedding against a warm
 *      centroid): checks 1-5 together, p50/p99/max in microseconds, and
 *      the same per check for the breakdown. The combined figure again by
 *      the thread's CPU clock: on a shared machine the wall clock also
 *      counts the time other processes run in between.
 *   2. sidecar: responses per second through the sidecar thread for 16 KB
 *      responses (with a 4 KB context), the queue kept full.
 *
 * Deterministic inputs (a seeded generator); figures only, never a verdict
 * on time. Usage: semantic_bench [inline_iterations] [sidecar_responses] [inline]
 * ("inline": only the combined inline figure, for profiling).
 */
#include "app/sidecar.h"
#include "core/coherence.h"
#include "core/embed.h"
#include "core/entities.h"
#include "core/jschema.h"
#include "core/pii.h"
#include "core/semantic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char *const vocab[] = {
	"the",      "shipment", "left",     "warehouse",   "on",       "time",     "and",
	"customer", "was",      "informed", "about",       "delivery", "window",   "by",
	"email",    "refund",   "policy",   "allows",      "returns",  "within",   "days",
	"order",    "contains", "three",    "items",       "monitor",  "keyboard", "docking",
	"station",  "arrived",  "damaged",  "replacement", "courier",  "collect",  "next",
	"week",     "invoice",  "total",    "includes",    "tax",      "shipping", "fee",
};
static const char *const extras[] = {
	"Acme Robotics",
	"Maria Lopez",
	"15 kg",
	"2024-03-15",
	"[2]",
	"Section 4.2",
	"$42 million",
	"Globex Industries",
	"March 3, 2024",
	"310 people",
	"https://acme.example.com/report",
};

static size_t gen_prose(char *o, size_t cap, size_t target)
{
	size_t n = 0;
	bool start = true;
	while (n + 48 < cap && n < target) {
		const char *w = (next() % 9 == 0) ? extras[next() % 11] : vocab[next() % 42];
		size_t l = strlen(w);
		memcpy(o + n, w, l);
		if (start && o[n] >= 'a' && o[n] <= 'z')
			o[n] = (char)(o[n] - 32);
		n += l;
		start = next() % 12 == 0;
		if (start)
			o[n++] = '.';
		o[n++] = ' ';
	}
	return n;
}

/* A structured answer of about `size` bytes: {"answer": "...", "sources": [..]}. */
static size_t gen_answer(char *o, size_t cap, size_t size)
{
	size_t n = (size_t)snprintf(o, cap, "{\"answer\": \"");
	n += gen_prose(o + n, cap - n, size - 40);
	if (next() % 10 == 0)
		n += (size_t)snprintf(o + n, cap - n, "mail jane.doe@example.org ");
	n += (size_t)snprintf(o + n, cap - n, "\", \"sources\": [%u, %u]}", next() % 9 + 1,
	                      next() % 9 + 1);
	return n;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* This thread's CPU time: what the checks cost without the time other
 * processes of a shared machine run in between (a system call per read). */
static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_d);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += t[i];
	printf("  %-34s p50 %7.2f us   p99 %7.2f us   max %8.2f us   mean %7.2f us\n", what,
	       t[n / 2], t[(size_t)((double)n * 0.99)], t[n - 1], sum / (double)n);
}

#define NTEXT 512

static const char schema[] =
        "{\"type\":\"object\",\"required\":[\"answer\",\"sources\"],\"additionalProperties\":false,"
        "\"properties\":{\"answer\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":8000},"
        "\"sources\":{\"type\":\"array\",\"maxItems\":10,\"items\":{\"type\":\"integer\","
        "\"minimum\":1}}}}";

static void bench_inline(size_t iters, bool breakdown)
{
	struct jschema_set *set = jschema_set_new();
	char *cause = NULL;
	if (jschema_set_add(set, "answer", schema, sizeof(schema) - 1, "answer.json", &cause)) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	static char texts[NTEXT][2600];
	size_t lens[NTEXT];
	for (size_t i = 0; i < NTEXT; i++)
		lens[i] = gen_answer(texts[i], sizeof(texts[i]), 2048);
	/* 64 different contexts, so no two neighbouring responses share one */
	static char ctxs[64][2300];
	size_t clens[64];
	for (size_t i = 0; i < 64; i++)
		clens[i] = gen_prose(ctxs[i], sizeof(ctxs[i]), 2048);

	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	struct semantic *sem = semantic_new(&ss, &cs, set);
	struct observation obs;
	observation_init(&obs);
	obs.http_status = 200;
	snprintf(obs.pid.provider, sizeof(obs.pid.provider), "openai");
	snprintf(obs.pid.model, sizeof(obs.pid.model), "gpt-4o-mini");
	snprintf(obs.template_id, sizeof(obs.template_id), "support");
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	obs.input_tokens = 1100;
	obs.predicted_input_tokens = 1000;
	int64_t t = 1700000000000LL;
	/* warm the centroid and the scratch buffers */
	for (size_t i = 0; i < 200; i++) {
		obs.text = texts[i % NTEXT];
		obs.text_len = lens[i % NTEXT];
		obs.context_text = ctxs[i % 64];
		obs.context_len = clens[i % 64];
		struct semantic_verdicts v = obs.verdicts;
		semantic_inline(sem, &obs, t++, &v);
	}
	double *d = malloc(iters * sizeof(*d));
	size_t bytes = 0, invalid = 0, leaks = 0, halluc = 0;
	for (size_t i = 0; i < iters; i++) {
		obs.text = texts[i % NTEXT];
		obs.text_len = lens[i % NTEXT];
		obs.context_text = ctxs[(i * 7) % 64];
		obs.context_len = clens[(i * 7) % 64];
		bytes += obs.text_len;
		struct semantic_verdicts v = obs.verdicts;
		double a = now_us();
		semantic_inline(sem, &obs, t++, &v);
		d[i] = now_us() - a;
		invalid += v.schema_valid == VG_TRI_FALSE;
		leaks += v.pii_leak == VG_TRI_TRUE;
		halluc += v.hallucination == VG_TRI_TRUE;
	}
	printf("inline checks 1-5 (schema, tokens, similarity+coherence, hallucination, PII)\n");
	printf("  %zu responses, mean %.0f bytes, 2 KB contexts; verdicts: %zu schema failures, "
	       "%zu PII leaks, %zu hallucinations\n",
	       iters, (double)bytes / (double)iters, invalid, leaks, halluc);
	report("semantic_inline (all together)", d, iters);
	/* The same responses again, timed by the thread's CPU clock. */
	for (size_t i = 0; i < iters; i++) {
		obs.text = texts[i % NTEXT];
		obs.text_len = lens[i % NTEXT];
		obs.context_text = ctxs[(i * 7) % 64];
		obs.context_len = clens[(i * 7) % 64];
		struct semantic_verdicts v = obs.verdicts;
		double a = cpu_us();
		semantic_inline(sem, &obs, t++, &v);
		d[i] = cpu_us() - a;
	}
	report("  the same, thread CPU time", d, iters);

	if (!breakdown) {
		free(d);
		semantic_free(sem);
		jschema_set_free(set);
		return;
	}
	/* The breakdown: the parts semantic_text_run() is made of, each alone on
	 * the same texts (one tokenizer pass shared by the text checks). */
	struct jschema_scratch js;
	jschema_scratch_init(&js);
	struct coherence_cfg cc;
	coherence_cfg_init(&cc);
	struct coherence_scratch cs2;
	coherence_scratch_init(&cs2);
	struct entities_scratch es;
	entities_scratch_init(&es);
	struct pii_scratch ps;
	pii_scratch_init(&ps);
	float emb[256];
	const struct jschema *sch = jschema_set_get(set, "answer");
	struct ts_token *tok = malloc(2000 * sizeof(*tok));
	uint64_t *words = malloc(2000 * sizeof(*words));
	static const char *const names[] = { "schema validation",
		                             "tokenize (shared by the next four)",
		                             "local embedding (256 dims)",
		                             "coherence (on token hashes)",
		                             "hallucination screen (+ context)",
		                             "PII scan" };
	for (int part = 0; part < 6; part++) {
		for (size_t i = 0; i < iters; i++) {
			const char *tx = texts[i % NTEXT];
			size_t tl = lens[i % NTEXT], n = 0, pos = 0;
			const char *cx = ctxs[(i * 7) % 64];
			size_t cl = clens[(i * 7) % 64];
			double a = now_us();
			if (part > 0)
				while (n < 2000 && ts_next(tx, tl, &pos, &tok[n]))
					n++;
			double tok_us = now_us() - a;
			switch (part) {
			case 0: {
				struct jschema_result r;
				jschema_validate(sch, tx, tl, &js, &r);
				break;
			}
			case 1: break;
			case 2: embed_tokens(tx, tok, n, emb, 256, words); break;
			case 3: {
				for (size_t k = 0; k < n; k++)
					words[k] = tok[k].hash;
				tok_us = now_us() - a;
				struct coherence_result r;
				coherence_scan_words(&cc, words, n, 10, &cs2, &r);
				break;
			}
			case 4: {
				struct entities_result r;
				entities_screen_tokens(tx, tl, tok, n, cx, cl, &es, &r);
				break;
			}
			default: {
				struct pii_result r;
				pii_scan_tokens(tx, tl, tok, n, cx, cl, &ps, &r);
			}
			}
			d[i] = now_us() - a - (part > 1 ? tok_us : 0);
		}
		char label[64];
		snprintf(label, sizeof(label), "  %s", names[part]);
		report(label, d, iters);
	}
	free(tok);
	free(words);
	jschema_scratch_done(&js);
	coherence_scratch_done(&cs2);
	entities_scratch_done(&es);
	pii_scratch_done(&ps);
	free(d);
	semantic_free(sem);
	jschema_set_free(set);
}

struct side {
	uv_loop_t loop;
	struct sidecar *sc;
	struct semantic *sem;
	char *texts[8];
	size_t lens[8];
	char *ctx;
	size_t clen;
	size_t total, submitted, done, skipped;
	double start, end;
};

static void submit_one(struct side *s)
{
	struct observation obs;
	observation_init(&obs);
	obs.http_status = 200;
	snprintf(obs.request_id, sizeof(obs.request_id), "r%zu", s->submitted);
	snprintf(obs.pid.provider, sizeof(obs.pid.provider), "openai");
	snprintf(obs.schema_id, sizeof(obs.schema_id), "answer");
	obs.text = s->texts[s->submitted % 8];
	obs.text_len = s->lens[s->submitted % 8];
	obs.context_text = s->ctx;
	obs.context_len = s->clen;
	int rc = sidecar_submit(s->sc, &obs, (int64_t)uv_now(&s->loop));
	if (rc == 0)
		s->submitted++;
	else
		s->skipped++;
}

static void side_stopped(void *data)
{
	(void)data;
}

static void on_side_result(struct sidecar *sc, const struct observation *obs,
                           const struct semantic_text *t, int status, void *data)
{
	(void)sc;
	struct side *s = data;
	struct semantic_verdicts v;
	semantic_verdicts_init(&v);
	semantic_complete(s->sem, obs, t, (int64_t)uv_now(&s->loop), &v);
	(void)status;
	if (++s->done == s->total) {
		s->end = now_us();
		sidecar_stop(s->sc, side_stopped, s);
		return;
	}
	if (s->submitted < s->total)
		submit_one(s);
}

static void bench_sidecar(size_t total)
{
	struct side *s = calloc(1, sizeof(*s));
	uv_loop_init(&s->loop);
	struct jschema_set *set = jschema_set_new();
	jschema_set_add(set, "answer", schema, sizeof(schema) - 1, "answer.json", NULL);
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	s->sem = semantic_new(&ss, &cs, set);
	semantic_allow_defer(s->sem, true);
	for (int i = 0; i < 8; i++) {
		s->texts[i] = malloc(17000);
		s->lens[i] = gen_answer(s->texts[i], 17000, 16384);
	}
	s->ctx = malloc(4500);
	s->clen = gen_prose(s->ctx, 4500, 4096);
	s->total = total;
	struct sidecar_options opt;
	sidecar_options_default(&opt);
	opt.capacity = 64;
	opt.on_result = on_side_result;
	opt.data = s;
	if (sidecar_start(&s->loop, semantic_text_cfg(s->sem), &opt, &s->sc)) {
		fprintf(stderr, "sidecar_start failed\n");
		exit(1);
	}
	s->start = now_us();
	while (s->submitted < opt.capacity && s->submitted < total)
		submit_one(s);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	double secs = (s->end - s->start) / 1e6;
	printf("sidecar (one worker thread, queue of 64 kept full)\n");
	printf("  %zu responses of %.0f bytes (+4 KB context) in %.3f s: %.0f responses/s, "
	       "%.1f MB/s; %zu refused\n",
	       s->done, (double)s->lens[0], secs, (double)s->done / secs,
	       (double)s->done * (double)s->lens[0] / secs / 1e6, s->skipped);
	uv_loop_close(&s->loop);
	for (int i = 0; i < 8; i++)
		free(s->texts[i]);
	free(s->ctx);
	semantic_free(s->sem);
	jschema_set_free(set);
	free(s);
}

int main(int argc, char **argv)
{
	size_t iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	size_t side = argc > 2 ? strtoul(argv[2], NULL, 10) : 5000;
	if (!iters || !side) {
		fprintf(stderr, "usage: semantic_bench [inline_iterations] [sidecar_responses]\n");
		return 2;
	}
	bool quick = argc > 3 && strcmp(argv[3], "inline") == 0;
	bench_inline(iters, !quick);
	if (!quick)
		bench_sidecar(side);
	return 0;
}
