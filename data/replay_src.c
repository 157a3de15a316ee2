/*
 * replay_src.c: the replay's readers (see replay_src.h): lines through one
 * decoder on a thread of its own, or rows of the observations table back
 * into observations.
 */
#include "data/replay_src.h"

#include "core/vgerr.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static void set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_cause(char **cause, const char *fmt, ...)
{
	if (!cause)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*cause = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (*cause) {
		va_start(ap, fmt);
		vsnprintf(*cause, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
}

/* ---- files: a decoder thread ahead of the caller ------------------------------ */

/*
 * The files are read and decoded on a thread of their own, which hands the
 * caller's thread batches of what the callbacks get, in order: per line,
 * where it was and why it was quarantined, and the observations decoded
 * from it, copied with their borrowed texts and embedding into the batch.
 * The caller runs the callbacks (the replay) while the next batches are
 * decoded. A batch holds up to RS_BATCH lines or observations, or about
 * RS_BATCH_TEXT bytes of texts, whichever comes first: small enough that
 * what is handed over is still in the caches when it is used.
 */
#define RS_BATCH      256
#define RS_BATCH_TEXT (512 * 1024)
#define RS_NBATCH     4

struct rs_line {
	const char *file; /* one of the caller's paths */
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
	struct rs_line *lines;
	size_t n_lines, cap_lines;
	struct observation *obs;
	struct rs_refs *refs;
	size_t n_obs, cap_obs;
	char *text;
	size_t n_text, cap_text;
	bool last; /* the end of the input: rc and cause say how it ended */
	int rc;    /* 0, VG_EIO (cause set) or VG_ENOMEM */
	char *cause;
};

struct rs_reader {
	char *const *paths;
	size_t n_paths;
	enum decode_format fmt;
	uv_mutex_t mu;
	uv_cond_t cv;
	struct rs_batch batches[RS_NBATCH];
	struct rs_batch *full[RS_NBATCH], *free_[RS_NBATCH];
	int head, nfull, nfree;
	bool stop; /* the caller stopped reading: the decoder thread ends */
};

static void batch_reset(struct rs_batch *b)
{
	b->n_lines = b->n_obs = b->n_text = 0;
	b->last = false;
	b->rc = 0;
	b->cause = NULL;
}

static void batch_done(struct rs_batch *b)
{
	free(b->lines);
	free(b->obs);
	free(b->refs);
	free(b->text);
	free(b->cause);
}

static int grow_to(void **v, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : first;
	while (n < need)
		n *= 2;
	void *p = realloc(*v, n * elem);
	if (!p)
		return VG_ENOMEM;
	*v = p;
	*cap = n;
	return 0;
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
	size_t cap = b->cap_text;
	if (grow_to((void **)&b->text, &cap, at + len + 1, 1, 64 * 1024) != 0)
		return VG_ENOMEM;
	b->cap_text = cap;
	memcpy(b->text + at, src, len);
	b->text[at + len] = '\0';
	b->n_text = at + len + 1;
	*off = at;
	return 0;
}

static int batch_add(struct rs_batch *b, const char *file, uint64_t no,
                     const struct decode_result *res)
{
	if (grow_to((void **)&b->lines, &b->cap_lines, b->n_lines + 1, sizeof(*b->lines),
	            RS_BATCH) != 0)
		return VG_ENOMEM;
	size_t cap = b->cap_obs;
	if (grow_to((void **)&b->obs, &cap, b->n_obs + res->n_obs, sizeof(*b->obs), RS_BATCH) !=
	            0 ||
	    grow_to((void **)&b->refs, &b->cap_obs, b->n_obs + res->n_obs, sizeof(*b->refs),
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

/* The batch's text no longer moves: point the observations into it. */
static void batch_seal(struct rs_batch *b)
{
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

static bool batch_full(const struct rs_batch *b)
{
	return b->n_lines >= RS_BATCH || b->n_obs >= RS_BATCH || b->n_text >= RS_BATCH_TEXT;
}

/* Decoder side: a free batch, or NULL when the caller has stopped. */
static struct rs_batch *take_free(struct rs_reader *rd)
{
	uv_mutex_lock(&rd->mu);
	while (rd->nfree == 0 && !rd->stop)
		uv_cond_wait(&rd->cv, &rd->mu);
	struct rs_batch *b = rd->stop ? NULL : rd->free_[--rd->nfree];
	uv_mutex_unlock(&rd->mu);
	if (b)
		batch_reset(b);
	return b;
}

static void put_full(struct rs_reader *rd, struct rs_batch *b)
{
	batch_seal(b);
	uv_mutex_lock(&rd->mu);
	rd->full[(rd->head + rd->nfull) % RS_NBATCH] = b;
	rd->nfull++;
	uv_cond_broadcast(&rd->cv);
	uv_mutex_unlock(&rd->mu);
}

/* Caller side. */
static struct rs_batch *take_full(struct rs_reader *rd)
{
	uv_mutex_lock(&rd->mu);
	while (rd->nfull == 0)
		uv_cond_wait(&rd->cv, &rd->mu);
	struct rs_batch *b = rd->full[rd->head];
	rd->head = (rd->head + 1) % RS_NBATCH;
	rd->nfull--;
	uv_mutex_unlock(&rd->mu);
	return b;
}

static void put_free(struct rs_reader *rd, struct rs_batch *b, bool stop)
{
	free(b->cause);
	b->cause = NULL;
	uv_mutex_lock(&rd->mu);
	rd->free_[rd->nfree++] = b;
	if (stop)
		rd->stop = true;
	uv_cond_broadcast(&rd->cv);
	uv_mutex_unlock(&rd->mu);
}

static bool stopped(struct rs_reader *rd)
{
	uv_mutex_lock(&rd->mu);
	bool s = rd->stop;
	uv_mutex_unlock(&rd->mu);
	return s;
}

/* Read one file into batches. Returns 0, VG_EIO (cause set), VG_ENOMEM, or
 * 1 when the caller stopped. */
static int read_file(struct rs_reader *rd, struct decoder *d, const char *path,
                     struct rs_batch **bp, char **cause)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		return VG_EIO;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t no = 0;
	int rc = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		no++;
		size_t n = (size_t)len;
		if (n && line[n - 1] == '\n')
			n--;
		struct decode_result res;
		rc = decode_line(d, rd->fmt, line, n, &res);
		if (rc != 0)
			break;
		if (n == 0 && res.n_obs == 0)
			continue; /* a blank line is not a line of input */
		rc = batch_add(*bp, path, no, &res);
		if (rc != 0)
			break;
		if (batch_full(*bp)) {
			put_full(rd, *bp);
			*bp = take_free(rd);
			if (!*bp) {
				rc = 1;
				break;
			}
		}
	}
	if (rc == 0 && ferror(f)) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		rc = VG_EIO;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static void decode_thread(void *arg)
{
	struct rs_reader *rd = arg;
	struct rs_batch *b = take_free(rd);
	if (!b)
		return;
	struct decoder *d = decoder_new();
	int rc = d ? 0 : VG_ENOMEM;
	char *cause = NULL;
	for (size_t i = 0; i < rd->n_paths && rc == 0 && !stopped(rd); i++)
		rc = read_file(rd, d, rd->paths[i], &b, &cause);
	decoder_free(d);
	if (rc == 1 || !b) {
		free(cause);
		return;
	}
	b->last = true;
	b->rc = rc;
	b->cause = cause;
	put_full(rd, b);
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

int replay_src_files(char *const *paths, size_t n, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause)
{
	struct rs_reader *rd = calloc(1, sizeof(*rd));
	if (!rd)
		return VG_ENOMEM;
	rd->paths = paths;
	rd->n_paths = n;
	rd->fmt = fmt;
	int rc = VG_ENOMEM;
	if (uv_mutex_init(&rd->mu) != 0)
		goto fail_mutex;
	if (uv_cond_init(&rd->cv) != 0)
		goto fail_cond;
	for (int i = 0; i < RS_NBATCH; i++)
		rd->free_[rd->nfree++] = &rd->batches[i];
	uv_thread_t th;
	if (uv_thread_create(&th, decode_thread, rd) != 0)
		goto fail_thread;
	rc = 0;
	for (;;) {
		struct rs_batch *b = take_full(rd);
		rc = deliver(b, cb);
		bool last = b->last;
		if (rc == 0 && last) {
			rc = b->rc;
			if (cause) {
				*cause = b->cause;
				b->cause = NULL;
			}
		}
		put_free(rd, b, rc != 0);
		if (last || rc != 0)
			break;
	}
	uv_thread_join(&th);
fail_thread:
	for (int i = 0; i < RS_NBATCH; i++)
		batch_done(&rd->batches[i]);
	uv_cond_destroy(&rd->cv);
fail_cond:
	uv_mutex_destroy(&rd->mu);
fail_mutex:
	free(rd);
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
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		set_cause(cause, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
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
		set_cause(cause, "%s: not a vigil database (%s)", path, sqlite3_errmsg(db));
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
		set_cause(cause, "%s: %s", path, sqlite3_errmsg(db));
		ret = VG_EDB;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}
