/*
 * replay_src.c: the replay's readers (see replay_src.h): lines read ahead
 * on a second thread and decoded on both, or rows of the observations table
 * back into observations.
 */
#include "data/replay_src.h"

#include "core/vgerr.h"
#include "core/vgmem.h"
#include "data/dbfile.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* ---- lines: read ahead on a second thread, decoded by both ----------------------- */

/*
 * A second thread reads the input into batches of raw lines (up to
 * RS_BATCH lines or about RS_BATCH_BYTES bytes), numbered in input order,
 * and decodes the oldest batch not yet decoded. The caller's thread runs
 * the callbacks over the decoded batches in their order, and whenever the
 * batch it needs next is not decoded yet, it decodes a raw batch itself
 * (the next one if it can, a later one if the other thread has that)
 * instead of waiting: the two cores share the decoding, which costs
 * several times the replay, and the caller never idles while there is
 * work. Each thread has its own decoder; what the callbacks get is copied
 * into the batch (observations with their borrowed texts and embedding),
 * and batches are small enough that it is still in the caches when used.
 */
#define RS_BATCH       256
#define RS_BATCH_BYTES (512 * 1024)
#define RS_NSLOT       8

enum rs_state {
	RS_FREE,    /* nobody's */
	RS_FILLING, /* the reader thread is reading lines into it */
	RS_RAW,     /* lines read, not decoded */
	RS_BUSY,    /* being decoded */
	RS_READY,   /* decoded: for the callbacks */
};

struct rs_raw {
	size_t off, len; /* in raw */
	const char *file;
	uint64_t no;
};

struct rs_line {
	const char *file;
	uint64_t no;
	bool bad;
	size_t why; /* offset into text, SIZE_MAX: "" */
	size_t first_obs, n_obs;
};

/* Where an observation's borrowed data went in the batch's text (SIZE_MAX: NULL). */
struct rs_refs {
	size_t text, context, embedding;
};

struct rs_batch {
	enum rs_state state;
	uint64_t seq;
	/* read */
	char *raw;
	size_t n_raw, cap_raw;
	struct rs_raw *rl;
	size_t n_rl, cap_rl;
	/* decoded */
	struct rs_line *lines;
	size_t n_lines, cap_lines;
	struct observation *obs;
	struct rs_refs *refs;
	size_t n_obs, cap_obs;
	char *text;
	size_t n_text, cap_text;
	bool last; /* the end of the input (or a failure): rc and cause say how */
	int rc;    /* 0, the input's error (cause set), or VG_ENOMEM */
	char *cause;
};

struct rs_reader {
	const struct replay_src_input *in;
	enum decode_format fmt;
	uv_mutex_t mu;
	uv_cond_t cv;
	struct rs_batch slots[RS_NSLOT];
	uint64_t next_seq; /* the next batch the reader thread fills */
	bool eof;          /* the reader thread has filled the last batch */
	bool stop;         /* the caller has stopped: the reader thread ends */
};

static void batch_reset(struct rs_batch *b)
{
	b->n_raw = b->n_rl = b->n_lines = b->n_obs = b->n_text = 0;
	b->last = false;
	b->rc = 0;
	free(b->cause);
	b->cause = NULL;
}

static void batch_done(struct rs_batch *b)
{
	free(b->raw);
	free(b->rl);
	free(b->lines);
	free(b->obs);
	free(b->refs);
	free(b->text);
	free(b->cause);
}

/* Copy len bytes into the batch's text, 8-aligned; *off is where (SIZE_MAX
 * for a NULL src). */
static int batch_text(struct rs_batch *b, const void *src, size_t len, size_t *off)
{
	if (!src) {
		*off = SIZE_MAX;
		return 0;
	}
	size_t at = (b->n_text + 7) & ~(size_t)7;
	if (vg_grow((void **)&b->text, &b->cap_text, at + len + 1, 1, 64 * 1024) != 0)
		return VG_ENOMEM;
	memcpy(b->text + at, src, len);
	b->text[at + len] = '\0';
	b->n_text = at + len + 1;
	*off = at;
	return 0;
}

static int batch_add(struct rs_batch *b, const char *file, uint64_t no,
                     const struct decode_result *res)
{
	if (vg_grow((void **)&b->lines, &b->cap_lines, b->n_lines + 1, sizeof(*b->lines),
	            RS_BATCH) != 0)
		return VG_ENOMEM;
	size_t cap = b->cap_obs;
	if (vg_grow((void **)&b->obs, &cap, b->n_obs + res->n_obs, sizeof(*b->obs), RS_BATCH) !=
	            0 ||
	    vg_grow((void **)&b->refs, &b->cap_obs, b->n_obs + res->n_obs, sizeof(*b->refs),
	            RS_BATCH) != 0)
		return VG_ENOMEM;
	struct rs_line *l = &b->lines[b->n_lines];
	l->file = file;
	l->no = no;
	l->bad = res->reason != DR_NONE;
	l->first_obs = b->n_obs;
	l->n_obs = res->n_obs;
	l->why = SIZE_MAX;
	if (res->detail[0] && batch_text(b, res->detail, strlen(res->detail), &l->why) != 0)
		return VG_ENOMEM;
	for (size_t i = 0; i < res->n_obs; i++) {
		const struct observation *o = &res->obs[i];
		struct rs_refs *rf = &b->refs[b->n_obs + i];
		b->obs[b->n_obs + i] = *o;
		if (batch_text(b, o->text, o->text_len, &rf->text) != 0 ||
		    batch_text(b, o->context_text, o->context_len, &rf->context) != 0 ||
		    batch_text(b, o->embedding, o->embedding_len * sizeof(float), &rf->embedding) !=
		            0)
			return VG_ENOMEM;
	}
	b->n_obs += res->n_obs;
	b->n_lines++;
	return 0;
}

/* Decode a batch's raw lines. On failure (VG_ENOMEM) the batch ends the
 * input after the lines decoded so far. */
static void batch_decode(struct rs_batch *b, struct decoder *d, enum decode_format fmt)
{
	int rc = d ? 0 : VG_ENOMEM;
	for (size_t i = 0; i < b->n_rl && rc == 0; i++) {
		const struct rs_raw *r = &b->rl[i];
		struct decode_result res;
		rc = decode_line(d, fmt, b->raw + r->off, r->len, &res);
		if (rc == 0 && !(r->len == 0 && res.n_obs == 0)) /* a blank line is no line */
			rc = batch_add(b, r->file, r->no, &res);
	}
	if (rc != 0) {
		b->last = true;
		b->rc = rc;
		free(b->cause);
		b->cause = NULL;
	}
	/* the text no longer moves: point the observations into it */
	for (size_t i = 0; i < b->n_obs; i++) {
		struct observation *o = &b->obs[i];
		const struct rs_refs *rf = &b->refs[i];
		o->text = rf->text == SIZE_MAX ? NULL : b->text + rf->text;
		o->context_text = rf->context == SIZE_MAX ? NULL : b->text + rf->context;
		o->embedding = rf->embedding == SIZE_MAX
		                       ? NULL
		                       : (const float *)(const void *)(b->text + rf->embedding);
	}
}

/* Read lines into a batch until it is full or the input ends. */
static void batch_fill(struct rs_batch *b, const struct replay_src_input *in)
{
	while (b->n_rl < RS_BATCH && b->n_raw < RS_BATCH_BYTES) {
		const char *line, *file = NULL;
		size_t len;
		uint64_t no = 0;
		char *cause = NULL;
		int rc = in->next(in->data, &line, &len, &file, &no, &cause);
		if (rc <= 0) {
			b->last = true;
			b->rc = rc;
			b->cause = cause;
			return;
		}
		if (vg_grow((void **)&b->raw, &b->cap_raw, b->n_raw + len + 1, 1, 64 * 1024) != 0 ||
		    vg_grow((void **)&b->rl, &b->cap_rl, b->n_rl + 1, sizeof(*b->rl), RS_BATCH) !=
		            0) {
			b->last = true;
			b->rc = VG_ENOMEM;
			return;
		}
		memcpy(b->raw + b->n_raw, line, len);
		b->rl[b->n_rl++] = (struct rs_raw){ b->n_raw, len, file, no };
		b->n_raw += len + 1;
	}
}

static struct rs_batch *slot_in(struct rs_reader *rd, enum rs_state st)
{
	struct rs_batch *best = NULL;
	for (int i = 0; i < RS_NSLOT; i++) {
		struct rs_batch *b = &rd->slots[i];
		if (b->state == st && (!best || b->seq < best->seq))
			best = b;
	}
	return best;
}

static struct rs_batch *slot_seq(struct rs_reader *rd, uint64_t seq)
{
	for (int i = 0; i < RS_NSLOT; i++)
		if (rd->slots[i].state != RS_FREE && rd->slots[i].seq == seq)
			return &rd->slots[i];
	return NULL;
}

/* Decode b outside the lock (called and returning with it held). */
static void decode_unlocked(struct rs_reader *rd, struct rs_batch *b, struct decoder **d)
{
	b->state = RS_BUSY;
	uv_mutex_unlock(&rd->mu);
	if (!*d)
		*d = decoder_new();
	batch_decode(b, *d, rd->fmt);
	uv_mutex_lock(&rd->mu);
	b->state = RS_READY;
	uv_cond_broadcast(&rd->cv);
}

/* The reader thread: fill a free slot while there is one, else decode the
 * oldest raw batch, else wait. */
static void reader_thread(void *arg)
{
	struct rs_reader *rd = arg;
	struct decoder *d = NULL;
	uv_mutex_lock(&rd->mu);
	while (!rd->stop) {
		struct rs_batch *b = rd->eof ? NULL : slot_in(rd, RS_FREE);
		if (b) {
			batch_reset(b);
			b->state = RS_FILLING;
			b->seq = rd->next_seq++;
			uv_mutex_unlock(&rd->mu);
			batch_fill(b, rd->in);
			uv_mutex_lock(&rd->mu);
			b->state = RS_RAW;
			if (b->last)
				rd->eof = true;
			uv_cond_broadcast(&rd->cv);
			continue;
		}
		b = slot_in(rd, RS_RAW);
		if (b) {
			decode_unlocked(rd, b, &d);
			continue;
		}
		if (rd->eof)
			break;
		uv_cond_wait(&rd->cv, &rd->mu);
	}
	uv_mutex_unlock(&rd->mu);
	decoder_free(d);
}

/* Run the callbacks over a batch. Returns 0 or the first non-zero obs callback code. */
static int deliver(const struct rs_batch *b, const struct replay_src_cb *cb)
{
	for (size_t i = 0; i < b->n_lines; i++) {
		const struct rs_line *l = &b->lines[i];
		if (cb->line)
			cb->line(cb->data, l->bad, l->file, l->no,
			         l->why == SIZE_MAX ? "" : b->text + l->why);
		for (size_t k = 0; k < l->n_obs; k++) {
			int rc = cb->obs(cb->data, &b->obs[l->first_obs + k]);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int replay_src_input(const struct replay_src_input *in, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause)
{
	struct rs_reader *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return VG_ENOMEM;
	rd->in = in;
	rd->fmt = fmt;
	struct decoder *d = NULL;
	uv_thread_t th;
	int rc = VG_ENOMEM;
	if (uv_mutex_init(&rd->mu) != 0)
		goto fail_mutex;
	if (uv_cond_init(&rd->cv) != 0)
		goto fail_cond;
	if (uv_thread_create(&th, reader_thread, rd) != 0)
		goto fail_thread;
	uint64_t want = 0;
	uv_mutex_lock(&rd->mu);
	for (;;) {
		struct rs_batch *b = slot_seq(rd, want);
		if (b && b->state == RS_READY) {
			uv_mutex_unlock(&rd->mu);
			rc = deliver(b, cb);
			uv_mutex_lock(&rd->mu);
			bool last = b->last;
			if (rc == 0 && last) {
				rc = b->rc;
				if (cause) {
					*cause = b->cause;
					b->cause = NULL;
				}
			}
			b->state = RS_FREE;
			uv_cond_broadcast(&rd->cv);
			want++;
			if (last || rc != 0)
				break;
			continue;
		}
		/* not decoded yet: decode it, or a later one the reader has not
		 * taken, rather than wait */
		struct rs_batch *r = b && b->state == RS_RAW ? b : slot_in(rd, RS_RAW);
		if (r) {
			decode_unlocked(rd, r, &d);
			continue;
		}
		uv_cond_wait(&rd->cv, &rd->mu);
	}
	rd->stop = true;
	uv_cond_broadcast(&rd->cv);
	uv_mutex_unlock(&rd->mu);
	uv_thread_join(&th);
fail_thread:
	uv_cond_destroy(&rd->cv);
fail_cond:
	uv_mutex_destroy(&rd->mu);
fail_mutex:
	for (int i = 0; i < RS_NSLOT; i++)
		batch_done(&rd->slots[i]);
	decoder_free(d);
	free(rd);
	return rc;
}

/* ---- files ------------------------------------------------------------------ */

struct files {
	char *const *paths;
	size_t n, at;
	FILE *f;
	char *line;
	size_t cap;
	uint64_t no;
};

static int files_next(void *data, const char **line, size_t *len, const char **file, uint64_t *no,
                      char **cause)
{
	struct files *fs = data;
	for (;;) {
		if (!fs->f) {
			if (fs->at == fs->n)
				return 0;
			const char *path = fs->paths[fs->at];
			fs->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
			if (!fs->f)
				return vg_cause(cause, VG_EIO, "%s: %s", path, strerror(errno));
			fs->no = 0;
		}
		const char *path = fs->paths[fs->at];
		ssize_t n = getline(&fs->line, &fs->cap, fs->f);
		if (n >= 0) {
			size_t l = (size_t)n;
			if (l && fs->line[l - 1] == '\n')
				l--;
			*line = fs->line;
			*len = l;
			*file = path;
			*no = ++fs->no;
			return 1;
		}
		bool err = ferror(fs->f) != 0;
		int e = errno;
		if (fs->f != stdin)
			fclose(fs->f);
		fs->f = NULL;
		if (err)
			return vg_cause(cause, VG_EIO, "%s: %s", path, strerror(e));
		fs->at++;
	}
}

int replay_src_files(char *const *paths, size_t n, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause)
{
	struct files fs = { .paths = paths, .n = n };
	struct replay_src_input in = { .next = files_next, .data = &fs };
	int rc = replay_src_input(&in, fmt, cb, cause);
	if (fs.f && fs.f != stdin)
		fclose(fs.f);
	free(fs.line);
	return rc;
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (t)
		model_copy_str(dst, size, (const char *)t, (size_t)-1);
	else
		dst[0] = '\0';
}

static int col_enum(sqlite3_stmt *st, int i, int (*parse)(const char *, size_t), int dflt)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return dflt;
	int v = parse((const char *)t, strlen((const char *)t));
	return v < 0 ? dflt : v;
}

static double col_dbl(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? VG_NONE : sqlite3_column_int64(st, i);
}

int replay_src_db(const char *path, int64_t from_ms, int64_t to_ms, const struct replay_src_cb *cb,
                  char **cause)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct dbfile_id id;
	int rc = dbfile_identify(path, &id, cause);
	if (rc != 0)
		return rc;
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		vg_cause(cause, VG_EDB, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return VG_EDB;
	}
	sqlite3_busy_timeout(db, 5000);
	static const char sql[] =
	        "SELECT ts_ms, request_id, attempt, source, provider, model, region, key_alias, "
	        "template, traffic_class, selection, http_status, transport_error, error_class, "
	        "finish, dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms, input_tokens, "
	        "output_tokens, cached_input_tokens, predicted_input_tokens, cost_usd, "
	        "retry_count, body_bytes FROM observations WHERE ts_ms >= ?1 AND ts_ms < ?2 "
	        "ORDER BY ts_ms + CAST(coalesce(total_ms, 0) AS INTEGER), id";
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		vg_cause(cause, VG_EDB, "%s: not a vigil database (%s)", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return VG_EDB;
	}
	sqlite3_bind_int64(st, 1, vg_has(from_ms) ? from_ms : INT64_MIN);
	sqlite3_bind_int64(st, 2, vg_has(to_ms) ? to_ms : INT64_MAX);
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct observation o;
		observation_init(&o);
		o.ts_ms = sqlite3_column_int64(st, 0);
		col_text(st, 1, o.request_id, sizeof(o.request_id));
		o.attempt = sqlite3_column_int(st, 2);
		const unsigned char *src = sqlite3_column_text(st, 3);
		o.source = src && strcmp((const char *)src, "probe") == 0 ? OBS_PROBE : OBS_GATEWAY;
		col_text(st, 4, o.pid.provider, sizeof(o.pid.provider));
		o.kind = model_provider_kind_from_name(o.pid.provider, strlen(o.pid.provider));
		col_text(st, 5, o.pid.model, sizeof(o.pid.model));
		col_text(st, 6, o.pid.region, sizeof(o.pid.region));
		col_text(st, 7, o.pid.key_alias, sizeof(o.pid.key_alias));
		col_text(st, 8, o.template_id, sizeof(o.template_id));
		o.traffic_class = (enum traffic_class)col_enum(st, 9, model_traffic_class_parse,
		                                               (int)o.traffic_class);
		o.selection_reason = (enum selection_reason)col_enum(
		        st, 10, model_selection_reason_parse, (int)o.selection_reason);
		o.http_status = sqlite3_column_type(st, 11) == SQLITE_NULL
		                        ? -1
		                        : sqlite3_column_int(st, 11);
		o.transport_error = (enum transport_error)col_enum(
		        st, 12, model_transport_error_parse, (int)o.transport_error);
		o.norm.error_class = (enum err_class)col_enum(st, 13, model_err_class_parse,
		                                              (int)o.norm.error_class);
		o.norm.finish = (enum finish_reason)col_enum(st, 14, model_finish_reason_parse,
		                                             (int)o.norm.finish);
		o.dns_ms = col_dbl(st, 15);
		o.connect_ms = col_dbl(st, 16);
		o.tls_ms = col_dbl(st, 17);
		o.ttfb_ms = col_dbl(st, 18);
		o.total_ms = col_dbl(st, 19);
		o.input_tokens = col_i64(st, 20);
		o.output_tokens = col_i64(st, 21);
		o.cached_input_tokens = col_i64(st, 22);
		o.predicted_input_tokens = col_i64(st, 23);
		o.cost_usd = col_dbl(st, 24);
		int64_t rcnt = col_i64(st, 25);
		o.retry_count = vg_has(rcnt) ? (int32_t)rcnt : -1;
		o.body_bytes = col_i64(st, 26);
		ret = cb->obs(cb->data, &o);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		if (dbfile_is_corrupt(rc)) {
			if (cause)
				*cause = dbfile_corrupt_cause(path, "reading its observations",
				                              sqlite3_errmsg(db));
			ret = VG_ECORRUPT;
		} else {
			ret = vg_cause(cause, VG_EDB, "%s: %s", path, sqlite3_errmsg(db));
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}
