/*
 * baseline_job.h: the weekly refresh as a job that can run anywhere: the
 * week of hourly rollups a series gathered since its last refresh (struct
 * baseline_week, compact: core/rollup_codec), and a job that holds copies of
 * the models due with their weeks and runs baseline_refresh() on each
 * (core/baseline_refresh.c).
 *
 * The job owns everything it holds (copies, not pointers into a pipeline),
 * so the daemon may run it on a thread of its own while the loop goes on,
 * and hand it back to pipeline_baseline_apply(); replay and ingest run the
 * same job inline, at the same time on the events' clock; `vigil baseline
 * rebuild` and `vigil baseline refresh` build jobs from the store's hour
 * rollups. Pure: no clock, no I/O; allocation only.
 */
#ifndef VIGIL_CORE_BASELINE_JOB_H
#define VIGIL_CORE_BASELINE_JOB_H

#include "core/baseline.h"

#include <stddef.h>
#include <stdint.h>

/* A series' closed hours since its last refresh, encoded back to back
 * ([varint length][rollup_encode() bytes] each), in time order. */
struct baseline_week {
	uint8_t *buf;
	size_t len, cap;
	size_t n;           /* hours held */
	int64_t last_start; /* of the last one (when n > 0) */
};

void baseline_week_init(struct baseline_week *w);
void baseline_week_done(struct baseline_week *w);

/* Append an hour (encoded here). Hours must come in time order (a start
 * not after the last one held is VG_EINVAL: a restored hour that is there
 * already). Returns 0, VG_EINVAL or VG_ENOMEM. */
int baseline_week_add(struct baseline_week *w, const struct rollup *hour);

/* The same with an hour already encoded (from the store): checked, copied. */
int baseline_week_add_encoded(struct baseline_week *w, const uint8_t *enc, size_t len);

/* Move the hours that end at or before cutoff_ms to the end of *to
 * (emptied first), keeping the later ones in w. Returns 0 or VG_ENOMEM
 * (nothing moved). */
int baseline_week_split(struct baseline_week *w, int64_t cutoff_ms, struct baseline_week *to);

/* Decode every hour into a new array (caller frees); *n its length. 0,
 * VG_ENOMEM, or VG_EPARSE (a corrupt hour: cannot happen with hours added
 * through the functions above). An empty week gives *out = NULL, *n = 0. */
int baseline_week_decode(const struct baseline_week *w, struct rollup **out, size_t *n);

/* Start of the first hour held, or INT64_MIN. */
int64_t baseline_week_first_start(const struct baseline_week *w);

/* Start of the last hour held, or INT64_MIN. */
int64_t baseline_week_last_start(const struct baseline_week *w);

/* Bytes the week holds. */
size_t baseline_week_bytes(const struct baseline_week *w);

/* The latest scheduled refresh (s's refresh_weekday and refresh_hour, UTC)
 * at or before t. The pipeline's first refresh is the first one after the
 * first time it sees; each next one a week after the last. */
int64_t baseline_job_schedule(const struct baseline_settings *s, int64_t t);

/* One series in a job. */
struct baseline_job_item {
	struct baseline_model model; /* a copy: refreshed in place by the run */
	struct baseline_week week;   /* owned */
	struct baseline_refresh_report report;
	int rc; /* baseline_refresh()'s, after the run */
	bool ran;
};

struct baseline_job {
	struct baseline_settings s;
	int64_t cutoff_ms; /* the refresh's time: hours ending by it are in the job */
	struct baseline_job_item *items;
	size_t n, cap;
};

/* A new empty job refreshing at cutoff_ms with settings s (copied). NULL
 * when out of memory. Free with baseline_job_free(). */
struct baseline_job *baseline_job_new(const struct baseline_settings *s, int64_t cutoff_ms);

/* Free a job and everything it holds; NULL does nothing. */
void baseline_job_free(struct baseline_job *j);

/* Add a series: its model (copied) and its week (moved: *week is empty
 * after). Returns the item, or NULL when out of memory (week untouched). */
struct baseline_job_item *baseline_job_add(struct baseline_job *j, const struct baseline_model *m,
                                           struct baseline_week *week);

/* Run the refresh of every item (its week decoded one series at a time,
 * so the job needs the memory of one week's rollups at most). Returns 0,
 * or VG_ENOMEM (items not run keep ran false). */
int baseline_job_run(struct baseline_job *j);

#endif
