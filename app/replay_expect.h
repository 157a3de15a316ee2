/*
 * replay_expect.h: expectation files for `vigil replay --expect` and their
 * check against a replay report (app/replay's JSON). The format is in
 * docs/replay.md; in short, a JSON object with
 *
 *   "incidents": what must be there: category, subtype (matched by
 *       incident family), provider, template, peak severity (a name or
 *       {"min","max"}), event count range, number of incidents range,
 *       paged true/false, related_to (names of other expected incidents);
 *   "forbidden": what must not be there (any of category, subtype,
 *       provider, severity = that or worse; {} forbids every incident);
 *   "payloads": fields (dotted paths, array indexes as numbers) that the
 *       payloads sent for an expected incident to a sink kind must carry;
 *   "detect": per truth fault, the longest allowed time to detect (first
 *       event, first event of a named kind, first page), in seconds;
 *   "oscillation": providers whose breaker must be flagged oscillating.
 *
 * Checking writes one line per failed expectation ("incident 'openai
 * outage' (provider/outage openai): peak severity critical, expected at
 * most high (incident #3)"), naming the incident. Pure: no I/O but loading.
 */
#ifndef VIGIL_APP_REPLAY_EXPECT_H
#define VIGIL_APP_REPLAY_EXPECT_H

#include <jansson.h>

struct replay_expect;

/*
 * Load and validate an expectation file. Returns 0 and *out (free with
 * replay_expect_free()), or VG_EPARSE / VG_EINVAL with a malloc'd message in
 * *cause (caller frees) naming the file and the field at fault, or
 * VG_ENOMEM.
 */
int replay_expect_load(const char *path, struct replay_expect **out, char **cause);

/* The same from a JSON value (borrowed); `name` is used in messages. */
int replay_expect_parse(json_t *root, const char *name, struct replay_expect **out, char **cause);

/* Free; NULL does nothing. */
void replay_expect_free(struct replay_expect *e);

/*
 * Check a replay report (replay_report()) against the expectations.
 * Returns the number of failed expectations (0: all hold), or VG_ENOMEM.
 * *diff gets a malloc'd text (caller frees), one line per failure, ""
 * when all hold.
 */
int replay_expect_check(const struct replay_expect *e, json_t *report, char **diff);

#endif
