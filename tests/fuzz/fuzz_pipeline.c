/*
 * fuzz_pipeline.c: libFuzzer harness for the pipeline. The input is a
 * sequence of 24-byte records, each one observation (or a tick, a late
 * verdict, a monitor report) with every field drawn from the bytes, extreme
 * and "not measured" values included; after each call the read API is
 * walked. Any crash, sanitizer report or broken invariant is a bug.
 */
#include "core/pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double doubles[] = { NAN, 0, -1, 0.5, 800, 10001, 1e9, INFINITY, -INFINITY, 1e-9 };
static const int64_t ints[] = { VG_NONE, 0, -1, 1, 100, 1000, 5000, INT64_MAX, INT64_MIN + 1 };
static const char *const names[] = { "openai", "anthropic", "google", "x", "" };

#define PICK(a, b) (a)[(b) % (sizeof(a) / sizeof((a)[0]))]

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_settings s;
	settings_defaults(&s);
	s.soft_min_samples = 2;
	s.breaker.consecutive_failures = 2;
	s.breaker.cooldown_ms = 100;
	struct pipeline_provider pp[2];
	memset(pp, 0, sizeof(pp));
	model_copy_str(pp[0].name, sizeof(pp[0].name), "openai", (size_t)-1);
	model_copy_str(pp[1].name, sizeof(pp[1].name), "anthropic", (size_t)-1);
	pp[1].fallback = true;
	model_copy_str(pp[0].models[0].name, sizeof(pp[0].models[0].name), "m", (size_t)-1);
	pp[0].models[0].breaker = true;
	pp[0].models[0].price_in_per_1k = 0.001;
	pp[0].n_models = 1;
	struct pipeline *p = pipeline_new(&s, pp, 2);
	if (!p)
		return 0;
	int64_t now = 1795773600000LL;
	uint64_t last_id = 0;
	struct effects fx;
	for (size_t off = 0; off + 24 <= size; off += 24) {
		const uint8_t *b = data + off;
		now += b[0] * 37;
		struct observation o;
		observation_init(&o);
		o.ts_ms = b[1] == 255 ? VG_NONE : now;
		model_copy_str(o.pid.provider, sizeof(o.pid.provider), PICK(names, b[2]),
		               (size_t)-1);
		model_copy_str(o.pid.model, sizeof(o.pid.model), PICK(names, b[3] >> 4),
		               (size_t)-1);
		if (b[3] & 1)
			model_copy_str(o.pid.model, sizeof(o.pid.model), "m-2024", (size_t)-1);
		o.traffic_class = (enum traffic_class)((b[4] % 5) - 1);
		o.selection_reason = (enum selection_reason)((b[5] % 5) - 1);
		model_copy_str(o.after_failure_of, sizeof(o.after_failure_of),
		               PICK(names, b[5] >> 4), (size_t)-1);
		o.transport_error = (enum transport_error)(b[6] % TE__COUNT);
		o.http_status = (int32_t)(b[7] * 3) - 1;
		o.norm.error_class = (enum err_class)(b[8] % EC__COUNT);
		o.norm.stream_error = b[9] & 1;
		o.norm.safety_block = b[9] & 2;
		o.norm.body_truncated = b[9] & 4;
		o.norm.finish = (enum finish_reason)((b[9] >> 4) % 7 - 1);
		o.total_ms = PICK(doubles, b[10]);
		o.ttfb_ms = PICK(doubles, b[11]);
		o.input_tokens = PICK(ints, b[12]);
		o.predicted_input_tokens = PICK(ints, b[13]);
		o.output_tokens = PICK(ints, b[14]);
		o.cost_usd = PICK(doubles, b[15]);
		o.retry_count = (int32_t)(b[16] % 12) - 1;
		o.doc_age_s = PICK(doubles, b[17]);
		o.norm.rl_requests.limit = PICK(ints, b[18]);
		o.norm.rl_requests.remaining = PICK(ints, b[19]);
		int8_t *tri[] = { &o.verdicts.schema_valid,    &o.verdicts.hallucination,
			          &o.verdicts.regression,      &o.verdicts.coherence,
			          &o.verdicts.token_inflation, &o.verdicts.pii_leak,
			          &o.verdicts.stale_context,   &o.verdicts.embedding_drift };
		for (size_t k = 0; k < 8; k++)
			*tri[k] = (int8_t)(((b[20 + k / 4] >> (2 * (k % 4))) & 3) % 3 - 1);
		o.verdicts.token_delta_pct = PICK(doubles, b[22]);
		o.verdicts.similarity = PICK(doubles, b[22] >> 4);
		int rc;
		switch (b[23] % 8) {
		case 0: rc = pipeline_tick(p, now, &fx); break;
		case 1: rc = pipeline_feed_verdicts(p, &o, now, &fx); break;
		case 2:
			rc = pipeline_monitor(p, (enum subtype)(b[23] % SUB__COUNT), "fz", "d", 1,
			                      now, &fx);
			break;
		default: rc = pipeline_feed(p, &o, (b[23] & 0x80) ? now - 5000 : now, &fx); break;
		}
		if (rc != 0 && fx.n_events + fx.n_transitions != 0)
			abort(); /* an error changes nothing */
		for (size_t k = 0; k < fx.n_events; k++) {
			if (fx.events[k].id != last_id + 1 || fx.events[k].severity >= SEV__COUNT ||
			    !fx.events[k].pid.provider[0])
				abort();
			last_id = fx.events[k].id;
		}
		for (size_t k = 0; k < fx.n_transitions; k++)
			if (fx.transitions[k].from == fx.transitions[k].to)
				abort();
		if ((off / 24) % 64 != 63 && off + 48 <= size)
			continue; /* reading every row is slow: every 64th record and the last */
		for (size_t k = 0; k < pipeline_health_count(p); k++) {
			struct health_view hv;
			if (pipeline_health_view(p, k, now, &hv) != 0)
				abort();
			if (hv.health.availability < 0 || hv.health.availability > 1 ||
			    isinf(hv.health.requests) || isinf(hv.health.cost_per_1k_usd))
				abort();
		}
	}
	pipeline_free(p);
	return 0;
}
