/*
 * test_semsvc.c: the semantic service as the daemon runs it: a real libuv
 * loop, the sidecar thread and a pipeline configured from a vigil.yaml
 * `semantic:` section with a schema folder.
 *
 * The flood test holds the worker and feeds 16 KB responses through the
 * pipeline from a 1 ms timer: the pipeline defers their text checks, the
 * service queues them until the queue is full, then skips them and raises
 * the `monitor` incident "semantic monitoring blind spot" (an incident
 * opened through the pipeline, delivered to on_effects) while the loop
 * keeps serving. Released, the worker's results come back through
 * pipeline_feed_text(): the late PII and schema events carry the request
 * ids of the queued responses, and only theirs. The queue gauges follow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "app/metrics_std.h"
#include "app/semsvc.h"
#include "core/incident.h"
#include "core/vgerr.h"
#include "data/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BIG      16384
#define CAPACITY 6
#define T0       1700000000000LL

struct run {
	uv_loop_t loop;
	uv_timer_t timer;
	struct vigil_config *cfg;
	struct jschema_set *schemas;
	struct pipeline *p;
	struct semsvc *svc;
	struct metrics *reg;
	struct vigil_metrics vm;
	char *texts[3]; /* [0] clean prose, [1] prose with a leaked e-mail, [2] an invalid ticket */
	int tick, fed, queued, skipped;
	bool queued_ids[200];
	int blind_events, blind_incidents_opened, first_blind_tick, ticks_while_blind;
	int late_pii, late_schema, late_other;
	bool released, stopped;
	double depth_when_full;
};

static char *prose(bool leak)
{
	char *t = malloc(BIG + 1);
	static const char para[] = "The shipment left the warehouse on time and the customer was "
	                           "informed about the expected delivery window by email. ";
	size_t o = 0;
	while (o + sizeof(para) < BIG) {
		memcpy(t + o, para, sizeof(para) - 1);
		o += sizeof(para) - 1;
	}
	if (leak)
		memcpy(t + 100, " jane.doe@example.org ", 22);
	memset(t + o, ' ', BIG - o);
	t[BIG] = '\0';
	return t;
}

/* A ticket whose summary is far over maxLength 280: /summary fails. */
static char *bad_ticket(void)
{
	char *t = malloc(BIG + 1);
	static const char head[] = "{\"category\": \"billing\", \"priority\": 2, \"summary\": \"";
	size_t o = sizeof(head) - 1;
	memcpy(t, head, o);
	while (o < BIG - 3)
		t[o++] = 'x';
	memcpy(t + o, "\"}", 3);
	return t;
}

/* Request k: kind k % 3 (clean, leak, bad ticket). */
static void obs_for(struct run *r, struct observation *obs, int k)
{
	observation_init(obs);
	obs->ts_ms = T0 + k;
	obs->http_status = 200;
	obs->total_ms = 700;
	snprintf(obs->request_id, sizeof(obs->request_id), "req-%d", k);
	snprintf(obs->pid.provider, sizeof(obs->pid.provider), "openai");
	snprintf(obs->pid.model, sizeof(obs->pid.model), "gpt-4o-mini");
	snprintf(obs->template_id, sizeof(obs->template_id), "shipping");
	obs->text = r->texts[k % 3];
	obs->text_len = strlen(obs->text);
	if (k % 3 == 2)
		snprintf(obs->schema_id, sizeof(obs->schema_id), "ticket");
}

static int request_number(const char *id)
{
	assert_int_equal(strncmp(id, "req-", 4), 0);
	return (int)strtol(id + 4, NULL, 10);
}

static void on_effects(void *data, const struct effects *eff)
{
	struct run *r = data;
	assert_true(eff->n_events + eff->n_transitions + eff->n_incident_changes +
	                    eff->n_notifications >
	            0);
	for (size_t i = 0; i < eff->n_events; i++) {
		const struct failure_event *ev = &eff->events[i];
		if (ev->subtype == SUB_SIDECAR_BLIND_SPOT) {
			assert_int_equal(ev->category, CAT_MONITOR);
			assert_string_equal(ev->pid.provider, "vigil");
			assert_string_equal(ev->pid.model, "sidecar");
			assert_non_null(
			        strstr(ev->causal.detail, "semantic monitoring blind spot"));
			assert_false(r->released); /* only while the queue is full */
			if (!r->blind_events++)
				r->first_blind_tick = r->tick;
			continue;
		}
		/* A late verdict: it belongs to a response that was queued. */
		int k = request_number(ev->request_id);
		assert_true(k >= 0 && k < 200);
		assert_true(r->queued_ids[k]);
		if (ev->subtype == SUB_PII_LEAK) {
			assert_int_equal(k % 3, 1);
			assert_null(strstr(ev->causal.detail, "jane.doe"));
			r->late_pii++;
		} else if (ev->subtype == SUB_FORMAT_VIOLATION) {
			assert_int_equal(k % 3, 2);
			assert_string_equal(ev->causal.detail, "/summary");
			r->late_schema++;
		} else {
			r->late_other++;
		}
	}
	for (size_t i = 0; i < eff->n_incident_changes; i++) {
		const struct incident_change *c = &eff->incident_changes[i];
		if (c->kind == INCC_OPENED && c->incident->category == CAT_MONITOR) {
			assert_int_equal(c->incident->subtype, SUB_SIDECAR_BLIND_SPOT);
			r->blind_incidents_opened++;
		}
	}
}

static void on_stopped(void *data)
{
	((struct run *)data)->stopped = true;
}

static double gauge(struct metric_family *f)
{
	return metrics_value(f, NULL);
}

static void feed_one(struct run *r)
{
	struct observation obs;
	int k = r->fed++;
	obs_for(r, &obs, k);
	struct effects eff;
	assert_int_equal(pipeline_feed(r->p, &obs, obs.ts_ms, &eff), 0);
	/* 16 KB is over the 1 KB inline budget of the config. */
	assert_true(eff.semantic_deferred);
	int rc = semsvc_offer(r->svc, &obs, &eff, obs.ts_ms);
	if (rc == 0) {
		r->queued++;
		r->queued_ids[k] = true;
	} else {
		assert_int_equal(rc, VG_EFULL);
		r->skipped++;
	}
}

static void on_tick(uv_timer_t *t)
{
	struct run *r = t->data;
	r->tick++;
	struct semsvc_stats st;
	semsvc_stats(r->svc, &st);
	if (st.sidecar.blind)
		r->ticks_while_blind++;
	if (r->tick <= 20) {
		for (int i = 0; i < 4; i++)
			feed_one(r);
		semsvc_stats(r->svc, &st);
		assert_true(st.sidecar.depth <= CAPACITY);
		if (r->tick == 20) {
			assert_int_equal(st.sidecar.depth, CAPACITY);
			assert_true(st.sidecar.blind);
			r->depth_when_full = gauge(r->vm.sidecar_depth);
			r->released = true;
			sidecar_hold(semsvc_sidecar(r->svc), false);
		}
		return;
	}
	if (st.sidecar.completed == (uint64_t)r->queued && !st.sidecar.blind && !r->stopped) {
		uv_timer_stop(&r->timer);
		uv_close((uv_handle_t *)&r->timer, NULL);
		assert_true(gauge(r->vm.sidecar_depth) == 0);
		semsvc_stop(r->svc, on_stopped, r);
		r->svc = NULL;
	}
	assert_true(r->tick < 100000); /* a hang fails, never loops forever */
}

static struct vigil_config *load_config(const char *extra)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
	         "semantic:\n"
	         "  schemas_dir: %s/semantic/%s\n"
	         "  sidecar_queue: %d\n"
	         "  budget:\n"
	         "    inline_max_bytes: 1024\n",
	         VIGIL_TEST_DATA_DIR, extra, CAPACITY);
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(cfg);
	int rc = config_load_string(cfg, yaml, strlen(yaml), "test.yaml", &cause);
	if (rc)
		fprintf(stderr, "%s\n", cause);
	assert_int_equal(rc, 0);
	return cfg;
}

static void test_flood_blind_spot_incident(void **state)
{
	(void)state;
	struct run *r = calloc(1, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	r->texts[0] = prose(false);
	r->texts[1] = prose(true);
	r->texts[2] = bad_ticket();
	r->cfg = load_config("schemas");
	r->reg = metrics_new();
	assert_int_equal(metrics_std_register(r->reg, &r->vm, "test"), 0);

	struct core_settings cs;
	settings_defaults(&cs);
	r->p = pipeline_new(&cs, NULL, 0);
	char *cause = NULL;
	assert_int_equal(semsvc_configure(r->p, r->cfg, NULL, &r->schemas, &cause), 0);
	assert_null(cause);
	assert_int_equal(jschema_set_count(r->schemas), 2);

	struct semsvc_options opt;
	semsvc_options_default(&opt);
	opt.capacity = (size_t)r->cfg->semantic.sidecar_queue;
	opt.on_effects = on_effects;
	opt.data = r;
	opt.metrics = &r->vm;
	assert_int_equal(semsvc_start(&r->loop, r->p, &opt, &r->svc), 0);
	assert_true(gauge(r->vm.sidecar_capacity) == CAPACITY);
	sidecar_hold(semsvc_sidecar(r->svc), true);

	uv_timer_init(&r->loop, &r->timer);
	r->timer.data = r;
	uv_timer_start(&r->timer, on_tick, 1, 1);
	uv_run(&r->loop, UV_RUN_DEFAULT);

	assert_true(r->stopped);
	assert_int_equal(r->fed, 80);
	assert_int_equal(r->queued, CAPACITY);
	assert_int_equal(r->skipped, 80 - CAPACITY); /* skipped at once, never waited for */
	assert_true(r->depth_when_full == CAPACITY);
	/* The first refusal raised the blind spot, and it opened one incident. */
	assert_int_equal(r->first_blind_tick, 2);
	assert_true(r->blind_events >= 1);
	assert_int_equal(r->blind_incidents_opened, 1);
	assert_true(r->ticks_while_blind >= 18); /* the loop kept serving while blind */
	/* Requests 0..5 were queued: 1 and 4 leak, 2 and 5 break the schema. */
	for (int k = 0; k < CAPACITY; k++)
		assert_true(r->queued_ids[k]);
	assert_int_equal(r->late_pii, 2);
	assert_int_equal(r->late_schema, 2);

	/* Stopped: deferral is off again, so the same response is checked inline. */
	struct observation obs;
	obs_for(r, &obs, 1);
	obs.ts_ms = T0 + 1000;
	struct effects eff;
	assert_int_equal(pipeline_feed(r->p, &obs, obs.ts_ms, &eff), 0);
	assert_false(eff.semantic_deferred);
	bool inline_pii = false;
	for (size_t i = 0; i < eff.n_events; i++)
		inline_pii |= eff.events[i].subtype == SUB_PII_LEAK;
	assert_true(inline_pii);

	assert_int_equal(uv_loop_close(&r->loop), 0);
	pipeline_free(r->p);
	jschema_set_free(r->schemas);
	metrics_free(r->reg);
	free(r->cfg);
	for (int i = 0; i < 3; i++)
		free(r->texts[i]);
	free(r);
}

/* An invalid schema is a startup error naming the file; nothing is applied. */
static void test_configure_bad_schema(void **state)
{
	(void)state;
	struct vigil_config *cfg = load_config("schemas_bad");
	struct core_settings cs;
	settings_defaults(&cs);
	struct pipeline *p = pipeline_new(&cs, NULL, 0);
	struct jschema_set *set = (struct jschema_set *)(void *)&cs; /* must be reset */
	char *cause = NULL;
	int rc = semsvc_configure(p, cfg, NULL, &set, &cause);
	assert_true(rc < 0);
	assert_null(set);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "b_broken.json"));
	free(cause);
	pipeline_free(p);
	free(cfg);
}

/* A relative schemas_dir is read next to the config file; no folder = no schemas. */
static void test_configure_relative_and_none(void **state)
{
	(void)state;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	config_defaults(cfg);
	snprintf(cfg->semantic.schemas_dir, sizeof(cfg->semantic.schemas_dir), "schemas");
	struct core_settings cs;
	settings_defaults(&cs);
	struct pipeline *p = pipeline_new(&cs, NULL, 0);
	struct jschema_set *set = NULL;
	char *cause = NULL;
	assert_int_equal(
	        semsvc_configure(p, cfg, VIGIL_TEST_DATA_DIR "/semantic/vigil.yaml", &set, &cause),
	        0);
	assert_int_equal(jschema_set_count(set), 2);
	pipeline_free(p);
	jschema_set_free(set);

	/* After the first feed the checks cannot change: a clear error. */
	cfg->semantic.schemas_dir[0] = '\0';
	p = pipeline_new(&cs, NULL, 0);
	assert_int_equal(semsvc_configure(p, cfg, NULL, &set, &cause), 0);
	assert_null(set);
	struct observation obs;
	observation_init(&obs);
	obs.ts_ms = T0;
	obs.http_status = 200;
	snprintf(obs.pid.provider, sizeof(obs.pid.provider), "openai");
	struct effects eff;
	assert_int_equal(pipeline_feed(p, &obs, T0, &eff), 0);
	assert_int_equal(semsvc_configure(p, cfg, NULL, &set, &cause), VG_ESTATE);
	assert_non_null(cause);
	free(cause);
	pipeline_free(p);
	free(cfg);
}

static void test_bad_options(void **state)
{
	(void)state;
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct core_settings cs;
	settings_defaults(&cs);
	struct pipeline *p = pipeline_new(&cs, NULL, 0);
	struct semsvc_options opt;
	semsvc_options_default(&opt);
	struct semsvc *svc = (struct semsvc *)p;
	assert_int_equal(semsvc_start(&loop, p, &opt, &svc), VG_EINVAL); /* no on_effects */
	assert_null(svc);
	opt.on_effects = on_effects;
	opt.capacity = 0;
	assert_int_equal(semsvc_start(&loop, p, &opt, &svc), VG_EINVAL);
	semsvc_stop(NULL, NULL, NULL); /* nothing */
	pipeline_free(p);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_blind_spot_incident),
		cmocka_unit_test(test_configure_bad_schema),
		cmocka_unit_test(test_configure_relative_and_none),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
