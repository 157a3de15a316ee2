/*
 * replay_expect_check.c: a replay's report (its JSON) checked against an
 * expectation file (see replay_expect.h): incidents matched by kind,
 * provider, severity and time, forbidden ones, payload fields, detection
 * of each fault within its limit, breaker oscillation; every miss is a
 * line of the diff.
 */
#include "app/replay_expect.h"

#include "app/replay_expect_internal.h"
#include "core/incident.h"
#include "core/model.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (vg_grow((void **)&b->s, &b->cap, b->n + (size_t)n + 1, 1, 256) != 0) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static char *bdone(struct buf *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	return b->s;
}

static const char *family_of(const char *subtype)
{
	int sub = subtype ? model_subtype_parse(subtype, strlen(subtype)) : -1;
	return sub < 0 ? NULL : incident_family((enum subtype)sub);
}

static bool in_string_array(json_t *a, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* Does report incident `inc` match the matcher m (category, subtype by
 * family, provider, template)? */
static bool inc_matches(json_t *m, json_t *inc)
{
	const char *c = replay_expect__str(m, "category"), *p = replay_expect__str(m, "provider"),
	           *t = replay_expect__str(m, "template");
	const char *s = replay_expect__str(m, "subtype");
	if (c && strcmp(c, replay_expect__str(inc, "category") ? replay_expect__str(inc, "category")
	                                                       : "") != 0)
		return false;
	if (p && strcmp(p, replay_expect__str(inc, "provider") ? replay_expect__str(inc, "provider")
	                                                       : "") != 0)
		return false;
	if (t && !in_string_array(json_object_get(inc, "templates"), t))
		return false;
	const char *fb = replay_expect__str(m, "first_before"),
	           *fa = replay_expect__str(m, "first_after");
	if (fb || fa) {
		int64_t first, lim;
		const char *fs = replay_expect__str(inc, "first");
		if (!fs || timeparse_rfc3339(fs, strlen(fs), &first) != 0)
			return false;
		if (fb && (timeparse_rfc3339(fb, strlen(fb), &lim) != 0 || first >= lim))
			return false;
		if (fa && (timeparse_rfc3339(fa, strlen(fa), &lim) != 0 || first < lim))
			return false;
	}
	if (s) {
		const char *fam = family_of(s);
		bool any = false;
		size_t i;
		json_t *v;
		json_array_foreach (json_object_get(inc, "subtypes"), i, v) {
			const char *f = family_of(json_string_value(v));
			if (fam && f && strcmp(fam, f) == 0)
				any = true;
		}
		if (!any)
			return false;
	}
	return true;
}

static void describe(json_t *m, char *buf, size_t size)
{
	const char *c = replay_expect__str(m, "category"), *s = replay_expect__str(m, "subtype"),
	           *p = replay_expect__str(m, "provider");
	const char *t = replay_expect__str(m, "template");
	snprintf(buf, size, "%s/%s%s%s%s%s", c ? c : "*", s ? s : "*", p ? " " : "", p ? p : "",
	         t ? " template " : "", t ? t : "");
}

static const char *name_of(json_t *m, const char *dflt)
{
	const char *n = replay_expect__str(m, "name");
	return n ? n : dflt;
}

/* ---- checking -------------------------------------------------------------- */

/* Report incidents matching m, into ids[] (at most max); returns how many. */
static size_t matching(json_t *report, json_t *m, json_t **out, size_t max)
{
	size_t n = 0, i;
	json_t *inc;
	json_array_foreach (json_object_get(report, "incidents"), i, inc) {
		if (inc_matches(m, inc) && n < max)
			out[n++] = inc;
	}
	return n;
}

#define MAX_MATCH 4096

static void ids_text(json_t **v, size_t n, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off + 16 < size; i++) {
		if (i == 8) {
			snprintf(buf + off, size - off, ", ...");
			break;
		}
		off += (size_t)snprintf(buf + off, size - off, "%s#%lld", i ? ", " : "",
		                        (long long)json_integer_value(json_object_get(v[i], "id")));
	}
}

static bool related_pair(json_t **a, size_t na, json_t **b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			json_int_t ia = json_integer_value(json_object_get(a[i], "id"));
			json_int_t ib = json_integer_value(json_object_get(b[j], "id"));
			size_t k;
			json_t *r;
			json_array_foreach (json_object_get(a[i], "related"), k, r) {
				if (json_integer_value(r) == ib)
					return true;
			}
			json_array_foreach (json_object_get(b[j], "related"), k, r) {
				if (json_integer_value(r) == ia)
					return true;
			}
		}
	return false;
}

static void range_of(json_t *r, long long *lo, long long *hi)
{
	*lo = 0;
	*hi = -1; /* no upper bound */
	if (json_is_integer(r)) {
		*lo = *hi = json_integer_value(r);
		return;
	}
	json_t *a = json_object_get(r, "min"), *b = json_object_get(r, "max");
	if (a)
		*lo = json_integer_value(a);
	if (b)
		*hi = json_integer_value(b);
}

static int check_incidents(json_t *root, json_t *report, struct buf *d, json_t **tmp, json_t **tmp2)
{
	int fails = 0;
	json_t *incs = json_object_get(root, "incidents");
	size_t i;
	json_t *x;
	json_array_foreach (incs, i, x) {
		char what[200], ids[160];
		describe(x, what, sizeof(what));
		const char *name = name_of(x, "?");
		size_t n = matching(report, x, tmp, MAX_MATCH);
		ids_text(tmp, n, ids, sizeof(ids));
		json_t *ir = json_object_get(x, "incidents");
		long long lo, hi;
		if (n == 0) {
			fails++;
			bprintf(d, "incident '%s' (%s): missing, no incident matches\n", name,
			        what);
			continue;
		}
		if (ir) {
			range_of(ir, &lo, &hi);
			if ((long long)n < lo || (hi >= 0 && (long long)n > hi)) {
				fails++;
				char hib[32];
				snprintf(hib, sizeof(hib), "%lld", hi);
				bprintf(d,
				        "incident '%s' (%s): %zu incidents (%s), expected "
				        "%lld..%s\n",
				        name, what, n, ids, lo, hi >= 0 ? hib : "");
			}
		}
		int peak = SEV__COUNT;
		long long count = 0;
		bool paged = false;
		for (size_t k = 0; k < n; k++) {
			int r = replay_expect__sev_rank(replay_expect__str(tmp[k], "severity"));
			if (r >= 0 && r < peak)
				peak = r;
			count += json_integer_value(json_object_get(tmp[k], "count"));
			paged |= json_is_string(json_object_get(tmp[k], "paged"));
		}
		json_t *sv = json_object_get(x, "severity");
		if (sv) {
			int smin, smax; /* as ranks: smax = worst allowed (lowest rank) */
			if (json_is_string(sv)) {
				smin = smax = replay_expect__sev_rank(json_string_value(sv));
			} else {
				json_t *a = json_object_get(sv, "min"),
				       *b = json_object_get(sv, "max");
				smin = a ? replay_expect__sev_rank(json_string_value(a)) : SEV_LOW;
				smax = b ? replay_expect__sev_rank(json_string_value(b))
				         : SEV_CRITICAL;
			}
			if (peak < smax || peak > smin) {
				fails++;
				bprintf(d,
				        "incident '%s' (%s): peak severity %s (%s), expected "
				        "%s%s%s\n",
				        name, what,
				        peak < SEV__COUNT ? model_severity_name((enum severity)peak)
				                          : "none",
				        ids, model_severity_name((enum severity)smin),
				        smin != smax ? ".." : "",
				        smin != smax ? model_severity_name((enum severity)smax)
				                     : "");
			}
		}
		json_t *cr = json_object_get(x, "count");
		if (cr) {
			range_of(cr, &lo, &hi);
			if (count < lo || (hi >= 0 && count > hi)) {
				fails++;
				char hib[32];
				snprintf(hib, sizeof(hib), "%lld", hi);
				bprintf(d,
				        "incident '%s' (%s): %lld events (%s), expected %lld..%s\n",
				        name, what, count, ids, lo, hi >= 0 ? hib : "");
			}
		}
		json_t *pg = json_object_get(x, "paged");
		if (pg && json_is_true(pg) != paged) {
			fails++;
			bprintf(d, "incident '%s' (%s): %s (%s), expected %s\n", name, what,
			        paged ? "paged" : "never paged", ids, paged ? "no page" : "a page");
		}
		size_t j;
		json_t *rn;
		json_array_foreach (json_object_get(x, "related_to"), j, rn) {
			json_t *other = replay_expect__find_named(incs, json_string_value(rn));
			size_t n2 = other ? matching(report, other, tmp2, MAX_MATCH) : 0;
			if (!related_pair(tmp, n, tmp2, n2)) {
				fails++;
				bprintf(d, "incident '%s' (%s): not related to '%s' (%s vs %zu)\n",
				        name, what, json_string_value(rn), ids, n2);
			}
		}
	}
	return fails;
}

static int check_forbidden(json_t *root, json_t *report, struct buf *d)
{
	int fails = 0;
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(root, "forbidden"), i, x) {
		char what[200];
		describe(x, what, sizeof(what));
		int sev = replay_expect__sev_rank(replay_expect__str(x, "severity"));
		size_t k;
		json_t *inc;
		json_array_foreach (json_object_get(report, "incidents"), k, inc) {
			if (!inc_matches(x, inc))
				continue;
			if (sev >= 0 &&
			    replay_expect__sev_rank(replay_expect__str(inc, "severity")) > sev)
				continue;
			fails++;
			bprintf(d,
			        "forbidden '%s' (%s%s%s): incident #%lld %s/%s %s peaked %s, %lld "
			        "events from %s\n",
			        name_of(x, "?"), what, sev >= 0 ? ", at " : "",
			        sev >= 0 ? replay_expect__str(x, "severity") : "",
			        (long long)json_integer_value(json_object_get(inc, "id")),
			        replay_expect__str(inc, "category"),
			        replay_expect__str(inc, "subtype"),
			        replay_expect__str(inc, "provider"),
			        replay_expect__str(inc, "severity"),
			        (long long)json_integer_value(json_object_get(inc, "count")),
			        replay_expect__str(inc, "first") ? replay_expect__str(inc, "first")
			                                         : "?");
		}
	}
	return fails;
}

/* The value at a dotted path ("payload.custom_details.count", "links.0.href"). */
static json_t *at_path(json_t *v, const char *path)
{
	char seg[128];
	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		path += n + (path[n] == '.');
		if (json_is_array(v)) {
			char *end;
			long idx = strtol(seg, &end, 10);
			v = *end == '\0' && idx >= 0 ? json_array_get(v, (size_t)idx) : NULL;
		} else {
			v = json_object_get(v, seg);
		}
	}
	return v;
}

static bool present(json_t *v)
{
	if (!v || json_is_null(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return true;
}

static int check_payloads(json_t *root, json_t *report, struct buf *d, json_t **tmp)
{
	int fails = 0;
	json_t *incs = json_object_get(root, "incidents");
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(root, "payloads"), i, x) {
		const char *iname = replay_expect__str(x, "incident"),
		           *kind = replay_expect__str(x, "kind"), *op = replay_expect__str(x, "op");
		json_t *m = replay_expect__find_named(incs, iname);
		size_t n = m ? matching(report, m, tmp, MAX_MATCH) : 0;
		size_t seen = 0, k;
		json_t *p;
		json_array_foreach (json_object_get(report, "payloads"), k, p) {
			if (strcmp(replay_expect__str(p, "kind") ? replay_expect__str(p, "kind")
			                                         : "",
			           kind) != 0)
				continue;
			if (op &&
			    strcmp(replay_expect__str(p, "op") ? replay_expect__str(p, "op") : "",
			           op) != 0)
				continue;
			json_int_t id = json_integer_value(json_object_get(p, "incident"));
			bool mine = false;
			for (size_t j = 0; j < n && !mine; j++)
				mine = json_integer_value(json_object_get(tmp[j], "id")) == id;
			if (!mine)
				continue;
			seen++;
			size_t f;
			json_t *path;
			json_array_foreach (json_object_get(x, "fields"), f, path) {
				const char *ps = json_string_value(path);
				if (ps && !present(at_path(json_object_get(p, "payload"), ps))) {
					fails++;
					bprintf(d,
					        "payload %s %s of incident '%s' (#%lld): field "
					        "'%s' "
					        "missing or empty\n",
					        kind, replay_expect__str(p, "op"), iname,
					        (long long)id, ps);
				}
			}
		}
		if (seen == 0) {
			fails++;
			bprintf(d, "payload %s%s%s of incident '%s': none was built\n", kind,
			        op ? " " : "", op ? op : "", iname);
		}
	}
	return fails;
}

static json_t *find_fault(json_t *report, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach (json_object_get(json_object_get(report, "truth"), "faults"), i, f) {
		if (replay_expect__str(f, "name") &&
		    strcmp(replay_expect__str(f, "name"), name) == 0)
			return f;
	}
	return NULL;
}

static int check_within(struct buf *d, const char *fault, const char *what, json_t *ms, json_t *max)
{
	if (!max)
		return 0;
	double lim = json_number_value(max);
	if (!json_is_integer(ms)) {
		bprintf(d, "detect '%s': %s never (allowed %.1f s)\n", fault, what, lim);
		return 1;
	}
	double s = (double)json_integer_value(ms) / 1000.0;
	if (s > lim) {
		bprintf(d, "detect '%s': %s after %.1f s, allowed %.1f s\n", fault, what, s, lim);
		return 1;
	}
	return 0;
}

static int check_detect(json_t *root, json_t *report, struct buf *d)
{
	int fails = 0;
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(root, "detect"), i, x) {
		const char *name = replay_expect__str(x, "fault");
		json_t *f = find_fault(report, name);
		if (!f) {
			fails++;
			bprintf(d, "detect '%s': no such fault in the truth file (--truth)\n",
			        name);
			continue;
		}
		fails += check_within(d, name, "first event", json_object_get(f, "detect_ms"),
		                      json_object_get(x, "max_s"));
		fails += check_within(d, name, "first event of its own kind",
		                      json_object_get(f, "detect_own_ms"),
		                      json_object_get(x, "max_own_s"));
		fails += check_within(d, name, "first page", json_object_get(f, "page_ms"),
		                      json_object_get(x, "max_page_s"));
		fails += check_within(d, name, "first event after the first failed request",
		                      json_object_get(f, "detect_symptom_ms"),
		                      json_object_get(x, "max_symptom_s"));
		size_t j;
		json_t *k;
		json_array_foreach (json_object_get(x, "kinds"), j, k) {
			const char *c = replay_expect__str(k, "category"),
			           *s = replay_expect__str(k, "subtype");
			json_t *found = NULL;
			size_t q;
			json_t *fk;
			json_array_foreach (json_object_get(f, "kinds"), q, fk) {
				const char *fc = replay_expect__str(fk, "category"),
				           *fs = replay_expect__str(fk, "subtype");
				if (c && fc && strcmp(c, fc) == 0 &&
				    (!s || (fs && strcmp(s, fs) == 0)))
					found = fk;
			}
			char what[128];
			snprintf(what, sizeof(what), "first %s/%s event", c ? c : "?", s ? s : "*");
			if (!found) {
				fails++;
				bprintf(d, "detect '%s': the truth names no %s/%s kind\n", name,
				        c ? c : "?", s ? s : "*");
				continue;
			}
			fails += check_within(d, name, what, json_object_get(found, "detect_ms"),
			                      json_object_get(k, "max_s"));
		}
	}
	return fails;
}

static int check_oscillation(json_t *root, json_t *report, struct buf *d)
{
	int fails = 0;
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(root, "oscillation"), i, p) {
		const char *prov = json_string_value(p);
		if (!prov)
			continue;
		size_t n = strlen(prov), k;
		bool seen = false;
		json_t *o;
		json_array_foreach (
		        json_object_get(json_object_get(report, "breakers"), "oscillating"), k, o) {
			const char *b = replay_expect__str(o, "breaker");
			if (b && strncmp(b, prov, n) == 0 && (b[n] == '\0' || b[n] == '/'))
				seen = true;
		}
		json_t *inc;
		json_array_foreach (json_object_get(report, "incidents"), k, inc) {
			const char *ip = replay_expect__str(inc, "provider");
			if (ip && strcmp(ip, prov) == 0 &&
			    in_string_array(json_object_get(inc, "subtypes"), "oscillation"))
				seen = true;
		}
		if (!seen) {
			fails++;
			bprintf(d, "oscillation '%s': no breaker of it was flagged oscillating\n",
			        prov);
		}
	}
	return fails;
}

/* The weekly refreshes replay ran and the review items they made (the
 * report's "baselines", absent when no refresh ran: zero of each). */
static int check_baselines(json_t *root, json_t *report, struct buf *d)
{
	static const char *const what[] = { "refreshes", "reviews" };
	json_t *want = json_object_get(root, "baselines");
	json_t *got = json_object_get(report, "baselines");
	int fails = 0;
	for (size_t i = 0; want && i < 2; i++) {
		json_t *r = json_object_get(want, what[i]);
		if (!r)
			continue;
		long long lo, hi, n = json_integer_value(json_object_get(got, what[i]));
		range_of(r, &lo, &hi);
		if (n >= lo && (hi < 0 || n <= hi))
			continue;
		fails++;
		if (hi >= 0)
			bprintf(d, "baselines: %lld %s, expected %lld to %lld\n", n, what[i], lo,
			        hi);
		else
			bprintf(d, "baselines: %lld %s, expected at least %lld\n", n, what[i], lo);
	}
	return fails;
}

int replay_expect_check(const struct replay_expect *e, json_t *report, char **diff)
{
	struct buf d = { 0 };
	json_t **tmp = malloc(2 * MAX_MATCH * sizeof(*tmp));
	*diff = NULL;
	if (!tmp)
		return VG_ENOMEM;
	int fails = 0;
	fails += check_incidents(e->root, report, &d, tmp, tmp + MAX_MATCH);
	fails += check_forbidden(e->root, report, &d);
	fails += check_payloads(e->root, report, &d, tmp);
	fails += check_detect(e->root, report, &d);
	fails += check_oscillation(e->root, report, &d);
	fails += check_baselines(e->root, report, &d);
	free(tmp);
	*diff = bdone(&d);
	if (!*diff)
		return VG_ENOMEM;
	return fails;
}
