/*
 * http.c: libcurl multi on the libuv loop (see http.h).
 *
 * libcurl tells us which sockets to watch (on_curl_socket: one uv_poll per
 * socket, kept in a list so close can find them) and when to call it back
 * (on_curl_timer: one uv_timer). Each readiness or timeout is handed to
 * curl_multi_socket_action(); finished transfers are collected with
 * curl_multi_info_read() and completed (callback, then freed).
 *
 * A callback may start requests, cancel others or close the client:
 * `dispatching` defers the final teardown of a closing client until the
 * dispatch loop is done with the multi handle.
 */
#include "net/http.h"

#include "core/vgerr.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS      128
#define MAX_HEADER_BYTES (64 * 1024)

struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	struct http_client *c;
	struct sock_ctx *next, *prev;
};

struct xfer {
	struct xfer *next, *prev;
	struct http_client *c;
	CURL *easy;
	uint64_t id;
	http_done_cb cb;
	void *data;
	struct curl_slist *hdrs;
	struct curl_slist *resolve;
	char errbuf[CURL_ERROR_SIZE];
	char *buf;
	size_t len, cap, max;
	int64_t total;
	struct http_header *rh;
	size_t n_rh;
	size_t header_bytes;
	bool oom;
};

struct http_client {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	struct xfer *xfers;
	struct sock_ctx *socks;
	uint64_t next_id;
	int open_handles; /* uv handles not closed yet */
	int dispatching;  /* depth of check_done() */
	bool closing;
	bool torn_down;
};

static const char *const phase_names[] = { "resolve", "connect", "tls", "processing", "transfer" };
_Static_assert(sizeof(phase_names) / sizeof(phase_names[0]) == HTTP_PHASE__COUNT, "phases");

const char *http_phase_name(enum http_phase p)
{
	return (int)p >= 0 && p < HTTP_PHASE__COUNT ? phase_names[p] : "unknown";
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : VG_ENET;
}

enum transport_error http_transport_error(int code)
{
	switch ((CURLcode)code) {
	case CURLE_OK: return TE_NONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY: return TE_DNS;
	case CURLE_COULDNT_CONNECT: return TE_CONNECT;
	case CURLE_OPERATION_TIMEDOUT: return TE_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED: return TE_TLS;
	default:
		/* recv/send errors, an empty reply, a partial body, HTTP/2 stream
		 * errors: the connection broke under the request. */
		return TE_RESET;
	}
}

void http_phases(const struct http_times *t, double out[HTTP_PHASE__COUNT])
{
	int64_t v[HTTP_PHASE__COUNT] = { 0 };
	v[HTTP_PHASE_RESOLVE] = t->namelookup_us;
	if (t->connect_us)
		v[HTTP_PHASE_CONNECT] = t->connect_us - t->namelookup_us;
	if (t->appconnect_us)
		v[HTTP_PHASE_TLS] = t->appconnect_us - t->connect_us;
	if (t->starttransfer_us) {
		v[HTTP_PHASE_PROCESSING] = t->starttransfer_us - t->pretransfer_us;
		v[HTTP_PHASE_TRANSFER] = t->total_us - t->starttransfer_us;
	}
	for (int i = 0; i < HTTP_PHASE__COUNT; i++)
		out[i] = v[i] > 0 ? (double)v[i] / 1e6 : 0.0;
}

const char *http_response_header(const struct http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

size_t http_in_flight(const struct http_client *c)
{
	size_t n = 0;
	for (const struct xfer *x = c->xfers; x; x = x->next)
		n++;
	return n;
}

/* ---- transfers ------------------------------------------------------------ */

static void clear_headers(struct xfer *x)
{
	for (size_t i = 0; i < x->n_rh; i++) {
		free(x->rh[i].name);
		free(x->rh[i].value);
	}
	x->n_rh = 0;
	x->header_bytes = 0;
}

static void xfer_free(struct xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	curl_slist_free_all(x->resolve);
	clear_headers(x);
	free(x->rh);
	free(x->buf);
	free(x);
}

static void unlink_xfer(struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		x->c->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->next = x->prev = NULL;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	x->total += (int64_t)n;
	size_t room = x->max > x->len ? x->max - x->len : 0;
	size_t take = n < room ? n : room;
	if (take) {
		if (x->len + take + 1 > x->cap) {
			size_t cap = x->cap ? x->cap : 4096;
			while (cap < x->len + take + 1)
				cap *= 2;
			if (cap > x->max + 1)
				cap = x->max + 1;
			char *nb = realloc(x->buf, cap);
			if (!nb) {
				x->oom = true;
				return n; /* keep reading; the response reports VG_ENOMEM */
			}
			x->buf = nb;
			x->cap = cap;
		}
		memcpy(x->buf + x->len, ptr, take);
		x->len += take;
	}
	return n;
}

static char *dup_trim(const char *s, size_t len)
{
	while (len && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' ' ||
	               s[len - 1] == '\t'))
		len--;
	char *d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nitems;
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue, or a redirect not followed). */
		clear_headers(x);
		return n;
	}
	const char *colon = memchr(line, ':', n);
	if (!colon || x->n_rh >= MAX_HEADERS || x->header_bytes + n > MAX_HEADER_BYTES)
		return n;
	if (!x->rh) {
		x->rh = calloc(MAX_HEADERS, sizeof(*x->rh));
		if (!x->rh) {
			x->oom = true;
			return n;
		}
	}
	char *name = dup_trim(line, (size_t)(colon - line));
	char *value = dup_trim(colon + 1, n - (size_t)(colon - line) - 1);
	if (!name || !value) {
		free(name);
		free(value);
		x->oom = true;
		return n;
	}
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	x->rh[x->n_rh].name = name;
	x->rh[x->n_rh].value = value;
	x->n_rh++;
	x->header_bytes += n;
	return n;
}

static int64_t info_time(CURL *e, CURLINFO what)
{
	curl_off_t v = 0;
	if (curl_easy_getinfo(e, what, &v) != CURLE_OK)
		return 0;
	return (int64_t)v;
}

/* Fill the response, run the callback, free the transfer. The easy handle
 * must already be out of the multi handle. */
static void complete(struct xfer *x, int err, CURLcode code)
{
	struct http_response r;
	memset(&r, 0, sizeof(r));
	r.id = x->id;
	r.curl_code = (int)code;
	r.status = -1;
	r.transport = TE_NONE;
	if (!err && code != CURLE_OK) {
		err = VG_ENET;
		r.transport = http_transport_error((int)code);
	}
	if (!err && x->oom)
		err = VG_ENOMEM;
	r.err = err;
	if (code != CURLE_OK)
		snprintf(r.error, sizeof(r.error), "%s",
		         x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
	else if (err == VG_ESTATE)
		snprintf(r.error, sizeof(r.error), "cancelled");
	long status = 0;
	if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status > 0)
		r.status = (int32_t)status;
	r.times.namelookup_us = info_time(x->easy, CURLINFO_NAMELOOKUP_TIME_T);
	r.times.connect_us = info_time(x->easy, CURLINFO_CONNECT_TIME_T);
	r.times.appconnect_us = info_time(x->easy, CURLINFO_APPCONNECT_TIME_T);
	r.times.pretransfer_us = info_time(x->easy, CURLINFO_PRETRANSFER_TIME_T);
	r.times.starttransfer_us = info_time(x->easy, CURLINFO_STARTTRANSFER_TIME_T);
	r.times.total_us = info_time(x->easy, CURLINFO_TOTAL_TIME_T);
	char *ip = NULL;
	if (curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(r.primary_ip, sizeof(r.primary_ip), "%s", ip);
	long connects = 0;
	if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
		r.reused = connects == 0 && r.status > 0;
	if (x->buf)
		x->buf[x->len] = '\0';
	r.body = x->buf ? x->buf : "";
	r.body_len = x->len;
	r.body_bytes = x->total;
	r.truncated = x->total > (int64_t)x->len;
	r.headers = x->rh;
	r.n_headers = x->n_rh;
	if (x->cb)
		x->cb(x->data, &r);
	xfer_free(x);
}

static void teardown(struct http_client *c);

static void check_done(struct http_client *c)
{
	CURLMsg *msg;
	int pending;
	c->dispatching++;
	while (!c->closing && (msg = curl_multi_info_read(c->multi, &pending))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *e = msg->easy_handle;
		CURLcode code = msg->data.result;
		struct xfer *x = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(c->multi, e);
		if (x) {
			unlink_xfer(x);
			complete(x, 0, code);
		}
	}
	c->dispatching--;
	if (c->closing && !c->dispatching)
		teardown(c);
}

/* ---- libuv glue ------------------------------------------------------------ */

static void maybe_free(struct http_client *c)
{
	if (c->torn_down && c->open_handles == 0)
		free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct http_client *c = h->data;
	c->open_handles--;
	maybe_free(c);
}

static void on_poll_closed(uv_handle_t *h)
{
	struct sock_ctx *sc = h->data;
	struct http_client *c = sc->c;
	free(sc);
	c->open_handles--;
	maybe_free(c);
}

static void close_sock(struct sock_ctx *sc)
{
	struct http_client *c = sc->c;
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		c->socks = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	uv_poll_stop(&sc->poll);
	uv_close((uv_handle_t *)&sc->poll, on_poll_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct sock_ctx *sc = h->data;
	struct http_client *c = sc->c;
	int flags = 0;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	int running;
	curl_multi_socket_action(c->multi, sc->fd, flags, &running);
	check_done(c);
}

static void on_timer(uv_timer_t *t)
{
	struct http_client *c = t->data;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	struct http_client *c = userp;
	if (c->torn_down)
		return 0;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

static int on_curl_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	struct http_client *c = userp;
	struct sock_ctx *sc = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			curl_multi_assign(c->multi, s, NULL);
			close_sock(sc);
		}
		return 0;
	}
	if (!sc) {
		sc = calloc(1, sizeof(*sc));
		if (!sc)
			return -1;
		sc->fd = s;
		sc->c = c;
		if (uv_poll_init_socket(c->loop, &sc->poll, s) != 0) {
			free(sc);
			return -1;
		}
		sc->poll.data = sc;
		c->open_handles++;
		sc->next = c->socks;
		if (c->socks)
			c->socks->prev = sc;
		c->socks = sc;
		curl_multi_assign(c->multi, s, sc);
	}
	int ev = 0;
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&sc->poll, ev, on_poll);
	return 0;
}

/* ---- client ----------------------------------------------------------------- */

int http_client_new(uv_loop_t *loop, struct http_client **out)
{
	struct http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return VG_ENOMEM;
	c->loop = loop;
	c->next_id = 1;
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return VG_ENET;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 1;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return 0;
}

static void teardown(struct http_client *c)
{
	if (c->torn_down)
		return;
	c->torn_down = true;
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		close_sock(c->socks);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

void http_client_close(struct http_client *c)
{
	if (!c || c->closing)
		return;
	c->closing = true;
	while (c->xfers) {
		struct xfer *x = c->xfers;
		unlink_xfer(x);
		curl_multi_remove_handle(c->multi, x->easy);
		complete(x, VG_ESTATE, CURLE_OK);
	}
	if (!c->dispatching)
		teardown(c);
}

int http_cancel(struct http_client *c, uint64_t id)
{
	for (struct xfer *x = c->xfers; x; x = x->next) {
		if (x->id != id)
			continue;
		unlink_xfer(x);
		curl_multi_remove_handle(c->multi, x->easy);
		complete(x, VG_ESTATE, CURLE_OK);
		return 0;
	}
	return VG_ENOTFOUND;
}

static int set_method(CURL *e, const struct http_request *req)
{
	const char *m = req->method ? req->method : "GET";
	bool body = req->body_len > 0;
	if (strcmp(m, "GET") == 0) {
		if (body)
			return VG_EINVAL;
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
	           strcmp(m, "PATCH") == 0) {
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		if (body || strcmp(m, "DELETE") != 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
			curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body ? req->body : "");
		}
	} else {
		return VG_EINVAL;
	}
	return 0;
}

int http_request(struct http_client *c, const struct http_request *req, http_done_cb cb, void *data,
                 uint64_t *id)
{
	if (c->closing)
		return VG_ESTATE;
	if (!req->url || !req->url[0])
		return VG_EINVAL;
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return VG_ENOMEM;
	x->c = c;
	x->cb = cb;
	x->data = data;
	x->max = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	x->easy = curl_easy_init();
	if (!x->easy) {
		xfer_free(x);
		return VG_ENOMEM;
	}
	CURL *e = x->easy;
	int rc = set_method(e, req);
	if (rc) {
		xfer_free(x);
		return rc;
	}
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 (long)(req->timeout_ms > 0 ? req->timeout_ms : 30000));
	if (req->fresh_connect) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	if (req->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (req->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
	if (req->resolve) {
		x->resolve = curl_slist_append(NULL, req->resolve);
		if (!x->resolve)
			goto oom;
		curl_easy_setopt(e, CURLOPT_RESOLVE, x->resolve);
	}
	/* No "Expect: 100-continue" round trip: it skews the phase times. */
	x->hdrs = curl_slist_append(NULL, "Expect:");
	if (!x->hdrs)
		goto oom;
	for (size_t i = 0; i < req->n_headers; i++) {
		struct curl_slist *l = curl_slist_append(x->hdrs, req->headers[i]);
		if (!l)
			goto oom;
		x->hdrs = l;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	x->id = c->next_id++;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		goto oom;
	x->next = c->xfers;
	if (c->xfers)
		c->xfers->prev = x;
	c->xfers = x;
	if (id)
		*id = x->id;
	return 0;
oom:
	xfer_free(x);
	return VG_ENOMEM;
}
