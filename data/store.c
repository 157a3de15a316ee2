/*
 * store.c: the store thread (see store.h). It owns the SQLite write
 * connection from store_open() to store_close(): takes queued items in
 * order, has data/store_write.c apply batches inside transactions committed
 * every N rows or T ms, answers queries (data/store_read.c), prunes old rows
 * when idle (data/store_retention.c), and reports back to the loop thread
 * with uv_async_send(). The other files of the store are listed in
 * data/store_internal.h.
 *
 * Queue items are struct store_batch of four kinds (rows, flush, query,
 * stop), applied strictly in order. A batch, rows included, waits in the
 * open transaction until the commit and then goes to the done list, which
 * the loop drains in its async callback (running the batch's callback and
 * freeing it there).
 *
 * A full disk (SQLITE_FULL while writing or committing) is not a failure:
 * the transaction is rolled back, its batches (rows kept) wait in the retry
 * list, the store is "unwritable" (store_stats) and takes nothing more from
 * the queue, which fills, so store_submit() refuses (VG_EFULL) and the
 * tailer pauses (with full_retry_ms > 0: the daemon; else a full disk
 * fails the store like any error). Every full_retry_ms the retry list is applied again in a
 * fresh transaction; once it commits, the queue moves on: nothing lost,
 * nothing written twice.
 *
 * Damage (SQLITE_CORRUPT, SQLITE_NOTADB) met by any statement goes through
 * fault(): the store fails for good (nothing more is written), the message
 * is kept, and the loop hears of it once through on_corrupt.
 */
#include "data/store.h"

#include "core/vgerr.h"
#include "data/dbfile.h"
#include "data/store_internal.h"
#include "net/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct store {
	uv_loop_t *loop;
	uv_async_t async;
	uv_thread_t thread;
	bool thread_started;
	sqlite3 *db;
	struct store__writer *writer;
	struct store_options opt;
	char path[1024];

	uv_mutex_t mu;
	uv_cond_t cv;
	struct store_batch *q_head, *q_tail; /* waiting */
	int queued;
	struct store_batch *done_head, *done_tail; /* for the loop */
	bool stop, failed, space_wanted;
	bool corrupt, corrupt_told; /* damage met; on_corrupt has run */
	char *corrupt_cause;        /* the message, once corrupt */
	struct store_stats stats;

	/* store thread only */
	bool txn_open;
	uint64_t txn_deadline_ns, next_prune_ns;
	int64_t txn_rows;
	struct store_batch *txn_head, *txn_tail; /* applied, waiting for the commit */
	int64_t pruned;
	int64_t clock_ms; /* the events' clock: the latest event time written */
	/* the disk was full (under mu): the batches to apply again, and when */
	bool full, give_up; /* give_up: store_give_up_full() was called */
	struct store_batch *retry_head, *retry_tail;
	uint64_t retry_ns;
};

/* ---- transactions (store thread) ------------------------------------------------------ */

static int exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* The error of what failed because the store has failed (under mu). */
static int failed_err(const struct store *s)
{
	return s->corrupt ? VG_ECORRUPT : VG_EDB;
}

/* An SQLite failure `rc` while `what` (store thread): damage makes the
 * store fail for good and is told to the loop once (deliver()). Returns
 * the vg_err for what failed. */
static int fault(struct store *s, int rc, const char *what)
{
	if (!dbfile_is_corrupt(rc) && !dbfile_is_corrupt(sqlite3_extended_errcode(s->db)))
		return VG_EDB;
	char *cause = dbfile_corrupt_cause(s->path, what, sqlite3_errmsg(s->db));
	uv_mutex_lock(&s->mu);
	if (!s->corrupt) {
		s->corrupt = s->failed = true;
		s->stats.corrupt = s->stats.failed = true;
		s->corrupt_cause = cause;
		cause = NULL;
	}
	uv_mutex_unlock(&s->mu);
	free(cause);
	uv_async_send(&s->async);
	return VG_ECORRUPT;
}

/* Whether SQLite's failure `rc` is a full disk (or the database's page cap). */
static bool is_full(struct store *s, int rc)
{
	if (s->opt.full_retry_ms <= 0)
		return false;
	return (rc & 0xff) == SQLITE_FULL ||
	       (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL;
}

/* The disk is full (store thread): roll back and keep the transaction's
 * batches, rows and all, at the head of the retry list. */
static void became_full(struct store *s)
{
	if (!s->stats.unwritable) /* read on this thread only; written under mu */
		fprintf(stderr, "vigil: store: disk full, will retry: %s\n", sqlite3_errmsg(s->db));
	exec(s, "ROLLBACK");
	s->txn_open = false;
	s->txn_rows = 0;
	store__writer_discard(s->writer);
	if (s->txn_head) {
		s->txn_tail->next = s->retry_head;
		if (!s->retry_head)
			s->retry_tail = s->txn_tail;
		s->retry_head = s->txn_head;
		s->txn_head = s->txn_tail = NULL;
	}
	s->retry_ns = uv_hrtime() + (uint64_t)s->opt.full_retry_ms * 1000000u;
	uv_mutex_lock(&s->mu);
	s->full = true;
	s->stats.unwritable = true;
	s->stats.full_errors++;
	uv_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

static void push_done(struct store *s, struct store_batch *b)
{
	b->next = NULL;
	if (s->done_tail)
		s->done_tail->next = b;
	else
		s->done_head = b;
	s->done_tail = b;
}

/* Move the transaction's batches to the done list with err; wake the loop. */
static void finish_txn(struct store *s, int err)
{
	uv_mutex_lock(&s->mu);
	struct store_batch *b = s->txn_head;
	while (b) {
		struct store_batch *next = b->next;
		b->result.err = err;
		if (err == 0 && b->kind == STORE__ROWS) {
			s->stats.committed_rows += b->result.rows;
			s->stats.inserted += b->result.inserted;
			s->stats.duplicates += b->result.duplicates;
		}
		push_done(s, b);
		b = next;
	}
	s->txn_head = s->txn_tail = NULL;
	if (err == 0) {
		s->stats.transactions++;
		s->stats.unwritable = s->full;
	} else
		s->failed = s->stats.failed = true;
	uv_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

static void txn_commit(struct store *s)
{
	if (!s->txn_open)
		return;
	int rc = store__writer_rollups(s->writer);
	if (rc == SQLITE_OK)
		rc = exec(s, "COMMIT");
	int err = 0;
	if (rc != SQLITE_OK && is_full(s, rc)) {
		became_full(s);
		return;
	}
	if (rc != SQLITE_OK) {
		fprintf(stderr, "vigil: store: commit failed: %s\n", sqlite3_errmsg(s->db));
		err = fault(s, rc, "committing a transaction");
		exec(s, "ROLLBACK");
	}
	s->txn_open = false;
	s->txn_rows = 0;
	store__writer_discard(s->writer);
	finish_txn(s, err);
}

static void txn_append(struct store *s, struct store_batch *b)
{
	b->next = NULL;
	if (s->txn_tail)
		s->txn_tail->next = b;
	else
		s->txn_head = b;
	s->txn_tail = b;
}

/* 0, or the vg_err of a failed BEGIN. */
static int txn_begin(struct store *s)
{
	if (s->txn_open)
		return 0;
	int rc = exec(s, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK) {
		fprintf(stderr, "vigil: store: begin failed: %s\n", sqlite3_errmsg(s->db));
		return fault(s, rc, "starting a transaction");
	}
	s->txn_open = true;
	s->txn_rows = 0;
	s->txn_deadline_ns = uv_hrtime() + (uint64_t)s->opt.batch_ms * 1000000u;
	return 0;
}

static void apply_batch(struct store *s, struct store_batch *b)
{
	b->result.rows = (int64_t)b->rows;
	int err = s->failed ? VG_EDB : txn_begin(s);
	if (err) {
		uv_mutex_lock(&s->mu);
		b->result.err = s->corrupt ? VG_ECORRUPT : err;
		s->failed = s->stats.failed = true;
		push_done(s, b);
		uv_mutex_unlock(&s->mu);
		uv_async_send(&s->async);
		return;
	}
	store__batch_redact(b, s->opt.redact);
	b->result.inserted = b->result.duplicates = 0;
	int rc = store__writer_apply(s->writer, b);
	if (b->clock_ms > s->clock_ms)
		s->clock_ms = b->clock_ms;
	txn_append(s, b);
	if (rc != SQLITE_OK && is_full(s, rc)) {
		became_full(s);
		return;
	}
	if (rc != SQLITE_OK) {
		fprintf(stderr, "vigil: store: write failed: %s\n", sqlite3_errmsg(s->db));
		err = fault(s, rc, "writing a batch");
		exec(s, "ROLLBACK");
		s->txn_open = false;
		store__writer_discard(s->writer);
		finish_txn(s, err);
		return;
	}
	s->txn_rows += b->result.rows;
	if (s->txn_rows >= s->opt.batch_rows)
		txn_commit(s);
}

/* Apply the retry list again in a fresh transaction and commit it (store
 * thread). A full disk again puts what is left back in the list. */
static void retry_full(struct store *s)
{
	struct store_batch *list = s->retry_head;
	s->retry_head = s->retry_tail = NULL;
	uv_mutex_lock(&s->mu);
	s->full = false;
	uv_mutex_unlock(&s->mu);
	while (list) {
		struct store_batch *next = list->next;
		if (s->full) {
			list->next = NULL;
			if (s->retry_tail)
				s->retry_tail->next = list;
			else
				s->retry_head = list;
			s->retry_tail = list;
		} else if (list->kind == STORE__ROWS) {
			apply_batch(s, list);
		} else {
			txn_append(s, list); /* a flush: answered with the commit */
		}
		list = next;
	}
	if (!s->full)
		txn_commit(s);
}

/* Stopping while the disk is still full: what waits fails with VG_EDB
 * (the tail positions were not stored either: the lines are read again). */
static void fail_retry(struct store *s)
{
	s->txn_head = s->retry_head;
	s->txn_tail = s->retry_tail;
	s->retry_head = s->retry_tail = NULL;
	uv_mutex_lock(&s->mu);
	s->full = false;
	uv_mutex_unlock(&s->mu);
	finish_txn(s, VG_EDB); /* the store has failed: what follows fails too */
}

/* ---- queries and retention (store thread) ------------------------------------------ */

static void run_query(struct store *s, struct store_batch *b)
{
	b->answer.err = store__answer(s->db, &b->answer);
	if (b->answer.err)
		b->answer.err = fault(s, sqlite3_extended_errcode(s->db), "reading");
	uv_mutex_lock(&s->mu);
	push_done(s, b);
	uv_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

/* Whether anything is ever pruned. */
static bool prunes(const struct store *s)
{
	return s->opt.retention_ms > 0 || s->opt.minute_rollup_retention_ms > 0 ||
	       s->opt.hour_rollup_retention_ms > 0;
}

/* One pass of pruning; returns true when some table may hold more. Ages
 * are on the events' clock (the latest event time written), not the wall
 * clock: a file ingested years later keeps its rows, a replayed month
 * prunes like the month did. */
static bool prune_some(struct store *s)
{
	int64_t deleted = 0, c = s->clock_ms;
	if (c == INT64_MIN)
		return false;
	bool more = false;
	int failed = SQLITE_OK;
	if (s->opt.retention_ms > 0)
		more = store__prune(s->db, c - s->opt.retention_ms, s->opt.prune_chunk, &deleted,
		                    &failed);
	if (failed != SQLITE_OK && fault(s, failed, "pruning old rows") == VG_ECORRUPT)
		return false;
	int64_t mc = s->opt.minute_rollup_retention_ms > 0 ? c - s->opt.minute_rollup_retention_ms
	                                                   : INT64_MIN;
	int64_t hc = s->opt.hour_rollup_retention_ms > 0 ? c - s->opt.hour_rollup_retention_ms
	                                                 : INT64_MIN;
	more |= store__prune_rollups(s->db, mc, hc, s->opt.prune_chunk, &deleted);
	s->pruned += deleted;
	uv_mutex_lock(&s->mu);
	s->stats.pruned = s->pruned;
	uv_mutex_unlock(&s->mu);
	return more;
}

/* ---- the thread ---------------------------------------------------------------------- */

static void store_thread(void *arg)
{
	struct store *s = arg;
	for (;;) {
		struct store_batch *item = NULL;
		bool do_commit = false, do_prune = false, stopping = false, do_retry = false;
		uv_mutex_lock(&s->mu);
		for (;;) {
			if (s->full && !s->stop && !s->give_up) {
				uint64_t now = uv_hrtime();
				if (now >= s->retry_ns) {
					do_retry = true;
					break;
				}
				uv_cond_timedwait(&s->cv, &s->mu, s->retry_ns - now);
				continue;
			}
			if (s->full) { /* stopping or giving up */
				stopping = true;
				break;
			}
			if (s->q_head) {
				item = s->q_head;
				s->q_head = item->next;
				if (!s->q_head)
					s->q_tail = NULL;
				if (item->kind == STORE__ROWS)
					s->queued--;
				break;
			}
			if (s->stop) {
				stopping = true;
				break;
			}
			uint64_t now = uv_hrtime();
			if (s->txn_open && now >= s->txn_deadline_ns) {
				do_commit = true;
				break;
			}
			if (!s->txn_open && !s->failed && prunes(s) && now >= s->next_prune_ns) {
				do_prune = true;
				break;
			}
			uint64_t deadline = s->txn_open               ? s->txn_deadline_ns
			                    : prunes(s) && !s->failed ? s->next_prune_ns
			                                              : 0;
			if (deadline)
				uv_cond_timedwait(&s->cv, &s->mu, deadline - now);
			else
				uv_cond_wait(&s->cv, &s->mu);
		}
		bool wake_loop = item && item->kind == STORE__ROWS && s->space_wanted;
		uv_mutex_unlock(&s->mu);
		if (wake_loop)
			uv_async_send(&s->async);

		if (stopping) {
			if (s->full) {
				retry_full(s);
				if (s->full)
					fail_retry(s);
				continue; /* then the queue, if space came back */
			}
			txn_commit(s);
			break;
		}
		if (do_retry) {
			retry_full(s);
			continue;
		}
		if (do_commit) {
			txn_commit(s);
			continue;
		}
		if (do_prune) {
			bool more = prune_some(s);
			s->next_prune_ns =
			        uv_hrtime() +
			        (more ? 50000000u : (uint64_t)s->opt.prune_interval_ms * 1000000u);
			continue;
		}
		switch (item->kind) {
		case STORE__ROWS: apply_batch(s, item); break;
		case STORE__FLUSH:
			txn_append(s, item);
			if (s->txn_open) {
				txn_commit(s);
			} else {
				finish_txn(s, s->failed ? failed_err(s) : 0);
			}
			break;
		case STORE__QUERY: run_query(s, item); break;
		case STORE__STOP: break;
		}
	}
}

/* ---- loop side -------------------------------------------------------------------------- */

static void deliver(struct store *s)
{
	uv_mutex_lock(&s->mu);
	struct store_batch *b = s->done_head;
	s->done_head = s->done_tail = NULL;
	bool space = s->space_wanted && s->queued < s->opt.queue_batches && !s->failed;
	if (space)
		s->space_wanted = false;
	char *corrupt = NULL;
	if (s->corrupt && !s->corrupt_told) {
		s->corrupt_told = true;
		corrupt = s->corrupt_cause;
	}
	uv_mutex_unlock(&s->mu);
	/* the cause stays in s until store_close(): the pointer is stable */
	if (corrupt && s->opt.on_corrupt)
		s->opt.on_corrupt(s->opt.data, corrupt);
	while (b) {
		struct store_batch *next = b->next;
		if (b->kind == STORE__QUERY) {
			if (b->qcb)
				b->qcb(b->data, &b->answer);
		} else if (b->cb) {
			b->cb(b->data, &b->result);
		}
		store_batch_free(b);
		b = next;
	}
	if (space && s->opt.on_space)
		s->opt.on_space(s->opt.data);
}

static void on_async(uv_async_t *h)
{
	deliver(h->data);
}

static void enqueue(struct store *s, struct store_batch *b)
{
	b->next = NULL;
	if (s->q_tail)
		s->q_tail->next = b;
	else
		s->q_head = b;
	s->q_tail = b;
	uv_cond_signal(&s->cv);
}

int store_submit(struct store *s, struct store_batch *b)
{
	int rc = 0;
	uv_mutex_lock(&s->mu);
	if (s->failed) {
		rc = failed_err(s);
	} else if (s->queued >= s->opt.queue_batches) {
		s->space_wanted = true;
		rc = VG_EFULL;
	} else {
		b->kind = STORE__ROWS;
		s->queued++;
		enqueue(s, b);
	}
	uv_mutex_unlock(&s->mu);
	return rc;
}

static int submit_special(struct store *s, struct store_batch *b)
{
	uv_mutex_lock(&s->mu);
	int err = s->failed ? failed_err(s) : 0;
	if (!err)
		enqueue(s, b);
	uv_mutex_unlock(&s->mu);
	if (err)
		store_batch_free(b);
	return err;
}

void store_give_up_full(struct store *s)
{
	uv_mutex_lock(&s->mu);
	s->give_up = true;
	uv_cond_signal(&s->cv);
	uv_mutex_unlock(&s->mu);
}

int store_flush(struct store *s, store_commit_cb cb, void *data)
{
	struct store_batch *b = store_batch_new(cb, data);
	if (!b)
		return VG_ENOMEM;
	b->kind = STORE__FLUSH;
	return submit_special(s, b);
}

int store_query(struct store *s, enum store_query q, store_answer_cb cb, void *data)
{
	struct store_batch *b = store_batch_new(NULL, data);
	if (!b)
		return VG_ENOMEM;
	b->kind = STORE__QUERY;
	b->qcb = cb;
	b->answer.query = q;
	return submit_special(s, b);
}

void store_stats(struct store *s, struct store_stats *out)
{
	uv_mutex_lock(&s->mu);
	*out = s->stats;
	out->queued = s->queued;
	uv_mutex_unlock(&s->mu);
}

static void close_db(struct store *s)
{
	store__writer_close(s->writer);
	s->writer = NULL;
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
}

/* Process-wide SQLite settings, before SQLite initialises: no global
 * allocation statistics (a mutex on every malloc), and connections that are
 * each used by one thread at a time (vigil never shares one). */
static void sqlite_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

static void keep_first_line(void *data, const char *line)
{
	char *first = data;
	if (!first[0])
		snprintf(first, 512, "%s", line);
}

int store_open(struct store **out, uv_loop_t *loop, const struct store_options *opt, char **cause)
{
	/* after SQLite has initialised this is refused (SQLITE_MISUSE): harmless */
	sqlite_global_config();
	*out = NULL;
	if (cause)
		*cause = NULL;
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return VG_ENOMEM;
	s->loop = loop;
	s->opt = *opt;
	if (s->opt.batch_rows <= 0)
		s->opt.batch_rows = 20000;
	if (s->opt.batch_ms <= 0)
		s->opt.batch_ms = 200;
	if (s->opt.queue_batches <= 0)
		s->opt.queue_batches = 8;
	if (s->opt.prune_chunk <= 0)
		s->opt.prune_chunk = 1000;
	if (s->opt.prune_interval_ms <= 0)
		s->opt.prune_interval_ms = 10000;
	model_copy_str(s->path, sizeof(s->path), opt->path ? opt->path : "vigil.db", (size_t)-1);
	s->opt.path = s->path;
	int rc;

	/* Whose file it is, before anything is written to it: another
	 * application's database, or a file that is not one, is left as it is. */
	struct dbfile_id id;
	rc = dbfile_identify(s->path, &id, cause);
	if (rc != 0) {
		free(s);
		return rc;
	}

	/* Create the file ourselves so that it (and the -wal/-shm files SQLite
	 * derives from it) is private to the user from the start. */
	int fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		vg_cause(cause, VG_EIO, "%s: cannot open: %s", s->path, strerror(errno));
		free(s);
		return VG_EIO;
	}
	close(fd);
	rc = store__secure_files(s->path, opt->group, opt->log, opt->data, cause);
	if (rc != 0) {
		free(s);
		return rc;
	}
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		vg_cause(cause, VG_EDB, "%s: cannot open database: %s", s->path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		rc = VG_EDB;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* A file with damage is not written to (not even its journal mode):
	 * the cheap check reads every page once (about 1.5 s per GB). */
	if (id.kind != DBFILE_NEW) {
		char first[512] = "";
		rc = dbfile_check_db(s->db, true, 1, keep_first_line, first);
		if (rc != 0) {
			if (rc == VG_ECORRUPT && cause)
				*cause = dbfile_corrupt_cause(
				        s->path, "checking it at open (PRAGMA quick_check)", first);
			else
				vg_cause(cause, 0, "%s: cannot check the database: %s", s->path,
				         first);
			goto fail;
		}
	}
	char *err = NULL;
	if (sqlite3_exec(s->db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                 "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1024;"
	                 "PRAGMA wal_autocheckpoint = 4000;",
	                 NULL, NULL, &err) != SQLITE_OK) {
		vg_cause(cause, VG_EDB, "%s: not a usable database: %s", s->path,
		         err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		rc = VG_EDB;
		goto fail;
	}
	rc = store__migrate(s->db, s->path, cause);
	if (rc != 0)
		goto fail;
	rc = store__writer_open(&s->writer, s->db, s->path, cause);
	if (rc != 0)
		goto fail;
	s->clock_ms = store__clock_of(s->db);
	if (uv_mutex_init(&s->mu) != 0) {
		rc = VG_ENOMEM;
		goto fail;
	}
	if (uv_cond_init(&s->cv) != 0) {
		rc = VG_ENOMEM;
		goto fail_mutex;
	}
	if (uv_async_init(loop, &s->async, on_async) != 0) {
		rc = VG_ENOMEM;
		goto fail_cond;
	}
	s->async.data = s;
	s->next_prune_ns = uv_hrtime();
	if (uv_thread_create(&s->thread, store_thread, s) != 0) {
		rc = VG_ENOMEM;
		goto fail_async;
	}
	s->thread_started = true;
	*out = s;
	return 0;

fail_async:
	/* the handle is closed without a callback owner: free after the loop runs it */
	uv_close((uv_handle_t *)&s->async, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
fail_cond:
	uv_cond_destroy(&s->cv);
fail_mutex:
	uv_mutex_destroy(&s->mu);
fail:
	close_db(s);
	free(s);
	return rc;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	uv_mutex_lock(&s->mu);
	s->stop = true;
	uv_cond_signal(&s->cv);
	uv_mutex_unlock(&s->mu);
	if (s->thread_started)
		uv_thread_join(&s->thread);
	/* anything still queued was never applied: report it as failed */
	struct store_batch *b = s->q_head;
	while (b) {
		struct store_batch *next = b->next;
		b->result.err = VG_ESTATE;
		push_done(s, b);
		b = next;
	}
	s->q_head = s->q_tail = NULL;
	deliver(s);
	close_db(s);
	free(s->corrupt_cause);
	s->corrupt_cause = NULL;
	uv_cond_destroy(&s->cv);
	uv_mutex_destroy(&s->mu);
	uv_close((uv_handle_t *)&s->async, on_closed);
}

void store_once_commit(void *data, const struct store_commit *c)
{
	int *err = data;
	if (c->err && !*err)
		*err = c->err;
}

int store_write_once(const char *path, struct store_batch *b, const int *err, char **cause)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct store *s;
	struct store_options so = { .path = path };
	int rc = store_open(&s, &loop, &so, cause);
	if (rc != 0) {
		store_batch_free(b);
		uv_loop_close(&loop);
		return rc;
	}
	rc = store_submit(s, b);
	if (rc != 0)
		store_batch_free(b);
	store_close(s); /* commits, then delivers the callback */
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	if (rc == 0 && *err)
		rc = *err;
	if (rc != 0 && cause && !*cause)
		vg_cause(cause, rc, "writing %s failed: %s", path, vg_strerror(rc));
	return rc;
}
