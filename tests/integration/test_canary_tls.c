/*
 * test_canary_tls.c: canaries over real TLS on loopback. The provider
 * simulator runs in process on plain HTTP; Debian's nginx terminates TLS in
 * front of it with a certificate this test makes with openssl (its own CA,
 * a server certificate for IP 127.0.0.1). A probe through it must measure
 * the TLS phase (after connect, before the first byte) and succeed when the
 * CA is trusted; a second listener with a self-signed certificate nobody
 * trusts must be a tls failure, and so must the first one when the probe is
 * not given the CA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "core/taxonomy.h"
#include "probes/canary.h"
#include "sim/sim.h"
#include "tests/support/proc.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the simulator on its own loop thread ---- */

struct srv {
	uv_loop_t loop;
	uv_async_t stop;
	struct sim_server *s;
	pthread_t th;
	int port;
};

static void *srv_run(void *arg)
{
	struct srv *v = arg;
	uv_run(&v->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void srv_on_stop(uv_async_t *a)
{
	struct srv *v = a->data;
	sim_server_stop(v->s);
	uv_close((uv_handle_t *)&v->stop, NULL);
}

static struct srv *srv_start(void)
{
	struct srv *v = calloc(1, sizeof(*v));
	struct sim_scenario *scn = NULL;
	char *cause = NULL;
	if (sim_scenario_load("faults", &scn, &cause) != 0) {
		fprintf(stderr, "load: %s\n", cause);
		free(cause);
		free(v);
		return NULL;
	}
	uv_loop_init(&v->loop);
	struct sim_server_opts o = { .scenario = scn, .speed = 1 };
	int rc = sim_server_start(&v->loop, &o, &v->s, &cause);
	free(scn);
	if (rc) {
		fprintf(stderr, "start: %s\n", cause);
		free(cause);
		free(v);
		return NULL;
	}
	v->port = sim_server_port(v->s);
	uv_async_init(&v->loop, &v->stop, srv_on_stop);
	v->stop.data = v;
	pthread_create(&v->th, NULL, srv_run, v);
	return v;
}

static void srv_stop(struct srv *v)
{
	uv_async_send(&v->stop);
	pthread_join(v->th, NULL);
	uv_loop_close(&v->loop);
	free(v);
}

/* ---- certificates and nginx ---- */

struct tls {
	char dir[256];
	struct srv *sim;
	pid_t nginx;
	int port_trusted, port_untrusted;
};

static struct tls T;

static int openssl(const char *log, const char *a0, ...)
{
	char *argv[40];
	size_t n = 0;
	char *bin = tp_which("openssl");
	if (!bin)
		return -1;
	argv[n++] = bin;
	va_list ap;
	va_start(ap, a0);
	for (const char *a = a0; a && n < 39; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	int rc = tp_run(argv, NULL, log);
	free(bin);
	return rc;
}

static void path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", T.dir, name);
}

static bool port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons((uint16_t)port),
		                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int group_setup(void **state)
{
	(void)state;
	http_global_init();
	setenv("VIGIL_TLS_TEST_KEY", "sk-tls-test-key", 1);
	snprintf(T.dir, sizeof(T.dir), "/tmp/vigil-canary-tls-XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	char log[300], ca_key[300], ca_crt[300], key[300], csr[300], crt[300], ext[300];
	char ukey[300], ucrt[300], conf[300];
	path(log, sizeof(log), "openssl.log");
	path(ca_key, sizeof(ca_key), "ca.key");
	path(ca_crt, sizeof(ca_crt), "ca.crt");
	path(key, sizeof(key), "server.key");
	path(csr, sizeof(csr), "server.csr");
	path(crt, sizeof(crt), "server.crt");
	path(ext, sizeof(ext), "san.ext");
	path(ukey, sizeof(ukey), "untrusted.key");
	path(ucrt, sizeof(ucrt), "untrusted.crt");
	FILE *f = fopen(ext, "w");
	if (!f)
		return -1;
	fprintf(f, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	fclose(f);
	if (openssl(log, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
	            ca_crt, "-days", "2", "-subj", "/CN=vigil test CA", NULL) != 0 ||
	    openssl(log, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
	            "-subj", "/CN=127.0.0.1", NULL) != 0 ||
	    openssl(log, "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
	            "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext, NULL) != 0 ||
	    openssl(log, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ukey, "-out",
	            ucrt, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
	            "subjectAltName=IP:127.0.0.1", NULL) != 0) {
		fprintf(stderr, "openssl failed; see %s\n", log);
		return -1;
	}
	T.sim = srv_start();
	if (!T.sim)
		return -1;
	T.port_trusted = tp_free_port();
	T.port_untrusted = tp_free_port();
	while (T.port_untrusted == T.port_trusted)
		T.port_untrusted = tp_free_port();
	path(conf, sizeof(conf), "nginx.conf");
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f,
	        "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
	        "error_log %s/error.log;\nevents { worker_connections 64; }\n"
	        "http {\n access_log off;\n client_body_temp_path %s/cb;\n"
	        " proxy_temp_path %s/px;\n fastcgi_temp_path %s/fc;\n uwsgi_temp_path %s/uw;\n"
	        " scgi_temp_path %s/sc;\n"
	        " server {\n  listen 127.0.0.1:%d ssl;\n  ssl_certificate %s;\n"
	        "  ssl_certificate_key %s;\n  location / {\n"
	        "   proxy_pass http://127.0.0.1:%d;\n   proxy_http_version 1.1;\n"
	        "   proxy_set_header Connection \"\";\n   proxy_buffering off;\n  }\n }\n"
	        " server {\n  listen 127.0.0.1:%d ssl;\n  ssl_certificate %s;\n"
	        "  ssl_certificate_key %s;\n  location / { return 200 \"{}\"; }\n }\n}\n",
	        T.dir, T.dir, T.dir, T.dir, T.dir, T.dir, T.dir, T.port_trusted, crt, key,
	        T.sim->port, T.port_untrusted, ucrt, ukey);
	fclose(f);
	char *nginx = tp_which("nginx");
	if (!nginx) {
		fprintf(stderr, "nginx is not installed (scripts/setup.sh installs it)\n");
		return -1;
	}
	char elog[300], nlog[300];
	path(elog, sizeof(elog), "error.log");
	path(nlog, sizeof(nlog), "nginx.out");
	char *argv[] = { nginx, "-p", T.dir, "-e", elog, "-c", conf, NULL };
	T.nginx = tp_spawn(argv, nlog);
	free(nginx);
	if (T.nginx < 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		if (port_open(T.port_trusted) && port_open(T.port_untrusted))
			return 0;
		if (!tp_alive(T.nginx))
			break;
		usleep(50000);
	}
	fprintf(stderr, "nginx did not start; see %s and %s\n", elog, nlog);
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (T.nginx > 0)
		tp_kill(T.nginx);
	if (T.sim)
		srv_stop(T.sim);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T.dir);
	return 0;
}

/* ---- probing ---- */

struct got {
	int n;
	struct observation obs;
	bool healthy;
	char error[256];
	struct tax_signal sig[TAXONOMY_MAX_SIGNALS];
	size_t n_sig;
	int idle;
};

static void on_result(void *ud, const struct observation *obs, const struct canary_result *r)
{
	struct got *g = ud;
	g->n++;
	g->obs = *obs;
	g->obs.text = NULL;
	g->healthy = r->healthy;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	struct core_settings s;
	settings_defaults(&s);
	g->n_sig = taxonomy_classify(obs, &obs->verdicts, &s, g->sig, TAXONOMY_MAX_SIGNALS);
}

static void on_idle(void *ud)
{
	struct got *g = ud;
	g->idle++;
}

static void on_log(void *ud, const char *line)
{
	(void)ud;
	(void)line;
}

/* Probe one endpoint once over https://127.0.0.1:port. */
static void probe_once(int port, const char *ca_file, struct got *g)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
	         "providers:\n"
	         "  - {name: anthropic, kind: anthropic, base_url: 'https://127.0.0.1:%d',"
	         " api_key_env: VIGIL_TLS_TEST_KEY, models: [{name: sim-ok}]}\n"
	         "probes: {timeout: 5s}\n",
	         port);
	struct vigil_config *vc = malloc(sizeof(*vc));
	struct canary_config *cfg = malloc(sizeof(*cfg));
	char *cause = NULL;
	config_defaults(vc);
	if (config_load_string(vc, yaml, strlen(yaml), "tls.yaml", &cause))
		fail_msg("config: %s", cause);
	config_canary(vc, cfg);
	free(vc);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct canary_opts o = {
		.once = true, .on_idle = on_idle, .log = on_log, .ca_file = ca_file
	};
	struct canary_set *set = NULL;
	memset(g, 0, sizeof(*g));
	assert_int_equal(canary_start_opts(&loop, cfg, &o, on_result, g, &set, NULL), 0);
	while (!g->idle)
		uv_run(&loop, UV_RUN_ONCE);
	canary_stop(set);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(g->n, 1);
	free(cfg);
}

static bool has_signal(const struct got *g, enum subtype st)
{
	for (size_t i = 0; i < g->n_sig; i++)
		if (g->sig[i].subtype == st)
			return true;
	return false;
}

static void test_tls_phase_measured(void **state)
{
	(void)state;
	char ca[300];
	path(ca, sizeof(ca), "ca.crt");
	struct got g;
	probe_once(T.port_trusted, ca, &g);
	if (g.obs.transport_error != TE_NONE)
		fail_msg("transport %s: %s", model_transport_error_name(g.obs.transport_error),
		         g.error);
	assert_int_equal(g.obs.http_status, 200);
	assert_true(g.healthy);
	assert_int_equal(g.obs.verdicts.schema_valid, VG_TRI_TRUE);
	assert_int_equal(g.n_sig, 0);
	/* The TLS handshake ends after the TCP connect and before the first
	 * byte of the answer. */
	assert_false(isnan(g.obs.tls_ms));
	assert_false(isnan(g.obs.connect_ms));
	assert_true(g.obs.tls_ms > g.obs.connect_ms);
	assert_true(g.obs.tls_ms <= g.obs.ttfb_ms);
	assert_true(g.obs.ttfb_ms <= g.obs.total_ms);
}

static void test_untrusted_is_tls_failure(void **state)
{
	(void)state;
	char ca[300];
	path(ca, sizeof(ca), "ca.crt");
	struct got g;
	/* A self-signed certificate that no CA we trust signed. */
	probe_once(T.port_untrusted, ca, &g);
	assert_int_equal(g.obs.transport_error, TE_TLS);
	assert_int_equal(g.obs.http_status, -1);
	assert_true(has_signal(&g, SUB_TLS));
	assert_false(g.healthy);
	assert_true(g.error[0] != '\0');
	/* The good certificate, but without its CA: the system store does not
	 * know the test CA either. */
	probe_once(T.port_trusted, NULL, &g);
	assert_int_equal(g.obs.transport_error, TE_TLS);
	assert_true(has_signal(&g, SUB_TLS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_phase_measured),
		cmocka_unit_test(test_untrusted_is_tls_failure),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
