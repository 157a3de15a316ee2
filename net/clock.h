/*
 * clock.h: the shell's one clock. Every part of vigil outside core/ and sim/
 * that needs the time reads it here: the wall clock (ms since the epoch, the
 * unit core/ takes as `now`) and a monotonic clock (ms from an arbitrary
 * origin, for elapsed time and pacing, immune to clock steps).
 *
 * core/ never reads a clock (it takes `now` as an argument); sim/ keeps its
 * own read (sim/sim_time.h), since it may use nothing of the shell. Tests
 * that fake time do so through the hooks the modules take (daemon_options,
 * canary_options, outbox_options: now_ms), never here.
 *
 * Threads: any.
 */
#ifndef VIGIL_NET_CLOCK_H
#define VIGIL_NET_CLOCK_H

#include <stdint.h>

/* The wall clock (CLOCK_REALTIME), ms since the epoch. */
int64_t clock_wall_ms(void);

/* clock_wall_ms() in the shape of the modules' now_ms hooks (`data` unused),
 * for a module whose caller gave no hook. */
int64_t clock_wall_ms_hook(void *data);

/* A monotonic clock (CLOCK_MONOTONIC), ms from an arbitrary origin: only
 * differences mean anything. */
int64_t clock_mono_ms(void);

#endif
