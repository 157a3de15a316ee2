/*
 * config.c: the vigil.yaml loader (libfyaml); the tables of its sections are
 * in config_keys.c, the option structs filled from a config in
 * config_options.c.
 *
 * config_load() reads the file (text only: a NUL byte or invalid UTF-8 is an
 * error, and so is a second YAML document), parses it, then walks it against
 * the root table; every node it visits is checked against the field it lands
 * in, and YAML aliases and non-standard tags (!!python/object) are refused.
 * The walk remembers where each key path stood, so the checks across fields
 * that run after it still point at the line. The first error stops the walk
 * and comes back as "file:line:col: key.path: reason".
 */
#include "app/config.h"

#include "app/config_internal.h"
#include "app/metrics_genai.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"
#include "data/sinks.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the walker ---------------------------------------------------------- */

/* Where a key path stood in the file: its value, or its key when the value
 * is a list or a mapping (libfyaml marks only tokens). */
struct pos {
	char *path;
	int line, col;
};

struct walk {
	const char *file;
	char *cause; /* set on the first error */
	struct pos *pos;
	size_t npos, cap;
};

static int node_line(struct fy_node *n, int *col)
{
	/* a tagged node stands where its tag does */
	struct fy_token *t = n ? fy_node_get_tag_token(n) : NULL;
	if (!t && n)
		t = fy_node_get_scalar_token(n);
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	if (!m) {
		*col = 0;
		return 0;
	}
	*col = m->column + 1;
	return m->line + 1;
}

/* Remember where `path` stood: at `n` (a scalar), else at `key`. Out of
 * memory only costs the position. */
static void remember(struct walk *w, const char *path, struct fy_node *n, struct fy_node *key)
{
	int col, line = node_line(n, &col);
	if (line == 0)
		line = node_line(key, &col);
	if (line == 0 || vg_grow((void **)&w->pos, &w->cap, w->npos + 1, sizeof(*w->pos), 32) != 0)
		return;
	char *copy = strdup(path);
	if (copy)
		w->pos[w->npos++] = (struct pos){ copy, line, col };
}

static int find_line(const struct walk *w, const char *path, int *col)
{
	for (size_t i = w->npos; i-- > 0;) {
		if (strcmp(w->pos[i].path, path) == 0) {
			*col = w->pos[i].col;
			return w->pos[i].line;
		}
	}
	*col = 0;
	return 0;
}

/* Records an error at `at` (a node of the file), or, with `at` NULL, where
 * the walk saw `path` (a check across fields); for key path `path`. */
__attribute__((format(printf, 4, 5))) static int err(struct walk *w, struct fy_node *at,
                                                     const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int col;
	int line = at ? node_line(at, &col) : find_line(w, path, &col);
	free(w->cause);
	if (line > 0)
		vg_cause(&w->cause, VG_ECONFIG, "%s:%d:%d: %s: %s", w->file, line, col, path, msg);
	else
		vg_cause(&w->cause, VG_ECONFIG, "%s: %s: %s", w->file, path, msg);
	return w->cause ? VG_ECONFIG : VG_ENOMEM;
}

static const char *type_name(struct fy_node *n)
{
	switch (fy_node_get_type(n)) {
	case FYNT_SCALAR: return "a scalar";
	case FYNT_SEQUENCE: return "a list";
	case FYNT_MAPPING: return "a mapping";
	}
	return "unknown";
}

static int walk_map(struct walk *w, struct fy_node *map, struct fy_node *key_node,
                    const struct cfg_field *fields, void *base, const char *path);

/* The tags of YAML's core schema ("!!str", ...), which change nothing here. */
static bool core_tag(const char *t, size_t len)
{
	static const char *const ok[] = { "str", "int", "float", "bool", "null", "seq", "map" };
	const char *prefixes[] = { "tag:yaml.org,2002:", "!!" };
	for (size_t p = 0; p < 2; p++) {
		size_t pl = strlen(prefixes[p]);
		if (len <= pl || memcmp(t, prefixes[p], pl) != 0)
			continue;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (len - pl == strlen(ok[i]) && memcmp(t + pl, ok[i], len - pl) == 0)
				return true;
	}
	return false;
}

/* A node vigil reads as it stands: no alias (vigil.yaml is small; write
 * the value out: an alias read as text would be the anchor's name, and
 * resolving them invites the "billion laughs"), no application tag. */
static int plain_node(struct walk *w, struct fy_node *n, struct fy_node *key, const char *path)
{
	if (!n)
		return 0;
	if (fy_node_is_alias(n)) {
		size_t len = 0;
		const char *a = fy_node_get_scalar(n, &len);
		return err(w, n, path,
		           "YAML aliases are not supported ('*%.*s'): write the value out",
		           (int)(a ? len : 0), a ? a : "");
	}
	size_t tl = 0;
	const char *tag = fy_node_get_tag(n, &tl);
	if (tag && !core_tag(tag, tl)) {
		return err(w, n, path, "YAML tag '%.*s' is not supported", (int)tl, tag);
	}
	return 0;
}

static bool parse_i64(const char *s, size_t len, int64_t *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_f64(const char *s, size_t len, double *out)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno || *end || v != v)
		return false;
	*out = v;
	return true;
}

static int in_range(struct walk *w, struct fy_node *at, const char *path, const struct cfg_field *f,
                    double v)
{
	if (f->lo < f->hi && (v < f->lo || v > f->hi))
		return err(w, at, path, "value %g out of range [%g, %g]", v, f->lo, f->hi);
	return 0;
}

static int walk_scalar(struct walk *w, struct fy_node *val, struct fy_node *key,
                       const struct cfg_field *f, void *base, const char *path)
{
	char *dst = (char *)base + f->offset;
	size_t len;
	const char *s;
	if (fy_node_get_type(val) != FYNT_SCALAR)
		return err(w, key, path, "expected a scalar, got %s", type_name(val));
	s = fy_node_get_scalar(val, &len);
	if (!s)
		return err(w, val, path, "empty value");
	switch (f->type) {
	case CFG_T_STRING:
		if (len == 0 && f->required)
			return err(w, val, path, "must not be empty");
		if (len >= f->size)
			return err(w, val, path, "too long (%zu bytes, at most %zu)", len,
			           f->size - 1);
		memcpy(dst, s, len);
		dst[len] = '\0';
		return 0;
	case CFG_T_INT: {
		int64_t v;
		if (!parse_i64(s, len, &v))
			return err(w, val, path, "expected an integer, got '%.*s'", (int)len, s);
		int rc = in_range(w, val, path, f, (double)v);
		if (rc)
			return rc;
		if (f->size == sizeof(int32_t)) {
			int32_t v32 = (int32_t)v;
			memcpy(dst, &v32, sizeof(v32));
		} else {
			memcpy(dst, &v, sizeof(v));
		}
		return 0;
	}
	case CFG_T_DOUBLE: {
		double v;
		if (!parse_f64(s, len, &v))
			return err(w, val, path, "expected a number, got '%.*s'", (int)len, s);
		int rc = in_range(w, val, path, f, v);
		if (rc)
			return rc;
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	case CFG_T_BOOL: {
		bool v;
		if ((len == 4 && memcmp(s, "true", 4) == 0) ||
		    (len == 3 && memcmp(s, "yes", 3) == 0))
			v = true;
		else if ((len == 5 && memcmp(s, "false", 5) == 0) ||
		         (len == 2 && memcmp(s, "no", 2) == 0))
			v = false;
		else
			return err(w, val, path, "expected true or false, got '%.*s'", (int)len, s);
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	case CFG_T_DURATION: {
		int64_t ms;
		if (timeparse_go_duration(s, len, &ms) != 0)
			return err(w, val, path,
			           "expected a duration like 500ms, 30s, 5m or 1h, got '%.*s'",
			           (int)len, s);
		int rc = in_range(w, val, path, f, (double)ms);
		if (rc)
			return rc;
		memcpy(dst, &ms, sizeof(ms));
		return 0;
	}
	case CFG_T_ENUM: {
		for (int i = 0; f->names[i]; i++) {
			if (strlen(f->names[i]) == len && memcmp(f->names[i], s, len) == 0) {
				memcpy(dst, &i, sizeof(i));
				return 0;
			}
		}
		char expected[256] = "";
		size_t o = 0;
		for (int i = 0; f->names[i] && o < sizeof(expected) - 1; i++)
			o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s",
			                      i ? ", " : "", f->names[i]);
		return err(w, val, path, "unknown value '%.*s' (expected one of %s)", (int)len, s,
		           expected);
	}
	default: return err(w, val, path, "internal: not a scalar field");
	}
}

/* "YYYY-MM-DD" into days since 1970-01-01; false when not a date. */
static bool parse_date(const char *s, size_t len, int32_t *days)
{
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	int v[3] = { 0, 0, 0 };
	static const int at[3] = { 0, 5, 8 }, n[3] = { 4, 2, 2 };
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < n[k]; i++) {
			char c = s[at[k] + i];
			if (c < '0' || c > '9')
				return false;
			v[k] = v[k] * 10 + (c - '0');
		}
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
	    (v[1] == 2 && v[2] == 29 && !leap) || v[0] < 1970)
		return false;
	*days = (int32_t)timeparse_days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]);
	return true;
}

static int walk_dates(struct walk *w, struct fy_node *seq, struct fy_node *key_node,
                      const struct cfg_field *f, void *base, const char *path)
{
	if (fy_node_get_type(seq) != FYNT_SEQUENCE)
		return err(w, key_node, path, "expected a list of dates, got %s", type_name(seq));
	size_t *count = (size_t *)((char *)base + f->count_offset);
	int32_t *days = (int32_t *)((char *)base + f->offset);
	void *iter = NULL;
	struct fy_node *item;
	*count = 0;
	while ((item = fy_node_sequence_iterate(seq, &iter)) != NULL) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, *count);
		if (*count >= f->max)
			return err(w, item, path, "too many dates (at most %zu)", f->max);
		size_t len = 0;
		const char *s = fy_node_get_type(item) == FYNT_SCALAR
		                        ? fy_node_get_scalar(item, &len)
		                        : NULL;
		if (!s)
			return err(w, item, sub, "expected a date (YYYY-MM-DD), got %s",
			           type_name(item));
		if (!parse_date(s, len, &days[*count]))
			return err(w, item, sub, "expected a date YYYY-MM-DD (UTC), got '%.*s'",
			           (int)len, s);
		(*count)++;
	}
	return 0;
}

static int walk_list(struct walk *w, struct fy_node *seq, struct fy_node *key_node,
                     const struct cfg_field *f, void *base, const char *path)
{
	if (fy_node_get_type(seq) != FYNT_SEQUENCE)
		return err(w, key_node, path, "expected a list, got %s", type_name(seq));
	size_t *count = (size_t *)((char *)base + f->count_offset);
	char *items = (char *)base + f->offset;
	void *iter = NULL;
	struct fy_node *item;
	*count = 0;
	while ((item = fy_node_sequence_iterate(seq, &iter)) != NULL) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, *count);
		if (*count >= f->max)
			return err(w, key_node, path, "too many entries (at most %zu)", f->max);
		char *elem = items + *count * f->size;
		memset(elem, 0, f->size);
		int rc = plain_node(w, item, key_node, sub);
		if (rc)
			return rc;
		/* the item stands where its first key does */
		void *it0 = NULL;
		struct fy_node_pair *p0 = fy_node_get_type(item) == FYNT_MAPPING
		                                  ? fy_node_mapping_iterate(item, &it0)
		                                  : NULL;
		remember(w, sub, p0 ? fy_node_pair_key(p0) : NULL, key_node);
		rc = walk_map(w, item, key_node, f->fields, elem, sub);
		if (rc)
			return rc;
		(*count)++;
	}
	return 0;
}

static int walk_map(struct walk *w, struct fy_node *map, struct fy_node *key_node,
                    const struct cfg_field *fields, void *base, const char *path)
{
	if (!map || fy_node_get_type(map) != FYNT_MAPPING)
		return err(w, key_node, path[0] ? path : "(top level)",
		           "expected a mapping, got %s", map ? type_name(map) : "nothing");
	bool seen[64] = { false };
	size_t nfields = 0;
	while (fields[nfields].key)
		nfields++;
	void *iter = NULL;
	struct fy_node_pair *pair;
	struct fy_node *first_key = NULL;
	while ((pair = fy_node_mapping_iterate(map, &iter)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pair);
		if (!first_key)
			first_key = k;
		struct fy_node *v = fy_node_pair_value(pair);
		size_t klen = 0;
		const char *ks = k && fy_node_get_type(k) == FYNT_SCALAR
		                         ? fy_node_get_scalar(k, &klen)
		                         : NULL;
		int rc = plain_node(w, k, k, path[0] ? path : "(top level)");
		if (rc)
			return rc;
		if (!ks)
			return err(w, k, path[0] ? path : "(top level)",
			           "keys must be plain scalars");
		char sub[256];
		snprintf(sub, sizeof(sub), "%s%s%.*s", path, path[0] ? "." : "", (int)klen, ks);
		size_t i;
		for (i = 0; i < nfields; i++) {
			if (strlen(fields[i].key) == klen && memcmp(fields[i].key, ks, klen) == 0)
				break;
		}
		if (i == nfields)
			return err(w, k, sub, "unknown key");
		seen[i] = true;
		const struct cfg_field *f = &fields[i];
		if (!v)
			return err(w, k, sub, "missing value");
		if ((rc = plain_node(w, v, k, sub)) != 0)
			return rc;
		remember(w, sub, v, k);
		if (f->type == CFG_T_MAP)
			rc = walk_map(w, v, k, f->fields, (char *)base + f->offset, sub);
		else if (f->type == CFG_T_LIST)
			rc = walk_list(w, v, k, f, base, sub);
		else if (f->type == CFG_T_DATES)
			rc = walk_dates(w, v, k, f, base, sub);
		else
			rc = walk_scalar(w, v, k, f, base, sub);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < nfields; i++) {
		if (fields[i].required && !seen[i]) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			         fields[i].key);
			return err(w, first_key ? first_key : key_node, sub,
			           "missing required key");
		}
	}
	return 0;
}

/* ---- checks across fields -------------------------------------------- */

static bool env_name_ok(const char *s)
{
	for (const char *c = s; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

/* Host and port of a listen address ("127.0.0.1:9464", "[::1]:0", ":9464"). */
int config_split_listen(const char *listen, char *host, size_t host_size, int *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1])
		return VG_EINVAL;
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0) {
		h = "0.0.0.0";
		hlen = 7;
	}
	if (hlen >= host_size)
		return VG_EINVAL;
	char *end;
	errno = 0;
	long v = strtol(colon + 1, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return VG_EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)v;
	return 0;
}

static int check_sinks(struct walk *w, struct vigil_config *cfg)
{
	char host[64];
	int port;
	if (config_split_listen(cfg->metrics.listen, host, sizeof(host), &port))
		return err(w, NULL, "metrics.listen",
		           "'%s' is not host:port (e.g. 127.0.0.1:9464; port 0 picks one)",
		           cfg->metrics.listen);
	for (size_t i = 0; i < cfg->n_sinks; i++) {
		struct cfg_sink *s = &cfg->sinks[i];
		char path[64];
		snprintf(path, sizeof(path), "sinks[%zu]", i);
		char at[96];
		snprintf(at, sizeof(at), "%s.name", path);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->sinks[j].name, s->name) == 0)
				return err(w, NULL, at, "duplicate sink name '%s'", s->name);
		snprintf(at, sizeof(at), "%s.url", path);
		if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0)
			return err(w, NULL, at, "'%s' must start with http:// or https://", s->url);
		snprintf(at, sizeof(at), "%s.secret_env", path);
		if (!env_name_ok(s->secret_env))
			return err(w, NULL, at,
			           "'%s' must name an environment variable "
			           "(A-Z, 0-9, _), not hold a secret",
			           s->secret_env);
		if (s->kind == SINK_PAGERDUTY && !s->secret_env[0])
			return err(w, NULL, path,
			           "a pagerduty sink needs secret_env (the variable with the "
			           "routing key)");
		if (s->min_severity[0]) {
			int sev = model_severity_parse(s->min_severity, (size_t)-1);
			snprintf(at, sizeof(at), "%s.min_severity", path);
			if (sev < 0)
				return err(w, NULL, at,
				           "'%s' is not one of critical, high, medium, "
				           "low",
				           s->min_severity);
			s->min_severity_value = sev;
		} else {
			s->min_severity_value =
			        s->kind == SINK_PAGERDUTY || s->kind == SINK_ALERTMANAGER ? SEV_HIGH
			                                                                  : SEV_LOW;
		}
		if (!s->timeout_ms)
			s->timeout_ms = 10000;
		if (!s->resend_interval_ms)
			s->resend_interval_ms = 60000;
		if (!s->resolve_timeout_ms)
			s->resolve_timeout_ms = 5 * 60000;
		if (!s->silence_ms)
			s->silence_ms = 4 * 3600000;
		if (!s->project[0])
			model_copy_str(s->project, sizeof(s->project), "OPS", (size_t)-1);
		if (!s->issue_type[0])
			model_copy_str(s->issue_type, sizeof(s->issue_type), "Task", (size_t)-1);
	}
	return 0;
}

static int check(struct walk *w, struct vigil_config *cfg)
{
	int rc = check_sinks(w, cfg);
	if (rc)
		return rc;
	if (!cfg->store.path[0])
		return err(w, NULL, "store.path", "must not be empty");
	if (cfg->probes.jitter_ms >= cfg->probes.interval_ms)
		return err(w, NULL, "probes.jitter",
		           "jitter (%lld ms) must be less than the interval (%lld ms)",
		           (long long)cfg->probes.jitter_ms, (long long)cfg->probes.interval_ms);
	for (size_t i = 0; i < cfg->n_providers; i++) {
		struct cfg_provider *p = &cfg->providers[i];
		char path[64], at[96];
		snprintf(path, sizeof(path), "providers[%zu]", i);
		snprintf(at, sizeof(at), "%s.name", path);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cfg->providers[j].name, p->name) == 0)
				return err(w, NULL, at, "duplicate provider name '%s'", p->name);
		}
		snprintf(at, sizeof(at), "%s.base_url", path);
		if (strncmp(p->base_url, "http://", 7) != 0 &&
		    strncmp(p->base_url, "https://", 8) != 0)
			return err(w, NULL, at, "'%s' must start with http:// or https://",
			           p->base_url);
		snprintf(at, sizeof(at), "%s.api_key_env", path);
		for (const char *c = p->api_key_env; *c; c++) {
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return err(w, NULL, at,
				           "'%s' must name an environment variable "
				           "(A-Z, 0-9, _), not hold a key",
				           p->api_key_env);
		}
		if (!p->key_alias[0])
			model_copy_str(p->key_alias, sizeof(p->key_alias), p->name, (size_t)-1);
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------- */

void config_defaults(struct vigil_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	model_copy_str(cfg->store.path, sizeof(cfg->store.path), "vigil.db", (size_t)-1);
	cfg->store.batch_rows = 20000;
	cfg->store.batch_ms = 200;
	cfg->store.queue_batches = 8;
	cfg->store.retention_ms = 30 * 86400000LL;
	settings_defaults(&cfg->thresholds);
	cfg->semantic.sidecar_queue = 256;
	semantic_defaults(&cfg->semantic.checks);
	struct incident_settings is;
	incident_settings_defaults(&is);
	cfg->incidents.group_gap_ms = is.group_gap_ms;
	cfg->incidents.quiet_period_ms = is.quiet_period_ms;
	cfg->incidents.ticket_after_ms = is.ticket_after_ms;
	cfg->incidents.keep_resolved_ms = is.keep_resolved_ms;
	cfg->incidents.episode_gap_ms = is.episode_gap_ms;
	model_copy_str(cfg->incidents.instance, sizeof(cfg->incidents.instance), is.instance,
	               (size_t)-1);
	model_copy_str(cfg->metrics.listen, sizeof(cfg->metrics.listen), "127.0.0.1:9464",
	               (size_t)-1);
	cfg->metrics.max_models = METRICS_GENAI_MAX_MODELS;
	cfg->monitor.sidecar_lag_ms = 60000;
	cfg->probes.enabled = true;
	cfg->probes.interval_ms = 60000;
	cfg->probes.jitter_ms = 10000;
	cfg->probes.connect_timeout_ms = 5000;
	cfg->probes.timeout_ms = 20000;
	cfg->probes.max_tokens = 16;
	cfg->probes.max_body = 1048576;
	cfg->probes.daily_budget_usd = 1.0;
	cfg->probes.availability = false;
	cfg->probes.models = PROBE_MODELS_ALL;
	struct cfg_baselines *b = &cfg->baselines;
	baseline_defaults(&b->s);
	b->gateway_bucket_ms = (int64_t)b->s.bucket_s[OBS_GATEWAY] * 1000;
	b->probe_bucket_ms = (int64_t)b->s.bucket_s[OBS_PROBE] * 1000;
	b->edge_ms = (int64_t)b->s.edge_minutes * 60000;
	b->marker_window_ms = (int64_t)b->s.marker_hours * 3600000;
	b->minute_retention_ms = 14 * 86400000LL;
	b->hour_retention_ms = 365 * 86400000LL;
}

/* The most a config file may hold: vigil.yaml is a page or two. */
#define CONFIG_MAX_BYTES (4u << 20)

/* Line and column (1-based) of byte `off` of text. */
static void text_pos(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/* The offset of the first byte that is not valid UTF-8, or len. */
static size_t utf8_bad_at(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1, cp = c & 0x1F, min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2, cp = c & 0x0F, min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

/* Read `file` whole (at most CONFIG_MAX_BYTES). 0, or an error in *why. */
static int read_text(const char *file, char **out, size_t *len, char **cause)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		return vg_cause(cause, VG_EIO, "%s: cannot open: %s", file, strerror(errno));
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (vg_grow((void **)&buf, &cap, n + 4096, 1, 8192) != 0) {
			rc = vg_cause(cause, VG_ENOMEM, "%s: out of memory", file);
			break;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > CONFIG_MAX_BYTES) {
			rc = vg_cause(cause, VG_ECONFIG,
			              "%s: larger than %u bytes: not a vigil.yaml", file,
			              CONFIG_MAX_BYTES);
			break;
		}
		if (got == 0) {
			if (ferror(f))
				rc = vg_cause(cause, VG_EIO, "%s: cannot read: %s", file,
				              strerror(errno));
			break;
		}
	}
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int load(struct vigil_config *cfg, const char *file, const char *yaml, size_t len,
                char **cause)
{
	struct walk w = { .file = file, .cause = NULL };
	char *owned = NULL;
	int rc = 0;
	if (!yaml) {
		rc = read_text(file, &owned, &len, cause);
		if (rc)
			return rc;
		yaml = owned;
	}
	/* Text only: libfyaml would stop at a NUL (ignoring the rest of the
	 * file) and read binary as an empty document. */
	const char *nul = memchr(yaml, '\0', len);
	size_t nul_at = nul ? (size_t)(nul - yaml) : len;
	size_t bad = utf8_bad_at(yaml, nul_at);
	if (bad < len) {
		int line, col;
		text_pos(yaml, bad, &line, &col);
		free(owned);
		return vg_cause(cause, VG_ECONFIG, "%s:%d:%d: %s: a config file is text", file,
		                line, col, bad < nul_at ? "not valid UTF-8" : "a NUL byte");
	}
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (!diag) {
		free(owned);
		return VG_ENOMEM;
	}
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET, .diag = diag };
	struct fy_parser *fyp = fy_parser_create(&pcfg);
	struct fy_document *doc = NULL;
	if (!fyp || fy_parser_set_string(fyp, yaml, len) != 0) {
		rc = VG_ENOMEM;
		goto out;
	}
	doc = fy_parse_load_document(fyp);
	void *it = NULL;
	struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
	if (!doc && !de) {
		/* A stream with no document (empty, or only comments) is an empty config. */
		model_copy_str(cfg->file, sizeof(cfg->file), file, (size_t)-1);
		goto out;
	}
	if (doc && !de) {
		/* one document: a second one would be ignored silently */
		struct fy_document *next = fy_parse_load_document(fyp);
		if (next) {
			const struct fy_mark *m =
			        fy_document_state_start_mark(fy_document_get_document_state(next));
			int line = m ? m->line + 1 : 0, col = m ? m->column + 1 : 0;
			fy_parse_document_destroy(fyp, next); /* m goes with it */
			rc = vg_cause(&w.cause, VG_ECONFIG,
			              "%s:%d:%d: a second YAML document: a config file holds one",
			              file, line, col);
			goto out;
		}
		it = NULL;
		de = fy_diag_errors_iterate(diag, &it);
	}
	if (de || !doc) {
		if (de) /* libfyaml's diagnostics are 1-based already. */
			rc = vg_cause(&w.cause, VG_ECONFIG, "%s:%d:%d: invalid YAML: %s", file,
			              de->line, de->column, de->msg);
		else
			rc = vg_cause(&w.cause, VG_ECONFIG, "%s: invalid YAML", file);
		goto out;
	}
	struct fy_node *root = fy_document_root(doc);
	if (root) /* an empty file is an empty config */
		rc = plain_node(&w, root, NULL, "(top level)");
	if (root && !rc)
		rc = walk_map(&w, root, NULL, config__root_fields, cfg, "");
	if (!rc)
		rc = check(&w, cfg);
	if (!rc)
		model_copy_str(cfg->file, sizeof(cfg->file), file, (size_t)-1);
out:
	if (doc)
		fy_parse_document_destroy(fyp, doc);
	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	for (size_t i = 0; i < w.npos; i++)
		free(w.pos[i].path);
	free(w.pos);
	free(owned);
	if (rc && cause)
		*cause = w.cause ? w.cause : strdup(vg_strerror(rc));
	else
		free(w.cause);
	return rc;
}

int config_load(struct vigil_config *cfg, const char *path, char **cause)
{
	return load(cfg, path, NULL, 0, cause);
}

int config_load_string(struct vigil_config *cfg, const char *yaml, size_t len, const char *name,
                       char **cause)
{
	return load(cfg, name, yaml, len, cause);
}
