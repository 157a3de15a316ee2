/*
 * sim_decide.h: what happens to one request, decided from the scenario at the
 * request's scenario time, a rate limiter and a seeded generator. The
 * provider server and the gateway generator both decide through here, which
 * is what makes probes and gateway traffic tell the same story.
 *
 * The limiter counts requests and tokens per provider and model in fixed
 * one-minute windows of scenario time (value type, zero-initialised), so
 * the remaining count shrinks before a 429 the way a provider's does.
 */
#ifndef VIGIL_SIM_DECIDE_H
#define VIGIL_SIM_DECIDE_H

#include "sim/sim_rng.h"
#include "sim/sim_scenario.h"
#include "sim/sim_timeline.h"

#define SIM_WINDOW_MS 60000

struct sim_limiter {
	int64_t window[SIM_MAX_PROVIDERS][SIM_MAX_MODELS]; /* index of the current window + 1 */
	int64_t used_req[SIM_MAX_PROVIDERS][SIM_MAX_MODELS];
	int64_t used_tok[SIM_MAX_PROVIDERS][SIM_MAX_MODELS];
};

struct sim_req {
	struct sim_scope scope;
	int64_t t_ms;      /* scenario time of the request */
	bool stream;       /* streamed request */
	int prompt_tokens; /* predicted input tokens */
	int max_tokens;    /* the request's output cap (0 = none) */
	int want_tokens;   /* typical output tokens for this kind of request */
};

struct sim_answer {
	enum sim_fault outcome;        /* SIM_F_NONE: a normal 200 */
	const struct sim_phase *phase; /* the phase behind the outcome, or NULL */
	unsigned text_flags;           /* SIM_TX_* bits for the response text */
	unsigned content;              /* 1u << fault, for every content fault applied */
	int status;                    /* HTTP status, 0 when no HTTP answer */
	double ttfb_ms;                /* to the first body byte (first token when streamed) */
	double total_ms;               /* to the last byte */
	int64_t drip_ms;               /* pause between body chunks (0 = none) */
	int chunk_bytes;
	int input_tokens, output_tokens, cached_tokens;
	char version[SIM_NAME_MAX]; /* the model version the answer reports */
	/* rate-limit view after this request (scenario ms for resets) */
	int64_t rl_limit_req, rl_rem_req, rl_limit_tok, rl_rem_tok;
	int64_t rl_reset_req_ms, rl_reset_tok_ms;
	bool rl_tokens;                 /* a 429 about tokens rather than requests */
	int64_t retry_after_ms;         /* scenario ms; -1 when the answer gives none */
	bool prompt_block;              /* safety block of the prompt (not the output) */
	double doc_age_s;               /* retrieval: age of the newest chunk */
	double top_similarity;          /* retrieval: best similarity */
	int storm_retries;              /* retry_storm: retries on invalid answers (0 = none) */
	double storm_invalid;           /* retry_storm: share of invalid answers */
	int stream_events_before_error; /* stream_error: deltas sent before the error */
};

/*
 * Decide the answer to request rq. root is the request's (or attempt's) root
 * stream: every concern draws from its own fork of it (SIM_RNG_FAULT per
 * phase, SIM_RNG_LATENCY, SIM_RNG_TOKENS, ...), and root itself is not
 * advanced, so the same root gives the same answer. Updates lim (unless
 * the request never reaches the provider: dns, connect), fills *a. Pure
 * apart from lim; never fails.
 */
void sim_decide(const struct sim_scenario *s, struct sim_limiter *lim, const struct sim_req *rq,
                const struct sim_rng *root, struct sim_answer *a);

#endif
