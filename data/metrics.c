/*
 * metrics.c: the registry, the text-format renderer and the /metrics
 * handler. A family keeps its series in an array plus a small hash index
 * over the joined label values ("v1\xffv2"); rendering sorts a copy of the
 * series pointers by that key.
 */
#include "data/metrics.h"

#include "core/redact.h"

#include "core/vgerr.h"
#include "core/vgmem.h"
#include "net/httpd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOOKS 16

struct series {
	char *key;         /* label values joined by \xff */
	char **values;     /* n_labels strings */
	double value;      /* counter, gauge; histogram sum */
	uint64_t count;    /* histogram */
	uint64_t *buckets; /* histogram: cumulative counts per bucket */
	struct series *hnext;
};

struct metric_family {
	struct metrics *m;
	char *name, *help;
	enum metric_type type;
	char *labels[METRICS_MAX_LABELS];
	size_t n_labels;
	double *bounds;
	size_t n_bounds;
	struct series **v;
	size_t n, cap;
	struct series **hash; /* n_hash slots */
	size_t n_hash;
};

struct metrics {
	struct metric_family **fams;
	size_t n, cap;
	struct {
		metrics_collect_cb cb;
		void *data;
	} hooks[MAX_HOOKS];
	size_t n_hooks;
	uint64_t scrapes;
	const struct redact *redact; /* label values masked of API keys (borrowed) */
};

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

static void series_free(struct series *s, size_t n_labels)
{
	if (!s)
		return;
	for (size_t i = 0; i < n_labels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
	free(s->key);
	free(s);
}

static void family_free(struct metric_family *f)
{
	metrics_clear(f);
	free(f->v);
	free(f->hash);
	for (size_t i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		family_free(m->fams[i]);
	free(m->fams);
	free(m);
}

static bool valid_name(const char *s, bool colon)
{
	if (!s || !s[0])
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		          (colon && c == ':') || (p != s && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

struct metric_family *metrics_find(struct metrics *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->fams[i]->name, name) == 0)
			return m->fams[i];
	return NULL;
}

static bool same_shape(const struct metric_family *f, enum metric_type type,
                       const char *const *labels, size_t n_labels)
{
	if (f->type != type || f->n_labels != n_labels)
		return false;
	for (size_t i = 0; i < n_labels; i++)
		if (strcmp(f->labels[i], labels[i]) != 0)
			return false;
	return true;
}

static struct metric_family *reg(struct metrics *m, const char *name, const char *help,
                                 enum metric_type type, const char *const *labels,
                                 const double *buckets, size_t n_buckets)
{
	size_t n_labels = 0;
	if (!valid_name(name, true))
		return NULL;
	while (labels && labels[n_labels]) {
		const char *l = labels[n_labels];
		if (!valid_name(l, false) || strncmp(l, "__", 2) == 0 ||
		    (type == METRIC_HISTOGRAM && strcmp(l, "le") == 0))
			return NULL;
		if (++n_labels > METRICS_MAX_LABELS)
			return NULL;
	}
	struct metric_family *f = metrics_find(m, name);
	if (f)
		return same_shape(f, type, labels, n_labels) ? f : NULL;
	for (size_t i = 1; i < n_buckets; i++)
		if (!(buckets[i] > buckets[i - 1]))
			return NULL;
	if (vg_grow((void **)&m->fams, &m->cap, m->n + 1, sizeof(*m->fams), 32) != 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->m = m;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->n_hash = 64;
	f->hash = calloc(f->n_hash, sizeof(*f->hash));
	bool bad = !f->name || !f->help || !f->hash;
	for (size_t i = 0; i < n_labels && !bad; i++) {
		f->labels[i] = strdup(labels[i]);
		bad = !f->labels[i];
		f->n_labels = i + 1;
	}
	if (!bad && n_buckets) {
		f->bounds = malloc(n_buckets * sizeof(double));
		bad = !f->bounds;
		if (!bad) {
			memcpy(f->bounds, buckets, n_buckets * sizeof(double));
			f->n_bounds = n_buckets;
		}
	}
	if (bad) {
		family_free(f);
		return NULL;
	}
	m->fams[m->n++] = f;
	return f;
}

struct metric_family *metrics_counter(struct metrics *m, const char *name, const char *help,
                                      const char *const *labels)
{
	return reg(m, name, help, METRIC_COUNTER, labels, NULL, 0);
}

struct metric_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
                                    const char *const *labels)
{
	return reg(m, name, help, METRIC_GAUGE, labels, NULL, 0);
}

struct metric_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
                                        const char *const *labels, const double *buckets,
                                        size_t n_buckets)
{
	return reg(m, name, help, METRIC_HISTOGRAM, labels, buckets, n_buckets);
}

/* The joined key of label values into a malloc'd string. */
static char *join(const struct metric_family *f, const char *const *values)
{
	size_t len = 1;
	for (size_t i = 0; i < f->n_labels; i++)
		len += strlen(values && values[i] ? values[i] : "") + 1;
	char *k = malloc(len);
	if (!k)
		return NULL;
	size_t at = 0;
	for (size_t i = 0; i < f->n_labels; i++) {
		const char *v = values && values[i] ? values[i] : "";
		size_t n = strlen(v);
		memcpy(k + at, v, n);
		at += n;
		k[at++] = '\xff';
	}
	k[at] = '\0';
	return k;
}

static size_t hash_of(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % n;
}

static struct series *lookup(const struct metric_family *f, const char *key)
{
	for (struct series *s = f->hash[hash_of(key, f->n_hash)]; s; s = s->hnext)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

static void rehash(struct metric_family *f)
{
	size_t n = f->n_hash * 4;
	struct series **h = calloc(n, sizeof(*h));
	if (!h)
		return; /* keep the smaller table: slower, still correct */
	for (size_t i = 0; i < f->n; i++) {
		struct series *s = f->v[i];
		size_t b = hash_of(s->key, n);
		s->hnext = h[b];
		h[b] = s;
	}
	free(f->hash);
	f->hash = h;
	f->n_hash = n;
}

static struct series *get(struct metric_family *f, const char *const *values)
{
	char *key = join(f, values);
	if (!key)
		return NULL;
	struct series *s = lookup(f, key);
	if (s) {
		free(key);
		return s;
	}
	if (vg_grow((void **)&f->v, &f->cap, f->n + 1, sizeof(*f->v), 8) != 0) {
		free(key);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(key);
		return NULL;
	}
	s->key = key;
	s->values = calloc(f->n_labels ? f->n_labels : 1, sizeof(char *));
	bool bad = !s->values;
	for (size_t i = 0; i < f->n_labels && !bad; i++) {
		s->values[i] = strdup(values && values[i] ? values[i] : "");
		bad = !s->values[i];
		/* a label value is a gateway's name for something: never a key */
		if (!bad)
			redact_str(f->m->redact, s->values[i]);
	}
	if (!bad && f->type == METRIC_HISTOGRAM) {
		s->buckets = calloc(f->n_bounds ? f->n_bounds : 1, sizeof(uint64_t));
		bad = !s->buckets;
	}
	if (bad) {
		series_free(s, f->n_labels);
		return NULL;
	}
	f->v[f->n++] = s;
	size_t b = hash_of(key, f->n_hash);
	s->hnext = f->hash[b];
	f->hash[b] = s;
	if (f->n > f->n_hash * 2)
		rehash(f);
	return s;
}

int metrics_add(struct metric_family *f, const char *const *values, double v)
{
	if (!f || f->type == METRIC_HISTOGRAM || isnan(v) || (f->type == METRIC_COUNTER && v < 0))
		return VG_EINVAL;
	struct series *s = get(f, values);
	if (!s)
		return VG_ENOMEM;
	s->value += v;
	return 0;
}

int metrics_inc(struct metric_family *f, const char *const *values)
{
	return metrics_add(f, values, 1);
}

int metrics_set(struct metric_family *f, const char *const *values, double v)
{
	if (!f || f->type == METRIC_HISTOGRAM)
		return VG_EINVAL;
	struct series *s = get(f, values);
	if (!s)
		return VG_ENOMEM;
	s->value = v;
	return 0;
}

int metrics_observe(struct metric_family *f, const char *const *values, double v)
{
	if (!f || f->type != METRIC_HISTOGRAM || isnan(v))
		return VG_EINVAL;
	struct series *s = get(f, values);
	if (!s)
		return VG_ENOMEM;
	s->count++;
	s->value += v;
	for (size_t i = 0; i < f->n_bounds; i++)
		if (v <= f->bounds[i])
			s->buckets[i]++;
	return 0;
}

double metrics_value(const struct metric_family *f, const char *const *values)
{
	char *key = join(f, values);
	if (!key)
		return NAN;
	const struct series *s = lookup(f, key);
	free(key);
	return s ? s->value : NAN;
}

/* Unlink and free the series of `key` (the values as given, before masking). */
static int drop(struct metric_family *f, const char *key)
{
	size_t b = hash_of(key, f->n_hash);
	struct series **pp = &f->hash[b];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->hnext;
	struct series *s = *pp;
	if (!s)
		return VG_ENOTFOUND;
	*pp = s->hnext;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i] == s) {
			memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(*f->v));
			f->n--;
			break;
		}
	series_free(s, f->n_labels);
	return 0;
}

int metrics_remove(struct metric_family *f, const char *const *values)
{
	char *key = join(f, values);
	if (!key)
		return VG_ENOMEM;
	int rc = drop(f, key);
	free(key);
	return rc;
}

void metrics_clear(struct metric_family *f)
{
	for (size_t i = 0; i < f->n; i++)
		series_free(f->v[i], f->n_labels);
	f->n = 0;
	if (f->hash)
		memset(f->hash, 0, f->n_hash * sizeof(*f->hash));
}

int metrics_fold(struct metric_family *f, const char *label, const char *from, const char *to)
{
	size_t li = 0;
	while (li < f->n_labels && strcmp(f->labels[li], label) != 0)
		li++;
	if (li == f->n_labels || strcmp(from, to) == 0)
		return VG_EINVAL;
	/* stored values are masked (get()): compare with `from` masked the same way */
	char *masked = strdup(from);
	if (!masked)
		return VG_ENOMEM;
	redact_str(f->m->redact, masked);
	int folded = 0;
	for (size_t i = 0; i < f->n;) {
		struct series *s = f->v[i];
		if (strcmp(s->values[li], masked) != 0) {
			i++;
			continue;
		}
		if (f->type != METRIC_GAUGE) {
			const char *vals[METRICS_MAX_LABELS];
			for (size_t k = 0; k < f->n_labels; k++)
				vals[k] = k == li ? to : s->values[k];
			struct series *t = get(f, vals); /* appends: f->v[i] stays s */
			if (!t) {
				free(masked);
				return VG_ENOMEM;
			}
			t->value += s->value;
			t->count += s->count;
			for (size_t b = 0; b < f->n_bounds && s->buckets; b++)
				t->buckets[b] += s->buckets[b];
		}
		drop(f, s->key); /* f->v[i] is the next */
		folded++;
	}
	free(masked);
	return folded;
}

int metrics_on_collect(struct metrics *m, metrics_collect_cb cb, void *data)
{
	if (m->n_hooks == MAX_HOOKS)
		return VG_EFULL;
	m->hooks[m->n_hooks].cb = cb;
	m->hooks[m->n_hooks].data = data;
	m->n_hooks++;
	return 0;
}

/* ---- rendering ------------------------------------------------------------ */

size_t metrics_escape_label(const char *value, char *buf, size_t size)
{
	size_t at = 0;
	for (const char *p = value; *p; p++) {
		const char *rep = NULL;
		if (*p == '\\')
			rep = "\\\\";
		else if (*p == '"')
			rep = "\\\"";
		else if (*p == '\n')
			rep = "\\n";
		size_t n = rep ? 2 : 1;
		if (at + n < size) {
			if (rep)
				memcpy(buf + at, rep, 2);
			else
				buf[at] = *p;
		}
		at += n;
	}
	if (size)
		buf[at < size ? at : size - 1] = '\0';
	return at;
}

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (vg_grow((void **)&o->buf, &o->cap, o->len + n + 1, 1, 4096) != 0) {
		o->oom = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The shortest text that reads back as the same double. */
static void fmt_double(double v, char *b, size_t size)
{
	if (isnan(v)) {
		snprintf(b, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(b, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(b, size, "%.0f", v);
		return;
	}
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(b, size, "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			return;
	}
}

static void put_value(struct out *o, double v)
{
	char b[64];
	fmt_double(v, b, sizeof(b));
	puts_(o, b);
}

static void put_escaped(struct out *o, const char *v, bool help)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\')
			put(o, "\\\\", 2);
		else if (*p == '\n')
			put(o, "\\n", 2);
		else if (*p == '"' && !help)
			put(o, "\\\"", 2);
		else
			put(o, p, 1);
	}
}

/* name{l1="v1",...,extra} */
static void put_series_name(struct out *o, const struct metric_family *f, const struct series *s,
                            const char *suffix, const char *le)
{
	puts_(o, f->name);
	puts_(o, suffix);
	if (!f->n_labels && !le)
		return;
	put(o, "{", 1);
	for (size_t i = 0; i < f->n_labels; i++) {
		if (i)
			put(o, ",", 1);
		puts_(o, f->labels[i]);
		put(o, "=\"", 2);
		put_escaped(o, s->values[i], false);
		put(o, "\"", 1);
	}
	if (le) {
		if (f->n_labels)
			put(o, ",", 1);
		puts_(o, "le=\"");
		puts_(o, le);
		put(o, "\"", 1);
	}
	put(o, "}", 1);
}

static int cmp_series(const void *a, const void *b)
{
	const struct series *x = *(const struct series *const *)a;
	const struct series *y = *(const struct series *const *)b;
	return strcmp(x->key, y->key);
}

static void render_family(struct out *o, const struct metric_family *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	puts_(o, "# HELP ");
	puts_(o, f->name);
	put(o, " ", 1);
	put_escaped(o, f->help, true);
	puts_(o, "\n# TYPE ");
	puts_(o, f->name);
	put(o, " ", 1);
	puts_(o, types[f->type]);
	put(o, "\n", 1);
	if (!f->n)
		return;
	struct series **sorted = malloc(f->n * sizeof(*sorted));
	if (!sorted) {
		o->oom = true;
		return;
	}
	memcpy(sorted, f->v, f->n * sizeof(*sorted));
	qsort(sorted, f->n, sizeof(*sorted), cmp_series);
	for (size_t i = 0; i < f->n; i++) {
		const struct series *s = sorted[i];
		if (f->type != METRIC_HISTOGRAM) {
			put_series_name(o, f, s, "", NULL);
			put(o, " ", 1);
			put_value(o, s->value);
			put(o, "\n", 1);
			continue;
		}
		for (size_t b = 0; b <= f->n_bounds; b++) {
			char le[64];
			if (b == f->n_bounds)
				snprintf(le, sizeof(le), "+Inf");
			else
				fmt_double(f->bounds[b], le, sizeof(le));
			put_series_name(o, f, s, "_bucket", le);
			put(o, " ", 1);
			put_value(o, (double)(b == f->n_bounds ? s->count : s->buckets[b]));
			put(o, "\n", 1);
		}
		put_series_name(o, f, s, "_sum", NULL);
		put(o, " ", 1);
		put_value(o, s->value);
		put(o, "\n", 1);
		put_series_name(o, f, s, "_count", NULL);
		put(o, " ", 1);
		put_value(o, (double)s->count);
		put(o, "\n", 1);
	}
	free(sorted);
}

char *metrics_render(struct metrics *m, size_t *len)
{
	for (size_t i = 0; i < m->n_hooks; i++)
		m->hooks[i].cb(m->hooks[i].data, m);
	struct out o = { 0 };
	put(&o, "", 0);
	for (size_t i = 0; i < m->n; i++)
		render_family(&o, m->fams[i]);
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}

/* ---- /metrics ---------------------------------------------------------------- */

static void on_request(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	struct metrics *m = data;
	const char *ct = "text/plain; charset=utf-8";
	if (strcmp(req->path, "/metrics") != 0) {
		static const char msg[] = "not found: vigil serves /metrics\n";
		httpd_respond(reply, 404, ct, msg, sizeof(msg) - 1, NULL, 0);
		return;
	}
	bool head = strcmp(req->method, "HEAD") == 0;
	if (!head && strcmp(req->method, "GET") != 0) {
		static const char msg[] = "method not allowed\n";
		const char *allow[] = { "Allow: GET, HEAD" };
		httpd_respond(reply, 405, ct, msg, sizeof(msg) - 1, allow, 1);
		return;
	}
	size_t len = 0;
	char *text = metrics_render(m, &len);
	if (!text) {
		static const char msg[] = "out of memory\n";
		httpd_respond(reply, 500, ct, msg, sizeof(msg) - 1, NULL, 0);
		return;
	}
	m->scrapes++;
	httpd_respond(reply, 200, "text/plain; version=0.0.4; charset=utf-8", text, head ? 0 : len,
	              NULL, 0);
	free(text);
}

int metrics_serve(struct metrics *m, uv_loop_t *loop, const char *host, int port,
                  struct httpd **out, char **cause)
{
	return httpd_start(loop, host, port, on_request, m, out, cause);
}

uint64_t metrics_scrapes(const struct metrics *m)
{
	return m->scrapes;
}

void metrics_set_redact(struct metrics *m, const struct redact *r)
{
	m->redact = r;
}
