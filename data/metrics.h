/*
 * metrics.h: a registry of Prometheus metric families (counters, gauges,
 * histograms with labels) that any module updates, rendered in the
 * Prometheus text exposition format (version 0.0.4) and served on /metrics
 * over HTTP on the loop (net/httpd).
 *
 * A family is registered once (metrics_counter(), metrics_gauge(),
 * metrics_histogram()) and returns a handle; registering the same name again
 * with the same type and label names returns the same handle, so modules can
 * register what they use without coordinating. Series are created on first
 * use with their label values (in the order of the label names). Label
 * values are escaped as the format requires (backslash, double quote, line
 * feed); HELP text too. Rendering is deterministic: families in
 * registration order, series sorted by label values.
 *
 * Collect hooks (metrics_on_collect()) run just before each render, for
 * gauges computed from live state (open incidents, queue depths, health).
 *
 * Names follow Prometheus conventions: base units (seconds, bytes, USD as
 * "usd"), counters end in _total, ratios in _ratio. Never put a secret in a
 * label value or HELP text.
 *
 * Threads: loop thread only.
 */
#ifndef VIGIL_DATA_METRICS_H
#define VIGIL_DATA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct metrics;
struct metric_family;
struct httpd;

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRICS_MAX_LABELS 8

/* A new, empty registry (NULL when out of memory). */
struct metrics *metrics_new(void);

/* Mask API keys (core/redact) in label values as series are created; `r` is
 * borrowed and must outlive the registry (NULL, the default: the usual key
 * shapes only). */
struct redact;
void metrics_set_redact(struct metrics *m, const struct redact *r);

/* Free the registry and its families (stop its server first); NULL does nothing. */
void metrics_free(struct metrics *m);

/*
 * Register (or find) a family. `labels` is a NULL-terminated list of label
 * names (may be NULL for none; at most METRICS_MAX_LABELS). Returns the
 * handle, or NULL when the name or a label name is invalid, the name is taken
 * by a family of another type or other labels, or memory runs out.
 * Histogram buckets are upper bounds in increasing order (+Inf is implied).
 */
struct metric_family *metrics_counter(struct metrics *m, const char *name, const char *help,
                                      const char *const *labels);
struct metric_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
                                    const char *const *labels);
struct metric_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                        const char *const *labels, const double *buckets,
                                        size_t n_buckets);

/*
 * Update a series. `values` holds one value per label name, in order (NULL
 * when the family has no labels; a NULL value counts as ""). Counters only
 * go up: metrics_add() of a negative value to a counter is ignored and
 * returns VG_EINVAL. metrics_set() is for gauges (and counters mirrored from
 * a cumulative source). metrics_observe() is for histograms. Return 0,
 * VG_EINVAL (wrong type, NaN to a counter), or VG_ENOMEM (nothing changed).
 */
int metrics_add(struct metric_family *f, const char *const *values, double v);
int metrics_inc(struct metric_family *f, const char *const *values);
int metrics_set(struct metric_family *f, const char *const *values, double v);
int metrics_observe(struct metric_family *f, const char *const *values, double v);

/* The current value of a counter or gauge series; NaN when it does not exist. */
double metrics_value(const struct metric_family *f, const char *const *values);

/* Drop one series (VG_ENOTFOUND when absent), or every series of a family. */
int metrics_remove(struct metric_family *f, const char *const *values);
void metrics_clear(struct metric_family *f);

/*
 * Fold every series whose label `label` has the value `from` into the series
 * with `to` there and the same other values (created when missing), and drop
 * it: counters and histograms add up (value, or buckets, sum and count), so
 * sums over the label are unchanged and counters never go down; gauges are
 * only dropped (a gauge's sum means nothing). For label caps (data/
 * metrics_cap.h): a value that loses its series goes to "other". Returns the
 * number of series folded, or VG_EINVAL (no such label, or from equals to),
 * or VG_ENOMEM (series folded so far stay folded; none is lost).
 */
int metrics_fold(struct metric_family *f, const char *label, const char *from, const char *to);

/* The family registered under `name`, or NULL. */
struct metric_family *metrics_find(struct metrics *m, const char *name);

/* A hook run before every render (at most 16); returns 0, VG_EFULL. */
typedef void (*metrics_collect_cb)(void *data, struct metrics *m);
int metrics_on_collect(struct metrics *m, metrics_collect_cb cb, void *data);

/* Render every family in the text format. Returns a malloc'd NUL-terminated
 * text (caller frees; length in *len when len is not NULL), or NULL when out
 * of memory. Runs the collect hooks first. */
char *metrics_render(struct metrics *m, size_t *len);

/* Escape a label value into buf (backslash, double quote, line feed); returns
 * the length the escaped text needs (like snprintf). */
size_t metrics_escape_label(const char *value, char *buf, size_t size);

/*
 * Serve GET /metrics (and HEAD) on host:port on `loop` (port 0 picks a free
 * port: read it with httpd_port()). Other paths get 404, other methods 405.
 * Returns 0 and *out (close it with httpd_close() before metrics_free()), or
 * VG_EINVAL / VG_EIO with a malloc'd message in *cause (caller frees).
 */
int metrics_serve(struct metrics *m, uv_loop_t *loop, const char *host, int port,
                  struct httpd **out, char **cause);

/* Scrapes served so far. */
uint64_t metrics_scrapes(const struct metrics *m);

#endif
