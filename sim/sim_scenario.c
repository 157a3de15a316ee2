/*
 * sim_scenario.c: names of kinds and faults, and the scenario loader
 * (libfyaml). The loader walks the document section by section (providers
 * first, so routes and phases can name them) and stops at the first bad
 * field with "file:line:col: path: reason". It is the simulator's own
 * reader, independent of vigil's config loader on purpose (the simulator
 * shares no code with what it exercises, so a misreading is not mirrored).
 */
#include "sim/sim_scenario.h"

#include "core/vgerr.h"
#include "sim/sim_embed.h"
#include "sim/sim_time.h"

#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------- */

static const char *const kind_names[SIM_KIND__COUNT] = { "openai", "anthropic", "google" };

struct fault_info {
	const char *name, *category, *subtype;
};

static const struct fault_info faults[SIM_F__COUNT] = {
	[SIM_F_NONE] = { "none", "", "" },
	[SIM_F_DNS] = { "dns", "provider", "dns" },
	[SIM_F_CONNECT] = { "connect", "provider", "connect" },
	[SIM_F_RESET] = { "reset", "provider", "reset" },
	[SIM_F_HANG] = { "hang", "provider", "timeout" },
	[SIM_F_TRUNCATED] = { "truncated", "provider", "truncation" },
	[SIM_F_RATE_LIMIT] = { "rate_limit", "provider", "rate_limit" },
	[SIM_F_QUOTA] = { "quota", "provider", "quota_exhausted" },
	[SIM_F_SPEND_CAP] = { "spend_cap", "provider", "spend_cap" },
	[SIM_F_SERVER_ERROR] = { "server_error", "provider", "server_error" },
	[SIM_F_UNAVAILABLE] = { "unavailable", "provider", "server_error" },
	[SIM_F_OVERLOADED] = { "overloaded", "provider", "overloaded" },
	[SIM_F_TIMEOUT] = { "timeout", "provider", "timeout" },
	[SIM_F_AUTH] = { "auth", "provider", "auth" },
	[SIM_F_HTML_413] = { "html_413", "provider", "invalid_request" },
	[SIM_F_STREAM_ERROR] = { "stream_error", "provider", "overloaded" },
	[SIM_F_SAFETY_BLOCK] = { "safety_block", "provider", "content_filter" },
	[SIM_F_LENGTH] = { "length", "provider", "truncation" },
	[SIM_F_LATENCY] = { "latency", "provider", "latency" },
	[SIM_F_TOKEN_INFLATION] = { "token_inflation", "cost", "token_inflation" },
	[SIM_F_CONTEXT_STUFFING] = { "context_stuffing", "cost", "context_stuffing" },
	[SIM_F_HALLUCINATION] = { "hallucination", "quality", "hallucination" },
	[SIM_F_REGRESSION] = { "regression", "quality", "regression" },
	[SIM_F_FORMAT_VIOLATION] = { "format_violation", "quality", "format_violation" },
	[SIM_F_COHERENCE] = { "coherence", "quality", "coherence" },
	[SIM_F_PROMPT_INJECTION] = { "prompt_injection", "security", "prompt_injection" },
	[SIM_F_JAILBREAK] = { "jailbreak", "security", "jailbreak" },
	[SIM_F_PII_LEAK] = { "pii_leak", "security", "pii_leak" },
	[SIM_F_STALE_CONTEXT] = { "stale_context", "data", "stale_context" },
	[SIM_F_EMBEDDING_DRIFT] = { "embedding_drift", "data", "embedding_drift" },
	[SIM_F_RETRY_STORM] = { "retry_storm", "cost", "retry_storm" },
	[SIM_F_MARKER] = { "marker", "", "" },
};

const char *sim_kind_name(enum sim_kind k)
{
	return (unsigned)k < SIM_KIND__COUNT ? kind_names[k] : "other";
}

const char *sim_fault_name(enum sim_fault f)
{
	return (unsigned)f < SIM_F__COUNT ? faults[f].name : "?";
}

int sim_fault_parse(const char *s)
{
	for (int i = 1; i < SIM_F__COUNT; i++)
		if (strcmp(faults[i].name, s) == 0)
			return i;
	return -1;
}

const char *sim_fault_category(enum sim_fault f)
{
	return (unsigned)f < SIM_F__COUNT ? faults[f].category : "";
}

const char *sim_fault_subtype(enum sim_fault f)
{
	return (unsigned)f < SIM_F__COUNT ? faults[f].subtype : "";
}

bool sim_fault_is_outcome(enum sim_fault f)
{
	return f >= SIM_F_DNS && f <= SIM_F_LENGTH;
}

int sim_scenario_provider(const struct sim_scenario *s, const char *name)
{
	for (int i = 0; i < s->n_providers; i++)
		if (strcmp(s->providers[i].name, name) == 0)
			return i;
	return -1;
}

int sim_scenario_template(const struct sim_scenario *s, const char *name)
{
	for (int i = 0; i < s->traffic.n_templates; i++)
		if (strcmp(s->traffic.templates[i].name, name) == 0)
			return i;
	return -1;
}

int sim_scenario_model(const struct sim_scenario *s, int p, const char *model)
{
	if (p < 0 || p >= s->n_providers || !model)
		return -1;
	const struct sim_provider *pr = &s->providers[p];
	for (int i = 0; i < pr->n_models; i++)
		if (strcmp(pr->models[i].name, model) == 0 ||
		    strcmp(pr->models[i].version, model) == 0)
			return i;
	return -1;
}

/* ---- the loader ----------------------------------------------------------- */

struct ld {
	const char *file;
	char *cause;
	struct sim_scenario *s;
};

static int node_line(struct fy_node *n, int *col)
{
	*col = 0;
	while (n) {
		switch (fy_node_get_type(n)) {
		case FYNT_SCALAR: {
			struct fy_token *t = fy_node_get_scalar_token(n);
			const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
			if (!m)
				return 0;
			*col = m->column + 1;
			return m->line + 1;
		}
		case FYNT_MAPPING: {
			void *it = NULL;
			struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
			n = p ? fy_node_pair_key(p) : NULL;
			break;
		}
		case FYNT_SEQUENCE: {
			void *it = NULL;
			n = fy_node_sequence_iterate(n, &it);
			break;
		}
		default: return 0;
		}
	}
	return 0;
}

__attribute__((format(printf, 4, 5))) static int ld_err(struct ld *l, struct fy_node *at,
                                                        const char *path, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int col, line = node_line(at, &col);
	free(l->cause);
	if (line > 0)
		vg_cause(&l->cause, VG_ECONFIG, "%s:%d:%d: %s: %s", l->file, line, col, path, msg);
	else
		vg_cause(&l->cause, VG_ECONFIG, "%s: %s: %s", l->file, path, msg);
	return l->cause ? VG_ECONFIG : VG_ENOMEM;
}

static const char *scalar(struct fy_node *n, size_t *len)
{
	if (!n || fy_node_get_type(n) != FYNT_SCALAR)
		return NULL;
	return fy_node_get_scalar(n, len);
}

/* Copies a scalar into a NUL-terminated temporary (at most 255 bytes). */
static int get_text(struct ld *l, struct fy_node *n, const char *path, char *dst, size_t size)
{
	size_t len;
	const char *s = scalar(n, &len);
	if (!s)
		return ld_err(l, n, path, "expected a scalar");
	if (len >= size)
		return ld_err(l, n, path, "too long (at most %zu characters)", size - 1);
	if (memchr(s, '\0', len))
		return ld_err(l, n, path, "contains a NUL byte");
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int get_double(struct ld *l, struct fy_node *n, const char *path, double lo, double hi,
                      double *out)
{
	char tmp[64], *end;
	if (get_text(l, n, path, tmp, sizeof(tmp)))
		return ld_err(l, n, path, "expected a number");
	errno = 0;
	double v = strtod(tmp, &end);
	if (end == tmp || *end || errno || !isfinite(v))
		return ld_err(l, n, path, "expected a number, got '%s'", tmp);
	if (v < lo || v > hi)
		return ld_err(l, n, path, "%s is out of range [%g, %g]", tmp, lo, hi);
	*out = v;
	return 0;
}

static int get_int(struct ld *l, struct fy_node *n, const char *path, int64_t lo, int64_t hi,
                   int64_t *out)
{
	char tmp[64], *end;
	if (get_text(l, n, path, tmp, sizeof(tmp)))
		return ld_err(l, n, path, "expected an integer");
	errno = 0;
	long long v = strtoll(tmp, &end, 10);
	if (end == tmp || *end || errno)
		return ld_err(l, n, path, "expected an integer, got '%s'", tmp);
	if (v < lo || v > hi)
		return ld_err(l, n, path, "%s is out of range [%lld, %lld]", tmp, (long long)lo,
		              (long long)hi);
	*out = v;
	return 0;
}

static int get_i32(struct ld *l, struct fy_node *n, const char *path, int lo, int hi, int *out)
{
	int64_t v;
	int rc = get_int(l, n, path, lo, hi, &v);
	if (!rc)
		*out = (int)v;
	return rc;
}

static int get_bool(struct ld *l, struct fy_node *n, const char *path, bool *out)
{
	char tmp[16];
	if (get_text(l, n, path, tmp, sizeof(tmp)))
		return ld_err(l, n, path, "expected true or false");
	if (strcmp(tmp, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(tmp, "false") == 0) {
		*out = false;
		return 0;
	}
	return ld_err(l, n, path, "expected true or false, got '%s'", tmp);
}

static int get_duration(struct ld *l, struct fy_node *n, const char *path, int64_t *out)
{
	char tmp[64];
	if (get_text(l, n, path, tmp, sizeof(tmp)))
		return ld_err(l, n, path, "expected a duration such as 30s, 5m or 4h20m");
	if (sim_time_parse_duration(tmp, out))
		return ld_err(l, n, path, "'%s' is not a duration (write 500ms, 30s, 5m, 4h20m)",
		              tmp);
	return 0;
}

/* A number, or a list of [duration, number] points in increasing time. */
static int get_curve(struct ld *l, struct fy_node *n, const char *path, double lo, double hi,
                     struct sim_curve *c)
{
	memset(c, 0, sizeof(*c));
	if (n && fy_node_get_type(n) == FYNT_SCALAR) {
		c->n = 1;
		return get_double(l, n, path, lo, hi, &c->v[0]);
	}
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE)
		return ld_err(l, n, path, "expected a number or a list of [time, value] points");
	void *it = NULL;
	struct fy_node *pt;
	char sub[160];
	while ((pt = fy_node_sequence_iterate(n, &it))) {
		snprintf(sub, sizeof(sub), "%s[%d]", path, c->n);
		if (c->n >= SIM_CURVE_MAX)
			return ld_err(l, pt, sub, "at most %d points", SIM_CURVE_MAX);
		if (fy_node_get_type(pt) != FYNT_SEQUENCE || fy_node_sequence_item_count(pt) != 2)
			return ld_err(l, pt, sub, "expected a [time, value] pair");
		void *it2 = NULL;
		struct fy_node *tn = fy_node_sequence_iterate(pt, &it2);
		struct fy_node *vn = fy_node_sequence_iterate(pt, &it2);
		int rc = get_duration(l, tn, sub, &c->t[c->n]);
		if (!rc)
			rc = get_double(l, vn, sub, lo, hi, &c->v[c->n]);
		if (rc)
			return rc;
		if (c->n > 0 && c->t[c->n] < c->t[c->n - 1])
			return ld_err(l, tn, sub, "times must not decrease");
		c->n++;
	}
	if (c->n == 0)
		return ld_err(l, n, path, "a curve needs at least one point");
	return 0;
}

static int expect_map(struct ld *l, struct fy_node *n, const char *path)
{
	if (!n || fy_node_get_type(n) != FYNT_MAPPING)
		return ld_err(l, n, path, "expected a mapping");
	return 0;
}

static int expect_seq(struct ld *l, struct fy_node *n, const char *path)
{
	if (!n || fy_node_get_type(n) != FYNT_SEQUENCE)
		return ld_err(l, n, path, "expected a list");
	return 0;
}

/* Iterates a mapping: *key gets the key text (NUL-terminated, <= 63 chars),
 * *kn the key node, *vn the value. Returns 1 for a pair, 0 at the end, or an
 * error code (a non-scalar or over-long key). */
static int next_pair(struct ld *l, struct fy_node *map, void **it, const char *path, char *key,
                     struct fy_node **kn, struct fy_node **vn)
{
	struct fy_node_pair *p = fy_node_mapping_iterate(map, it);
	if (!p)
		return 0;
	*kn = fy_node_pair_key(p);
	*vn = fy_node_pair_value(p);
	size_t len;
	const char *s = scalar(*kn, &len);
	if (!s || len >= 64)
		return ld_err(l, *kn ? *kn : map, path, "keys must be short scalars");
	memcpy(key, s, len);
	key[len] = '\0';
	return 1;
}

static int unknown_key(struct ld *l, struct fy_node *kn, const char *path, const char *key)
{
	return ld_err(l, kn, path, "unknown key '%s'", key);
}

/* ---- sections ---- */

static int load_model(struct ld *l, struct fy_node *n, const char *path, struct sim_model *m)
{
	m->context_tokens = 128000;
	if (n && fy_node_get_type(n) == FYNT_SCALAR) {
		int rc = get_text(l, n, path, m->name, sizeof(m->name));
		if (!rc && !m->name[0])
			rc = ld_err(l, n, path, "a model needs a name");
		memcpy(m->version, m->name, sizeof(m->version));
		return rc;
	}
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	void *it = NULL;
	char key[64], sub[160];
	struct fy_node *kn, *vn;
	bool has_name = false;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "name") == 0) {
			rc = get_text(l, vn, sub, m->name, sizeof(m->name));
			has_name = true;
		} else if (strcmp(key, "version") == 0) {
			rc = get_text(l, vn, sub, m->version, sizeof(m->version));
		} else if (strcmp(key, "price_in_per_1k") == 0) {
			rc = get_double(l, vn, sub, 0, 1000, &m->price_in_per_1k);
		} else if (strcmp(key, "price_out_per_1k") == 0) {
			rc = get_double(l, vn, sub, 0, 1000, &m->price_out_per_1k);
		} else if (strcmp(key, "context_tokens") == 0) {
			rc = get_i32(l, vn, sub, 256, 100000000, &m->context_tokens);
		} else {
			rc = unknown_key(l, kn, sub, key);
		}
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!has_name || !m->name[0])
		return ld_err(l, n, path, "a model needs a name");
	if (!m->version[0])
		memcpy(m->version, m->name, sizeof(m->version));
	return 0;
}

static int load_region(struct ld *l, struct fy_node *n, const char *path, struct sim_region *r)
{
	r->weight = 1;
	if (n && fy_node_get_type(n) == FYNT_SCALAR)
		return get_text(l, n, path, r->name, sizeof(r->name));
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	void *it = NULL;
	char key[64], sub[160];
	struct fy_node *kn, *vn;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "name") == 0)
			rc = get_text(l, vn, sub, r->name, sizeof(r->name));
		else if (strcmp(key, "weight") == 0)
			rc = get_double(l, vn, sub, 0, 1e6, &r->weight);
		else
			rc = unknown_key(l, kn, sub, key);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!r->name[0])
		return ld_err(l, n, path, "a region needs a name");
	return 0;
}

static int load_provider(struct ld *l, struct fy_node *n, const char *path, struct sim_provider *p)
{
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	p->median_ms = 800;
	p->p95_ms = 1600;
	p->error_ms = 120;
	p->rpm = 10000;
	p->tpm = 5000000;
	bool has_kind = false;
	void *it = NULL;
	char key[64], sub[160], tmp[64];
	struct fy_node *kn, *vn, *models = NULL, *models_key = NULL;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "name") == 0) {
			rc = get_text(l, vn, sub, p->name, sizeof(p->name));
		} else if (strcmp(key, "kind") == 0) {
			rc = get_text(l, vn, sub, tmp, sizeof(tmp));
			if (!rc) {
				int k = -1;
				for (int i = 0; i < SIM_KIND__COUNT; i++)
					if (strcmp(kind_names[i], tmp) == 0)
						k = i;
				if (k < 0)
					rc = ld_err(
					        l, vn, sub,
					        "unknown value '%s' (expected openai, anthropic "
					        "or google)",
					        tmp);
				else
					p->kind = (enum sim_kind)k;
				has_kind = true;
			}
		} else if (strcmp(key, "key_alias") == 0) {
			rc = get_text(l, vn, sub, p->key_alias, sizeof(p->key_alias));
		} else if (strcmp(key, "models") == 0) {
			rc = expect_seq(l, vn, sub);
			models = vn;
			models_key = kn;
		} else if (strcmp(key, "region") == 0) {
			p->n_regions = 1;
			rc = load_region(l, vn, sub, &p->regions[0]);
		} else if (strcmp(key, "regions") == 0) {
			rc = expect_seq(l, vn, sub);
			void *it2 = NULL;
			struct fy_node *rn;
			p->n_regions = 0;
			while (!rc && (rn = fy_node_sequence_iterate(vn, &it2))) {
				char sub2[192];
				snprintf(sub2, sizeof(sub2), "%s[%d]", sub, p->n_regions);
				if (p->n_regions >= SIM_MAX_REGIONS)
					rc = ld_err(l, rn, sub2, "at most %d regions",
					            SIM_MAX_REGIONS);
				else
					rc = load_region(l, rn, sub2, &p->regions[p->n_regions++]);
			}
		} else if (strcmp(key, "latency") == 0) {
			rc = expect_map(l, vn, sub);
			void *it2 = NULL;
			char key2[64], sub2[192];
			struct fy_node *kn2, *vn2;
			while (!rc && (rc = next_pair(l, vn, &it2, sub, key2, &kn2, &vn2)) == 1) {
				snprintf(sub2, sizeof(sub2), "%s.%s", sub, key2);
				if (strcmp(key2, "median_ms") == 0)
					rc = get_double(l, vn2, sub2, 0, 3.6e6, &p->median_ms);
				else if (strcmp(key2, "p95_ms") == 0)
					rc = get_double(l, vn2, sub2, 0, 3.6e6, &p->p95_ms);
				else if (strcmp(key2, "error_ms") == 0)
					rc = get_double(l, vn2, sub2, 0, 3.6e6, &p->error_ms);
				else
					rc = unknown_key(l, kn2, sub2, key2);
			}
		} else if (strcmp(key, "limits") == 0) {
			rc = expect_map(l, vn, sub);
			void *it2 = NULL;
			char key2[64], sub2[192];
			struct fy_node *kn2, *vn2;
			while (!rc && (rc = next_pair(l, vn, &it2, sub, key2, &kn2, &vn2)) == 1) {
				snprintf(sub2, sizeof(sub2), "%s.%s", sub, key2);
				if (strcmp(key2, "rpm") == 0)
					rc = get_int(l, vn2, sub2, 1, 1000000000, &p->rpm);
				else if (strcmp(key2, "tpm") == 0)
					rc = get_int(l, vn2, sub2, 1, 100000000000LL, &p->tpm);
				else
					rc = unknown_key(l, kn2, sub2, key2);
			}
		} else {
			rc = unknown_key(l, kn, sub, key);
		}
		if (rc < 0)
			return rc;
		rc = 0;
	}
	if (rc)
		return rc;
	if (!p->name[0])
		return ld_err(l, n, path, "a provider needs a name");
	if (!has_kind)
		return ld_err(l, n, path, "a provider needs a kind (openai, anthropic or google)");
	if (p->p95_ms < p->median_ms)
		return ld_err(l, n, path, "latency.p95_ms is below latency.median_ms");
	if (!models)
		return ld_err(l, n, path, "a provider needs at least one model");
	void *it2 = NULL;
	struct fy_node *mn;
	while ((mn = fy_node_sequence_iterate(models, &it2))) {
		snprintf(sub, sizeof(sub), "%s.models[%d]", path, p->n_models);
		if (p->n_models >= SIM_MAX_MODELS)
			return ld_err(l, mn, sub, "at most %d models", SIM_MAX_MODELS);
		rc = load_model(l, mn, sub, &p->models[p->n_models++]);
		if (rc)
			return rc;
	}
	if (p->n_models == 0) {
		snprintf(sub, sizeof(sub), "%s.models", path);
		return ld_err(l, models_key, sub, "a provider needs at least one model");
	}
	return 0;
}

/* "provider" or "provider/model" into route slot i of t. */
static int load_route(struct ld *l, struct fy_node *n, const char *path, struct sim_template *t)
{
	int rc = expect_seq(l, n, path);
	if (rc)
		return rc;
	void *it = NULL;
	struct fy_node *en;
	char sub[192], txt[2 * SIM_NAME_MAX + 2];
	t->n_route = 0;
	while ((en = fy_node_sequence_iterate(n, &it))) {
		snprintf(sub, sizeof(sub), "%s[%d]", path, t->n_route);
		if (t->n_route >= SIM_MAX_ROUTE)
			return ld_err(l, en, sub, "at most %d providers in a route", SIM_MAX_ROUTE);
		if ((rc = get_text(l, en, sub, txt, sizeof(txt))))
			return rc;
		char *slash = strchr(txt, '/');
		if (slash)
			*slash = '\0';
		int p = sim_scenario_provider(l->s, txt);
		if (p < 0)
			return ld_err(l, en, sub, "no provider named '%s'", txt);
		int m = 0;
		if (slash) {
			m = sim_scenario_model(l->s, p, slash + 1);
			if (m < 0)
				return ld_err(l, en, sub, "provider '%s' has no model '%s'", txt,
				              slash + 1);
		}
		for (int i = 0; i < t->n_route; i++)
			if (t->route[i] == p)
				return ld_err(l, en, sub, "provider '%s' is in the route twice",
				              txt);
		t->route[t->n_route] = p;
		t->model[t->n_route] = m;
		t->n_route++;
	}
	if (t->n_route == 0)
		return ld_err(l, n, path, "a route needs at least one provider");
	return 0;
}

static const char *const class_names[] = { "revenue", "compliance", "internal", "experimental",
	                                   NULL };
static const char *const content_names[] = { "support", "kyc", "search", "creative", NULL };

static int get_enum(struct ld *l, struct fy_node *n, const char *path, const char *const *names,
                    char *dst, size_t size)
{
	int rc = get_text(l, n, path, dst, size);
	if (rc)
		return rc;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], dst) == 0)
			return 0;
	char list[160] = "";
	for (int i = 0; names[i]; i++) {
		strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	return ld_err(l, n, path, "unknown value '%s' (expected %s)", dst, list);
}

static int load_template(struct ld *l, struct fy_node *n, const char *path, struct sim_template *t)
{
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	snprintf(t->traffic_class, sizeof(t->traffic_class), "internal");
	snprintf(t->content, sizeof(t->content), "search");
	t->weight = 1;
	t->prompt_tokens = 600;
	t->output_tokens = 150;
	t->share_text = true;
	void *it = NULL;
	char key[64], sub[160];
	struct fy_node *kn, *vn;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "name") == 0)
			rc = get_text(l, vn, sub, t->name, sizeof(t->name));
		else if (strcmp(key, "class") == 0)
			rc = get_enum(l, vn, sub, class_names, t->traffic_class,
			              sizeof(t->traffic_class));
		else if (strcmp(key, "content") == 0)
			rc = get_enum(l, vn, sub, content_names, t->content, sizeof(t->content));
		else if (strcmp(key, "schema") == 0)
			rc = get_text(l, vn, sub, t->schema_id, sizeof(t->schema_id));
		else if (strcmp(key, "weight") == 0)
			rc = get_double(l, vn, sub, 0, 1e6, &t->weight);
		else if (strcmp(key, "prompt_tokens") == 0)
			rc = get_i32(l, vn, sub, 1, 10000000, &t->prompt_tokens);
		else if (strcmp(key, "output_tokens") == 0)
			rc = get_i32(l, vn, sub, 1, 1000000, &t->output_tokens);
		else if (strcmp(key, "stream") == 0)
			rc = get_double(l, vn, sub, 0, 1, &t->stream);
		else if (strcmp(key, "rag") == 0)
			rc = get_bool(l, vn, sub, &t->rag);
		else if (strcmp(key, "share_text") == 0)
			rc = get_bool(l, vn, sub, &t->share_text);
		else if (strcmp(key, "route") == 0)
			rc = load_route(l, vn, sub, t);
		else
			rc = unknown_key(l, kn, sub, key);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!t->name[0])
		return ld_err(l, n, path, "a template needs a name");
	if (t->n_route == 0) {
		for (int i = 0; i < l->s->n_providers && i < SIM_MAX_ROUTE; i++) {
			t->route[i] = i;
			t->model[i] = 0;
		}
		t->n_route = l->s->n_providers < SIM_MAX_ROUTE ? l->s->n_providers : SIM_MAX_ROUTE;
	}
	return 0;
}

static int load_traffic(struct ld *l, struct fy_node *n, const char *path)
{
	struct sim_traffic *tr = &l->s->traffic;
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	void *it = NULL;
	char key[64], sub[160];
	struct fy_node *kn, *vn;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "rate") == 0) {
			rc = get_double(l, vn, sub, 0.001, 1e6, &tr->rate);
		} else if (strcmp(key, "max_retries") == 0) {
			rc = get_i32(l, vn, sub, 0, 20, &tr->max_retries);
		} else if (strcmp(key, "timeout") == 0) {
			rc = get_duration(l, vn, sub, &tr->timeout_ms);
			if (!rc && tr->timeout_ms < 1)
				rc = ld_err(l, vn, sub, "must be positive");
		} else if (strcmp(key, "breaker_failures") == 0) {
			rc = get_i32(l, vn, sub, 1, 1000, &tr->breaker_failures);
		} else if (strcmp(key, "cooldown") == 0) {
			rc = get_duration(l, vn, sub, &tr->cooldown_ms);
		} else if (strcmp(key, "shape") == 0) {
			rc = get_curve(l, vn, sub, 0, 1000, &tr->shape);
		} else if (strcmp(key, "templates") == 0) {
			rc = expect_seq(l, vn, sub);
			void *it2 = NULL;
			struct fy_node *tn;
			while (!rc && (tn = fy_node_sequence_iterate(vn, &it2))) {
				char sub2[192];
				snprintf(sub2, sizeof(sub2), "%s[%d]", sub, tr->n_templates);
				if (tr->n_templates >= SIM_MAX_TEMPLATES) {
					rc = ld_err(l, tn, sub2, "at most %d templates",
					            SIM_MAX_TEMPLATES);
					break;
				}
				struct sim_template *t = &tr->templates[tr->n_templates];
				rc = load_template(l, tn, sub2, t);
				if (!rc && sim_scenario_template(l->s, t->name) >= 0)
					rc = ld_err(l, tn, sub2,
					            "a template named '%s' exists already",
					            t->name);
				if (!rc)
					tr->n_templates++;
			}
		} else {
			rc = unknown_key(l, kn, sub, key);
		}
		if (rc)
			return rc;
	}
	return rc;
}

static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL };

static int load_hours(struct ld *l, struct fy_node *n, const char *path, struct sim_rhythm_hours *h)
{
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	*h = (struct sim_rhythm_hours){
		.date = SIM_RHYTHM_ANY_DATE, .until_ms = 86400000, .rate = 1, .latency = 1
	};
	void *it = NULL;
	char key[64], sub[160], tmp[40];
	struct fy_node *kn, *vn;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "days") == 0) {
			rc = expect_seq(l, vn, sub);
			void *it2 = NULL;
			struct fy_node *dn;
			while (!rc && (dn = fy_node_sequence_iterate(vn, &it2))) {
				rc = get_enum(l, dn, sub, day_names, tmp, sizeof(tmp));
				for (int d = 0; !rc && day_names[d]; d++)
					if (strcmp(day_names[d], tmp) == 0)
						h->days |= (uint8_t)(1u << d);
			}
		} else if (strcmp(key, "date") == 0) {
			int64_t ms;
			char iso[48];
			rc = get_text(l, vn, sub, tmp, sizeof(tmp));
			snprintf(iso, sizeof(iso), "%sT00:00:00Z", tmp);
			if (!rc && (strlen(tmp) != 10 || sim_time_parse_rfc3339(iso, &ms)))
				rc = ld_err(l, vn, sub, "expected a date such as 2026-11-26");
			if (!rc)
				h->date = (int32_t)(ms / 86400000);
		} else if (strcmp(key, "from") == 0) {
			rc = get_duration(l, vn, sub, &h->from_ms);
		} else if (strcmp(key, "until") == 0) {
			rc = get_duration(l, vn, sub, &h->until_ms);
		} else if (strcmp(key, "rate") == 0) {
			rc = get_double(l, vn, sub, 0.001, 1000, &h->rate);
		} else if (strcmp(key, "latency") == 0) {
			rc = get_double(l, vn, sub, 0.01, 1000, &h->latency);
		} else {
			rc = unknown_key(l, kn, sub, key);
		}
		if (rc)
			return rc;
	}
	if (!rc && (h->until_ms > 86400000 || h->from_ms >= h->until_ms))
		rc = ld_err(l, n, path, "needs 0 <= from < until <= 24h");
	return rc;
}

static int load_rhythm(struct ld *l, struct fy_node *n, const char *path)
{
	struct sim_rhythm *r = &l->s->rhythm;
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	void *it = NULL;
	char key[64], sub[160];
	struct fy_node *kn, *vn;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strcmp(key, "trend") == 0) {
			rc = get_curve(l, vn, sub, 0.01, 1000, &r->trend);
		} else if (strcmp(key, "hours") == 0) {
			rc = expect_seq(l, vn, sub);
			void *it2 = NULL;
			struct fy_node *hn;
			while (!rc && (hn = fy_node_sequence_iterate(vn, &it2))) {
				char sub2[192];
				snprintf(sub2, sizeof(sub2), "%s[%d]", sub, r->n);
				if (r->n >= SIM_MAX_RHYTHM)
					rc = ld_err(l, hn, sub2, "at most %d entries",
					            SIM_MAX_RHYTHM);
				else if (!(rc = load_hours(l, hn, sub2, &r->hours[r->n])))
					r->n++;
			}
		} else {
			rc = unknown_key(l, kn, sub, key);
		}
		if (rc)
			return rc;
	}
	return rc;
}

/* Which phase keys a fault accepts beyond the common ones. */
static bool param_allowed(const char *key, enum sim_fault f)
{
	if (strcmp(key, "median_ms") == 0 || strcmp(key, "p95_ms") == 0 ||
	    strcmp(key, "drip") == 0 || strcmp(key, "chunk_bytes") == 0)
		return f == SIM_F_LATENCY;
	if (strcmp(key, "rpm") == 0 || strcmp(key, "tpm") == 0)
		return f == SIM_F_RATE_LIMIT;
	if (strcmp(key, "factor") == 0)
		return f == SIM_F_LATENCY || f == SIM_F_TOKEN_INFLATION ||
		       f == SIM_F_CONTEXT_STUFFING || f == SIM_F_PROMPT_INJECTION;
	if (strcmp(key, "doc_age_s") == 0)
		return f == SIM_F_STALE_CONTEXT;
	if (strcmp(key, "similarity") == 0)
		return f == SIM_F_EMBEDDING_DRIFT;
	if (strcmp(key, "retries") == 0 || strcmp(key, "invalid") == 0)
		return f == SIM_F_RETRY_STORM;
	if (strcmp(key, "block") == 0)
		return f == SIM_F_SAFETY_BLOCK || f == SIM_F_JAILBREAK;
	return true;
}

static const char *const category_names[] = { "provider", "quality", "cost",
	                                      "security", "data",    NULL };

/* "category/subtype" with a known category and a non-empty subtype. */
static bool valid_also(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash || !slash[1])
		return false;
	for (int i = 0; category_names[i]; i++)
		if (strlen(category_names[i]) == (size_t)(slash - s) &&
		    strncmp(category_names[i], s, (size_t)(slash - s)) == 0)
			return true;
	return false;
}

static int load_phase(struct ld *l, struct fy_node *n, const char *path, struct sim_phase *ph)
{
	int rc = expect_map(l, n, path);
	if (rc)
		return rc;
	ph->provider = -1;
	ph->template_idx = -1;
	ph->end_ms = SIM_TIME_END;
	ph->truth = true;
	ph->detect_after_ms = -1;
	ph->invalid = 0.8;
	ph->retries = 6;
	ph->chunk_bytes = 64;
	ph->line = node_line(n, &(int){ 0 });
	/* The fault decides which keys are valid: find it first. */
	void *it = NULL;
	char key[64], sub[160], tmp[SIM_NAME_MAX];
	struct fy_node *kn, *vn, *at_node = NULL, *for_node = NULL, *until_node = NULL;
	bool has_fault = false, has_at = false;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		if (strcmp(key, "fault") != 0)
			continue;
		snprintf(sub, sizeof(sub), "%s.fault", path);
		if ((rc = get_text(l, vn, sub, tmp, sizeof(tmp))))
			return rc;
		int f = sim_fault_parse(tmp);
		if (f < 0)
			return ld_err(l, vn, sub, "unknown fault '%s'", tmp);
		ph->fault = (enum sim_fault)f;
		has_fault = true;
	}
	if (rc)
		return rc;
	if (!has_fault)
		return ld_err(l, n, path, "a phase needs a fault");
	it = NULL;
	while ((rc = next_pair(l, n, &it, path, key, &kn, &vn)) == 1) {
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (!param_allowed(key, ph->fault))
			return ld_err(l, kn, sub, "not a parameter of fault '%s'",
			              sim_fault_name(ph->fault));
		if (strcmp(key, "fault") == 0) {
			rc = 0;
		} else if (strcmp(key, "name") == 0) {
			rc = get_text(l, vn, sub, ph->name, sizeof(ph->name));
		} else if (strcmp(key, "provider") == 0) {
			rc = get_text(l, vn, sub, tmp, sizeof(tmp));
			if (!rc && strcmp(tmp, "*") != 0) {
				ph->provider = sim_scenario_provider(l->s, tmp);
				if (ph->provider < 0)
					rc = ld_err(l, vn, sub, "no provider named '%s'", tmp);
			}
		} else if (strcmp(key, "model") == 0) {
			rc = get_text(l, vn, sub, ph->model, sizeof(ph->model));
		} else if (strcmp(key, "region") == 0) {
			rc = get_text(l, vn, sub, ph->region, sizeof(ph->region));
		} else if (strcmp(key, "template") == 0) {
			rc = get_text(l, vn, sub, tmp, sizeof(tmp));
			if (!rc) {
				ph->template_idx = sim_scenario_template(l->s, tmp);
				if (ph->template_idx < 0)
					rc = ld_err(l, vn, sub, "no template named '%s'", tmp);
			}
		} else if (strcmp(key, "at") == 0) {
			rc = get_duration(l, vn, sub, &ph->at_ms);
			at_node = vn;
			has_at = true;
		} else if (strcmp(key, "for") == 0) {
			int64_t d;
			rc = get_duration(l, vn, sub, &d);
			if (!rc && d <= 0)
				rc = ld_err(l, vn, sub, "must be positive");
			if (!rc)
				ph->end_ms = d; /* made absolute below */
			for_node = vn;
		} else if (strcmp(key, "until") == 0) {
			rc = get_duration(l, vn, sub, &ph->end_ms);
			until_node = vn;
		} else if (strcmp(key, "share") == 0) {
			rc = get_curve(l, vn, sub, 0, 1, &ph->share);
		} else if (strcmp(key, "median_ms") == 0) {
			rc = get_curve(l, vn, sub, 0, 3.6e6, &ph->median_ms);
		} else if (strcmp(key, "p95_ms") == 0) {
			rc = get_curve(l, vn, sub, 0, 3.6e6, &ph->p95_ms);
		} else if (strcmp(key, "factor") == 0) {
			rc = get_curve(l, vn, sub, 0.01, 1000, &ph->factor);
		} else if (strcmp(key, "rpm") == 0) {
			rc = get_curve(l, vn, sub, 0, 1e9, &ph->rpm);
		} else if (strcmp(key, "tpm") == 0) {
			rc = get_curve(l, vn, sub, 0, 1e11, &ph->tpm);
		} else if (strcmp(key, "doc_age_s") == 0) {
			rc = get_curve(l, vn, sub, 0, 1e10, &ph->value);
		} else if (strcmp(key, "similarity") == 0) {
			rc = get_curve(l, vn, sub, -1, 1, &ph->value);
		} else if (strcmp(key, "drip") == 0) {
			rc = get_duration(l, vn, sub, &ph->drip_ms);
		} else if (strcmp(key, "chunk_bytes") == 0) {
			rc = get_i32(l, vn, sub, 1, 1 << 20, &ph->chunk_bytes);
		} else if (strcmp(key, "retries") == 0) {
			rc = get_i32(l, vn, sub, 1, 50, &ph->retries);
		} else if (strcmp(key, "invalid") == 0) {
			rc = get_double(l, vn, sub, 0, 1, &ph->invalid);
		} else if (strcmp(key, "block") == 0) {
			rc = get_text(l, vn, sub, tmp, sizeof(tmp));
			if (!rc && strcmp(tmp, "prompt") != 0 && strcmp(tmp, "output") != 0)
				rc = ld_err(l, vn, sub,
				            "unknown value '%s' (expected prompt or output)", tmp);
			ph->prompt_block = !rc && strcmp(tmp, "prompt") == 0;
		} else if (strcmp(key, "version") == 0) {
			rc = get_text(l, vn, sub, ph->version, sizeof(ph->version));
		} else if (strcmp(key, "truth") == 0) {
			rc = get_bool(l, vn, sub, &ph->truth);
		} else if (strcmp(key, "category") == 0) {
			rc = get_enum(l, vn, sub, category_names, ph->category,
			              sizeof(ph->category));
		} else if (strcmp(key, "subtype") == 0) {
			rc = get_text(l, vn, sub, ph->subtype, sizeof(ph->subtype));
		} else if (strcmp(key, "detect_after") == 0) {
			rc = get_duration(l, vn, sub, &ph->detect_after_ms);
		} else if (strcmp(key, "note") == 0) {
			rc = get_text(l, vn, sub, ph->note, sizeof(ph->note));
		} else if (strcmp(key, "also") == 0) {
			rc = expect_seq(l, vn, sub);
			void *it2 = NULL;
			struct fy_node *an;
			while (!rc && (an = fy_node_sequence_iterate(vn, &it2))) {
				char sub2[192];
				snprintf(sub2, sizeof(sub2), "%s[%d]", sub, ph->n_also);
				if (ph->n_also >= SIM_MAX_ALSO) {
					rc = ld_err(l, an, sub2, "at most %d entries",
					            SIM_MAX_ALSO);
					break;
				}
				char *dst = ph->also[ph->n_also];
				rc = get_text(l, an, sub2, dst, sizeof(ph->also[0]));
				if (!rc && !valid_also(dst))
					rc = ld_err(l, an, sub2,
					            "expected category/subtype (e.g. "
					            "cost/token_inflation), "
					            "got '%s'",
					            dst);
				if (!rc)
					ph->n_also++;
			}
		} else {
			rc = unknown_key(l, kn, sub, key);
		}
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!ph->name[0])
		return ld_err(l, n, path, "a phase needs a name");
	if (!has_at)
		return ld_err(l, n, path, "a phase needs 'at' (its onset)");
	if (for_node && until_node) {
		snprintf(sub, sizeof(sub), "%s.until", path);
		return ld_err(l, until_node, sub, "give either 'for' or 'until', not both");
	}
	if (for_node)
		ph->end_ms += ph->at_ms;
	if (ph->at_ms >= l->s->duration_ms) {
		snprintf(sub, sizeof(sub), "%s.at", path);
		return ld_err(l, at_node, sub, "onset is at or after the scenario's end");
	}
	if (until_node && ph->end_ms <= ph->at_ms) {
		snprintf(sub, sizeof(sub), "%s.until", path);
		return ld_err(l, until_node, sub, "must be after 'at'");
	}
	if (ph->end_ms > l->s->duration_ms)
		ph->end_ms = l->s->duration_ms;
	if (ph->model[0] && ph->provider >= 0 &&
	    sim_scenario_model(l->s, ph->provider, ph->model) < 0) {
		snprintf(sub, sizeof(sub), "%s.model", path);
		return ld_err(l, n, sub, "provider '%s' has no model '%s'",
		              l->s->providers[ph->provider].name, ph->model);
	}
	if (ph->fault == SIM_F_LATENCY && !ph->median_ms.n && !ph->p95_ms.n && !ph->factor.n &&
	    !ph->drip_ms)
		return ld_err(l, n, path,
		              "a latency phase needs median_ms, p95_ms, factor or drip");
	if (ph->fault == SIM_F_MARKER && (!ph->category[0] || !ph->subtype[0]))
		return ld_err(l, n, path, "a marker phase needs a category and a subtype");
	if (!ph->category[0])
		snprintf(ph->category, sizeof(ph->category), "%s", sim_fault_category(ph->fault));
	if (!ph->subtype[0])
		snprintf(ph->subtype, sizeof(ph->subtype), "%s", sim_fault_subtype(ph->fault));
	return 0;
}

static int load_root(struct ld *l, struct fy_node *root)
{
	struct sim_scenario *s = l->s;
	int rc = expect_map(l, root, "(top)");
	if (rc)
		return rc;
	struct fy_node *providers = NULL, *traffic = NULL, *phases = NULL, *dur = NULL;
	void *it = NULL;
	sim_time_parse_rfc3339(SIM_DEFAULT_START, &s->start_ms);
	char key[64];
	struct fy_node *kn, *vn;
	while ((rc = next_pair(l, root, &it, "(top)", key, &kn, &vn)) == 1) {
		rc = 0;
		if (strcmp(key, "name") == 0)
			rc = get_text(l, vn, key, s->name, sizeof(s->name));
		else if (strcmp(key, "description") == 0)
			rc = get_text(l, vn, key, s->description, sizeof(s->description));
		else if (strcmp(key, "duration") == 0)
			dur = vn;
		else if (strcmp(key, "seed") == 0) {
			int64_t v;
			rc = get_int(l, vn, key, 0, INT64_MAX, &v);
			s->seed = (uint64_t)v;
		} else if (strcmp(key, "providers") == 0)
			providers = vn;
		else if (strcmp(key, "traffic") == 0)
			traffic = vn;
		else if (strcmp(key, "phases") == 0)
			phases = vn;
		else if (strcmp(key, "rhythm") == 0)
			rc = load_rhythm(l, vn, key);
		else if (strcmp(key, "start") == 0) {
			char tmp[48];
			rc = get_text(l, vn, key, tmp, sizeof(tmp));
			if (!rc && sim_time_parse_rfc3339(tmp, &s->start_ms))
				rc = ld_err(l, vn, key,
				            "expected an RFC 3339 time such as "
				            "2026-11-09T00:00:00Z");
		} else
			rc = unknown_key(l, kn, key, key);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (!s->name[0])
		return ld_err(l, root, "name", "a scenario needs a name");
	if (!dur)
		return ld_err(l, root, "duration", "a scenario needs a duration");
	if ((rc = get_duration(l, dur, "duration", &s->duration_ms)))
		return rc;
	if (s->duration_ms < 1000)
		return ld_err(l, dur, "duration", "must be at least 1s");
	if (!providers)
		return ld_err(l, root, "providers", "a scenario needs at least one provider");
	if ((rc = expect_seq(l, providers, "providers")))
		return rc;
	it = NULL;
	char sub[96];
	while ((vn = fy_node_sequence_iterate(providers, &it))) {
		snprintf(sub, sizeof(sub), "providers[%d]", s->n_providers);
		if (s->n_providers >= SIM_MAX_PROVIDERS)
			return ld_err(l, vn, sub, "at most %d providers", SIM_MAX_PROVIDERS);
		struct sim_provider *p = &s->providers[s->n_providers];
		if ((rc = load_provider(l, vn, sub, p)))
			return rc;
		if (sim_scenario_provider(s, p->name) >= 0)
			return ld_err(l, vn, sub, "a provider named '%s' exists already", p->name);
		s->n_providers++;
	}
	if (s->n_providers == 0)
		return ld_err(l, providers, "providers", "a scenario needs at least one provider");
	struct sim_traffic *tr = &s->traffic;
	tr->rate = 5;
	tr->max_retries = 1;
	tr->timeout_ms = 60000;
	tr->breaker_failures = 5;
	tr->cooldown_ms = 30000;
	if (traffic && (rc = load_traffic(l, traffic, "traffic")))
		return rc;
	if (tr->n_templates == 0) {
		struct sim_template *t = &tr->templates[0];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "default");
		snprintf(t->traffic_class, sizeof(t->traffic_class), "internal");
		snprintf(t->content, sizeof(t->content), "search");
		t->weight = 1;
		t->prompt_tokens = 600;
		t->output_tokens = 150;
		t->share_text = true;
		for (int i = 0; i < s->n_providers && i < SIM_MAX_ROUTE; i++)
			t->route[t->n_route++] = i;
		tr->n_templates = 1;
	}
	if (phases) {
		if ((rc = expect_seq(l, phases, "phases")))
			return rc;
		it = NULL;
		while ((vn = fy_node_sequence_iterate(phases, &it))) {
			snprintf(sub, sizeof(sub), "phases[%d]", s->n_phases);
			if (s->n_phases >= SIM_MAX_PHASES)
				return ld_err(l, vn, sub, "at most %d phases", SIM_MAX_PHASES);
			struct sim_phase *ph = &s->phases[s->n_phases];
			if ((rc = load_phase(l, vn, sub, ph)))
				return rc;
			for (int i = 0; i < s->n_phases; i++)
				if (strcmp(s->phases[i].name, ph->name) == 0)
					return ld_err(l, vn, sub,
					              "a phase named '%s' exists already",
					              ph->name);
			s->n_phases++;
		}
	}
	return 0;
}

int sim_scenario_parse(const char *text, size_t len, const char *file, struct sim_scenario **out,
                       char **cause)
{
	struct ld l = { .file = file ? file : "(scenario)", .cause = NULL, .s = NULL };
	int rc = 0;
	*out = NULL;
	l.s = calloc(1, sizeof(*l.s));
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = l.s ? fy_diag_create(&dcfg) : NULL;
	if (!diag) {
		free(l.s);
		if (cause)
			*cause = strdup("out of memory");
		return VG_ENOMEM;
	}
	l.s->seed = 1;
	snprintf(l.s->file, sizeof(l.s->file), "%s", l.file);
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET, .diag = diag };
	struct fy_document *doc = fy_document_build_from_string(&pcfg, text, len);
	if (!doc) {
		void *it = NULL;
		struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
		if (de)
			rc = vg_cause(&l.cause, VG_ECONFIG, "%s:%d:%d: invalid YAML: %s", l.file,
			              de->line, de->column, de->msg);
		else
			rc = vg_cause(&l.cause, VG_ECONFIG, "%s: empty scenario", l.file);
		goto out;
	}
	rc = load_root(&l, fy_document_root(doc));
	fy_document_destroy(doc);
out:
	fy_diag_destroy(diag);
	if (rc) {
		free(l.s);
		if (cause)
			*cause = l.cause ? l.cause : strdup(vg_strerror(rc));
		else
			free(l.cause);
		return rc;
	}
	free(l.cause);
	*out = l.s;
	return 0;
}

const char *sim_scenario_builtin_file(const char *relpath, size_t *len)
{
	for (const struct sim_embedded_file *f = sim_embedded_files; f->name; f++)
		if (strcmp(f->name, relpath) == 0) {
			if (len)
				*len = f->len;
			return f->data;
		}
	return NULL;
}

const char *const *sim_scenario_builtin_names(void)
{
	static const char *const names[] = {
		"calm",
		"oncall-day",
		"latency-ramp",
		"silent-update",
		"injection",
		"openai-dec-2024",
		"google-jun-2025",
		"anthropic-529-waves",
		"baseline-weeks",
		"faults",
		NULL,
	};
	return names;
}

static bool looks_like_path(const char *s)
{
	size_t n = strlen(s);
	if (strchr(s, '/'))
		return true;
	return (n > 5 && strcmp(s + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(s + n - 4, ".yml") == 0) ||
	       (n > 5 && strcmp(s + n - 5, ".json") == 0);
}

int sim_scenario_load(const char *name_or_path, struct sim_scenario **out, char **cause)
{
	*out = NULL;
	if (!looks_like_path(name_or_path)) {
		char rel[160];
		snprintf(rel, sizeof(rel), "scenarios/%s.yaml", name_or_path);
		size_t len;
		const char *text = sim_scenario_builtin_file(rel, &len);
		if (!text) {
			if (cause) {
				struct {
					char m[512];
				} b;
				int n = snprintf(b.m, sizeof(b.m),
				                 "no scenario named '%s' (shipped:", name_or_path);
				for (const char *const *nm = sim_scenario_builtin_names(); *nm;
				     nm++)
					n += snprintf(b.m + n, sizeof(b.m) - (size_t)n, " %s", *nm);
				snprintf(b.m + n, sizeof(b.m) - (size_t)n,
				         "; or give a path to a .yaml or .json file)");
				*cause = strdup(b.m);
			}
			return VG_ENOTFOUND;
		}
		char file[192];
		snprintf(file, sizeof(file), "sim/%s", rel);
		return sim_scenario_parse(text, len, file, out, cause);
	}
	FILE *f = fopen(name_or_path, "rb");
	if (!f)
		return vg_cause(cause, VG_EIO, "%s: cannot open: %s", name_or_path,
		                strerror(errno));
	struct {
		char *p;
		size_t n, cap;
	} b = { NULL, 0, 0 };
	int rc = 0;
	for (;;) {
		if (b.n + 4096 > b.cap) {
			size_t cap = b.cap ? b.cap * 2 : 8192;
			char *p = realloc(b.p, cap);
			if (!p) {
				rc = VG_ENOMEM;
				break;
			}
			b.p = p;
			b.cap = cap;
		}
		size_t got = fread(b.p + b.n, 1, b.cap - b.n, f);
		b.n += got;
		if (got == 0)
			break;
		if (b.n > (8u << 20)) {
			rc = VG_ETOOBIG;
			break;
		}
	}
	bool ioerr = ferror(f);
	fclose(f);
	if (!rc && ioerr)
		rc = VG_EIO;
	if (rc) {
		free(b.p);
		return vg_cause(cause, rc, "%s: cannot read: %s", name_or_path, vg_strerror(rc));
	}
	rc = sim_scenario_parse(b.p ? b.p : "", b.n, name_or_path, out, cause);
	free(b.p);
	return rc;
}
