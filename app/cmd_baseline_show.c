/*
 * cmd_baseline_show.c: `vigil baseline show`: a series' 168-slot profile
 * (see cmd_baseline.c). For each series that matches the filters, the
 * metric's usual value per hour of the week as a chart, one line per day
 * (Monday first, UTC) with a cell per hour:
 *
 *   openai/gpt-4o gateway: latency p95, learning: 93% of slots warm
 *   (4 refreshes, the last 2026-02-02 04:00 UTC; band +-3.86 sigma)
 *          00    04    08    12    16    20
 *   Mon    ▁▁▁▁▁▁▁▁▁▁▁▁▁▅▇▇▇▇▇▇▇▇▇▁  1.2-9.1 s, peak 15:00 9.1 s (6.5-12.7)
 *          ########################
 *   ...
 *   cells: ▁ 1.0 s .. █ 9.5 s (log scale); below: # warm, + learning,
 *   . nothing learned
 *
 * The cells are block characters (UTF-8), nothing else: no colour, no
 * control sequence; every name read from the database is sanitized. --json
 * gives every slot's expected value, band, bar, weight and warmth.
 */
#include "app/cmd_baseline.h"

#include "app/cli.h"
#include "app/cli_out.h"
#include "core/sanitize.h"
#include "core/semantic.h"
#include "core/vgerr.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
	                               "\u2585", "\u2586", "\u2587", "\u2588" };

/* Whether series k matches the filters (a model given as a version matches
 * its alias's series). */
static bool matches(const struct rollup_series *k, const struct bl_opts *o)
{
	if (o->provider && strcmp(o->provider, k->provider) != 0)
		return false;
	if (o->source && strcmp(o->source, k->source == OBS_PROBE ? "probe" : "gateway") != 0)
		return false;
	if (o->model) {
		size_t len = semantic_model_alias_len(o->model);
		if (strlen(k->alias) != len || strncmp(k->alias, o->model, len) != 0)
			return false;
	} else if (o->provider == NULL && k->alias[0] == '\0') {
		/* without filters, the aliases only (their aggregates with --provider) */
		return false;
	}
	return true;
}

static const char *unit_of(enum baseline_metric mt)
{
	switch (baseline_metric_kind(mt)) {
	case BK_QUANTILE: return "ms";
	case BK_RATE: return "share";
	default: return mt == BM_THROUGHPUT ? "tokens/s" : "$ per 1k tokens";
	}
}

static void fmt_value(enum baseline_metric mt, double v, char *buf, size_t size)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else if (baseline_metric_kind(mt) == BK_QUANTILE)
		snprintf(buf, size, v >= 1000 ? "%.1f s" : "%.0f ms", v >= 1000 ? v / 1000 : v);
	else if (baseline_metric_kind(mt) == BK_RATE)
		snprintf(buf, size,
		         v * 100 >= 9.95    ? "%.0f%%"
		         : v * 100 >= 0.995 ? "%.1f%%"
		                            : "%.2f%%",
		         v * 100);
	else if (mt == BM_THROUGHPUT)
		snprintf(buf, size, "%.0f tok/s", v);
	else
		snprintf(buf, size, "$%.4g", v);
}

/* The numbers of every slot. */
struct profile {
	struct baseline_band b[BL_SLOTS];
};

static void profile_of(const struct baseline_model *m, const struct baseline_ctx *c,
                       enum baseline_metric mt, int64_t now, struct profile *p)
{
	int q = baseline_metric_kind(mt) == BK_QUANTILE ? 1 : 0;
	for (int s = 0; s < BL_SLOTS; s++)
		baseline_band_of(m, c, mt, q, s, now, &p->b[s]);
}

static void chart(const struct baseline_model *m, const struct baseline_ctx *c,
                  enum baseline_metric mt, const struct profile *p, int64_t refreshed)
{
	char name[160], when[40];
	cmd_baseline__series_name(&m->key, name, sizeof(name));
	cmd_baseline__time(refreshed, when, sizeof(when));
	bool quant = baseline_metric_kind(mt) == BK_QUANTILE;
	printf("%s: %s%s, learning: %.0f%% of slots warm\n(%d refresh%s, the last %s; band "
	       "+-%.2f sigma)\n",
	       name, baseline_metric_name(mt), quant ? " p95" : "",
	       100 * baseline_warm_share(m, &c->s, mt), m->refreshes, m->refreshes == 1 ? "" : "es",
	       when, c->lim.z_between);
	if (m->review.pending)
		printf("a review waits (vigil baseline review)\n");
	double lo = INFINITY, hi = -INFINITY;
	for (int s = 0; s < BL_SLOTS; s++) {
		double v = p->b[s].expected;
		if (isfinite(v) && v > 0) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
	}
	if (!isfinite(lo)) {
		printf("nothing learned for %s yet\n\n", baseline_metric_name(mt));
		return;
	}
	bool logscale = hi > lo;
	printf("       00  02  04  06  08  10  12  14  16  18  20  22\n");
	static const char *const days[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	for (int d = 0; d < 7; d++) {
		char cells[24 * 4 + 1], warm[25];
		size_t at = 0;
		double dlo = INFINITY, dhi = -INFINITY;
		int peak = -1;
		for (int h = 0; h < 24; h++) {
			const struct baseline_band *b = &p->b[d * 24 + h];
			double v = b->expected;
			if (isfinite(v) && v > 0) {
				double f = logscale ? log(v / lo) / log(hi / lo) : 0.5;
				int k = (int)lround(f * 7);
				const char *blk = blocks[k < 0 ? 0 : k > 7 ? 7 : k];
				memcpy(cells + at, blk, 3); /* each block is 3 bytes of UTF-8 */
				at += 3;
				if (v < dlo)
					dlo = v;
				if (v > dhi) {
					dhi = v;
					peak = h;
				}
			} else {
				cells[at++] = ' ';
			}
			warm[h] = b->warm ? '#' : b->weight >= 0.05 ? '+' : '.';
		}
		warm[24] = '\0';
		cells[at] = '\0';
		char a[32], z[32], pk[32], plo[32], phi[32];
		fmt_value(mt, dlo, a, sizeof(a));
		fmt_value(mt, dhi, z, sizeof(z));
		if (peak >= 0) {
			const struct baseline_band *b = &p->b[d * 24 + peak];
			fmt_value(mt, b->expected, pk, sizeof(pk));
			fmt_value(mt, b->lo, plo, sizeof(plo));
			fmt_value(mt, b->hi, phi, sizeof(phi));
			printf("%s    %s  %s-%s, peak %02d:00 %s (%s-%s)\n", days[d], cells, a, z,
			       peak, pk, plo, phi);
		} else {
			printf("%s    %s\n", days[d], cells);
		}
		printf("       %s\n", warm);
	}
	char a[32], z[32];
	fmt_value(mt, lo, a, sizeof(a));
	fmt_value(mt, hi, z, sizeof(z));
	printf("cells: %s %s .. %s %s (%s scale); below: # warm, + learning, . nothing learned\n\n",
	       blocks[0], a, blocks[7], z, logscale ? "log" : "flat");
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *profile_json(const struct baseline_model *m, const struct baseline_ctx *c,
                            enum baseline_metric mt, const struct profile *p, int64_t refreshed)
{
	char name[160];
	cmd_baseline__series_name(&m->key, name, sizeof(name));
	json_t *o = json_object();
	json_object_set_new(o, "series", json_string(name));
	json_object_set_new(o, "provider", json_string(m->key.provider));
	json_object_set_new(o, "alias", json_string(m->key.alias));
	json_object_set_new(o, "source",
	                    json_string(m->key.source == OBS_PROBE ? "probe" : "gateway"));
	json_object_set_new(o, "metric", json_string(baseline_metric_name(mt)));
	if (baseline_metric_kind(mt) == BK_QUANTILE)
		json_object_set_new(o, "percentile", json_integer(95));
	json_object_set_new(o, "unit", json_string(unit_of(mt)));
	json_object_set_new(o, "warm_share", json_real(baseline_warm_share(m, &c->s, mt)));
	json_object_set_new(o, "refreshes", json_integer(m->refreshes));
	json_object_set_new(o, "refreshed_ms",
	                    refreshed == INT64_MIN ? json_null() : json_integer(refreshed));
	json_object_set_new(o, "review_waiting", json_boolean(m->review.pending));
	json_object_set_new(o, "z_between", json_real(c->lim.z_between));
	json_t *slots = json_array();
	for (int s = 0; s < BL_SLOTS; s++) {
		const struct baseline_band *b = &p->b[s];
		char slot[24];
		baseline_slot_name(s, slot, sizeof(slot));
		json_t *j = json_object();
		json_object_set_new(j, "slot", json_integer(s));
		json_object_set_new(j, "name", json_string(slot));
		json_object_set_new(j, "expected", num(b->expected));
		json_object_set_new(j, "lo", num(b->lo));
		json_object_set_new(j, "hi", num(b->hi));
		json_object_set_new(j, "threshold", num(b->threshold));
		json_object_set_new(j, "sigma", num(b->sigma));
		json_object_set_new(j, "weight", json_real(b->weight));
		json_object_set_new(j, "warm", json_boolean(b->warm));
		json_array_append_new(slots, j);
	}
	json_object_set_new(o, "slots", slots);
	return o;
}

int cmd_baseline__show(struct baseline_db *d, const struct bl_opts *o)
{
	enum baseline_metric mt =
	        o->metric ? (enum baseline_metric)baseline_metric_parse(o->metric, (size_t)-1)
	                  : BM_LATENCY;
	struct baseline_db_series *ser;
	size_t n;
	int rc = baseline_db_series(d, &ser, &n);
	if (rc != 0) {
		fprintf(stderr, "vigil baseline show: %s\n", vg_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	/* The budget's limits count the deployment's series. */
	size_t counts[2] = { 0, 0 };
	for (size_t i = 0; i < n; i++)
		counts[ser[i].key.source == OBS_PROBE]++;
	size_t gw, pr;
	config_baseline_series(o->cfg, &gw, &pr);
	struct baseline_static st;
	baseline_static_from(&o->cfg->thresholds, &st);
	struct baseline_ctx c;
	baseline_ctx_init(&c, &o->bs, &st, gw > counts[0] ? gw : counts[0],
	                  pr > counts[1] ? pr : counts[1]);
	int64_t now = baseline_db_clock(d);
	struct baseline_model *m = malloc(sizeof(*m));
	struct profile *p = malloc(sizeof(*p));
	json_t *all = o->json ? json_array() : NULL;
	size_t shown = 0;
	for (size_t i = 0; m && p && i < n; i++) {
		if (!matches(&ser[i].key, o))
			continue;
		int64_t refreshed;
		char *cause = NULL;
		rc = baseline_db_model(d, &ser[i].key, m, &refreshed, &cause);
		if (rc != 0) {
			char name[160];
			cmd_baseline__series_name(&ser[i].key, name, sizeof(name));
			if (rc != VG_ENOTFOUND)
				fprintf(stderr, "vigil baseline show: %s: %s\n", name,
				        cause ? cause : vg_strerror(rc));
			else if (!o->json)
				printf("%s: no model yet (%lld hours stored; the first refresh "
				       "learns "
				       "them)\n\n",
				       name, (long long)ser[i].hours);
			free(cause);
			continue;
		}
		profile_of(m, &c, mt, now, p);
		if (all)
			json_array_append_new(all, profile_json(m, &c, mt, p, refreshed));
		else
			chart(m, &c, mt, p, refreshed);
		shown++;
	}
	free(ser);
	free(m);
	free(p);
	if (all) {
		char *s = json_dumps(all, JSON_INDENT(1));
		json_decref(all);
		if (s)
			cli_json_print(stdout, s);
		free(s);
	}
	if (!shown) {
		fprintf(stderr, "vigil baseline show: no series with a model matches in %s\n",
		        o->db);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
