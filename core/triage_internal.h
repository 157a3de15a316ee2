/*
 * triage_internal.h: the triage tree's nodes, shared by core/triage.c (the
 * walk), core/triage_tree.c (the table) and core/triage_path.c (the
 * recorded path). Not for use outside core/triage*.c.
 */
#ifndef VIGIL_CORE_TRIAGE_INTERNAL_H
#define VIGIL_CORE_TRIAGE_INTERNAL_H

#include "core/triage.h"

enum node_id {
	/* screening */
	N_STATUS,
	N_SCHEMA,
	N_CONTENT,
	N_TOKENS,
	N_CONTEXT,
	N_SCREEN_END,
	/* provider */
	N_P_HARD,
	N_P_FALLBACK,
	N_P_RATELIMIT,
	N_P_QUOTA,
	N_P_LATENCY,
	N_P_TRUNC,
	N_P_OTHER,
	N_P_OSC,
	F_P_HARD_FAILOVER,
	F_P_HARD_NO_FALLBACK,
	F_P_QUOTA,
	F_P_RATELIMIT,
	F_P_LATENCY,
	F_P_TRUNC,
	F_P_INTERMITTENT,
	F_P_OTHER,
	F_P_OSCILLATION,
	/* quality */
	F_Q_FORMAT,
	N_Q_REGRESSION,
	F_Q_REGRESSION,
	F_Q_HALLUCINATION,
	/* cost */
	N_C_RETRY,
	N_C_STUFFING,
	F_C_RETRY,
	F_C_STUFFING,
	F_C_INFLATION,
	/* security */
	N_S_INJECTION,
	N_S_PII,
	N_S_JAILBREAK,
	F_S_INJECTION,
	F_S_PII,
	F_S_JAILBREAK,
	F_S_NONE,
	/* data */
	N_D_STALE,
	N_D_DRIFT,
	F_D_STALE,
	F_D_DRIFT,
	F_D_GROUND_TRUTH,
	N__COUNT
};

struct triage_node {
	const char *id;
	const char *branch;
	/* question */
	const char *text;
	enum triage_metric metric;
	double threshold; /* suggest yes when the metric is above it */
	int yes, no;      /* next node in this thread */
	int open[2];      /* threads a "yes" opens (their first node), -1 = none */
	/* finding */
	bool finding;
	int category; /* -1: nothing found / ruled out */
	enum subtype subtype;
	const char *what;
	const char *section;
	const char *first_step;
};

/* The tree (core/triage_tree.c) and each question in a few words. */
extern const struct triage_node triage__tree[N__COUNT];
extern const char *const triage__ask[N__COUNT];

/* True once the incident's label was answered "no" (core/triage.c). */
bool triage__label_refuted(const struct triage *t);

/* "29 of 65 requests (45%)" (core/triage.c). */
int triage__count_format(enum triage_metric m, double v, double cnt, int64_t of, char *buf,
                         size_t size);

#endif
