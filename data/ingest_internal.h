/*
 * ingest_internal.h: what data/ingest*.c share (not for other modules): the
 * tailer's state (files, their two chunk slots, positions) and the
 * functions the files hand each other.
 *
 *   ingest.c        positions, the loop side (a decoded chunk to the
 *                   observer and the store, the next read), the life cycle
 *   ingest_read.c   the worker: a read on libuv's pool, split into lines
 *                   and decoded into a chunk slot
 *   ingest_files.c  finding, opening, watching and closing the files
 *                   (patterns, rotation, truncation, the poll timer)
 *   ingest_found.c  at start, the files rotated while vigil was down,
 *                   found again by identity in their folder
 */
#ifndef VIGIL_DATA_INGEST_INTERNAL_H
#define VIGIL_DATA_INGEST_INTERNAL_H

#include "data/ingest.h"

#include "data/decode.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#define HEAD_SIG_BYTES 64

enum item_kind { IT_OBS, IT_QUAR };

struct item {
	enum item_kind kind;
	size_t first, count; /* IT_OBS: observations[first .. first+count) */
	int64_t line_no, offset;
	enum decode_reason reason;
	char detail[192];
	const unsigned char *head;
	size_t head_len;
};

struct pos {
	uint64_t dev, ino;
	int64_t offset, line_no;
	uint64_t head_sig;
	char path[512]; /* the path it was read under */
	int64_t size;   /* the file's size then (-1: not known) */
};

/* One read's bytes and what was decoded from them. */
struct chunk {
	char *buf;
	size_t len, cap;
	int64_t buf_off, buf_line; /* file offset and lines before buf[0] */
	size_t consumed;           /* bytes of complete lines (and skipped long-line bytes) */
	int64_t lines_done;
	int64_t commit_off, commit_line;
	unsigned char head[HEAD_SIG_BYTES];
	size_t head_len;
	int64_t size; /* the file's size when read */
	ssize_t got;
	int werr;
	int64_t ignored;
	struct observation *obs;
	size_t n_obs, cap_obs;
	struct item *items;
	size_t n_items, cap_items;
	char *arena; /* texts unescaped into the decoder's scratch, long-line heads */
	size_t arena_cap, arena_used;
	float *farena;
	size_t farena_cap, farena_used;
};

struct tfile {
	struct ingest *ing;
	struct tfile *next;
	char path[512];
	int fd;
	uint64_t dev, ino;
	int64_t size;

	struct chunk ch[2];
	int next_slot;  /* the slot the next read fills */
	int carry_slot; /* the slot whose unfinished last line the next read continues; -1 */
	int ready_slot; /* decoded, waiting for the loop (the store was full); -1 */

	/* continuity (see the top of ingest.c) */
	int64_t next_off, next_line; /* where the next read's carried bytes start */
	bool discarding;
	int64_t disc_off, disc_line, disc_len;
	unsigned char disc_head[DECODE_HEAD_BYTES];
	size_t disc_head_len;
	unsigned char head[HEAD_SIG_BYTES];
	size_t head_len;
	bool final_pass; /* non-follow EOF: try the unterminated last line */
	struct decoder *dec;

	/* loop */
	int64_t commit_off, commit_line;
	uint64_t commit_sig;
	int64_t read_end; /* bytes of the file read so far (for growth and truncation) */
	bool busy, eof, rotated, closing;
	/* a file rotated while vigil was down, found again (ingest_found.c):
	 * the path it had, whose new file waits until this one is finished */
	char succ_path[512];
	uv_work_t work;
	int work_slot;
	uv_fs_event_t fsev;
	bool fsev_init, fsev_on;
	int handles_open;
	struct store_batch *pending;
	int inflight;
};

struct ingest {
	uv_loop_t *loop;
	struct store *store;
	struct ingest_options opt;
	ingest_observe_cb observe;
	ingest_seal_cb seal;
	void *observe_data;
	ingest_done_cb done;
	void *done_data;
	ingest_lost_cb lost;
	void *lost_data;
	char **patterns;
	size_t n_patterns, cap_patterns;
	struct pos *pos;
	size_t n_pos, cap_pos;
	struct tfile *files;
	struct dedupe *dedupe;
	uv_timer_t poll;
	bool poll_on, started, stopping, flushing, finished, freeing;
	int inflight;
	struct ingest_stats st;
};

/* ingest_read.c: the read of t->work_slot, on libuv's pool (w->data is the
 * struct tfile): carry over, pread, split, decode. */
void ingest__work_cb(uv_work_t *w);

/* Queue t's next read into its next slot, unless one is in flight, a
 * decoded chunk waits, or the tailer is closing or failed. */
void ingest__schedule(struct tfile *t);

/* When the tailer has nothing left to do (stopping, failed, or at the end
 * of every file without follow): flush the store, then report done. */
void ingest__check_done(struct ingest *ing);

/* Unlink t from the list and free it (after its work and batches are done). */
void ingest__close_file(struct tfile *t);

/* Open `path` and start reading it: where its own committed position says
 * (checked against its head), else where `from` says (a position of
 * another file, checked the same way; may be NULL), else at 0. NULL when it
 * is not a regular file, is open already, or waits for a rotated file. */
struct tfile *ingest__open(struct ingest *ing, const char *path, const struct pos *from);

/* At start, before the patterns are opened: the files the stored positions
 * name that were rotated (renamed, or copied and truncated) while vigil was
 * down, found in their folder by identity and opened to be finished first. */
void ingest__find_rotated(struct ingest *ing);

/* A file found by ingest__find_rotated() and read to its end without
 * follow: close it, and open the new file at its old path. */
void ingest__finish_found(struct tfile *t);

/* Open every file the patterns name now (globs expanded). */
void ingest__discover(struct ingest *ing);

/* Follow: notice growth, truncation, rotation and new files. */
void ingest__on_poll(uv_timer_t *h);

/* The committed position of file (dev, ino), or NULL. */
struct pos *ingest__find_pos(struct ingest *ing, uint64_t dev, uint64_t ino);

/* The signature of the first min(64, offset) bytes: bytes before a committed
 * offset never change, so a reopened file can be checked against it. */
uint64_t ingest__head_sig(const unsigned char *head, size_t head_len, int64_t offset);

/* The file was cut (copytruncate): start again at 0. Only when nothing is
 * in flight or waiting. */
void ingest__reset_file(struct tfile *t);

/* Record the tailer's first error (it stops) and say it on stderr. */
void ingest__set_err(struct ingest *ing, int err, const char *what, const char *path);

#endif
