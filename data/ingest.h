/*
 * ingest.h: the file tailer. Reads gateway event files (paths or globs) on
 * the libuv loop, decodes them on libuv's thread pool (one chunk in flight
 * per file, so file order is kept), hands every new observation to an
 * observer on the loop thread (the pipeline, which appends its effects to
 * the same store batch) and submits one store batch per chunk holding the
 * rows, the quarantined lines and the file's new read position, so that the
 * position commits with the rows it covers.
 *
 * Following (--follow): fs events plus a periodic stat. A partial last line
 * waits for its newline. Rotation by rename: the old file is read to its end
 * and closed, then the new file at the path is read from its start.
 * Copytruncate (the file shrinks, or its first bytes change): read again
 * from 0. A file is known by (device, inode); its position survives
 * restarts in the store, checked against a signature of its first bytes.
 * A file rotated while vigil was down (renamed, or copied and truncated) is
 * found again in its folder by identity whatever its new name, and
 * finished from its position before the new file at the path starts;
 * gone (deleted, compressed), the bytes it held unread are reported.
 *
 * Without --follow each file is read to its end (an unterminated last line
 * is used when it is a complete JSON object, otherwise left for later and
 * counted in bytes_left) and the done callback runs once everything read has
 * committed.
 *
 * A full store queue pauses reading; call ingest_resume() from the store's
 * on_space callback. Loop thread only.
 */
#ifndef VIGIL_DATA_INGEST_H
#define VIGIL_DATA_INGEST_H

#include "core/observation.h"
#include "data/decode.h"
#include "data/store.h"

#include <uv.h>

struct ingest;

/*
 * Called on the loop thread for every observation not seen before (within
 * the dedupe window), in file order, before it is added to `b`. The observer
 * feeds the pipeline with the observation's own time and appends the effects
 * to `b`. Returns 0, or a negative vg_err to stop ingesting.
 */
typedef int (*ingest_observe_cb)(void *data, const struct observation *obs, struct store_batch *b);

/* Called on the loop thread just before a batch is submitted (after its
 * last observation), e.g. to refresh deferred incident details. Returns 0,
 * or a negative vg_err to stop ingesting. */
typedef int (*ingest_seal_cb)(void *data, struct store_batch *b);

struct ingest_stats {
	int64_t files;         /* files opened so far */
	int64_t lines;         /* lines consumed (blank ones included) */
	int64_t observations;  /* decoded, new */
	int64_t repeated;      /* decoded but seen within the dedupe window */
	int64_t quarantined;   /* lines (or OTLP lines with bad spans) quarantined */
	int64_t ignored_spans; /* OTLP spans that are not GenAI spans */
	int64_t stored;        /* observations committed as new rows */
	int64_t duplicates;    /* observations the database already had */
	int64_t bytes_read;
	int64_t bytes_left; /* known file sizes minus positions */
	int64_t committed_batches;
	int64_t bytes_lost; /* of files rotated while vigil was down and gone since */
	int err;            /* 0, or the first error that stopped ingesting */
};

typedef void (*ingest_done_cb)(void *data, const struct ingest_stats *st);

struct ingest_options {
	enum decode_format format;
	bool follow;
	int poll_ms;          /* follow: stat and glob every poll_ms (default 500) */
	size_t chunk_bytes;   /* read size (default 128 KiB) */
	size_t dedupe_window; /* pairs remembered (default 65536) */
};

/* A tailer writing through `store` (borrowed; must outlive it). Returns 0
 * and *out, or VG_ENOMEM. */
int ingest_new(struct ingest **out, uv_loop_t *loop, struct store *store,
               const struct ingest_options *opt);

/* The observer and the sealer (either may be NULL: then observations are
 * only stored). */
void ingest_set_observer(struct ingest *ing, ingest_observe_cb observe, ingest_seal_cb seal,
                         void *data);

/* A file rotated while vigil was down is gone (deleted, compressed): at
 * least `bytes` of it were never read (what it held when last read, after
 * the position; more may have been written while vigil was down). Called on
 * the loop thread, once per such file (the loss is then recorded). */
typedef void (*ingest_lost_cb)(void *data, const char *path, int64_t bytes);

/* Who hears of lost bytes (NULL: only counted in bytes_lost). Before
 * ingest_start(). */
void ingest_set_lost(struct ingest *ing, ingest_lost_cb lost, void *data);

/* Add a path or a glob pattern (copied). Before or after ingest_start(). */
int ingest_add(struct ingest *ing, const char *pattern);

/*
 * Load the saved positions from the store and start reading. `done` (may be
 * NULL) runs once when ingesting ends: without follow when every file has
 * been read and committed; with follow after ingest_stop(); or on an error
 * (st->err set). Returns 0 or VG_EDB (the store refused the query).
 */
int ingest_start(struct ingest *ing, ingest_done_cb done, void *data);

/* The store has room again: resubmit the waiting batches and read on. */
void ingest_resume(struct ingest *ing);

/* Stop following: finish the chunks in flight, commit, then call done. */
void ingest_stop(struct ingest *ing);

/* Is there still something to read (a file not at its end, a read in
 * flight, a chunk or batch waiting)? A file's unterminated last line does
 * not count: at its end the file is read until it grows. */
bool ingest_behind(const struct ingest *ing);

/* A snapshot of the counters. */
void ingest_stats(const struct ingest *ing, struct ingest_stats *out);

/* Close every handle and free (memory goes in the close callbacks: run the
 * loop afterwards). Only after done has run, or before ingest_start().
 * NULL does nothing. */
void ingest_free(struct ingest *ing);

#endif
