/*
 * replay_src.c: the replay's readers (see replay_src.h): lines through one
 * decoder, or rows of the observations table back into observations.
 */
#include "data/replay_src.h"

#include "core/vgerr.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int read_file(struct decoder *d, const char *path, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause)
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
		rc = decode_line(d, fmt, line, n, &res);
		if (rc != 0)
			break;
		if (n == 0 && res.n_obs == 0)
			continue; /* a blank line is not a line of input */
		if (cb->line)
			cb->line(cb->data, res.reason != DR_NONE, path, no, res.detail);
		for (size_t i = 0; i < res.n_obs && rc == 0; i++)
			rc = cb->obs(cb->data, &res.obs[i]);
		if (rc != 0)
			break;
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

int replay_src_files(char *const *paths, size_t n, enum decode_format fmt,
                     const struct replay_src_cb *cb, char **cause)
{
	struct decoder *d = decoder_new();
	if (!d)
		return VG_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_file(d, paths[i], fmt, cb, cause);
	decoder_free(d);
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
