/*
 * sim_server.c: the simulated providers' HTTP/1.1 server on libuv.
 *
 * Each connection reads requests (sim_http.c), routes them to a provider of
 * the scenario, validates them as that provider does (its own 400/401/404
 * shapes), decides the answer (sim_decide.c) at the scenario time of the
 * compressed clock, writes it in the provider's format (sim_format.c), and
 * sends it on a plan: a list of (time after arrival, bytes) steps ending in
 * keep-alive, close, reset or hang. Time to first byte, body drip and SSE
 * pacing are real milliseconds; only the scenario's timeline is compressed.
 *
 * Memory tied to a handle is freed in its close callback; the server itself
 * when its last handle has closed after sim_server_stop().
 */
#include "sim/sim.h"

#include "core/vgerr.h"
#include "sim/sim_decide.h"
#include "sim/sim_format.h"
#include "sim/sim_http.h"
#include "sim/sim_text.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY  (4u << 20)
#define MAX_STEPS (SIM_MAX_EVENTS + 8)

enum end_action { END_KEEP, END_CLOSE, END_RESET, END_HANG };

struct conn;

struct sim_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	struct sim_scenario *scn;
	struct sim_clock clock;
	struct sim_limiter lim;
	uint64_t seed, n_req;
	int port;
	FILE *log;
	struct conn *conns;
	int handles; /* the listener and every live connection */
	bool stopping;
	int64_t last_t;
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shut;
	struct sim_server *srv;
	struct conn *next, *prev;
	struct sim_buf in;
	struct sim_buf wire;
	size_t step_end[MAX_STEPS];
	double step_at[MAX_STEPS];
	int n_steps, step;
	enum end_action end;
	uint64_t t0;
	bool busy, closing, dead, sent_continue, keep_alive;
	bool in_handle; /* process_input() is on the stack: it picks up the next request */
	int open_handles;
};

struct wreq {
	uv_write_t req;
	uv_buf_t buf;
	char data[];
};

static void process_input(struct conn *c);

/* ---- lifetime ---- */

static void server_release(struct sim_server *s)
{
	if (--s->handles > 0 || !s->stopping)
		return;
	free(s->scn);
	free(s);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->open_handles > 0)
		return;
	struct sim_server *s = c->srv;
	sim_buf_free(&c->in);
	sim_buf_free(&c->wire);
	free(c);
	server_release(s);
}

static void unlink_conn(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (c->srv->conns == c)
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
}

/* Close both handles now (after a drain, on the client's EOF, at stop). */
static void conn_hard_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	c->closing = true;
	unlink_conn(c);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_drain_timeout(uv_timer_t *t)
{
	conn_hard_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	(void)status;
	/* Keep reading (and discarding) until the client closes, so that unread
	 * bytes do not turn our FIN into a reset that loses the response. */
	if (!c->dead)
		uv_timer_start(&c->timer, on_drain_timeout, 2000, 0);
}

/* Graceful: send what is queued, FIN, drain. reset: an RST at once. */
static void conn_close(struct conn *c, bool reset)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_timer_stop(&c->timer);
	if (reset) {
		c->dead = true;
		unlink_conn(c);
		uv_close((uv_handle_t *)&c->timer, on_conn_closed);
		if (uv_tcp_close_reset(&c->tcp, on_conn_closed) != 0)
			uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
		return;
	}
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
		conn_hard_close(c);
}

static void on_write(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void conn_write(struct conn *c, const char *p, size_t n)
{
	if (c->closing || n == 0)
		return;
	struct wreq *w = malloc(sizeof(*w) + n);
	if (!w) {
		conn_close(c, false);
		return;
	}
	memcpy(w->data, p, n);
	w->buf = uv_buf_init(w->data, (unsigned)n);
	w->req.data = w;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_write) != 0) {
		free(w);
		conn_close(c, false);
	}
}

/* ---- clock ---- */

static int64_t now_scn(struct sim_server *s)
{
	int64_t t = sim_clock_scenario_ms(&s->clock, sim_time_wall_ms());
	if (!s->clock.loop_ms) {
		if (t < s->last_t)
			t = s->last_t;
		s->last_t = t;
	}
	return t;
}

int64_t sim_server_scenario_ms(const struct sim_server *s)
{
	return sim_clock_scenario_ms(&s->clock, sim_time_wall_ms());
}

struct sim_clock sim_server_clock(const struct sim_server *s)
{
	return s->clock;
}

void sim_server_set_scenario_ms(struct sim_server *s, int64_t t)
{
	sim_clock_set(&s->clock, sim_time_wall_ms(), t);
	s->last_t = t;
}

uint64_t sim_server_requests(const struct sim_server *s)
{
	return s->n_req;
}

int sim_server_port(const struct sim_server *s)
{
	return s->port;
}

/* ---- the plan ---- */

static void on_timer(uv_timer_t *t);

static void plan_run(struct conn *c)
{
	while (c->step < c->n_steps) {
		double elapsed = (double)(uv_now(c->srv->loop) - c->t0);
		double due = c->step_at[c->step];
		if (due > elapsed + 0.5) {
			uv_timer_start(&c->timer, on_timer, (uint64_t)ceil(due - elapsed), 0);
			return;
		}
		size_t from = c->step ? c->step_end[c->step - 1] : 0;
		size_t to = c->step_end[c->step];
		if (to > from)
			conn_write(c, c->wire.p + from, to - from);
		c->step++;
		if (c->closing)
			return;
	}
	switch (c->end) {
	case END_KEEP:
		c->busy = false;
		sim_buf_reset(&c->wire);
		if (!c->keep_alive) {
			conn_close(c, false);
			return;
		}
		if (!c->in_handle)
			process_input(c);
		return;
	case END_CLOSE: conn_close(c, false); return;
	case END_RESET: conn_close(c, true); return;
	case END_HANG: return;
	}
}

static void on_timer(uv_timer_t *t)
{
	plan_run(t->data);
}

static void plan_step(struct conn *c, size_t end, double at_ms)
{
	if (c->n_steps >= MAX_STEPS) {
		c->step_end[MAX_STEPS - 1] = end;
		return;
	}
	c->step_end[c->n_steps] = end;
	c->step_at[c->n_steps] = at_ms < 0 ? 0 : at_ms;
	c->n_steps++;
}

static void plan_start(struct conn *c, enum end_action end)
{
	c->end = end;
	c->step = 0;
	c->busy = true;
	plan_run(c);
}

/* The status line and headers of r; framing by length or chunks. */
static void head(struct conn *c, const struct sim_response *r, bool chunked, size_t length)
{
	struct sim_buf *w = &c->wire;
	sim_buf_printf(w, "HTTP/1.1 %d %s\r\n", r->status, sim_format_reason(r->status));
	for (int i = 0; i < r->n_headers; i++)
		sim_buf_printf(w, "%s: %s\r\n", r->headers[i].name, r->headers[i].value);
	if (chunked)
		sim_buf_puts(w, "transfer-encoding: chunked\r\n");
	else
		sim_buf_printf(w, "content-length: %zu\r\n", length);
	sim_buf_printf(w, "connection: %s\r\n\r\n", c->keep_alive ? "keep-alive" : "close");
}

/* Queue a response: whole, dripped, streamed, or cut short. */
static void send_response(struct conn *c, const struct sim_response *r, const struct sim_answer *a)
{
	c->n_steps = 0;
	sim_buf_reset(&c->wire);
	double ttfb = a && a->ttfb_ms > 0 ? a->ttfb_ms : 0;
	double total = a && a->total_ms > ttfb ? a->total_ms : ttfb;
	bool truncated = a && a->outcome == SIM_F_TRUNCATED;
	if (r->stream && r->n_events > 0) {
		head(c, r, true, 0);
		int n = r->n_events;
		int last = truncated ? (n + 1) / 2 : n;
		size_t from = 0;
		for (int i = 0; i < last; i++) {
			size_t to = r->event_end[i];
			sim_buf_printf(&c->wire, "%zx\r\n", to - from);
			sim_buf_add(&c->wire, r->body.p + from, to - from);
			sim_buf_puts(&c->wire, "\r\n");
			if (!truncated && i == n - 1)
				sim_buf_puts(&c->wire, "0\r\n\r\n");
			double at = n > 1 ? ttfb + (total - ttfb) * i / (n - 1) : ttfb;
			plan_step(c, c->wire.len, at);
			from = to;
		}
		plan_start(c, truncated ? END_CLOSE : END_KEEP);
		return;
	}
	size_t blen = r->body.len;
	head(c, r, false, blen);
	if (truncated) {
		sim_buf_add(&c->wire, r->body.p, blen / 2);
		plan_step(c, c->wire.len, total);
		plan_start(c, END_CLOSE);
		return;
	}
	if (a && a->drip_ms > 0 && blen > 0) {
		size_t head_len = c->wire.len;
		sim_buf_add(&c->wire, r->body.p, blen);
		size_t chunk = a->chunk_bytes > 0 ? (size_t)a->chunk_bytes : 64;
		size_t pos = head_len;
		double at = ttfb;
		while (pos < c->wire.len) {
			pos = pos + chunk < c->wire.len ? pos + chunk : c->wire.len;
			plan_step(c, pos, at);
			at += (double)a->drip_ms;
		}
		plan_start(c, END_KEEP);
		return;
	}
	if (blen)
		sim_buf_add(&c->wire, r->body.p, blen);
	plan_step(c, c->wire.len, ttfb);
	plan_start(c, END_KEEP);
}

static void send_plain(struct conn *c, int status, const char *text)
{
	c->keep_alive = false;
	c->n_steps = 0;
	sim_buf_reset(&c->wire);
	sim_buf_printf(&c->wire,
	               "HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %zu\r\n"
	               "connection: close\r\n\r\n%s",
	               status, sim_format_reason(status), strlen(text), text);
	plan_step(c, c->wire.len, 0);
	plan_start(c, END_CLOSE);
}

/* ---- requests ---- */

struct call {
	struct conn *c;
	struct sim_http_req *req;
	enum sim_kind kind;
	int provider, model, region;
	char model_name[SIM_NAME_MAX];
	char path[512];
	char query[512];
	bool stream, stream_usage, models_list, canary;
	int prompt_tokens, max_tokens;
	char key_tail[8];
	const char *method_path; /* "POST /v1/..." for messages */
	char mp[600];
};

static void fmt_in(struct call *k, struct sim_fmt_in *in, const struct sim_answer *a)
{
	struct sim_server *s = k->c->srv;
	memset(in, 0, sizeof(*in));
	in->kind = k->kind;
	in->a = a;
	in->model = k->model_name;
	in->text = "";
	in->stream = k->stream;
	in->stream_usage = k->stream_usage;
	in->now_ms = sim_time_wall_ms();
	in->scale = s->clock.speed > 0 ? 1.0 / s->clock.speed : 1.0;
	in->id_seed = s->seed * 1000003u + s->n_req;
	in->key_tail = k->key_tail[0] ? k->key_tail : NULL;
}

static void log_line(struct call *k, int64_t t, int status, const char *what,
                     const struct sim_phase *ph)
{
	FILE *f = k->c->srv->log;
	if (!f)
		return;
	const struct sim_scenario *scn = k->c->srv->scn;
	fprintf(f, "%9.1fs %-10s %-44s %-24s -> %3d %s%s%s\n", (double)t / 1000.0,
	        k->provider >= 0 ? scn->providers[k->provider].name : "-", k->mp,
	        k->model_name[0] ? k->model_name : "-", status, what, ph ? " phase=" : "",
	        ph ? ph->name : "");
	fflush(f);
}

static void client_error(struct call *k, enum sim_cerr e, const char *param, int64_t n,
                         int64_t limit)
{
	struct sim_fmt_in in;
	struct sim_answer a;
	memset(&a, 0, sizeof(a));
	a.ttfb_ms = a.total_ms = 5;
	fmt_in(k, &in, &a);
	in.a = NULL;
	struct sim_response r;
	sim_response_init(&r);
	k->c->srv->n_req++;
	sim_format_client_error(&in, e, param, n, limit, &r);
	if (e == SIM_CERR_TOO_LARGE)
		k->c->keep_alive = false;
	log_line(k, now_scn(k->c->srv), r.status, "client error", NULL);
	send_response(k->c, &r, &a);
	sim_response_free(&r);
}

/* Every string under the request's messages, for token estimates and the
 * canary check. */
static void collect_text(json_t *v, struct sim_buf *out, int depth)
{
	if (depth > 16)
		return;
	if (json_is_string(v)) {
		sim_buf_add(out, json_string_value(v), json_string_length(v));
		sim_buf_add(out, " ", 1);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach (v, i, x)
			collect_text(x, out, depth + 1);
	} else if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach (v, key, x) {
			if (strcmp(key, "role") != 0 && strcmp(key, "type") != 0)
				collect_text(x, out, depth + 1);
		}
	}
}

static int estimate_tokens(const struct sim_buf *text, int parts)
{
	return (int)(text->len / 4) + 4 * parts + 3;
}

static void answer(struct call *k)
{
	struct sim_server *s = k->c->srv;
	int64_t t = now_scn(s);
	/* The request's root stream: the server's source, then its number. */
	struct sim_rng base, root;
	s->n_req++;
	sim_rng_init(&base, s->seed, SIM_RNG_SERVER);
	root = sim_rng_fork(&base, s->n_req);
	struct sim_req rq = {
		.scope = { k->provider, k->model, k->region, -1 },
		.t_ms = t,
		.stream = k->stream,
		.prompt_tokens = k->prompt_tokens,
		.max_tokens = k->max_tokens,
		.want_tokens = k->canary ? 6 : 60,
	};
	struct sim_answer a;
	sim_decide(s->scn, &s->lim, &rq, &root, &a);
	struct sim_response r;
	sim_response_init(&r);
	struct sim_fmt_in in;
	fmt_in(k, &in, &a);
	const char *what = a.outcome ? sim_fault_name(a.outcome) : "ok";
	if (a.outcome == SIM_F_DNS || a.outcome == SIM_F_CONNECT || a.outcome == SIM_F_RESET) {
		/* A server cannot fail a lookup or a connect: it resets at once. */
		log_line(k, t, 0, what, a.phase);
		k->c->n_steps = 0;
		sim_buf_reset(&k->c->wire);
		plan_step(k->c, 0, a.outcome == SIM_F_RESET ? a.total_ms : 0);
		plan_start(k->c, END_RESET);
		return;
	}
	if (a.outcome == SIM_F_HANG) {
		log_line(k, t, 0, what, a.phase);
		k->c->n_steps = 0;
		plan_start(k->c, END_HANG);
		return;
	}
	struct sim_buf text;
	sim_buf_init(&text);
	if (a.status == 200 && !k->models_list) {
		struct sim_rng words = sim_rng_fork(&root, SIM_RNG_TEXT);
		if (a.outcome == SIM_F_SAFETY_BLOCK) {
			sim_buf_puts(&text, sim_text_refusal(&words));
		} else if (k->canary) {
			sim_text_canary(a.text_flags, &text);
		} else {
			struct sim_facts f;
			bool valid;
			struct sim_rng fr = sim_rng_fork(&root, SIM_RNG_FACTS);
			sim_text_facts(2, &fr, &f);
			sim_text_response(&f, false, a.text_flags, &words, &text, &valid);
		}
		in.text = sim_buf_cstr(&text);
	}
	if (k->models_list && a.status == 200)
		sim_format_models(&in, &s->scn->providers[k->provider], &r);
	else
		sim_format_answer(&in, &r);
	log_line(k, t, r.status, what, a.phase);
	send_response(k->c, &r, &a);
	sim_response_free(&r);
	sim_buf_free(&text);
}

/* The parts of one message's content (an array): each an object, and a text
 * part's text a string, as the providers check them. Returns false after
 * answering with the provider's own 400. Google's parts must not be empty
 * and need no "type"; OpenAI's and Anthropic's are typed blocks. */
static bool parts_ok(struct call *k, json_t *parts, const char *param)
{
	bool google = k->kind == SIM_GOOGLE;
	if (google && json_array_size(parts) == 0) {
		client_error(k, SIM_CERR_INVALID, param, 0, 0);
		return false;
	}
	size_t i;
	json_t *part;
	json_array_foreach (parts, i, part) {
		char pp[96];
		snprintf(pp, sizeof(pp), "%s[%zu]", param, i);
		json_t *type = json_object_get(part, "type"), *text = json_object_get(part, "text");
		if (!json_is_object(part) || (!google && !json_is_string(type))) {
			client_error(k, SIM_CERR_INVALID, pp, 0, 0);
			return false;
		}
		bool is_text = google ? text != NULL : strcmp(json_string_value(type), "text") == 0;
		if (!is_text)
			continue;
		snprintf(pp, sizeof(pp), "%s[%zu].text", param, i);
		if (!text) {
			client_error(k, SIM_CERR_MISSING, pp, 0, 0);
			return false;
		}
		if (!json_is_string(text)) {
			client_error(k, SIM_CERR_INVALID, pp, 0, 0);
			return false;
		}
	}
	return true;
}

/* Validates a JSON body as the provider does; fills k. Returns false after
 * answering with the provider's own 4xx. */
static bool validate(struct call *k, json_t *body)
{
	const struct sim_scenario *scn = k->c->srv->scn;
	json_t *v;
	if (!json_is_object(body)) {
		client_error(k, SIM_CERR_BAD_JSON, NULL, 0, 0);
		return false;
	}
	if (k->kind != SIM_GOOGLE) {
		v = json_object_get(body, "model");
		if (!v) {
			client_error(k, SIM_CERR_MISSING, "model", 0, 0);
			return false;
		}
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) >= SIM_NAME_MAX) {
			client_error(k, SIM_CERR_INVALID, "model", 0, 0);
			return false;
		}
		snprintf(k->model_name, sizeof(k->model_name), "%s", json_string_value(v));
	}
	const char *list = k->kind == SIM_GOOGLE ? "contents" : "messages";
	v = json_object_get(body, list);
	if (!v) {
		client_error(k, SIM_CERR_MISSING, list, 0, 0);
		return false;
	}
	if (!json_is_array(v) || json_array_size(v) == 0) {
		client_error(k, SIM_CERR_INVALID, list, 0, 0);
		return false;
	}
	size_t i;
	json_t *msg;
	json_array_foreach (v, i, msg) {
		char param[64];
		snprintf(param, sizeof(param), "%s[%zu]", list, i);
		if (!json_is_object(msg)) {
			client_error(k, SIM_CERR_INVALID, param, 0, 0);
			return false;
		}
		if (k->kind == SIM_GOOGLE) {
			json_t *parts = json_object_get(msg, "parts");
			if (!json_is_array(parts)) {
				client_error(k, SIM_CERR_INVALID, param, 0, 0);
				return false;
			}
			snprintf(param, sizeof(param), "%s[%zu].parts", list, i);
			if (!parts_ok(k, parts, param))
				return false;
		} else {
			json_t *role = json_object_get(msg, "role"), *content;
			content = json_object_get(msg, "content");
			if (!json_is_string(role) ||
			    (!json_is_string(content) && !json_is_array(content) &&
			     !(k->kind == SIM_OPENAI && json_is_null(content)))) {
				client_error(k, SIM_CERR_INVALID, param, 0, 0);
				return false;
			}
			snprintf(param, sizeof(param), "%s[%zu].content", list, i);
			if (json_is_array(content) && !parts_ok(k, content, param))
				return false;
		}
	}
	/* the system prompt: Anthropic's a string or text blocks, Google's a
	 * content object; the generation settings an object */
	if (k->kind == SIM_ANTHROPIC) {
		v = json_object_get(body, "system");
		if (v && !json_is_string(v) && !json_is_array(v)) {
			client_error(k, SIM_CERR_INVALID, "system", 0, 0);
			return false;
		}
		if (json_is_array(v) && !parts_ok(k, v, "system"))
			return false;
	} else if (k->kind == SIM_GOOGLE) {
		v = json_object_get(body, "systemInstruction");
		if (v && !json_is_object(v)) {
			client_error(k, SIM_CERR_INVALID, "system_instruction", 0, 0);
			return false;
		}
		v = json_object_get(body, "generationConfig");
		if (v && !json_is_object(v)) {
			client_error(k, SIM_CERR_INVALID, "generation_config", 0, 0);
			return false;
		}
	}
	v = json_object_get(body, "stream");
	if (v && !json_is_boolean(v)) {
		client_error(k, SIM_CERR_INVALID, "stream", 0, 0);
		return false;
	}
	if (v)
		k->stream = json_is_true(v);
	if (k->kind == SIM_OPENAI) {
		json_t *so = json_object_get(body, "stream_options");
		k->stream_usage = so && json_is_true(json_object_get(so, "include_usage"));
		v = json_object_get(body, "max_completion_tokens");
		if (!v)
			v = json_object_get(body, "max_tokens");
	} else if (k->kind == SIM_ANTHROPIC) {
		v = json_object_get(body, "max_tokens");
		if (!v) {
			client_error(k, SIM_CERR_MISSING, "max_tokens", 0, 0);
			return false;
		}
	} else {
		json_t *gc = json_object_get(body, "generationConfig");
		v = gc ? json_object_get(gc, "maxOutputTokens") : NULL;
	}
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000000) {
			client_error(k, SIM_CERR_INVALID,
			             k->kind == SIM_GOOGLE ? "generation_config.max_output_tokens"
			                                   : "max_tokens",
			             0, 0);
			return false;
		}
		k->max_tokens = (int)json_integer_value(v);
	}
	k->model = sim_scenario_model(scn, k->provider, k->model_name);
	if (k->model < 0) {
		client_error(k, SIM_CERR_MODEL, k->model_name, 0, 0);
		return false;
	}
	struct sim_buf text;
	sim_buf_init(&text);
	collect_text(json_object_get(body, list), &text, 0);
	collect_text(json_object_get(body, k->kind == SIM_GOOGLE ? "systemInstruction" : "system"),
	             &text, 0);
	k->prompt_tokens =
	        estimate_tokens(&text, (int)json_array_size(json_object_get(body, list)));
	const char *tx = sim_buf_cstr(&text);
	k->canary = strstr(tx, "\"ok\"") != NULL || strstr(tx, "{ok") != NULL;
	sim_buf_free(&text);
	int limit = scn->providers[k->provider].models[k->model].context_tokens;
	if (k->prompt_tokens > limit) {
		client_error(k, SIM_CERR_CONTEXT, NULL, k->prompt_tokens, limit);
		return false;
	}
	return true;
}

static bool has_value(struct sim_http_req *req, const char *name)
{
	size_t n;
	const char *v = sim_http_header(req, name, &n);
	return v && n > 0;
}

/* The API key's presence (and last 4 characters for messages). */
static bool check_key(struct call *k)
{
	size_t n = 0;
	const char *v = NULL;
	if (k->kind == SIM_OPENAI) {
		v = sim_http_header(k->req, "authorization", &n);
		if (v && n > 7 && strncasecmp(v, "Bearer ", 7) == 0) {
			v += 7;
			n -= 7;
		} else {
			v = NULL;
		}
	} else if (k->kind == SIM_ANTHROPIC) {
		v = sim_http_header(k->req, "x-api-key", &n);
	} else {
		v = sim_http_header(k->req, "x-goog-api-key", &n);
		if (!v) {
			const char *q = strstr(k->query, "key=");
			if (q && (q == k->query || q[-1] == '&') && q[4] && q[4] != '&') {
				v = q + 4;
				n = strcspn(v, "&");
			}
		}
		if (!v) {
			v = sim_http_header(k->req, "authorization", &n);
			if (v && n > 7 && strncasecmp(v, "Bearer ", 7) == 0) {
				v += 7;
				n -= 7;
			} else {
				v = NULL;
			}
		}
	}
	if (!v || n == 0)
		return false;
	size_t tail = n < 4 ? n : 4;
	memcpy(k->key_tail, v + n - tail, tail);
	k->key_tail[tail] = '\0';
	return true;
}

static int provider_of_kind(const struct sim_scenario *scn, enum sim_kind kind)
{
	for (int i = 0; i < scn->n_providers; i++)
		if (scn->providers[i].kind == kind)
			return i;
	return -1;
}

static void status_page(struct call *k)
{
	struct sim_server *s = k->c->srv;
	struct sim_response r;
	struct sim_jw w;
	sim_response_init(&r);
	r.status = 200;
	r.json = true;
	sim_response_header(&r, "content-type", "application/json");
	sim_jw_init(&w, &r.body);
	sim_jw_obj(&w);
	sim_jw_kstr(&w, "scenario", s->scn->name);
	sim_jw_kint(&w, "t_ms", now_scn(s));
	sim_jw_kint(&w, "duration_ms", s->scn->duration_ms);
	sim_jw_knum(&w, "speed", s->clock.speed, 6);
	sim_jw_kint(&w, "requests", (int64_t)s->n_req);
	sim_jw_key(&w, "active");
	sim_jw_arr(&w);
	int64_t t = now_scn(s);
	for (int i = 0; i < s->scn->n_phases; i++)
		if (sim_phase_active(&s->scn->phases[i], t))
			sim_jw_str(&w, s->scn->phases[i].name);
	sim_jw_arr_end(&w);
	sim_jw_obj_end(&w);
	send_response(k->c, &r, NULL);
	sim_response_free(&r);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void handle(struct conn *c, struct sim_http_req *req)
{
	struct sim_server *s = c->srv;
	struct call k;
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.req = req;
	k.provider = -1;
	k.model = -1;
	k.region = 0;
	c->keep_alive = req->keep_alive;
	size_t plen = req->target_len;
	const char *q = memchr(req->target, '?', req->target_len);
	if (q) {
		plen = (size_t)(q - req->target);
		snprintf(k.query, sizeof(k.query), "%.*s", (int)(req->target_len - plen - 1),
		         q + 1);
	}
	if (plen >= sizeof(k.path)) {
		send_plain(c, 400, "URI too long\n");
		return;
	}
	memcpy(k.path, req->target, plen);
	k.path[plen] = '\0';
	char method[16];
	snprintf(method, sizeof(method), "%.*s", (int)(req->method_len < 15 ? req->method_len : 15),
	         req->method);
	snprintf(k.mp, sizeof(k.mp), "%s %s", method, k.path);
	bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
	const char *path = k.path;

	if (strcmp(path, "/_sim/status") == 0) {
		status_page(&k);
		return;
	}
	/* An optional "/<provider name>" prefix. */
	int forced = -1;
	for (int i = 0; i < s->scn->n_providers; i++) {
		size_t n = strlen(s->scn->providers[i].name);
		if (path[0] == '/' && strncmp(path + 1, s->scn->providers[i].name, n) == 0 &&
		    path[n + 1] == '/') {
			forced = i;
			path += n + 1;
			break;
		}
	}
	bool is_models = false, known = true;
	if (strcmp(path, "/v1/chat/completions") == 0) {
		k.kind = SIM_OPENAI;
		known = post;
	} else if (strcmp(path, "/v1/messages") == 0) {
		k.kind = SIM_ANTHROPIC;
		known = post;
	} else if (strcmp(path, "/v1/models") == 0) {
		k.kind = has_value(req, "x-api-key") || has_value(req, "anthropic-version")
		                 ? SIM_ANTHROPIC
		                 : SIM_OPENAI;
		if (forced >= 0)
			k.kind = s->scn->providers[forced].kind;
		is_models = true;
		known = get;
	} else if (strcmp(path, "/v1beta/models") == 0) {
		k.kind = SIM_GOOGLE;
		is_models = true;
		known = get;
	} else if (starts(path, "/v1beta/models/") || starts(path, "/v1/projects/")) {
		k.kind = SIM_GOOGLE;
		const char *m = strstr(path, "/models/");
		const char *colon = m ? strrchr(m, ':') : NULL;
		if (!m || !colon) {
			k.kind = SIM_GOOGLE;
			known = false;
		} else {
			m += 8;
			snprintf(k.model_name, sizeof(k.model_name), "%.*s", (int)(colon - m), m);
			if (strcmp(colon + 1, "streamGenerateContent") == 0)
				k.stream = true;
			else if (strcmp(colon + 1, "generateContent") != 0)
				known = false;
			if (!post)
				known = false;
			const char *loc = strstr(path, "/locations/");
			if (loc && starts(path, "/v1/projects/")) {
				char region[SIM_NAME_MAX];
				loc += 11;
				snprintf(region, sizeof(region), "%.*s", (int)strcspn(loc, "/"),
				         loc);
				k.region = -2;
				int p = forced >= 0 ? forced : provider_of_kind(s->scn, SIM_GOOGLE);
				if (p >= 0)
					for (int i = 0; i < s->scn->providers[p].n_regions; i++)
						if (strcmp(s->scn->providers[p].regions[i].name,
						           region) == 0)
							k.region = i;
				if (k.region == -2)
					k.region = 0;
			}
		}
	} else {
		k.kind = starts(path, "/v1beta") ? SIM_GOOGLE : SIM_OPENAI;
		known = false;
	}
	k.provider = forced >= 0 ? forced : provider_of_kind(s->scn, k.kind);
	bool mismatch = forced >= 0 && s->scn->providers[forced].kind != k.kind;
	if (!known || mismatch || k.provider < 0) {
		/* a known path with the wrong method is a 405, anything else a 404 */
		bool path_known = strcmp(path, "/v1/chat/completions") == 0 ||
		                  strcmp(path, "/v1/messages") == 0 ||
		                  strcmp(path, "/v1/models") == 0 ||
		                  strcmp(path, "/v1beta/models") == 0;
		if (mismatch)
			k.kind = s->scn->providers[forced].kind;
		client_error(&k,
		             path_known && !mismatch && k.provider >= 0 ? SIM_CERR_METHOD
		                                                        : SIM_CERR_NOT_FOUND,
		             k.mp, 0, 0);
		return;
	}
	if (!check_key(&k)) {
		client_error(&k, SIM_CERR_NO_KEY, NULL, 0, 0);
		return;
	}
	if (k.kind == SIM_ANTHROPIC && !has_value(req, "anthropic-version")) {
		client_error(&k, SIM_CERR_NO_VERSION, NULL, 0, 0);
		return;
	}
	if (is_models) {
		k.models_list = true;
		answer(&k);
		return;
	}
	json_error_t jerr;
	json_t *body = json_loadb(req->body ? req->body : "", req->body_len, 0, &jerr);
	if (!body) {
		client_error(&k, SIM_CERR_BAD_JSON, NULL, 0, 0);
		return;
	}
	if (k.kind == SIM_GOOGLE && k.stream && !strstr(k.query, "alt=sse"))
		k.stream = false; /* without alt=sse Google streams a JSON array: not simulated */
	bool ok = validate(&k, body);
	json_decref(body);
	if (ok)
		answer(&k);
}

static void process_input(struct conn *c)
{
	while (!c->busy && !c->closing && c->in.len > 0) {
		struct sim_http_req req;
		sim_http_req_init(&req);
		int rc = sim_http_parse(&req, c->in.p, c->in.len, MAX_BODY);
		if (rc == SIM_HTTP_INCOMPLETE) {
			if (req.head_done && req.expect_continue && !c->sent_continue) {
				c->sent_continue = true;
				conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
			sim_http_req_done(&req);
			return;
		}
		if (rc == SIM_HTTP_BAD) {
			sim_http_req_done(&req);
			sim_buf_reset(&c->in);
			send_plain(c, 400, "Bad Request\n");
			return;
		}
		if (rc == SIM_HTTP_TOO_LARGE) {
			struct call k;
			memset(&k, 0, sizeof(k));
			k.c = c;
			k.provider = -1;
			bool google = req.head_done && req.target_len > 7 &&
			              (memcmp(req.target, "/v1beta", 7) == 0 ||
			               (req.target_len > 13 &&
			                memcmp(req.target, "/v1/projects/", 13) == 0));
			k.kind = google ? SIM_GOOGLE : SIM_OPENAI;
			snprintf(k.mp, sizeof(k.mp), "(request too large)");
			sim_http_req_done(&req);
			sim_buf_reset(&c->in);
			c->keep_alive = false;
			client_error(&k, SIM_CERR_TOO_LARGE, NULL, 0, 0);
			return;
		}
		c->sent_continue = false;
		c->t0 = uv_now(c->srv->loop);
		c->in_handle = true;
		handle(c, &req);
		c->in_handle = false;
		sim_http_req_done(&req);
		/* drop the request's bytes */
		size_t used = (size_t)rc;
		memmove(c->in.p, c->in.p + used, c->in.len - used);
		c->in.len -= used;
		if (c->in.p)
			c->in.p[c->in.len] = '\0';
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)suggested;
	if (sim_buf_reserve(&c->in, 65536)) {
		buf->base = NULL;
		buf->len = 0;
		return;
	}
	buf->base = c->in.p + c->in.len;
	buf->len = c->in.cap - c->in.len - 1;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	(void)buf;
	if (n < 0) {
		conn_hard_close(c);
		return;
	}
	if (n == 0 || c->closing)
		return; /* draining: discard */
	c->in.len += (size_t)n;
	c->in.p[c->in.len] = '\0';
	if (c->in.len > MAX_BODY + SIM_HTTP_MAX_HEAD + 65536) {
		conn_close(c, true);
		return;
	}
	process_input(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sim_server *s = server->data;
	if (status < 0 || s->stopping)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = s;
	sim_buf_init(&c->in);
	sim_buf_init(&c->wire);
	if (uv_tcp_init(s->loop, &c->tcp) != 0) {
		free(c);
		return;
	}
	c->tcp.data = c;
	uv_timer_init(s->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	s->handles++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	c->keep_alive = true;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_close(c, false);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
}

static void on_listener_closed(uv_handle_t *h)
{
	server_release(h->data);
}

int sim_server_start(uv_loop_t *loop, const struct sim_server_opts *o, struct sim_server **out,
                     char **cause)
{
	*out = NULL;
	if (!o || !o->scenario) {
		if (cause)
			*cause = strdup("sim_server_start: no scenario");
		return VG_EINVAL;
	}
	if (o->port < 0 || o->port > 65535) {
		if (cause)
			*cause = strdup("port must be in 0..65535");
		return VG_EINVAL;
	}
	struct sim_server *s = calloc(1, sizeof(*s));
	struct sim_scenario *scn = malloc(sizeof(*scn));
	if (!s || !scn) {
		free(s);
		free(scn);
		if (cause)
			*cause = strdup("out of memory");
		return VG_ENOMEM;
	}
	memcpy(scn, o->scenario, sizeof(*scn));
	s->scn = scn;
	s->loop = loop;
	s->log = o->log;
	s->seed = o->seed ? o->seed : scn->seed;
	sim_clock_init(&s->clock, sim_time_wall_ms(), o->from_ms, o->speed > 0 ? o->speed : 1.0);
	s->last_t = o->from_ms;
	if (o->loop)
		s->clock.loop_ms = scn->duration_ms;
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", o->port, &addr);
	int rc = uv_tcp_init(loop, &s->listener);
	if (rc) {
		free(scn);
		free(s);
		return vg_cause(cause, VG_ENET, "cannot create a socket: %s", uv_strerror(rc));
	}
	s->listener.data = s;
	s->handles = 1;
	rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
	if (!rc)
		rc = uv_listen((uv_stream_t *)&s->listener, 256, on_connection);
	if (rc) {
		vg_cause(cause, VG_ENET, "cannot listen on 127.0.0.1:%d: %s", o->port,
		         uv_strerror(rc));
		s->stopping = true;
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
		return VG_ENET;
	}
	struct sockaddr_storage name;
	int namelen = sizeof(name);
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&name, &namelen);
	s->port = ntohs(((struct sockaddr_in *)&name)->sin_port);
	*out = s;
	return 0;
}

void sim_server_stop(struct sim_server *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	while (s->conns)
		conn_hard_close(s->conns);
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}
