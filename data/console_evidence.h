/*
 * console_evidence.h: the triage wizard's numbers, for data/console_read
 * only: the live evidence per provider (the last five minutes of the
 * rollups) and one incident's own evidence (its provider, models and
 * templates over the minutes it spans, and the hour before), counted from
 * the observations and failure events through their time indexes. The
 * statements are console_read's (its list is the whole of what the console
 * asks); this file runs them.
 */
#ifndef VIGIL_DATA_CONSOLE_EVIDENCE_H
#define VIGIL_DATA_CONSOLE_EVIDENCE_H

#include "data/snapshot.h"

#include <sqlite3.h>

struct console_evidence_q {
	sqlite3_stmt *obs; /* provider, sum(requests), sum(errors) since ?1 */
	sqlite3_stmt *evt; /* provider, subtype, sum(events) since ?1 */
	sqlite3_stmt *
	        scope_obs; /* requests, non-2xx in [?1, ?2): provider ?3, models ?4, templates ?5 */
	sqlite3_stmt *scope_evt;      /* subtype, count over the same scope */
	sqlite3_stmt *scope_fallback; /* failed-over requests and 2xx among them in [?1, ?2) */
	sqlite3_stmt *scope_models;   /* distinct models of provider ?3 in [?1, ?2) */
	sqlite3_stmt *scope_bl_evt;   /* subtype, causal detail, count: its latest baseline event */
	sqlite3_stmt *baseline;       /* the model blob of (?1 provider, ?2 alias); may be NULL */
};

/* An incident's scope, as its row and detail JSON give it. */
struct console_scope {
	enum category category;
	char provider[VG_NAME_MAX];
	char *models;    /* JSON array text of its models, NULL = every model (malloc'd) */
	char *templates; /* JSON array text of its templates, NULL = every one (malloc'd) */
	int64_t first_ms, last_ms;
};

/* Fill s->evidence and s->provider_evidence (health rows read already).
 * Returns 0 or an SQLite error code. */
int console_evidence_live(const struct console_evidence_q *q, struct snapshot *s, int64_t now);

/* Fill *out with the incident's own evidence: requests, non-2xx and events
 * per subtype over [minute of first, minute after last) (its latest six
 * hours when it is longer; from the start of the window its first alert
 * judged when a warm baseline raised it), the same rates over the hour
 * before, the share of the failed-over requests in those minutes a
 * fallback answered, the latest baseline alert's comparison
 * (out->baseline_seen), and the usual rates from the baseline model of its
 * first model's series, else its provider's, where one exists. A model of
 * the scope counts the requests of its versions too (an alias series'
 * event names the alias). Returns 0 or an SQLite code. */
int console_evidence_incident(const struct console_evidence_q *q, const struct console_scope *sc,
                              struct triage_evidence *out);

/* The scope of an incident from its detail JSON (involved models of its
 * provider; templates unless it is a provider incident). Frees nothing in
 * *sc it did not set; console_scope_free() releases the arrays. */
void console_scope_from_detail(struct console_scope *sc, const char *detail_json);
void console_scope_free(struct console_scope *sc);

#endif
