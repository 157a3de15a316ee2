/*
 * sim_time.h: the time notations the simulator writes (RFC 3339, HTTP dates,
 * Go-style durations as OpenAI's reset headers use them) and the durations
 * its scenario files are written in, plus the virtual clock that maps wall
 * time to scenario time.
 *
 * The simulator writes these notations on its own, sharing no code with
 * vigil's parsers (core/timeparse.c), so a misunderstanding is not mirrored.
 */
#ifndef VIGIL_SIM_TIME_H
#define VIGIL_SIM_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "2026-11-27T10:00:00.123Z" (millis = true) or "2026-11-27T10:00:00Z". buf
 * holds at least 32 bytes. Returns buf. */
char *sim_time_rfc3339(int64_t ms, bool millis, char *buf, size_t size);

/* "Wed, 11 Dec 2024 23:16:00 GMT" into buf (at least 32 bytes). Returns buf. */
char *sim_time_http_date(int64_t ms, char *buf, size_t size);

/* A Go-style duration as OpenAI's x-ratelimit-reset-* headers write it:
 * "120ms", "1s", "17.5s", "6m0s", "1h2m3s". Returns buf. */
char *sim_time_go_duration(int64_t ms, char *buf, size_t size);

/* Parse a scenario duration: a sequence of number+unit (d, h, m, s, ms),
 * such as "28d", "30s", "4h20m", "1.5s", "250ms"; a bare "0" is zero. Returns 0 and sets
 * *ms, or -1 when the text is not a duration. */
int sim_time_parse_duration(const char *s, int64_t *ms);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)" into ms since the epoch.
 * Returns 0, or -1 when it is not such a timestamp. */
int sim_time_parse_rfc3339(const char *s, int64_t *ms);

/* The wall clock, ms since the epoch: the simulator's own read (sim/ uses
 * nothing of the shell; the shell's clock is net/clock.h). */
int64_t sim_time_wall_ms(void);

/*
 * The virtual clock: scenario time runs `speed` times faster than the wall
 * from an anchor. A value type. speed <= 0 freezes the clock at the anchor.
 * Reported times (response headers, gateway ts) map back to the wall:
 * report = report0 + scenario / speed.
 */
struct sim_clock {
	int64_t wall0_ms; /* wall time of the anchor */
	int64_t scn0_ms;  /* scenario time at the anchor */
	double speed;     /* scenario ms per wall ms */
	int64_t loop_ms;  /* > 0: scenario time wraps at this length */
};

/* Anchor a clock: scenario time scn0 at wall time wall0. */
void sim_clock_init(struct sim_clock *c, int64_t wall0_ms, int64_t scn0_ms, double speed);

/* Scenario time (ms from the scenario's start) at wall time `wall`. */
int64_t sim_clock_scenario_ms(const struct sim_clock *c, int64_t wall_ms);

/* Wall time at which scenario time `scn` happens (ignoring looping). */
int64_t sim_clock_wall_ms(const struct sim_clock *c, int64_t scn_ms);

/* Re-anchor so that scenario time is `scn` at wall time `wall` (jump). */
void sim_clock_set(struct sim_clock *c, int64_t wall_ms, int64_t scn_ms);

#endif
