/*
 * test_backfill.c: the notifications of the past (app/backfill), with the
 * wall clock passed in: what an old event decides is held back, and so are
 * the later changes of the incident it opened; a live event notifies; a
 * tick holds back an old trigger but lets the resolve of a paged incident
 * go out; a restored incident never notified and quiet for longer than the
 * quiet period is held back, a notified one is not; the resolve of an
 * episode's page sent by a later incident of the episode is held back while
 * no trigger of its dedup key went out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/backfill.h"
#include "core/model.h"

#include <stdio.h>
#include <string.h>

#define MINUTE (60 * 1000LL)
#define NOW    1796601600000LL /* the wall clock */
#define QUIET  (10 * MINUTE)

static struct notification nv[4];

/* Effects holding n notifications: incident ids[i], op ops[i], at times[i],
 * dedup key "vigil/k/<id>" (set another with nv[i].dedup_key). */
static struct effects fx_of(size_t n, const int64_t *ids, const enum notify_op *ops,
                            const int64_t *times)
{
	struct effects fx;
	memset(&fx, 0, sizeof(fx));
	memset(nv, 0, sizeof(nv));
	for (size_t i = 0; i < n; i++) {
		nv[i].incident_id = ids[i];
		nv[i].op = ops[i];
		nv[i].time_ms = times[i];
		strcpy(nv[i].sink, "pd");
		snprintf(nv[i].dedup_key, sizeof(nv[i].dedup_key), "vigil/k/%lld",
		         (long long)ids[i]);
	}
	fx.notifications = nv;
	fx.n_notifications = n;
	return fx;
}

static void test_old_event_held_with_its_incident(void **state)
{
	(void)state;
	struct backfill *bf;
	assert_int_equal(backfill_new(&bf, QUIET), 0);
	struct effects out;

	/* a day-old event opens incident 1: its trigger is held */
	int64_t old = NOW - 24 * 60 * MINUTE;
	struct effects fx = fx_of(1, (int64_t[]){ 1 }, (enum notify_op[]){ NOTIFY_TRIGGER },
	                          (int64_t[]){ old });
	assert_int_equal(backfill_filter(bf, &fx, old, NOW, &out), 1);
	assert_int_equal(out.n_notifications, 0);

	/* a live event opens incident 2 in the same call as an old change of 1 */
	fx = fx_of(2, (int64_t[]){ 1, 2 }, (enum notify_op[]){ NOTIFY_RESOLVE, NOTIFY_TRIGGER },
	           (int64_t[]){ NOW, NOW });
	assert_int_equal(backfill_filter(bf, &fx, NOW - MINUTE, NOW, &out), 1);
	assert_int_equal(out.n_notifications, 1);
	assert_int_equal(out.notifications[0].incident_id, 2);

	/* a tick resolves 1 (held: it never paged) and 2 (it paged: goes out) */
	fx = fx_of(2, (int64_t[]){ 1, 2 }, (enum notify_op[]){ NOTIFY_RESOLVE, NOTIFY_RESOLVE },
	           (int64_t[]){ old + QUIET, NOW });
	assert_int_equal(backfill_filter(bf, &fx, VG_NONE, NOW, &out), 1);
	assert_int_equal(out.n_notifications, 1);
	assert_int_equal(out.notifications[0].incident_id, 2);

	/* a tick with an old trigger (no event time) is held; an old resolve of
	 * an incident not known to be from the past goes out (it paged before a
	 * restart) */
	fx = fx_of(2, (int64_t[]){ 3, 4 }, (enum notify_op[]){ NOTIFY_TRIGGER, NOTIFY_RESOLVE },
	           (int64_t[]){ old, old });
	assert_int_equal(backfill_filter(bf, &fx, VG_NONE, NOW, &out), 1);
	assert_int_equal(out.n_notifications, 1);
	assert_int_equal(out.notifications[0].incident_id, 4);
	assert_int_equal(backfill_held(bf), 4);

	/* nothing held: the caller's own array */
	fx = fx_of(1, (int64_t[]){ 5 }, (enum notify_op[]){ NOTIFY_TRIGGER }, (int64_t[]){ NOW });
	assert_int_equal(backfill_filter(bf, &fx, NOW, NOW, &out), 0);
	assert_ptr_equal(out.notifications, fx.notifications);
	/* the edge: exactly the quiet period old is still live */
	assert_int_equal(backfill_filter(bf, &fx, NOW - QUIET, NOW, &out), 0);
	assert_int_equal(backfill_filter(bf, &fx, NOW - QUIET - 1, NOW, &out), 1);
	backfill_free(bf);
	backfill_free(NULL);
}

static void test_restored(void **state)
{
	(void)state;
	struct backfill *bf;
	assert_int_equal(backfill_new(&bf, QUIET), 0);
	struct store_incident inc[3];
	memset(inc, 0, sizeof(inc));
	inc[0].id = 7; /* never notified, quiet for an hour: from a backfill */
	inc[0].last_ms = NOW - 60 * MINUTE;
	inc[1].id = 8; /* notified, quiet for an hour: paged before a restart */
	inc[1].last_ms = NOW - 60 * MINUTE;
	inc[2].id = 9; /* never notified, recent (below the sinks' severity so far) */
	inc[2].last_ms = NOW - MINUTE;
	int64_t unnotified[] = { 7, 9 };
	struct store_answer a;
	memset(&a, 0, sizeof(a));
	a.incidents = inc;
	a.n_incidents = 3;
	a.unnotified = unnotified;
	a.n_unnotified = 2;
	backfill_restored(bf, &a, NOW);

	struct effects out;
	struct effects fx =
	        fx_of(3, (int64_t[]){ 7, 8, 9 },
	              (enum notify_op[]){ NOTIFY_RESOLVE, NOTIFY_RESOLVE, NOTIFY_TRIGGER },
	              (int64_t[]){ NOW - 50 * MINUTE, NOW - 50 * MINUTE, NOW });
	assert_int_equal(backfill_filter(bf, &fx, VG_NONE, NOW, &out), 1);
	assert_int_equal(out.n_notifications, 2);
	assert_int_equal(out.notifications[0].incident_id, 8);
	assert_int_equal(out.notifications[1].incident_id, 9);
	backfill_free(bf);
}

/* Incident 2 continues incident 1's episode: it borrowed 1's page (1's
 * dedup key) and sends its resolve when the episode ends. */
static void test_episode(void **state)
{
	(void)state;
	struct backfill *bf;
	assert_int_equal(backfill_new(&bf, QUIET), 0);
	struct effects out;
	int64_t old = NOW - 24 * 60 * MINUTE;
	struct effects fx = fx_of(1, (int64_t[]){ 1 }, (enum notify_op[]){ NOTIFY_TRIGGER },
	                          (int64_t[]){ old });
	assert_int_equal(backfill_filter(bf, &fx, old, NOW, &out), 1);

	/* at a tick (no event time) the episode ends: 2 resolves 1's page */
	fx = fx_of(1, (int64_t[]){ 2 }, (enum notify_op[]){ NOTIFY_RESOLVE },
	           (int64_t[]){ old + 40 * MINUTE });
	strcpy(nv[0].dedup_key, "vigil/k/1");
	assert_int_equal(backfill_filter(bf, &fx, VG_NONE, NOW, &out), 1);
	assert_int_equal(out.n_notifications, 0);
	/* another key's old resolve is not known to be from the past: it goes out */
	fx = fx_of(1, (int64_t[]){ 5 }, (enum notify_op[]){ NOTIFY_RESOLVE },
	           (int64_t[]){ old + 40 * MINUTE });
	assert_int_equal(backfill_filter(bf, &fx, VG_NONE, NOW, &out), 0);

	/* a live incident 3 of the same key pages: from then on the key's
	 * resolve goes out */
	fx = fx_of(1, (int64_t[]){ 3 }, (enum notify_op[]){ NOTIFY_TRIGGER }, (int64_t[]){ NOW });
	strcpy(nv[0].dedup_key, "vigil/k/1");
	assert_int_equal(backfill_filter(bf, &fx, NOW, NOW, &out), 0);
	fx = fx_of(1, (int64_t[]){ 3 }, (enum notify_op[]){ NOTIFY_RESOLVE }, (int64_t[]){ NOW });
	strcpy(nv[0].dedup_key, "vigil/k/1");
	assert_int_equal(backfill_filter(bf, &fx, VG_NONE, NOW, &out), 0);
	assert_int_equal(out.n_notifications, 1);
	assert_int_equal(backfill_held(bf), 2);
	backfill_free(bf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_event_held_with_its_incident),
		cmocka_unit_test(test_restored),
		cmocka_unit_test(test_episode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
