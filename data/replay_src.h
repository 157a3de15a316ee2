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
 * duration of the callback only. Blocking I/O. Files are read on a second
 * thread a few batches ahead, and decoded on both; the callbacks always run
 * on the caller's thread, in input order, exactly as they would without it.
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

/* A source of lines for replay_src_input(). */
struct replay_src_input {
	/*
	 * The next line, without its newline: return 1 with *line (borrowed
	 * until the next call), *len, *file (kept until the end of the
	 * replay) and *line_no; 0 at the end; or a negative vg_err with a
	 * malloc'd message in *cause. Called on a thread of its own, one call
	 * at a time.
	 */
	int (*next)(void *data, const char **line, size_t *len, const char **file,
	            uint64_t *line_no, char **cause);
	void *data;
};

/*
 * Decode the input's lines (fmt) and run the callbacks over them in input
 * order on the caller's thread; lines are read on a second thread, and both
 * decode. Returns 0, the input's error with its *cause (caller frees),
 * VG_ENOMEM, or the obs callback's code.
 */
int replay_src_input(const struct replay_src_input *in, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause);

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
 * Another application's file is refused (dbfile_identify()). Returns 0,
 * VG_EDB / VG_ECORRUPT (damage met: dbfile_corrupt_cause()) / VG_EIO with a
 * malloc'd message in *cause (caller frees), or the obs callback's code.
 */
int replay_src_db(const char *path, int64_t from_ms, int64_t to_ms, const struct replay_src_cb *cb,
                  char **cause);

#endif
