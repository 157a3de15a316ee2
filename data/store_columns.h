/*
 * store_columns.h: every column the store writes or reads, listed once per
 * table (internal to data/store*.c and data/console_act.c).
 *
 * A list is a macro of entries X(column, role, kind, value):
 *   column  the column's name in data/store_schema.c
 *   role    what an upsert does with it when the row is already there:
 *           NEW  only inserted;            KEY   the conflict target (UPDATE: WHERE);
 *           SET  takes the new value;      ADD   adds the new value;
 *           KEEP takes the new value unless it is NULL
 *   kind    how the value is bound (store__bind_<kind>) and read back
 *           (STORE__GET_<kind>): see below
 *   value   an expression over `r`, the row being written or read (an
 *           lvalue when the list is also read)
 *
 * From one list come the statement's SQL (store__sql_write(),
 * store__sql_select(), at open) and the code that binds or reads a row
 * (STORE__BIND_ROW, STORE__GET_ROW, at compile time, with the same speed as
 * hand-written binds). Placeholders are numbered in list order, so adding a
 * column is one line in its list (plus the migration that adds it to the
 * table); nothing else names a column position.
 */
#ifndef VIGIL_DATA_STORE_COLUMNS_H
#define VIGIL_DATA_STORE_COLUMNS_H

#include "core/incident.h"
#include "data/store_internal.h"

#include <string.h>

/* ---- the lists ---------------------------------------------------------------------- */

/* observations: r is a struct store__obs_row, its strings at `strs`. */
#define STORE__COLS_OBSERVATIONS(X)                                                                \
	X(ts_ms, NEW, int, r->ts_ms)                                                               \
	X(request_id, NEW, text, strs + r->str[STORE__OS_REQUEST_ID])                              \
	X(attempt, NEW, int, r->attempt)                                                           \
	X(source, NEW, text, r->source == OBS_PROBE ? "probe" : "gateway")                         \
	X(provider, NEW, text, strs + r->str[STORE__OS_PROVIDER])                                  \
	X(model, NEW, text_opt, strs + r->str[STORE__OS_MODEL])                                    \
	X(region, NEW, text_opt, strs + r->str[STORE__OS_REGION])                                  \
	X(key_alias, NEW, text_opt, strs + r->str[STORE__OS_KEY_ALIAS])                            \
	X(template, NEW, text_opt, strs + r->str[STORE__OS_TEMPLATE])                              \
	X(traffic_class, NEW, name_opt,                                                            \
	  r->traffic >= 0 ? model_traffic_class_name((enum traffic_class)r->traffic) : NULL)       \
	X(selection, NEW, name_opt,                                                                \
	  r->selection >= 0 ? model_selection_reason_name((enum selection_reason)r->selection)     \
	                    : NULL)                                                                \
	X(http_status, NEW, int_pos, r->http_status)                                               \
	X(transport_error, NEW, name_opt,                                                          \
	  r->transport != TE_NONE ? model_transport_error_name((enum transport_error)r->transport) \
	                          : NULL)                                                          \
	X(error_class, NEW, text, model_err_class_name((enum err_class)r->err_class))              \
	X(finish, NEW, name_opt,                                                                   \
	  r->finish >= 0 ? model_finish_reason_name((enum finish_reason)r->finish) : NULL)         \
	X(dns_ms, NEW, real_opt, r->dns)                                                           \
	X(connect_ms, NEW, real_opt, r->connect)                                                   \
	X(tls_ms, NEW, real_opt, r->tls)                                                           \
	X(ttfb_ms, NEW, real_opt, r->ttfb)                                                         \
	X(total_ms, NEW, real_opt, r->total)                                                       \
	X(input_tokens, NEW, int_opt, r->in_tok)                                                   \
	X(output_tokens, NEW, int_opt, r->out_tok)                                                 \
	X(cached_input_tokens, NEW, int_opt, r->cached)                                            \
	X(predicted_input_tokens, NEW, int_opt, r->predicted)                                      \
	X(cost_usd, NEW, real_opt, r->cost)                                                        \
	X(retry_count, NEW, int_pos, r->retry_count)                                               \
	X(body_bytes, NEW, int_opt, r->body_bytes)

/* failure_events: r is a struct store__ev_row. */
#define STORE__COLS_FAILURE_EVENTS(X)                                                              \
	X(event_id, NEW, int, (int64_t)r->ev.id)                                                   \
	X(time_ms, NEW, int, r->ev.time_ms)                                                        \
	X(category, NEW, category, r->ev.category)                                                 \
	X(subtype, NEW, subtype, r->ev.subtype)                                                    \
	X(severity, NEW, severity, r->ev.severity)                                                 \
	X(provider, NEW, text, r->ev.pid.provider)                                                 \
	X(model, NEW, text_opt, r->ev.pid.model)                                                   \
	X(region, NEW, text_opt, r->ev.pid.region)                                                 \
	X(key_alias, NEW, text_opt, r->ev.pid.key_alias)                                           \
	X(request_id, NEW, text_opt, r->ev.request_id)                                             \
	X(template, NEW, text_opt, r->ev.template_id)                                              \
	X(traffic_class, NEW, name_opt,                                                            \
	  (int)r->ev.traffic_class >= 0 ? model_traffic_class_name(r->ev.traffic_class) : NULL)    \
	X(retryable, NEW, int_opt,                                                                 \
	  r->ev.retryable == VG_TRI_UNSET ? VG_NONE : (int64_t)r->ev.retryable)                    \
	X(detail, NEW, str_opt, r->detail)

/* breaker_transitions: r is a struct breaker_transition. */
#define STORE__COLS_BREAKER_TRANSITIONS(X)                                                         \
	X(time_ms, NEW, int, r->time_ms)                                                           \
	X(provider, NEW, text, r->provider)                                                        \
	X(model, NEW, text_opt, r->model)                                                          \
	X(from_state, NEW, breaker_state, r->from)                                                 \
	X(to_state, NEW, breaker_state, r->to)                                                     \
	X(reason, NEW, text_opt, r->reason)                                                        \
	X(opens_in_window, NEW, int, r->opens_in_window)                                           \
	X(oscillating, NEW, int, r->oscillating)

/* incidents: r is a struct store_incident (written, and read at startup). */
#define STORE__COLS_INCIDENTS(X)                                                                   \
	X(id, KEY, int, r->id)                                                                     \
	X(key, SET, text, r->key)                                                                  \
	X(category, SET, category, r->category)                                                    \
	X(subtype, SET, subtype, r->subtype)                                                       \
	X(provider, SET, text_opt, r->provider)                                                    \
	X(model, SET, text_opt, r->model)                                                          \
	X(severity, SET, severity, r->severity)                                                    \
	X(state, SET, incident_state, r->state)                                                    \
	X(count, SET, int, r->count)                                                               \
	X(first_ms, SET, int, r->first_ms)                                                         \
	X(last_ms, SET, int, r->last_ms)                                                           \
	X(detail, KEEP, str_opt, r->detail_json)

/* incident_history: r is a struct store_incident_history. */
#define STORE__COLS_INCIDENT_HISTORY(X)                                                            \
	X(incident_id, NEW, int, r->incident_id)                                                   \
	X(time_ms, NEW, int, r->time_ms)                                                           \
	X(what, NEW, text, r->what)                                                                \
	X(state, NEW, incident_state, r->state)                                                    \
	X(severity, NEW, severity, r->severity)                                                    \
	X(count, NEW, int, r->count)                                                               \
	X(related_id, NEW, int_id, r->related_id)                                                  \
	X(actor, NEW, text_opt, r->actor)                                                          \
	X(note, NEW, str_opt, r->note)

/* outbox: r is a struct store_outbox (written, and read at startup). */
#define STORE__COLS_OUTBOX(X)                                                                      \
	X(id, KEY, int_id, r->id)                                                                  \
	X(sink, NEW, text, r->sink)                                                                \
	X(dedup_key, NEW, text, r->dedup_key)                                                      \
	X(op, NEW, text_opt, r->op)                                                                \
	X(incident_id, NEW, int_id, r->incident_id)                                                \
	X(sequence, NEW, int, r->sequence)                                                         \
	X(payload, NEW, str, r->payload_json)                                                      \
	X(state, NEW, outbox_state, r->state)                                                      \
	X(attempts, NEW, int, r->attempts)                                                         \
	X(next_attempt_ms, NEW, int, r->next_attempt_ms)                                           \
	X(created_ms, NEW, int, r->created_ms)                                                     \
	X(delivered_ms, NEW, int_id, r->delivered_ms)                                              \
	X(idempotency_key, NEW, text_opt, r->idem_key)

/* outbox, a delivery attempt's outcome: r is a struct store_outbox_update. */
#define STORE__COLS_OUTBOX_UPDATE(X)                                                               \
	X(id, KEY, int, r->id)                                                                     \
	X(state, SET, outbox_state, r->state)                                                      \
	X(attempts, SET, int, r->attempts)                                                         \
	X(next_attempt_ms, SET, int, r->next_attempt_ms)                                           \
	X(delivered_ms, SET, int_id, r->delivered_ms)

/* operator_actions: r is a struct store_operator_action (written by the
 * store and by a console, read by the daemon). */
#define STORE__COLS_OPERATOR_ACTIONS(X)                                                            \
	X(id, NEW, int_id, r->id)                                                                  \
	X(incident_id, NEW, int, r->incident_id)                                                   \
	X(action, NEW, action, r->action)                                                          \
	X(actor, NEW, text, r->actor)                                                              \
	X(note, NEW, str_opt, r->note)                                                             \
	X(time_ms, NEW, int, r->time_ms)                                                           \
	X(applied, NEW, int, r->applied)                                                           \
	X(review_id, NEW, int_id, r->review_id)                                                    \
	X(outcome, NEW, text_opt, r->outcome)

/* operator_actions, marked applied: r is a struct store__applied. */
#define STORE__COLS_ACTION_APPLIED(X)                                                              \
	X(id, KEY, int, r->id)                                                                     \
	X(applied, SET, int, 1)                                                                    \
	X(outcome, SET, text, r->outcome)

/* quarantine: r is a struct store__qrow. */
#define STORE__COLS_QUARANTINE(X)                                                                  \
	X(file, NEW, text, r->q.file)                                                              \
	X(line_no, NEW, int, r->q.line_no)                                                         \
	X(byte_offset, NEW, int, r->q.byte_offset)                                                 \
	X(reason, NEW, text, r->q.reason)                                                          \
	X(detail, NEW, text, r->q.detail)                                                          \
	X(head, NEW, blob, ((struct store__blob){ r->head, r->q.head_len }))                       \
	X(time_ms, NEW, int, r->q.time_ms)

/* tail_positions: r is a struct store_tail_pos (written, and read at startup). */
#define STORE__COLS_TAIL_POSITIONS(X)                                                              \
	X(dev, KEY, uint, r->dev)                                                                  \
	X(ino, KEY, uint, r->ino)                                                                  \
	X(path, SET, text, r->path)                                                                \
	X(read_offset, SET, int, r->offset)                                                        \
	X(line_no, SET, int, r->line_no)                                                           \
	X(head_sig, SET, uint, r->head_sig)                                                        \
	X(updated_ms, SET, int, r->updated_ms)                                                     \
	X(file_size, SET, int, r->size)

/* obs_minute: r is the store's per-minute sum (store_write.c). */
#define STORE__COLS_OBS_MINUTE(X)                                                                  \
	X(minute_ms, KEY, int, r->minute)                                                          \
	X(provider, KEY, text, r->provider)                                                        \
	X(model, KEY, text, r->model)                                                              \
	X(requests, ADD, int, r->requests)                                                         \
	X(errors, ADD, int, r->errors)                                                             \
	X(total_ms_sum, ADD, real, r->total_sum)                                                   \
	X(total_ms_n, ADD, int, r->total_n)                                                        \
	X(input_tokens, ADD, int, r->in_tok)                                                       \
	X(output_tokens, ADD, int, r->out_tok)                                                     \
	X(cost_usd, ADD, real, r->cost)

/* event_minute: r is the store's per-minute count (store_write.c). */
#define STORE__COLS_EVENT_MINUTE(X)                                                                \
	X(minute_ms, KEY, int, r->minute)                                                          \
	X(provider, KEY, text, r->provider)                                                        \
	X(category, KEY, category, (enum category)r->category)                                     \
	X(subtype, KEY, subtype, (enum subtype)r->subtype)                                         \
	X(severity, KEY, severity, (enum severity)r->severity)                                     \
	X(events, ADD, int, r->n)

/* health: r is a struct store_health (a row replaced whole). */
#define STORE__COLS_HEALTH(X)                                                                      \
	X(provider, NEW, text, r->provider)                                                        \
	X(model, NEW, text, r->model)                                                              \
	X(fallback, NEW, int, r->fallback)                                                         \
	X(configured, NEW, int, r->configured)                                                     \
	X(window_requests, NEW, int_opt, r->window_requests)                                       \
	X(availability, NEW, real_opt, r->h.availability)                                          \
	X(p50_ms, NEW, real_opt, r->h.p50_ms)                                                      \
	X(p95_ms, NEW, real_opt, r->h.p95_ms)                                                      \
	X(p99_ms, NEW, real_opt, r->h.p99_ms)                                                      \
	X(err_rate_limit, NEW, real_opt, r->h.err_rate[HE_RATE_LIMIT])                             \
	X(err_server, NEW, real_opt, r->h.err_rate[HE_SERVER_ERROR])                               \
	X(err_timeout, NEW, real_opt, r->h.err_rate[HE_TIMEOUT])                                   \
	X(err_content_filter, NEW, real_opt, r->h.err_rate[HE_CONTENT_FILTER])                     \
	X(err_other, NEW, real_opt, store__health_other_errors(&r->h))                             \
	X(tokens_per_s, NEW, real_opt, r->h.output_tps)                                            \
	X(quality, NEW, real_opt, r->h.quality_score)                                              \
	X(cost_efficiency, NEW, real_opt, r->h.cost_efficiency)                                    \
	X(headroom, NEW, real_opt, r->h.headroom)                                                  \
	X(headroom_slope, NEW, real_opt, r->h.headroom_slope)                                      \
	X(probe_spend_usd, NEW, real_opt, r->probe_spend_usd)                                      \
	X(probe_budget_usd, NEW, real_opt, r->probe_budget_usd)                                    \
	X(breaker, NEW, name_opt, r->has_breaker ? model_breaker_state_name(r->breaker) : NULL)    \
	X(breaker_since_ms, NEW, int_opt, r->has_breaker ? r->breaker_since_ms : VG_NONE)          \
	X(opens_in_window, NEW, int_opt, r->has_breaker ? (int64_t)r->opens_in_window : VG_NONE)   \
	X(oscillating, NEW, int, r->oscillating)                                                   \
	X(latency_threshold_ms, NEW, real_opt, r->latency_threshold_ms)                            \
	X(updated_ms, NEW, int, r->updated_ms)                                                     \
	X(gateway_event_ms, NEW, int_opt, r->gateway_event_ms)

/* health_minute, the last p95 of each minute: r is a struct store_health. */
#define STORE__COLS_HEALTH_MINUTE(X)                                                               \
	X(minute_ms, NEW, int, store__minute_of(r->updated_ms))                                    \
	X(provider, NEW, text, r->provider)                                                        \
	X(model, NEW, text, r->model)                                                              \
	X(p95_ms, NEW, real_opt, r->h.p95_ms)                                                      \
	X(requests, NEW, int_opt, r->window_requests)

/* rollup_minute, rollup_hour: r is a struct store__ru_row, its bytes at `bytes`. */
#define STORE__COLS_ROLLUP(X)                                                                      \
	X(provider, KEY, text, r->key.provider)                                                    \
	X(alias, KEY, text, r->key.alias)                                                          \
	X(source, KEY, text, store__source_name(r->key.source))                                    \
	X(start_ms, KEY, int, r->start_ms)                                                         \
	X(requests, SET, real, r->requests)                                                        \
	X(errors, SET, real, r->errors)                                                            \
	X(flags, SET, int, (int64_t)r->flags)                                                      \
	X(model, SET, text_opt, r->model)                                                          \
	X(data, SET, blob, ((struct store__blob){ bytes + r->off, r->len }))

/* baseline_models: r is a struct store__model_row, its bytes at `bytes`. */
#define STORE__COLS_BASELINE_MODELS(X)                                                             \
	X(provider, KEY, text, r->key.provider)                                                    \
	X(alias, KEY, text, r->key.alias)                                                          \
	X(source, KEY, text, store__source_name(r->key.source))                                    \
	X(refreshed_ms, SET, int_opt, r->refreshed_ms)                                             \
	X(learned_ms, SET, int_opt, r->learned_ms)                                                 \
	X(refreshes, SET, int, r->refreshes)                                                       \
	X(review, SET, int, r->review)                                                             \
	X(updated_ms, SET, int, r->updated_ms)                                                     \
	X(model, SET, blob, ((struct store__blob){ bytes + r->off, r->len }))

/* baseline_reviews: r is a struct pipeline_review. */
#define STORE__COLS_BASELINE_REVIEWS(X)                                                            \
	X(id, KEY, int, r->id)                                                                     \
	X(provider, NEW, text, r->series.provider)                                                 \
	X(alias, NEW, text, r->series.alias)                                                       \
	X(source, NEW, text, store__source_name(r->series.source))                                 \
	X(metric, NEW, text, store__review_metric_name(&r->review))                                \
	X(delta, NEW, real, store__review_delta(&r->review))                                       \
	X(z, NEW, real, r->review.z)                                                               \
	X(at_ms, NEW, int, r->review.at_ms)                                                        \
	X(created_ms, NEW, int, r->review.created_ms)                                              \
	X(near_marker, NEW, int, r->review.near_marker)                                            \
	X(model, NEW, text_opt, r->review.model)                                                   \
	X(detail, NEW, text, r->text)                                                              \
	X(state, SET, text, pipeline_review_state_name(r->state))                                  \
	X(actor, SET, text_opt, r->actor)                                                          \
	X(decided_ms, SET, int_opt, r->decided_ms)

/* ---- generating the SQL (store_columns.c) --------------------------------------------- */

enum store__role { STORE__NEW, STORE__KEY, STORE__SET, STORE__ADD, STORE__KEEP };

struct store__col {
	const char *name;
	enum store__role role;
};

/* The column descriptions of a list, as an array and its length (an
 * initializer pair for a const struct store__col * and a size_t). */
#define STORE__COL(column, role, kind, value) { #column, STORE__##role },
#define STORE__COLS(LIST)                                                                          \
	(const struct store__col[]){ LIST(STORE__COL) },                                           \
	        sizeof((const struct store__col[]){ LIST(STORE__COL) }) /                          \
	                sizeof(struct store__col)

/*
 * The statement that writes one row of `table` (placeholders ?1..?n in list
 * order). verb "INSERT", "INSERT OR IGNORE", "INSERT OR REPLACE": an insert,
 * with "ON CONFLICT (keys) DO UPDATE SET ..." from the roles when a column
 * is a KEY ("DO NOTHING" when none is SET, ADD or KEEP); verb "UPDATE":
 * "UPDATE table SET (SET columns) WHERE (KEY columns)". Returns 0, or
 * VG_ERANGE when buf is too small.
 */
int store__sql_write(char *buf, size_t size, const char *verb, const char *table,
                     const struct store__col *cols, size_t n);

/* "SELECT (every column) FROM table tail" (tail may be ""). 0 or VG_ERANGE. */
int store__sql_select(char *buf, size_t size, const char *table, const struct store__col *cols,
                      size_t n, const char *tail);

/* ---- binding and reading one value -------------------------------------------------- */

/* The kinds of value (NULL is how the schema says "not measured"):
 *   int       INTEGER, always            int_opt   NULL when VG_NONE
 *   int_pos   NULL when negative         int_id    NULL unless > 0 (reads 0)
 *   uint      an unsigned 64-bit value stored as INTEGER
 *   real      REAL, always               real_opt  NULL when NaN
 *   text      TEXT, always (a char array when read)
 *   text_opt  NULL when NULL or ""  (a char array when read; "" for NULL)
 *   name_opt  a static name (never ""), NULL when NULL
 *   str       TEXT, always (a malloc'd char * when read)
 *   str_opt   NULL when NULL or ""  (a malloc'd char * or NULL when read)
 *   blob      a struct store__blob
 *   category, subtype, severity, incident_state, breaker_state,
 *   outbox_state, action: an enum stored by its name (an unknown name reads
 *   as the default named in STORE__GET_<kind>). */

struct store__blob {
	const void *p;
	size_t n;
};

static inline void store__bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

static inline void store__bind_int_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (vg_has(v))
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static inline void store__bind_int_pos(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static inline void store__bind_int_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static inline void store__bind_uint(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (int64_t)v);
}

static inline void store__bind_real(sqlite3_stmt *st, int i, double v)
{
	sqlite3_bind_double(st, i, v);
}

static inline void store__bind_real_opt(sqlite3_stmt *st, int i, double v)
{
	if (vg_has_d(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static inline void store__bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static inline void store__bind_text_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static inline void store__bind_name_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static inline void store__bind_str(sqlite3_stmt *st, int i, const char *s)
{
	store__bind_text(st, i, s);
}

static inline void store__bind_str_opt(sqlite3_stmt *st, int i, const char *s)
{
	store__bind_text_opt(st, i, s);
}

static inline void store__bind_blob(sqlite3_stmt *st, int i, struct store__blob b)
{
	sqlite3_bind_blob(st, i, b.p, (int)b.n, SQLITE_STATIC);
}

static inline void store__bind_category(sqlite3_stmt *st, int i, enum category v)
{
	store__bind_text(st, i, model_category_name(v));
}

static inline void store__bind_subtype(sqlite3_stmt *st, int i, enum subtype v)
{
	store__bind_text(st, i, model_subtype_name(v));
}

static inline void store__bind_severity(sqlite3_stmt *st, int i, enum severity v)
{
	store__bind_text(st, i, model_severity_name(v));
}

static inline void store__bind_incident_state(sqlite3_stmt *st, int i, enum incident_state v)
{
	store__bind_text(st, i, incident_state_name(v));
}

static inline void store__bind_breaker_state(sqlite3_stmt *st, int i, enum breaker_state v)
{
	store__bind_text(st, i, model_breaker_state_name(v));
}

static inline void store__bind_outbox_state(sqlite3_stmt *st, int i, enum outbox_state v)
{
	store__bind_text(st, i, store_outbox_state_name(v));
}

static inline void store__bind_action(sqlite3_stmt *st, int i, enum action_kind v)
{
	store__bind_text(st, i, action_name(v));
}

/* Bind every column of a list from the row `r` in scope, to `stmt`. */
#define STORE__BIND_COLUMN(column, role, kind, value) store__bind_##kind(st_, ++i_, (value));
#define STORE__BIND_ROW(stmt, LIST)                                                                \
	do {                                                                                       \
		sqlite3_stmt *st_ = (stmt);                                                        \
		int i_ = 0;                                                                        \
		LIST(STORE__BIND_COLUMN)                                                           \
	} while (0)

static inline const char *store__col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : NULL;
}

static inline int64_t store__col_int_or(sqlite3_stmt *st, int i, int64_t dflt)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static inline void store__get_text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const char *t = store__col_text(st, i);
	model_copy_str(dst, size, t ? t : "", (size_t)-1);
}

static inline char *store__get_dup(sqlite3_stmt *st, int i)
{
	const char *t = store__col_text(st, i);
	return t ? strdup(t) : NULL;
}

static inline int store__parse_or(int v, int dflt)
{
	return v < 0 ? dflt : v;
}

/* Read column i of `st` into the lvalue v, by kind. A malloc'd string is
 * NULL when out of memory as when the column is NULL. */
#define STORE__GET_int(st, i, v)     (v) = sqlite3_column_int64(st, i)
#define STORE__GET_int_opt(st, i, v) (v) = store__col_int_or(st, i, VG_NONE)
#define STORE__GET_int_pos(st, i, v) (v) = store__col_int_or(st, i, -1)
#define STORE__GET_int_id(st, i, v)  (v) = store__col_int_or(st, i, 0)
#define STORE__GET_uint(st, i, v)    (v) = (uint64_t)sqlite3_column_int64(st, i)
#define STORE__GET_real(st, i, v)    (v) = sqlite3_column_double(st, i)
#define STORE__GET_real_opt(st, i, v)                                                              \
	(v) = sqlite3_column_type(st, i) == SQLITE_NULL ? VG_NONE_D : sqlite3_column_double(st, i)
#define STORE__GET_text(st, i, v)     store__get_text(st, i, (v), sizeof(v))
#define STORE__GET_text_opt(st, i, v) store__get_text(st, i, (v), sizeof(v))
#define STORE__GET_name_opt(st, i, v) store__get_text(st, i, (v), sizeof(v))
#define STORE__GET_str(st, i, v)      (v) = store__get_dup(st, i)
#define STORE__GET_str_opt(st, i, v)  (v) = store__get_dup(st, i)
#define STORE__GET_category(st, i, v)                                                              \
	(v) = (enum category)store__parse_or(                                                      \
	        model_category_parse(store__col_text(st, i), (size_t)-1), CAT_MONITOR)
#define STORE__GET_subtype(st, i, v)                                                               \
	(v) = (enum subtype)store__parse_or(                                                       \
	        model_subtype_parse(store__col_text(st, i), (size_t)-1), SUB_PROVIDER_OTHER)
#define STORE__GET_severity(st, i, v)                                                              \
	(v) = (enum severity)store__parse_or(                                                      \
	        model_severity_parse(store__col_text(st, i), (size_t)-1), SEV_LOW)
#define STORE__GET_incident_state(st, i, v)                                                        \
	(v) = (enum incident_state)store__parse_or(                                                \
	        incident_state_parse(store__col_text(st, i), (size_t)-1), INC_OPEN)
#define STORE__GET_outbox_state(st, i, v)                                                          \
	(v) = (enum outbox_state)store__parse_or(store_outbox_state_parse(store__col_text(st, i)), \
	                                         OUTBOX_PENDING)
#define STORE__GET_action(st, i, v)                                                                \
	(v) = (enum action_kind)store__parse_or(action_parse(store__col_text(st, i)), ACTION_NOTE)

/* Read every column of a list (selected in list order) into the row `r`
 * in scope, from `stmt`. */
#define STORE__GET_COLUMN(column, role, kind, value) STORE__GET_##kind(st_, i_, value), i_++;
#define STORE__GET_ROW(stmt, LIST)                                                                 \
	do {                                                                                       \
		sqlite3_stmt *st_ = (stmt);                                                        \
		int i_ = 0;                                                                        \
		LIST(STORE__GET_COLUMN)                                                            \
	} while (0)

/* ---- small helpers the lists use -------------------------------------------------- */

/* "gateway" or "probe". */
static inline const char *store__source_name(enum obs_source s)
{
	return s == OBS_PROBE ? "probe" : "gateway";
}

/* A review's metric name and the (ln) size of its step. */
static inline const char *store__review_metric_name(const struct baseline_review *rv)
{
	return rv->metric >= 0 && rv->metric < BM__COUNT
	               ? baseline_metric_name((enum baseline_metric)rv->metric)
	               : "unknown";
}

static inline double store__review_delta(const struct baseline_review *rv)
{
	return rv->metric >= 0 && rv->metric < BM__COUNT ? rv->delta[rv->metric] : 0;
}

/* The minute (ms) that t (ms) falls in. */
static inline int64_t store__minute_of(int64_t t)
{
	return t - (t % 60000 + 60000) % 60000;
}

/* The error share the console shows as "other": transport, account, client
 * and other errors summed (NaN when none is measured). */
static inline double store__health_other_errors(const struct health_numbers *h)
{
	static const int others[] = { HE_TRANSPORT, HE_ACCOUNT, HE_CLIENT, HE_OTHER };
	double other = VG_NONE_D;
	for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++)
		if (vg_has_d(h->err_rate[others[k]]))
			other = (vg_has_d(other) ? other : 0) + h->err_rate[others[k]];
	return other;
}

#endif
