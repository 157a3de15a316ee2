/*
 * replay_src.h: where `vigil replay` reads from. Two sources, both handing
 * observations to a callback in the order they come:
 *   - gateway event files (events-v1 or OTLP/JSON lines, data/decode), each
 *     file read to its end in the order given; bad lines are reported to
 *     the line callback with file, line number and reason, and skipped;
 *   - a vigil database (data/store's observations table) between two
 *     times, in end-time order: what was stored is what can be re-run (no
 *     response text, headers or context; semantic checks have nothing to
 *     judge there).
 *
 * Ownership: each observation (and every pointer in it) is borrowed for the
 * duration of the callback only. Blocking I/O. Files are read and decoded
 * on a second thread, a few batches ahead; the callbacks always run on the
 * caller's thread, in input order, exactly as they would without it.
 */
#ifndef VIGIL_DATA_REPLAY_SRC_H
#define VIGIL_DATA_REPLAY_SRC_H

#include "core/observation.h"
#include "data/decode.h"

#include <stdbool.h>
#include <stdint.h>

struct replay_src_cb {
	/* Every observation; a non-zero return stops reading with that code. */
	int (*obs)(void *data, const struct observation *obs);
	/* Every line read (files only): bad = quarantined, with where and why. */
	void (*line)(void *data, bool bad, const char *file, uint64_t line_no, const char *why);
	void *data;
};

/*
 * Read the files in order. Returns 0, VG_EIO with a malloc'd message in
 * *cause naming the file (caller frees), VG_ENOMEM, or the obs callback's
 * code; after a non-zero callback code nothing more is read (from stdin,
 * the decoder thread may still wait for one more line before it ends).
 */
int replay_src_files(char *const *paths, size_t n, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause);

/*
 * Read the observations of database `path` (opened read-only) whose start
 * time is in [from_ms, to_ms) (VG_NONE: unbounded), ordered by end time.
 * Returns 0, VG_EDB with a malloc'd message in *cause (caller frees), or
 * the obs callback's code.
 */
int replay_src_db(const char *path, int64_t from_ms, int64_t to_ms, const struct replay_src_cb *cb,
                  char **cause);

#endif
