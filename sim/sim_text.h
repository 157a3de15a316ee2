/*
 * sim_text.h: the words the simulated models write. For each request it
 * builds a retrieval context (a few facts) and a response that uses only the
 * entities found in that context, unless a fault says otherwise:
 * hallucinations add names, figures, dates, URLs and citations that the
 * context lacks; PII leaks add e-mail addresses, phone numbers, Luhn-valid
 * card numbers and key-shaped secrets; regressions drift off topic;
 * incoherent answers repeat themselves; format violations break the JSON a
 * template's schema asks for; prompt injections follow the instructions
 * hidden in a retrieved document.
 *
 * Deterministic for a given generator state. Pure (no I/O). The facts
 * draw from their stream (SIM_RNG_FACTS); a response's parts each draw from
 * their own fork of the text stream (SIM_RNG_TEXT), which is not advanced.
 */
#ifndef VIGIL_SIM_TEXT_H
#define VIGIL_SIM_TEXT_H

#include "sim/sim_buf.h"
#include "sim/sim_rng.h"

#include <stdbool.h>

#define SIM_TEXT_FACTS 3

/* Content faults that shape a response (bits of 1u << SIM_TX_*). */
enum sim_text_flag {
	SIM_TX_HALLUCINATION,
	SIM_TX_PII,
	SIM_TX_REGRESSION,
	SIM_TX_COHERENCE,
	SIM_TX_FORMAT,
	SIM_TX_INJECTION,
	SIM_TX_REFUSAL,
};

/* The facts chosen for one request. */
struct sim_facts {
	int content; /* index of the content kind */
	int idx[SIM_TEXT_FACTS];
	int n;
	int customer; /* kyc: customer number */
};

/* Content kind index of a template's content name ("support", "kyc",
 * "search", "creative"); 2 (search) when unknown. */
int sim_text_content(const char *name);

/* Choose the facts for a request. */
void sim_text_facts(int content, struct sim_rng *r, struct sim_facts *f);

/* Append the retrieval context (context.text) for the facts; with
 * `injected` a retrieved document carries hidden instructions. */
void sim_text_context(const struct sim_facts *f, bool injected, struct sim_buf *out);

/*
 * Append the response text. `schema` says the template wants JSON; flags
 * are SIM_TX_* bits. *schema_valid gets whether the JSON satisfies the
 * template's schema (true when there is no schema).
 */
void sim_text_response(const struct sim_facts *f, bool schema, unsigned flags,
                       const struct sim_rng *r, struct sim_buf *out, bool *schema_valid);

/* The answer to a canary that asks for {"ok":true}, shaped by flags. */
void sim_text_canary(unsigned flags, struct sim_buf *out);

/* A refusal sentence (safety refusals, jailbreak attempts). */
const char *sim_text_refusal(const struct sim_rng *r);

#endif
