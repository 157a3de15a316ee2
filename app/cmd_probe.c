/*
 * cmd_probe.c: `vigil probe [--config F] [--once] [--json]`: run the canary
 * probes of a config (probes/canary) and print each result: a table row
 * (provider, model, status, dns/connect/tls/ttfb/total ms, rate-limit
 * headroom, verdict as category/subtype from core/taxonomy) or one JSON
 * line. With --once every endpoint is probed once and the exit status says
 * whether all were healthy (0), any failed or was disabled (1), or the
 * command or config was wrong (2). Without --once the probes run on their
 * schedule until SIGINT or SIGTERM (headless; the daemon is `vigil run`).
 */
#include "app/cli.h"
#include "app/cli_out.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/metrics_std.h"
#include "core/taxonomy.h"
#include "data/metrics.h"
#include "net/httpd.h"
#include "probes/canary.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

struct probe_cmd {
	const struct vigil_config *cfg;
	struct canary_set *set;
	uv_loop_t *loop;
	uv_signal_t sigint, sigterm;
	bool json, once;
	struct core_settings settings;
	size_t results, unhealthy;
	bool header_done;
	int w_provider, w_model; /* the table's name columns, sized to the names */
	char **rows; /* once mode, table: one row per endpoint, printed in config order */
	size_t n_rows;
	struct vigil_metrics *vm; /* --metrics */
	struct httpd *httpd;
};

static void help(void)
{
	printf("usage: vigil probe [--config FILE] [--once] [--json] [--metrics HOST:PORT]\n\n"
	       "Send the canary probes of a config: per provider and model a tiny request\n"
	       "asking for {\"ok\":true}, on a fresh connection, keys from the environment\n"
	       "variables the config names. Prints one row per probe: status, DNS, connect,\n"
	       "TLS, time to first byte and total (ms), rate-limit headroom and the verdict\n"
	       "(category/subtype, or ok).\n\n"
	       "  -c, --config FILE   config file (default: vigil.yaml)\n"
	       "  -1, --once          probe every endpoint once and exit: 0 when all are\n"
	       "                      healthy, 1 when any failed or is disabled, 2 on usage\n"
	       "                      or config errors\n"
	       "  -j, --json          one JSON object per line instead of the table\n"
	       "  -m, --metrics ADDR  serve Prometheus metrics (probe phases as blackbox_exporter\n"
	       "                      names them, success, spend, budget) on ADDR/metrics;\n"
	       "                      port 0 picks a free port (printed on stderr)\n"
	       "  -h, --help          this help\n\n"
	       "Without --once the probes run on their schedule (probes.interval, jitter)\n"
	       "until SIGINT or SIGTERM.\n");
}

static void ms(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", v);
}

/* remaining/limit, the lower of requests and tokens; NaN when not reported. */
static double headroom(const struct observation *obs)
{
	double h = NAN;
	const struct ratelimit *rl[2] = { &obs->norm.rl_requests, &obs->norm.rl_tokens };
	for (int i = 0; i < 2; i++) {
		if (vg_has(rl[i]->limit) && vg_has(rl[i]->remaining) && rl[i]->limit > 0) {
			double v = (double)rl[i]->remaining / (double)rl[i]->limit;
			if (isnan(h) || v < h)
				h = v;
		}
	}
	return h;
}

static void verdict(const struct probe_cmd *pc, const struct observation *obs,
                    const struct canary_result *r, char *buf, size_t size, struct tax_signal *sig,
                    size_t *n_sig)
{
	*n_sig = taxonomy_classify(obs, &obs->verdicts, &pc->settings, sig, TAXONOMY_MAX_SIGNALS);
	if (*n_sig == 0) {
		snprintf(buf, size, r->healthy ? "ok" : "failed");
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < *n_sig && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s/%s", i ? "," : "",
		                      model_category_name(sig[i].category),
		                      model_subtype_name(sig[i].subtype));
}

/* PROVIDER and MODEL as wide as the longest name of the endpoints (at
 * least their titles), so that no row pushes the columns after it out of
 * line. Known before the first result: the endpoints are the config's. */
static void size_columns(struct probe_cmd *pc)
{
	if (pc->w_provider)
		return;
	pc->w_provider = (int)strlen("PROVIDER");
	pc->w_model = (int)strlen("(models)");
	size_t n = canary_endpoint_count(pc->set);
	for (size_t i = 0; i < n; i++) {
		struct canary_endpoint_info e;
		if (!canary_endpoint(pc->set, i, &e))
			continue;
		int wp = (int)strlen(e.provider), wm = (int)strlen(e.model);
		pc->w_provider = wp > pc->w_provider ? wp : pc->w_provider;
		pc->w_model = wm > pc->w_model ? wm : pc->w_model;
	}
}

static void table_header(struct probe_cmd *pc)
{
	if (pc->json || pc->header_done || pc->rows)
		return;
	pc->header_done = true;
	size_columns(pc);
	printf("%-*s %-*s %6s %8s %8s %8s %8s %8s %8s  %s\n", pc->w_provider, "PROVIDER",
	       pc->w_model, "MODEL", "STATUS", "DNS", "CONNECT", "TLS", "TTFB", "TOTAL", "HEADROOM",
	       "VERDICT");
}

static void set_num(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, isnan(v) ? json_null() : json_real(v));
}

static void set_int(json_t *o, const char *k, int64_t v)
{
	json_object_set_new(o, k, vg_has(v) ? json_integer(v) : json_null());
}

static void on_result(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct probe_cmd *pc = ud;
	struct tax_signal sig[TAXONOMY_MAX_SIGNALS];
	size_t n_sig;
	char v[256];
	verdict(pc, obs, r, v, sizeof(v), sig, &n_sig);
	pc->results++;
	if (!r->healthy)
		pc->unhealthy++;
	if (pc->vm)
		metrics_std_observation(pc->vm, obs);
	double hr = headroom(obs);
	if (pc->json) {
		json_t *o = json_object();
		json_object_set_new(o, "ts_ms", json_integer(obs->ts_ms));
		json_object_set_new(o, "endpoint", json_string(r->endpoint));
		json_object_set_new(o, "provider", json_string(obs->pid.provider));
		json_object_set_new(o, "model", json_string(obs->pid.model));
		json_object_set_new(
		        o, "kind", json_string(r->kind == CANARY_MODELS ? "models" : "completion"));
		json_object_set_new(o, "healthy", json_boolean(r->healthy));
		json_object_set_new(o, "status",
		                    obs->http_status >= 0 ? json_integer(obs->http_status)
		                                          : json_null());
		json_object_set_new(o, "transport",
		                    json_string(model_transport_error_name(obs->transport_error)));
		set_num(o, "dns_ms", obs->dns_ms);
		set_num(o, "connect_ms", obs->connect_ms);
		set_num(o, "tls_ms", obs->tls_ms);
		set_num(o, "ttfb_ms", obs->ttfb_ms);
		set_num(o, "total_ms", obs->total_ms);
		json_object_set_new(o, "body_bytes", json_integer(obs->body_bytes));
		json_object_set_new(o, "error_class",
		                    json_string(model_err_class_name(obs->norm.error_class)));
		json_object_set_new(
		        o, "finish",
		        obs->norm.finish == FR_UNSET
		                ? json_null()
		                : json_string(model_finish_reason_name(obs->norm.finish)));
		json_object_set_new(o, "truncated", json_boolean(obs->norm.body_truncated));
		set_int(o, "input_tokens", observation_input_tokens(obs));
		set_int(o, "output_tokens", observation_output_tokens(obs));
		set_int(o, "retry_after_ms", obs->norm.retry_after_ms);
		set_num(o, "headroom", hr);
		set_num(o, "cost_usd", obs->cost_usd);
		set_num(o, "spend_today_usd", r->spend_today_usd);
		json_object_set_new(
		        o, "ok_json",
		        obs->verdicts.schema_valid == VG_TRI_UNSET
		                ? json_null()
		                : json_boolean(obs->verdicts.schema_valid == VG_TRI_TRUE));
		json_t *vs = json_array();
		for (size_t i = 0; i < n_sig; i++)
			json_array_append_new(vs, json_pack("{s:s,s:s,s:b}", "category",
			                                    model_category_name(sig[i].category),
			                                    "subtype",
			                                    model_subtype_name(sig[i].subtype),
			                                    "soft", sig[i].soft));
		json_object_set_new(o, "verdict", vs);
		json_object_set_new(o, "request_id", json_string(obs->request_id));
		json_object_set_new(o, "error", json_string(r->error));
		char *line =
		        json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
		if (line)
			cli_json_print(stdout, line);
		free(line);
		json_decref(o);
	} else {
		table_header(pc);
		char st[16], d[16], c[16], t[16], f[16], tot[16], h[16];
		if (obs->http_status >= 0)
			snprintf(st, sizeof(st), "%d", obs->http_status);
		else
			snprintf(st, sizeof(st), "%s",
			         model_transport_error_name(obs->transport_error));
		ms(d, sizeof(d), obs->dns_ms);
		ms(c, sizeof(c), obs->connect_ms);
		ms(t, sizeof(t), obs->tls_ms);
		ms(f, sizeof(f), obs->ttfb_ms);
		ms(tot, sizeof(tot), obs->total_ms);
		if (isnan(hr))
			snprintf(h, sizeof(h), "-");
		else
			snprintf(h, sizeof(h), "%.0f%%", hr * 100);
		char row[768];
		size_columns(pc);
		snprintf(row, sizeof(row), "%-*s %-*s %6s %8s %8s %8s %8s %8s %8s  %s",
		         pc->w_provider, obs->pid.provider, pc->w_model,
		         r->kind == CANARY_MODELS ? "(models)" : obs->pid.model, st, d, c, t, f,
		         tot, h, v);
		if (pc->rows && r->index < pc->n_rows && !pc->rows[r->index])
			pc->rows[r->index] = strdup(row);
		else
			printf("%s\n", row);
	}
	fflush(stdout);
}

static void print_disabled(struct probe_cmd *pc)
{
	size_t n = canary_endpoint_count(pc->set);
	for (size_t i = 0; i < n; i++) {
		struct canary_endpoint_info e;
		if (!canary_endpoint(pc->set, i, &e) || e.enabled)
			continue;
		pc->unhealthy++;
		if (pc->json) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "endpoint", e.endpoint,
			                      "provider", e.provider, "model", e.model, "disabled",
			                      e.disabled_reason);
			char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
			if (line)
				cli_json_print(stdout, line);
			free(line);
			json_decref(o);
		} else {
			char row[768];
			size_columns(pc);
			snprintf(row, sizeof(row),
			         "%-*s %-*s %6s %8s %8s %8s %8s %8s %8s  disabled: %s",
			         pc->w_provider, e.provider, pc->w_model,
			         e.kind == CANARY_MODELS ? "(models)" : e.model, "-", "-", "-", "-",
			         "-", "-", "-", e.disabled_reason);
			if (pc->rows && i < pc->n_rows)
				pc->rows[i] = strdup(row);
			else
				printf("%s\n", row);
		}
	}
}

static void print_spend(const struct probe_cmd *pc)
{
	if (pc->json)
		return;
	const struct vigil_config *cfg = pc->cfg;
	for (size_t p = 0; p < cfg->n_providers; p++) {
		size_t n = canary_endpoint_count(pc->set);
		for (size_t i = 0; i < n; i++) {
			struct canary_endpoint_info e;
			if (!canary_endpoint(pc->set, i, &e) || !e.enabled ||
			    strcmp(e.provider, cfg->providers[p].name) != 0)
				continue;
			if (cfg->probes.daily_budget_usd > 0)
				printf("spend today (UTC) %-*s $%.6f of $%.2f%s\n", pc->w_provider,
				       e.provider, e.spend_today_usd, cfg->probes.daily_budget_usd,
				       e.budget_exhausted ? " (budget spent: paused)" : "");
			else
				printf("spend today (UTC) %-*s $%.6f (no budget)\n", pc->w_provider,
				       e.provider, e.spend_today_usd);
			break;
		}
	}
}

static void close_all(struct probe_cmd *pc)
{
	canary_stop(pc->set);
	pc->set = NULL;
	httpd_close(pc->httpd);
	pc->httpd = NULL;
	if (!uv_is_closing((uv_handle_t *)&pc->sigint)) {
		uv_close((uv_handle_t *)&pc->sigint, NULL);
		uv_close((uv_handle_t *)&pc->sigterm, NULL);
	}
}

static void on_idle(void *ud)
{
	struct probe_cmd *pc = ud;
	if (pc->rows) {
		char **rows = pc->rows;
		pc->rows = NULL;
		table_header(pc);
		for (size_t i = 0; i < pc->n_rows; i++) {
			if (rows[i])
				printf("%s\n", rows[i]);
			free(rows[i]);
		}
		free(rows);
	}
	print_spend(pc);
	close_all(pc);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct probe_cmd *pc = h->data;
	(void)signum;
	if (pc->set && !pc->once)
		print_spend(pc);
	close_all(pc);
}

int cmd_probe_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "vigil.yaml", *listen = NULL;
	struct probe_cmd pc = { 0 };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:1jm:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case '1': pc.once = true; break;
		case 'j': pc.json = true; break;
		case 'm': listen = optarg; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("probe", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("probe", "unexpected argument '%s'", argv[optind]);
	char host[64];
	int port = 0;
	if (listen && config_split_listen(listen, host, sizeof(host), &port) != 0)
		return cli_usage_error("probe", "--metrics '%s' is not HOST:PORT", listen);

	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	if (!cfg) {
		fprintf(stderr, "vigil probe: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	config_defaults(cfg);
	if (config_load(cfg, path, &cause) != 0) {
		fprintf(stderr, "vigil probe: %s\n", cause ? cause : "invalid config");
		free(cause);
		free(cfg);
		return CLI_EXIT_USAGE;
	}
	if (cfg->n_providers == 0 || !cfg->probes.enabled) {
		fprintf(stderr, "vigil probe: %s: nothing to probe (%s)\n", path,
		        cfg->n_providers == 0 ? "no providers configured"
		                              : "probes.enabled is false");
		free(cfg);
		return CLI_EXIT_USAGE;
	}
	if (http_global_init() != 0) {
		fprintf(stderr, "vigil probe: libcurl could not be initialised\n");
		free(cfg);
		return CLI_EXIT_FAIL;
	}
	pc.cfg = cfg;
	pc.settings = cfg->thresholds;
	uv_loop_t loop;
	uv_loop_init(&loop);
	pc.loop = &loop;
	uv_signal_init(&loop, &pc.sigint);
	uv_signal_init(&loop, &pc.sigterm);
	pc.sigint.data = pc.sigterm.data = &pc;
	uv_signal_start(&pc.sigint, on_signal, SIGINT);
	uv_signal_start(&pc.sigterm, on_signal, SIGTERM);
	struct metrics *reg = NULL;
	struct vigil_metrics vm;
	if (listen) {
		reg = metrics_new();
		if (!reg || metrics_std_register(reg, &vm, VIGIL_VERSION) != 0 ||
		    metrics_serve(reg, &loop, host, port, &pc.httpd, &cause) != 0) {
			fprintf(stderr, "vigil probe: metrics on %s: %s\n", listen,
			        cause ? cause : "cannot serve");
			free(cause);
			uv_close((uv_handle_t *)&pc.sigint, NULL);
			uv_close((uv_handle_t *)&pc.sigterm, NULL);
			uv_run(&loop, UV_RUN_DEFAULT);
			uv_loop_close(&loop);
			metrics_free(reg);
			free(cfg);
			return CLI_EXIT_FAIL;
		}
		pc.vm = &vm;
		fprintf(stderr, "vigil probe: metrics on http://%s:%d/metrics\n", host,
		        httpd_port(pc.httpd));
	}
	struct canary_opts o = { .once = pc.once, .on_idle = on_idle };
	if (pc.vm)
		metrics_std_canary_hooks(pc.vm, &o.hooks);
	struct canary_config cc;
	config_canary(cfg, &cc);
	int rc = canary_start_opts(&loop, &cc, &o, on_result, &pc, &pc.set, &cause);
	if (rc) {
		fprintf(stderr, "vigil probe: %s\n", cause ? cause : "cannot start the canaries");
		free(cause);
		close_all(&pc);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		metrics_free(reg);
		free(cfg);
		return CLI_EXIT_FAIL;
	}
	if (pc.once && !pc.json) {
		pc.n_rows = canary_endpoint_count(pc.set);
		pc.rows = calloc(pc.n_rows ? pc.n_rows : 1, sizeof(*pc.rows));
	}
	print_disabled(&pc);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (pc.rows) { /* interrupted before the end */
		for (size_t i = 0; i < pc.n_rows; i++)
			free(pc.rows[i]);
		free(pc.rows);
	}
	uv_loop_close(&loop);
	metrics_free(reg);
	free(cfg);
	if (!pc.once)
		return CLI_EXIT_OK;
	return pc.unhealthy == 0 && pc.results > 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
