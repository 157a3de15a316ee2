/*
 * sim_live.c: the gateway generator driven live on a uv loop: a timer
 * advances it to the scenario time of a compressed clock and appends the
 * lines to the output, flushing after each tick, so a tailer sees a file
 * growing as a real gateway's would.
 */
#include "sim/sim.h"

#include "core/vgerr.h"

#include <stdlib.h>

struct sim_live {
	uv_timer_t timer;
	struct sim_gateway *g;
	struct sim_out *out;
	struct sim_clock clock;
	bool stopping;
};

static void on_tick(uv_timer_t *t)
{
	struct sim_live *l = t->data;
	int64_t now = sim_clock_scenario_ms(&l->clock, sim_time_wall_ms());
	sim_gateway_advance(l->g, now, sim_out_cb, l->out);
	sim_out_flush(l->out);
	if (sim_gateway_done(l->g))
		uv_timer_stop(&l->timer);
}

int sim_live_start(uv_loop_t *loop, struct sim_gateway *g, struct sim_out *out,
                   const struct sim_clock *clock, int64_t tick_ms, struct sim_live **live)
{
	struct sim_live *l = calloc(1, sizeof(*l));
	*live = NULL;
	if (!l)
		return VG_ENOMEM;
	l->g = g;
	l->out = out;
	l->clock = *clock;
	l->clock.loop_ms = 0;
	uv_timer_init(loop, &l->timer);
	l->timer.data = l;
	uint64_t tick = tick_ms > 0 ? (uint64_t)tick_ms : 100;
	uv_timer_start(&l->timer, on_tick, 0, tick);
	*live = l;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct sim_live *l = h->data;
	sim_out_close(l->out);
	sim_gateway_free(l->g);
	free(l);
}

void sim_live_stop(struct sim_live *l)
{
	if (!l || l->stopping)
		return;
	l->stopping = true;
	uv_timer_stop(&l->timer);
	uv_close((uv_handle_t *)&l->timer, on_closed);
}

bool sim_live_done(const struct sim_live *l)
{
	return sim_gateway_done(l->g);
}
