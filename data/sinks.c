/*
 * sinks.c: requests, verdicts, secrets and Alertmanager re-sends (see
 * sinks.h). The re-send state is one list per alertmanager sink of
 * (label-set key, alert JSON, resolved time).
 */
#include "data/sinks.h"

#include "core/payload.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"
#include "net/clock.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct am_alert {
	char *key;        /* canonical labels JSON */
	json_t *alert;    /* the last alert object delivered for this label set */
	int64_t resolved; /* wall ms when resolved (endsAt seen), 0 while firing */
};

struct sink {
	struct sink_info info;
	struct sink_spec cfg;
	char *secret; /* from the environment; NULL when none */
	/* alertmanager */
	struct am_alert *alerts;
	size_t n_alerts, cap_alerts;
	uv_timer_t timer;
	bool timer_on;
	bool resend_in_flight;
	int resend_failures; /* consecutive: the next re-send comes sooner */
	struct sinks *owner;
};

struct sinks {
	struct sink *v;
	size_t n;
	uv_loop_t *loop;
	struct http_client *http;
	int64_t (*now_ms)(void *);
	void *now_data;
	sinks_attempt_cb on_attempt;
	void *attempt_data;
	uint64_t resends;
	int open_timers;
	bool freeing;
};

static const char *std_getenv(void *data, const char *name)
{
	(void)data;
	return getenv(name);
}

const char *sinks_verdict_name(enum sink_verdict v)
{
	switch (v) {
	case SINK_DELIVERED: return "delivered";
	case SINK_RETRY: return "retry";
	default: return "rejected";
	}
}

int sinks_new(const struct sink_spec *cfg, size_t n, sinks_getenv_fn getenv_fn, void *env_data,
              struct sinks **out, char **cause)
{
	if (cause)
		*cause = NULL;
	if (!getenv_fn)
		getenv_fn = std_getenv;
	struct sinks *s = calloc(1, sizeof(*s));
	if (!s)
		return VG_ENOMEM;
	s->v = calloc(n ? n : 1, sizeof(*s->v));
	if (!s->v) {
		free(s);
		return VG_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct sink *k = &s->v[s->n++];
		k->cfg = cfg[i];
		k->owner = s;
		model_copy_str(k->info.name, sizeof(k->info.name), cfg[i].name, (size_t)-1);
		k->info.kind = cfg[i].kind;
		k->info.timeout_ms = cfg[i].timeout_ms > 0 ? cfg[i].timeout_ms : 10000;
		if (!cfg[i].secret_env[0])
			continue;
		const char *v = getenv_fn(env_data, cfg[i].secret_env);
		if (!v || !v[0]) {
			vg_cause(cause, VG_ECONFIG,
			         "sink '%s': environment variable %s is not set (it must hold the "
			         "%s)",
			         cfg[i].name, cfg[i].secret_env,
			         cfg[i].kind == SINK_PAGERDUTY ? "routing key" : "token");
			sinks_free(s);
			return VG_ECONFIG;
		}
		k->secret = strdup(v);
		if (!k->secret) {
			sinks_free(s);
			return VG_ENOMEM;
		}
	}
	*out = s;
	return 0;
}

static void wipe(char *p)
{
	if (!p)
		return;
	volatile char *q = p;
	while (*q)
		*q++ = 0;
	free(p);
}

void sinks_free(struct sinks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		wipe(k->secret);
		for (size_t j = 0; j < k->n_alerts; j++) {
			free(k->alerts[j].key);
			json_decref(k->alerts[j].alert);
		}
		free(k->alerts);
	}
	free(s->v);
	free(s);
}

size_t sinks_count(const struct sinks *s)
{
	return s->n;
}

const struct sink_info *sinks_info(const struct sinks *s, size_t i)
{
	return i < s->n ? &s->v[i].info : NULL;
}

int sinks_find(const struct sinks *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].info.name, name) == 0)
			return (int)i;
	return -1;
}

/* A base URL without its trailing slashes, then `path`. */
static void join_url(char *buf, size_t size, const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	snprintf(buf, size, "%.*s%s", (int)n, base, path);
}

static char *b64(const char *in)
{
	static const char tbl[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in);
	char *out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int add_header(struct sink_scratch *sc, const char *fmt_a, const char *b)
{
	size_t n = strlen(fmt_a) + strlen(b) + 1;
	char *h = malloc(n);
	if (!h)
		return VG_ENOMEM;
	snprintf(h, n, "%s%s", fmt_a, b);
	sc->headers[sc->n_headers++] = h;
	return 0;
}

static int auth_header(const struct sink *k, struct sink_scratch *sc)
{
	if (!k->secret)
		return 0;
	if (k->cfg.auth == SINK_AUTH_BASIC) {
		char *enc = b64(k->secret);
		if (!enc)
			return VG_ENOMEM;
		int rc = add_header(sc, "Authorization: Basic ", enc);
		wipe(enc);
		return rc;
	}
	return add_header(sc, "Authorization: Bearer ", k->secret);
}

/* "Idempotency-Key: <key>", the key's bytes kept to visible ASCII (a header
 * line cannot be broken by a name from the config). */
static int idem_header(struct sink_scratch *sc, const char *key)
{
	char v[NOTIFY_IDEM_MAX + 32];
	size_t n = 0;
	for (const char *p = key; *p && n + 1 < sizeof(v); p++)
		v[n++] = *p > ' ' && *p < 0x7f ? *p : '_';
	v[n] = '\0';
	return add_header(sc, "Idempotency-Key: ", v);
}

int sinks_request(const struct sinks *s, size_t i, const char *payload, const char *idem_key,
                  struct http_request *req, struct sink_scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
	memset(req, 0, sizeof(*req));
	if (i >= s->n || !payload)
		return VG_EINVAL;
	const struct sink *k = &s->v[i];
	int rc = add_header(sc, "Content-Type: ", "application/json");
	if (rc)
		return rc;
	const char *body = payload;
	switch (k->info.kind) {
	case SINK_PAGERDUTY:
		snprintf(sc->url, sizeof(sc->url), "%s", k->cfg.url);
		sc->body = payload_pagerduty_with_key(payload, k->secret);
		if (!sc->body) {
			sinks_request_done(sc);
			return VG_EINVAL;
		}
		body = sc->body;
		break;
	case SINK_ALERTMANAGER: {
		/* A silence is an object with matchers; alerts come as a list. */
		size_t skip = strspn(payload, " \t\r\n");
		join_url(sc->url, sizeof(sc->url), k->cfg.url,
		         payload[skip] == '{' ? "/api/v2/silences" : "/api/v2/alerts");
		rc = auth_header(k, sc);
		break;
	}
	case SINK_JIRA:
		join_url(sc->url, sizeof(sc->url), k->cfg.url, "/rest/api/2/issue");
		rc = auth_header(k, sc);
		if (!rc && idem_key && idem_key[0])
			rc = idem_header(sc, idem_key);
		break;
	default:
		snprintf(sc->url, sizeof(sc->url), "%s", k->cfg.url);
		rc = auth_header(k, sc);
		if (!rc && idem_key && idem_key[0])
			rc = idem_header(sc, idem_key);
		break;
	}
	if (rc) {
		sinks_request_done(sc);
		return rc;
	}
	req->method = "POST";
	req->url = sc->url;
	req->headers = (const char *const *)sc->headers;
	req->n_headers = sc->n_headers;
	req->body = body;
	req->body_len = strlen(body);
	req->timeout_ms = k->info.timeout_ms;
	req->connect_timeout_ms = k->info.timeout_ms < 5000 ? k->info.timeout_ms : 5000;
	req->max_body = 64 * 1024;
	return 0;
}

void sinks_request_done(struct sink_scratch *sc)
{
	for (size_t i = 0; i < sc->n_headers; i++)
		wipe(sc->headers[i]);
	sc->n_headers = 0;
	wipe(sc->body);
	sc->body = NULL;
}

static int64_t retry_after(const struct http_response *r, int64_t now_ms)
{
	const char *v = http_response_header(r, "retry-after");
	if (!v || !v[0])
		return 0;
	char *end;
	long long secs = strtoll(v, &end, 10);
	if (*end == '\0' && end != v)
		return secs > 0 ? secs * 1000 : 0;
	int64_t at;
	if (timeparse_http_date(v, strlen(v), &at) == 0 && at > now_ms)
		return at - now_ms;
	return 0;
}

enum sink_verdict sinks_verdict(const struct http_response *r, int64_t now_ms,
                                int64_t *retry_after_ms)
{
	*retry_after_ms = 0;
	if (r->err || r->status < 100)
		return SINK_RETRY;
	if (r->status >= 200 && r->status < 300)
		return SINK_DELIVERED;
	if (r->status == 429 || r->status == 503)
		*retry_after_ms = retry_after(r, now_ms);
	if (r->status == 408 || r->status == 425 || r->status == 429 || r->status >= 500)
		return SINK_RETRY;
	return SINK_REJECTED;
}

void sinks_redact(const struct sinks *s, char *text)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *sec = s->v[i].secret;
		if (!sec || !sec[0])
			continue;
		size_t n = strlen(sec);
		for (char *p = strstr(text, sec); p; p = strstr(p + n, sec))
			memset(p, '*', n);
	}
}

/* ---- Alertmanager re-sends ----------------------------------------------------- */

static struct am_alert *am_find(struct sink *k, const char *key)
{
	for (size_t i = 0; i < k->n_alerts; i++)
		if (strcmp(k->alerts[i].key, key) == 0)
			return &k->alerts[i];
	return NULL;
}

void sinks_alertmanager_delivered(struct sinks *s, size_t i, const char *payload, int64_t now_ms)
{
	if (i >= s->n || s->v[i].info.kind != SINK_ALERTMANAGER)
		return;
	struct sink *k = &s->v[i];
	json_t *arr = json_loads(payload, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr); /* a silence: nothing to re-send */
		return;
	}
	size_t idx;
	json_t *a;
	json_array_foreach (arr, idx, a) {
		char *key = json_dumps(json_object_get(a, "labels"), JSON_SORT_KEYS | JSON_COMPACT);
		if (!key)
			continue;
		struct am_alert *e = am_find(k, key);
		if (!e) {
			if (vg_grow((void **)&k->alerts, &k->cap_alerts, k->n_alerts + 1,
			            sizeof(*k->alerts), 8) != 0) {
				free(key);
				continue;
			}
			e = &k->alerts[k->n_alerts++];
			e->key = key;
			e->alert = NULL;
		} else {
			free(key);
			json_decref(e->alert);
		}
		e->alert = json_incref(a);
		e->resolved = json_object_get(a, "endsAt") ? now_ms : 0;
	}
	json_decref(arr);
}

size_t sinks_alertmanager_active(const struct sinks *s, size_t i)
{
	return i < s->n ? s->v[i].n_alerts : 0;
}

uint64_t sinks_resends(const struct sinks *s)
{
	return s->resends;
}

static void on_resend_timer(uv_timer_t *t);

static uint64_t resend_every(const struct sink *k)
{
	return (uint64_t)(k->cfg.resend_interval_ms > 0 ? k->cfg.resend_interval_ms : 60000);
}

struct resend {
	struct sink *k;
	struct sink_scratch sc;
	char *body;
};

static void on_resent(void *data, const struct http_response *r)
{
	struct resend *rs = data;
	struct sink *k = rs->k;
	struct sinks *s = k->owner;
	k->resend_in_flight = false;
	if (r->err == VG_ESTATE) { /* cancelled at the close */
		sinks_request_done(&rs->sc);
		free(rs->body);
		free(rs);
		return;
	}
	if (s->on_attempt)
		s->on_attempt(s->attempt_data, (size_t)(k - s->v), r);
	uint64_t every = resend_every(k);
	if (!r->err && r->status >= 200 && r->status < 300) {
		s->resends++;
		if (k->resend_failures && k->timer_on)
			uv_timer_start(&k->timer, on_resend_timer, every, every);
		k->resend_failures = 0;
	} else if (k->timer_on) {
		uint64_t soon = 5000;
		for (int i = 0; i < k->resend_failures && soon < every; i++)
			soon *= 2;
		k->resend_failures++;
		uv_timer_start(&k->timer, on_resend_timer, soon < every ? soon : every, every);
	}
	sinks_request_done(&rs->sc);
	free(rs->body);
	free(rs);
}

static void on_resend_timer(uv_timer_t *t)
{
	struct sink *k = t->data;
	struct sinks *s = k->owner;
	int64_t now = s->now_ms(s->now_data);
	/* Forget resolved alerts once resolve_timeout has passed. */
	size_t w = 0;
	for (size_t i = 0; i < k->n_alerts; i++) {
		struct am_alert *e = &k->alerts[i];
		if (e->resolved && now - e->resolved >= k->cfg.resolve_timeout_ms) {
			free(e->key);
			json_decref(e->alert);
			continue;
		}
		k->alerts[w++] = *e;
	}
	k->n_alerts = w;
	if (!k->n_alerts || k->resend_in_flight || !s->http)
		return;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < k->n_alerts; i++)
		json_array_append(arr, k->alerts[i].alert);
	char *body = arr ? json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(arr);
	struct resend *rs = body ? calloc(1, sizeof(*rs)) : NULL;
	if (!rs) {
		free(body);
		return;
	}
	rs->k = k;
	rs->body = body;
	struct http_request req;
	size_t idx = (size_t)(k - s->v);
	if (sinks_request(s, idx, body, NULL, &req, &rs->sc) ||
	    http_request(s->http, &req, on_resent, rs, NULL)) {
		sinks_request_done(&rs->sc);
		free(body);
		free(rs);
		return;
	}
	k->resend_in_flight = true;
}

int sinks_start_resend(struct sinks *s, uv_loop_t *loop, struct http_client *http,
                       int64_t (*now_ms)(void *), void *now_data, sinks_attempt_cb on_attempt,
                       void *attempt_data)
{
	s->on_attempt = on_attempt;
	s->attempt_data = attempt_data;
	s->loop = loop;
	s->http = http;
	s->now_ms = now_ms ? now_ms : clock_wall_ms_hook;
	s->now_data = now_data;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		if (k->info.kind != SINK_ALERTMANAGER || k->timer_on)
			continue;
		uv_timer_init(loop, &k->timer);
		k->timer.data = k;
		uint64_t every = resend_every(k);
		uv_timer_start(&k->timer, on_resend_timer, every, every);
		k->timer_on = true;
		s->open_timers++;
	}
	return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct sink *k = h->data;
	k->owner->open_timers--;
}

void sinks_stop_resend(struct sinks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		if (!k->timer_on)
			continue;
		k->timer_on = false;
		uv_timer_stop(&k->timer);
		uv_close((uv_handle_t *)&k->timer, on_timer_closed);
	}
}
