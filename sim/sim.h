/*
 * sim.h: the simulator's in-process API, for `vigil demo`, `vigil sim` and
 * the tests. Two halves play one scenario (sim/sim_scenario.h):
 *
 *  - the provider server: an HTTP/1.1 server on 127.0.0.1 speaking the
 *    OpenAI, Anthropic and Gemini wire formats, with the scenario's faults,
 *    on a compressed clock (scenario time runs `speed` times faster than the
 *    wall; latencies are real milliseconds, so probes measure them);
 *  - the gateway generator: events-v1 lines as a multi-provider gateway
 *    writes them, either as fast as possible on a virtual clock (a whole
 *    multi-hour scenario in seconds, deterministic for a seed), or live,
 *    following the same compressed clock as the server.
 *
 * Everything here runs on the thread that owns the uv loop given to it.
 * The server and the live writer are stopped asynchronously: after *_stop()
 * the caller keeps running the loop until it has no more work, which is when
 * their memory is freed.
 *
 * Provider server routes (an optional leading "/<provider name>" picks one
 * of several providers of the same kind):
 *   POST /v1/chat/completions                       OpenAI (stream: SSE)
 *   GET  /v1/models                                 OpenAI; Anthropic when
 *                                                   x-api-key or anthropic-version is sent
 *   POST /v1/messages                               Anthropic (stream: SSE)
 *   POST /v1beta/models/{model}:generateContent     Gemini API
 *   POST /v1beta/models/{model}:streamGenerateContent?alt=sse
 *   GET  /v1beta/models                             Gemini API
 *   POST /v1/projects/{p}/locations/{region}/publishers/google/models/{model}:generateContent
 *                                                   Vertex AI (picks the region)
 *   GET  /_sim/status                               {"scenario","t_ms","speed","requests"}
 */
#ifndef VIGIL_SIM_SIM_H
#define VIGIL_SIM_SIM_H

#include "sim/sim_buf.h"
#include "sim/sim_scenario.h"
#include "sim/sim_time.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

/* ---- the provider server ---- */

struct sim_server;

struct sim_server_opts {
	const struct sim_scenario *scenario; /* copied; required */
	int port;                            /* 0: any free port */
	double speed;                        /* scenario ms per wall ms (0 means 1) */
	int64_t from_ms;                     /* scenario time at start */
	uint64_t seed;                       /* 0: the scenario's seed */
	bool loop;                           /* wrap around at the scenario's end */
	FILE *log;                           /* one line per request, or NULL */
};

/*
 * Start the server on `loop`, listening on 127.0.0.1 only. Returns 0 and
 * *out, or VG_ENET / VG_EINVAL / VG_ENOMEM with a malloc'd *cause (caller
 * frees; cause may be NULL).
 */
int sim_server_start(uv_loop_t *loop, const struct sim_server_opts *o, struct sim_server **out,
                     char **cause);

/* The TCP port the server is bound to. */
int sim_server_port(const struct sim_server *s);

/* The scenario time now, and the clock that maps wall to scenario time. */
int64_t sim_server_scenario_ms(const struct sim_server *s);
struct sim_clock sim_server_clock(const struct sim_server *s);

/* Jump the scenario clock to t (tests, demos). */
void sim_server_set_scenario_ms(struct sim_server *s, int64_t t);

/* Requests answered so far (any outcome). */
uint64_t sim_server_requests(const struct sim_server *s);

/* Close the listener and every connection; the memory is freed from the
 * loop's close callbacks (run the loop until it is idle). NULL does nothing. */
void sim_server_stop(struct sim_server *s);

/*
 * Append to out a vigil.yaml `providers:` section for scenario s served on
 * 127.0.0.1:port: one provider per scenario provider, base_url
 * http://127.0.0.1:PORT/<name>, api_key_env key_env (the simulator accepts
 * any non-empty key), role primary when it heads a template's route, and
 * the models by version with their prices (the names gateway events use).
 */
void sim_config_yaml(const struct sim_scenario *s, int port, const char *key_env,
                     struct sim_buf *out);

/* ---- the gateway generator ---- */

struct sim_gateway;

struct sim_gateway_opts {
	const struct sim_scenario *scenario; /* copied; required */
	double rate;                         /* requests per scenario second (0: the scenario's) */
	uint64_t seed;                       /* 0: the scenario's seed */
	int64_t start_ms;                    /* epoch ms of scenario time 0 (ts of the lines) */
	double ts_scale;     /* ts = start_ms + t * ts_scale (0 means 1); below 1 (a compressed
	                  * clock) ts moves back by total_ms * (1 - ts_scale), so that
	                  * ts + total_ms is the scaled time the line is written */
	int64_t duration_ms; /* 0: the scenario's duration */
};

/* One events-v1 line (without the newline), borrowed for the call. Return
 * non-zero to stop the generator (sim_gateway_advance() returns it). */
typedef int (*sim_line_cb)(void *ud, const char *line, size_t len);

/* A new generator, or NULL (out of memory, or no scenario) with *cause set. */
struct sim_gateway *sim_gateway_new(const struct sim_gateway_opts *o, char **cause);
void sim_gateway_free(struct sim_gateway *g);

/*
 * Emit, through cb, every line that is complete by scenario time until_ms,
 * in completion order (ts is each attempt's start; ts + total_ms never goes
 * backwards). Deterministic: the same options give the same bytes whatever
 * the sequence of until_ms values. Returns 0, or what cb returned.
 */
int sim_gateway_advance(struct sim_gateway *g, int64_t until_ms, sim_line_cb cb, void *ud);

/* True once every line of the scenario has been emitted. */
bool sim_gateway_done(const struct sim_gateway *g);

/* Lines and requests emitted so far. */
uint64_t sim_gateway_lines(const struct sim_gateway *g);
uint64_t sim_gateway_requests(const struct sim_gateway *g);

/* ---- output files with rotation ---- */

enum sim_rotate { SIM_ROTATE_NONE, SIM_ROTATE_RENAME, SIM_ROTATE_COPYTRUNCATE };

struct sim_out_opts {
	const char *path;       /* "-" for stdout */
	enum sim_rotate rotate; /* how to rotate */
	uint64_t rotate_every;  /* lines per file (0: never) */
	int keep;               /* rotated files kept: path.1 .. path.keep (0 means 5) */
	bool append;            /* append to an existing file instead of truncating */
};

struct sim_out;

/* Open the output. Returns NULL with *cause set on error. */
struct sim_out *sim_out_open(const struct sim_out_opts *o, char **cause);

/* Write one line (a newline is added), rotating when due. Returns 0 or VG_EIO. */
int sim_out_line(struct sim_out *out, const char *line, size_t len);

/* Flush to the file (the live writer flushes after every tick). */
int sim_out_flush(struct sim_out *out);

/* Flush and close; returns 0 or VG_EIO. NULL does nothing. */
int sim_out_close(struct sim_out *out);

/* A sim_line_cb that writes to a struct sim_out (ud). */
int sim_out_cb(void *ud, const char *line, size_t len);

/* ---- the live gateway writer ---- */

struct sim_live;

/*
 * Drive generator g on `loop`: every tick_ms of wall time it advances g to
 * the scenario time of `clock` and writes the lines to out, flushing after
 * each tick. Takes ownership of g and out (freed when the writer stops).
 * The gateway's ts_scale should be 1/speed and start_ms the clock's wall
 * anchor, so ts stays near the wall clock. Returns 0 or VG_ENOMEM.
 */
int sim_live_start(uv_loop_t *loop, struct sim_gateway *g, struct sim_out *out,
                   const struct sim_clock *clock, int64_t tick_ms, struct sim_live **live);

/* Stop (the output is flushed and closed from the loop). NULL does nothing. */
void sim_live_stop(struct sim_live *live);

/* True once the generator has emitted every line. */
bool sim_live_done(const struct sim_live *live);

/* ---- the whole simulator in one call (vigil demo) ---- */

struct sim_session;

struct sim_session_opts {
	const char *scenario;    /* shipped name or file path; NULL: "oncall-day" */
	double speed;            /* scenario ms per wall ms (0 means 1) */
	int64_t from_ms;         /* scenario time at start (gateway lines start there too) */
	uint64_t seed;           /* 0: the scenario's */
	bool loop;               /* wrap around at the end; the gateway starts a new lap */
	int port;                /* 0: any free port on 127.0.0.1 */
	const char *events_path; /* gateway events-v1 file written live; NULL: no gateway */
	bool append;             /* append to events_path instead of truncating it */
	double rate;             /* gateway requests per scenario second (0: the scenario's) */
	int64_t tick_ms;         /* gateway write period in wall ms (0 means 100) */
	const char *truth_path;  /* truth file (first lap, RFC 3339 times on the wall); or NULL */
	const char *config_path; /* vigil.yaml `providers:` section for this server; or NULL */
	const char *port_path;   /* the port, one line; or NULL */
	const char *key_env;     /* api_key_env written in the config (NULL: VIGIL_SIM_KEY) */
	FILE *log;               /* server log, one line per request; or NULL */
};

/*
 * Start, on `loop`, the provider server playing the scenario on a clock
 * `speed` times faster than the wall, and (with events_path) the gateway
 * generator appending events-v1 lines to events_path every tick_ms, stamped
 * with the wall clock at which their scenario time happens on that same
 * clock. Writes the truth, config and port files before returning.
 * Returns 0 and *out; or VG_ECONFIG / VG_ENOTFOUND (scenario), VG_EINVAL,
 * VG_ENET, VG_EIO, VG_ENOMEM with a malloc'd *cause (caller frees; may be
 * NULL). On error, run the loop until idle: handles may be closing.
 */
int sim_session_start(uv_loop_t *loop, const struct sim_session_opts *o, struct sim_session **out,
                      char **cause);

/* The server's port; the scenario (borrowed, lives as long as the session);
 * scenario time now (wrapped when looping); the unwrapped clock. */
int sim_session_port(const struct sim_session *s);
const struct sim_scenario *sim_session_scenario(const struct sim_session *s);
int64_t sim_session_scenario_ms(const struct sim_session *s);
struct sim_clock sim_session_clock(const struct sim_session *s);

/* Gateway lines written so far; HTTP requests the server answered. */
uint64_t sim_session_lines(const struct sim_session *s);
uint64_t sim_session_requests(const struct sim_session *s);

/* True once the scenario has played out (never when looping): scenario time
 * past its duration and every gateway line written. */
bool sim_session_done(const struct sim_session *s);

/* True when writing the events file failed (the gateway stopped). */
bool sim_session_failed(const struct sim_session *s);

/* Append the vigil.yaml `providers:` section for this server to out. */
void sim_session_config_yaml(const struct sim_session *s, const char *key_env, struct sim_buf *out);

/* Stop: the gateway writes what is complete by now, the server closes, and
 * the memory is freed from the loop (run it until idle). The session must not
 * be used afterwards. NULL does nothing. */
void sim_session_stop(struct sim_session *s);

#endif
