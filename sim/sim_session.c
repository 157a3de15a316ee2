/*
 * sim_session.c: the whole simulator on one uv loop in one call, for `vigil
 * demo` and `vigil sim providers --events`: the provider server and the
 * gateway generator writing events-v1 lines live, both on the server's
 * compressed clock so probes and gateway traffic tell one story, plus the
 * side files (truth, vigil.yaml providers section, port).
 *
 * Looping: the server wraps its scenario time at the end; the gateway then
 * starts a new lap (a fresh generator, seed + lap, ts continuing on the
 * wall clock) while the previous lap finishes its last in-flight requests.
 */
#include "sim/sim.h"

#include "core/vgerr.h"
#include "sim/sim_timeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sim_session {
	struct sim_scenario *scn;
	struct sim_server *srv;
	struct sim_out *out;
	struct sim_gateway *gw[2]; /* [0]: the current lap, [1]: the previous one */
	int64_t lap;               /* lap of gw[0] */
	struct sim_clock clock;    /* unwrapped scenario time */
	bool loop;
	double rate, speed;
	uint64_t seed;
	uint64_t lines;
	int64_t tick_ms;
	uv_timer_t timer;
	bool has_timer, stopping, failed;
};

static int write_file(const char *path, const struct sim_buf *b, char **cause)
{
	if (b->failed)
		return vg_cause(cause, VG_ENOMEM, "cannot write %s: out of memory", path);
	FILE *f = fopen(path, "w");
	bool ok = f && fwrite(b->p, 1, b->len, f) == b->len;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		return vg_cause(cause, VG_EIO, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* A generator for lap k, its ts on the wall clock of the server's clock. */
static struct sim_gateway *lap_gateway(struct sim_session *s, int64_t k, char **cause)
{
	int64_t lap_start = k * s->scn->duration_ms; /* unwrapped scenario time */
	struct sim_gateway_opts o = {
		.scenario = s->scn,
		.rate = s->rate,
		.seed = (s->seed ? s->seed : s->scn->seed) + (uint64_t)k,
		.start_ms = sim_clock_wall_ms(&s->clock, lap_start),
		.ts_scale = 1.0 / s->speed,
	};
	return sim_gateway_new(&o, cause);
}

static int count_cb(void *ud, const char *line, size_t len)
{
	struct sim_session *s = ud;
	int rc = sim_out_line(s->out, line, len);
	if (rc == 0)
		s->lines++;
	return rc;
}

static int discard_cb(void *ud, const char *line, size_t len)
{
	(void)ud;
	(void)line;
	(void)len;
	return 0;
}

/* Advance the gateway laps to unwrapped scenario time t. */
static void play_to(struct sim_session *s, int64_t t)
{
	int64_t dur = s->scn->duration_ms;
	if (s->failed)
		return;
	if (s->gw[1]) {
		if (sim_gateway_advance(s->gw[1], t - (s->lap - 1) * dur, count_cb, s))
			s->failed = true;
		if (sim_gateway_done(s->gw[1])) {
			sim_gateway_free(s->gw[1]);
			s->gw[1] = NULL;
		}
	}
	/* a new lap once the current one has started every request (loop mode) */
	while (s->loop && !s->failed && t >= (s->lap + 1) * dur && !s->gw[1]) {
		if (sim_gateway_advance(s->gw[0], t - s->lap * dur, count_cb, s))
			s->failed = true;
		struct sim_gateway *next = lap_gateway(s, s->lap + 1, NULL);
		if (!next) {
			s->failed = true;
			break;
		}
		s->gw[1] = s->gw[0];
		s->gw[0] = next;
		s->lap++;
		if (sim_gateway_done(s->gw[1])) {
			sim_gateway_free(s->gw[1]);
			s->gw[1] = NULL;
		}
	}
	if (!s->failed && sim_gateway_advance(s->gw[0], t - s->lap * dur, count_cb, s))
		s->failed = true;
	if (sim_out_flush(s->out) != 0)
		s->failed = true;
}

static void on_tick(uv_timer_t *t)
{
	struct sim_session *s = t->data;
	play_to(s, sim_clock_scenario_ms(&s->clock, sim_time_wall_ms()));
	if (s->failed || (!s->loop && sim_gateway_done(s->gw[0])))
		uv_timer_stop(&s->timer);
}

static void session_free(struct sim_session *s)
{
	if (s->out)
		sim_out_close(s->out);
	sim_gateway_free(s->gw[0]);
	sim_gateway_free(s->gw[1]);
	free(s->scn);
	free(s);
}

int sim_session_start(uv_loop_t *loop, const struct sim_session_opts *o, struct sim_session **out,
                      char **cause)
{
	char *why = NULL;
	int rc;
	*out = NULL;
	if (cause)
		*cause = NULL;
	struct sim_session *s = calloc(1, sizeof(*s));
	if (!s)
		return VG_ENOMEM;
	rc = sim_scenario_load(o->scenario ? o->scenario : "oncall-day", &s->scn, &why);
	if (rc)
		goto fail;
	s->speed = o->speed > 0 ? o->speed : 1;
	s->loop = o->loop;
	s->rate = o->rate;
	s->seed = o->seed;
	s->tick_ms = o->tick_ms > 0 ? o->tick_ms : 100;
	if (o->from_ms < 0 || o->from_ms >= s->scn->duration_ms) {
		rc = vg_cause(&why, VG_EINVAL, "the start time is outside scenario %s (0..%lld ms)",
		              s->scn->name, (long long)s->scn->duration_ms);
		goto fail;
	}
	if (o->events_path) {
		struct sim_out_opts oo = { .path = o->events_path, .append = o->append };
		s->out = sim_out_open(&oo, &why);
		if (!s->out) {
			rc = VG_EIO;
			goto fail;
		}
	}
	struct sim_server_opts so = {
		.scenario = s->scn,
		.port = o->port,
		.speed = s->speed,
		.from_ms = o->from_ms,
		.seed = o->seed,
		.loop = o->loop,
		.log = o->log,
	};
	rc = sim_server_start(loop, &so, &s->srv, &why);
	if (rc)
		goto fail;
	s->clock = sim_server_clock(s->srv);
	s->clock.loop_ms = 0;
	const char *key_env = o->key_env ? o->key_env : "VIGIL_SIM_KEY";
	struct sim_buf b;
	if (o->truth_path) {
		sim_buf_init(&b);
		sim_truth_json(s->scn, sim_clock_wall_ms(&s->clock, 0), s->speed, &b);
		rc = write_file(o->truth_path, &b, &why);
		sim_buf_free(&b);
		if (rc)
			goto fail_server;
	}
	if (o->config_path) {
		sim_buf_init(&b);
		sim_config_yaml(s->scn, sim_server_port(s->srv), key_env, &b);
		rc = write_file(o->config_path, &b, &why);
		sim_buf_free(&b);
		if (rc)
			goto fail_server;
	}
	if (o->port_path) {
		sim_buf_init(&b);
		sim_buf_printf(&b, "%d\n", sim_server_port(s->srv));
		rc = write_file(o->port_path, &b, &why);
		sim_buf_free(&b);
		if (rc)
			goto fail_server;
	}
	if (s->out) {
		s->gw[0] = lap_gateway(s, 0, &why);
		if (!s->gw[0]) {
			rc = VG_ENOMEM;
			goto fail_server;
		}
		/* traffic before from_ms never happened: the file starts there */
		sim_gateway_advance(s->gw[0], o->from_ms, discard_cb, NULL);
		uv_timer_init(loop, &s->timer);
		s->timer.data = s;
		s->has_timer = true;
		uv_timer_start(&s->timer, on_tick, 0, (uint64_t)s->tick_ms);
	}
	*out = s;
	return 0;
fail_server:
	sim_server_stop(s->srv);
fail:
	if (cause)
		*cause = why;
	else
		free(why);
	session_free(s);
	return rc;
}

int sim_session_port(const struct sim_session *s)
{
	return sim_server_port(s->srv);
}

const struct sim_scenario *sim_session_scenario(const struct sim_session *s)
{
	return s->scn;
}

int64_t sim_session_scenario_ms(const struct sim_session *s)
{
	return sim_server_scenario_ms(s->srv);
}

struct sim_clock sim_session_clock(const struct sim_session *s)
{
	return s->clock;
}

uint64_t sim_session_lines(const struct sim_session *s)
{
	return s->lines;
}

uint64_t sim_session_requests(const struct sim_session *s)
{
	return sim_server_requests(s->srv);
}

bool sim_session_done(const struct sim_session *s)
{
	if (s->loop)
		return false;
	if (sim_session_scenario_ms(s) < s->scn->duration_ms)
		return false;
	return !s->out || sim_gateway_done(s->gw[0]);
}

bool sim_session_failed(const struct sim_session *s)
{
	return s->failed;
}

void sim_session_config_yaml(const struct sim_session *s, const char *key_env, struct sim_buf *out)
{
	sim_config_yaml(s->scn, sim_server_port(s->srv), key_env ? key_env : "VIGIL_SIM_KEY", out);
}

static void on_timer_closed(uv_handle_t *h)
{
	session_free(h->data);
}

void sim_session_stop(struct sim_session *s)
{
	if (!s || s->stopping)
		return;
	s->stopping = true;
	sim_server_stop(s->srv);
	s->srv = NULL;
	if (s->has_timer) {
		/* write what is complete by now, then close from the loop */
		on_tick(&s->timer);
		uv_timer_stop(&s->timer);
		uv_close((uv_handle_t *)&s->timer, on_timer_closed);
	} else {
		session_free(s);
	}
}
