/*
 * test_sidecar.c: the semantic sidecar on a real libuv loop and thread.
 *
 * The flood test holds the worker, submits 16 KB responses from a 1 ms
 * timer much faster than the queue can hold, and checks that the loop keeps
 * serving (the timer keeps firing), that the full queue refuses at once and
 * raises the blind-spot monitor event, that the accepted analyses come back
 * joined by request id with the right verdicts once the worker runs again,
 * and that the blind spot clears when the queue has drained.
 *
 * The lag test: a queue far from full whose worker does not keep up (held)
 * is reported blind once its oldest analysis has waited max_age_ms on the
 * sidecar's clock (the test's), once per event interval, and cleared when
 * it drains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/sidecar.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define BIG 16384

struct flood {
	uv_loop_t loop;
	uv_timer_t timer;
	struct semantic *sem;
	struct sidecar *sc;
	char *texts[2]; /* [0] clean, [1] with a leaked e-mail address */
	int tick;
	int submitted, accepted, refused;
	char accepted_ids[64][16];
	int results, results_with_leak, joined;
	int events, first_event_tick, ticks_while_blind;
	bool blind, cleared;
	int after_clear_accepted;
	bool stopped;
};

static char *make_text(bool leak)
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

static void obs_for(struct flood *f, struct observation *obs, int k)
{
	observation_init(obs);
	obs->http_status = 200;
	snprintf(obs->request_id, sizeof(obs->request_id), "req-%d", k);
	snprintf(obs->pid.provider, sizeof(obs->pid.provider), "openai");
	snprintf(obs->pid.model, sizeof(obs->pid.model), "gpt-4o-mini");
	snprintf(obs->template_id, sizeof(obs->template_id), "shipping");
	obs->text = f->texts[k % 2];
	obs->text_len = BIG;
}

static void on_result(struct sidecar *sc, const struct observation *obs,
                      const struct semantic_text *t, int status, void *data)
{
	(void)sc;
	struct flood *f = data;
	assert_int_equal(status, 0);
	f->results++;
	for (int i = 0; i < f->accepted && i < 64; i++) {
		if (strcmp(f->accepted_ids[i], obs->request_id) == 0)
			f->joined++;
	}
	int k = (int)strtol(obs->request_id + 4, NULL, 10);
	/* The verdict belongs to the text submitted under this id. */
	assert_int_equal(t->v.pii_leak, k % 2 ? VG_TRI_TRUE : VG_TRI_FALSE);
	if (t->v.pii_leak == VG_TRI_TRUE) {
		f->results_with_leak++;
		assert_string_equal(t->v.pii_kind, "email");
		assert_null(strstr(t->v.pii_sample, "jane.doe"));
	}
	assert_int_equal(t->dims, 256);
	/* Join into the same flow as inline results, on the loop thread. */
	struct semantic_verdicts v;
	semantic_verdicts_init(&v);
	assert_int_equal(semantic_complete(f->sem, obs, t, (int64_t)uv_now(&f->loop), &v), 0);
	assert_int_equal(v.pii_leak, t->v.pii_leak);
}

static void on_monitor(struct sidecar *sc, const struct failure_event *ev, void *data)
{
	(void)sc;
	struct flood *f = data;
	if (ev) {
		assert_int_equal(ev->category, CAT_MONITOR);
		assert_int_equal(ev->subtype, SUB_SIDECAR_BLIND_SPOT);
		assert_int_equal(ev->severity, SEV_HIGH);
		assert_non_null(strstr(ev->causal.detail, "semantic monitoring blind spot"));
		assert_true(ev->causal.threshold == 8);
		if (!f->events++)
			f->first_event_tick = f->tick;
		f->blind = true;
	} else {
		assert_true(f->blind);
		f->blind = false;
		f->cleared = true;
	}
}

static void on_stopped(void *data)
{
	struct flood *f = data;
	f->stopped = true;
}

static void on_tick(uv_timer_t *t)
{
	struct flood *f = t->data;
	f->tick++;
	if (f->blind)
		f->ticks_while_blind++;
	if (f->tick <= 20) {
		for (int i = 0; i < 5; i++) {
			struct observation obs;
			int k = f->submitted++;
			obs_for(f, &obs, k);
			int rc = sidecar_submit(f->sc, &obs, (int64_t)uv_now(&f->loop));
			if (rc == 0) {
				snprintf(f->accepted_ids[f->accepted++], 16, "req-%d", k);
			} else {
				assert_int_equal(rc, VG_EFULL);
				f->refused++;
			}
		}
		struct sidecar_stats st;
		sidecar_stats(f->sc, &st);
		assert_true(st.depth <= 8);
		if (f->tick == 20) {
			assert_int_equal(st.depth, 8);
			assert_true(st.blind);
			sidecar_hold(f->sc, false);
		}
		return;
	}
	if (f->cleared && f->after_clear_accepted == 0) {
		/* The sidecar sees everything again. */
		struct observation obs;
		int k = f->submitted++;
		obs_for(f, &obs, k);
		assert_int_equal(sidecar_submit(f->sc, &obs, (int64_t)uv_now(&f->loop)), 0);
		snprintf(f->accepted_ids[f->accepted++], 16, "req-%d", k);
		f->after_clear_accepted = 1;
		return;
	}
	if (f->cleared && f->results == f->accepted) {
		uv_timer_stop(&f->timer);
		uv_close((uv_handle_t *)&f->timer, NULL);
		sidecar_stop(f->sc, on_stopped, f);
	}
	assert_true(f->tick < 100000); /* a hang fails, never loops forever */
}

static void test_flood_blind_spot(void **state)
{
	(void)state;
	struct flood *f = calloc(1, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	f->sem = semantic_new(&ss, &cs, NULL);
	semantic_allow_defer(f->sem, true);
	f->texts[0] = make_text(false);
	f->texts[1] = make_text(true);

	struct sidecar_options opt;
	sidecar_options_default(&opt);
	opt.capacity = 8;
	opt.event_interval_ms = 1000;
	opt.on_result = on_result;
	opt.on_monitor = on_monitor;
	opt.data = f;
	assert_int_equal(sidecar_start(&f->loop, semantic_text_cfg(f->sem), &opt, &f->sc), 0);
	sidecar_hold(f->sc, true);

	/* The inline stage defers these texts (16 KB > 4 KB budget). */
	struct observation obs;
	obs_for(f, &obs, 999);
	struct semantic_verdicts v = obs.verdicts;
	assert_int_equal(semantic_inline(f->sem, &obs, 0, &v), 0);
	assert_true(v.deferred);

	uv_timer_init(&f->loop, &f->timer);
	f->timer.data = f;
	uv_timer_start(&f->timer, on_tick, 1, 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);

	assert_true(f->stopped);
	assert_int_equal(f->submitted, 101);
	assert_int_equal(f->accepted, 9); /* 8 while held, 1 after the drain */
	assert_int_equal(f->refused, 92); /* skipped, never waited for */
	assert_int_equal(f->results, 9);
	assert_int_equal(f->joined, 9); /* every result found its request id */
	assert_int_equal(f->results_with_leak, 4);
	assert_int_equal(f->first_event_tick, 2); /* the first refusal raised it */
	assert_true(f->events >= 1);
	assert_true(f->ticks_while_blind >= 18); /* the loop kept serving while blind */
	assert_true(f->cleared);
	assert_false(f->blind);

	free(f->texts[0]);
	free(f->texts[1]);
	semantic_free(f->sem);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
}

struct simple {
	int results;
	bool stopped;
};

static void count_result(struct sidecar *sc, const struct observation *obs,
                         const struct semantic_text *t, int status, void *data)
{
	(void)sc;
	(void)obs;
	(void)t;
	(void)status;
	((struct simple *)data)->results++;
}

static void simple_stopped(void *data)
{
	((struct simple *)data)->stopped = true;
}

/* Stopping with jobs waiting frees them, delivers nothing late, and calls back. */
static void test_stop_with_pending(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	struct semantic *sem = semantic_new(&ss, &cs, NULL);
	struct simple s = { 0, false };
	struct sidecar_options opt;
	sidecar_options_default(&opt);
	opt.capacity = 4;
	opt.max_bytes = 40000;
	opt.on_result = count_result;
	opt.data = &s;
	struct sidecar *sc;
	assert_int_equal(sidecar_start(&loop, semantic_text_cfg(sem), &opt, &sc), 0);
	sidecar_hold(sc, true);
	char *text = make_text(false);
	struct observation obs;
	observation_init(&obs);
	obs.text = text;
	obs.text_len = BIG;
	float emb[16] = { 1, 2, 3 };
	obs.embedding = emb;
	obs.embedding_len = 16;
	assert_int_equal(sidecar_submit(sc, &obs, 0), 0);
	assert_int_equal(sidecar_submit(sc, &obs, 0), 0);
	/* a third 16 KB job would pass 40000 bytes: refused by size, not count */
	assert_int_equal(sidecar_submit(sc, &obs, 0), VG_EFULL);
	struct sidecar_stats st;
	sidecar_stats(sc, &st);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.skipped, 1);
	assert_true(st.blind);
	assert_true(st.bytes >= 2 * BIG);
	sidecar_stop(sc, simple_stopped, &s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(s.stopped);
	assert_int_equal(s.results, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(text);
	semantic_free(sem);
}

struct lag {
	int64_t now;
	int results, events, cleared;
	double value;
	char detail[256];
};

static int64_t lag_clock(void *data)
{
	return ((struct lag *)data)->now;
}

static void lag_result(struct sidecar *sc, const struct observation *obs,
                       const struct semantic_text *t, int status, void *data)
{
	(void)sc;
	(void)obs;
	(void)t;
	(void)status;
	((struct lag *)data)->results++;
}

static void lag_monitor(struct sidecar *sc, const struct failure_event *ev, void *data)
{
	(void)sc;
	struct lag *l = data;
	if (!ev) {
		l->cleared++;
		return;
	}
	assert_int_equal(ev->category, CAT_MONITOR);
	assert_int_equal(ev->subtype, SUB_SIDECAR_BLIND_SPOT);
	l->events++;
	l->value = ev->causal.value;
	snprintf(l->detail, sizeof(l->detail), "%s", ev->causal.detail);
}

static void test_lag_blind_spot(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	struct semantic *sem = semantic_new(&ss, &cs, NULL);
	struct lag l = { .now = 1000000 };
	struct sidecar_options opt;
	sidecar_options_default(&opt);
	opt.capacity = 64;
	opt.max_age_ms = 30000;
	opt.clock_ms = lag_clock;
	opt.on_result = lag_result;
	opt.on_monitor = lag_monitor;
	opt.data = &l;
	struct sidecar *sc;
	assert_int_equal(sidecar_start(&loop, semantic_text_cfg(sem), &opt, &sc), 0);
	sidecar_hold(sc, true);
	char *text = make_text(false);
	struct observation obs;
	observation_init(&obs);
	obs.text = text;
	obs.text_len = BIG;
	/* the time given to submit is the event's (old, in a catch-up): the
	 * sidecar's own clock says when it was queued */
	assert_int_equal(sidecar_submit(sc, &obs, 5), 0);
	l.now += 5000;
	assert_int_equal(sidecar_submit(sc, &obs, 6), 0);
	assert_int_equal(sidecar_watch(sc, l.now), 5000);
	l.now += 24999;
	assert_int_equal(sidecar_watch(sc, l.now), 29999);
	assert_int_equal(l.events, 0); /* 2 of 64 queued, 30 s not reached: not blind */
	struct sidecar_stats st;
	sidecar_stats(sc, &st);
	assert_false(st.blind);
	assert_int_equal(st.oldest_ms, 1000000);

	l.now += 1;
	assert_int_equal(sidecar_watch(sc, l.now), 30000);
	assert_int_equal(l.events, 1);
	assert_true(l.value == 30.0);
	assert_non_null(strstr(l.detail, "lagging"));
	assert_non_null(strstr(l.detail, "2 queued"));
	l.now += 500;
	sidecar_watch(sc, l.now);
	assert_int_equal(l.events, 1); /* once per event interval */
	l.now += 1000;
	sidecar_watch(sc, l.now);
	assert_int_equal(l.events, 2);

	sidecar_hold(sc, false);
	while (l.results < 2)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(l.cleared, 1);
	assert_int_equal(sidecar_watch(sc, l.now), -1);
	sidecar_stats(sc, &st);
	assert_false(st.blind);
	assert_false(st.oldest_ms != VG_NONE);
	sidecar_stop(sc, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(text);
	semantic_free(sem);
}

static void test_bad_options(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sidecar_options opt;
	sidecar_options_default(&opt);
	struct sidecar *sc = (struct sidecar *)&opt;
	assert_int_equal(sidecar_start(&loop, NULL, &opt, &sc), VG_EINVAL); /* no on_result */
	assert_null(sc);
	opt.on_result = count_result;
	opt.capacity = 0;
	assert_int_equal(sidecar_start(&loop, NULL, &opt, &sc), VG_EINVAL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_blind_spot),
		cmocka_unit_test(test_stop_with_pending),
		cmocka_unit_test(test_lag_blind_spot),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
