/*
 * incident_ops.c: the operator's actions on an incident (acknowledge,
 * resolve, note, snooze) and the context the pipeline sets for its alerts
 * (see incident.h); the tracker itself is incident.c.
 */
#include "core/incident.h"

#include "core/incident_internal.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <stdio.h>

int incidents_acknowledge(struct incidents *t, int64_t id, int64_t now, const char *actor,
                          const char *note)
{
	struct incident *inc = incident__find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (inc->state != INC_OPEN)
		return VG_ESTATE;
	if (now > t->now)
		t->now = now;
	inc->state = INC_ACKNOWLEDGED;
	inc->acknowledged_ms = now;
	return incident__record(t, inc, INCC_ACKNOWLEDGED, now, INC_OPEN, inc->severity, 0, 0,
	                        actor, note);
}

int incidents_resolve(struct incidents *t, int64_t id, int64_t now, const char *actor,
                      const char *note)
{
	struct incident *inc = incident__find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (inc->state == INC_RESOLVED)
		return VG_ESTATE;
	if (now > t->now)
		t->now = now;
	enum incident_state from = inc->state;
	inc->state = INC_RESOLVED;
	inc->resolved_ms = now;
	t->evict_at = INT64_MIN;
	return incident__record(t, inc, INCC_RESOLVED, now, from, inc->severity, 0, 0, actor, note);
}

int incidents_set_context(struct incidents *t, int64_t id, const struct incident_context *c)
{
	struct incident *inc = incident__find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	inc->ctx = *c;
	inc->ctx.set = true;
	return 0;
}

int incidents_snooze(struct incidents *t, int64_t id, int64_t now, const char *actor,
                     int64_t silence_ms, const char *note)
{
	struct incident *inc = incident__find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (silence_ms <= 0)
		return VG_EINVAL;
	if (inc->state == INC_RESOLVED)
		return VG_ESTATE;
	if (now > t->now)
		t->now = now;
	enum incident_state from = inc->state;
	inc->state = INC_ACKNOWLEDGED;
	if (from == INC_OPEN)
		inc->acknowledged_ms = now;
	char until[40], text[INCIDENT_NOTE_MAX];
	if (timeparse_format_rfc3339(now + silence_ms, until, sizeof(until)) < 0)
		snprintf(until, sizeof(until), "+%lld ms", (long long)silence_ms);
	snprintf(text, sizeof(text), "snoozed until %s%s%s", until, note && note[0] ? ": " : "",
	         note ? note : "");
	int rc = incident__record(t, inc, INCC_ACKNOWLEDGED, now, from, inc->severity, 0, 0, actor,
	                          text);
	if (!rc)
		t->changes[t->n_changes - 1].silence_ms = silence_ms;
	return rc;
}

int incidents_note(struct incidents *t, int64_t id, int64_t now, const char *actor,
                   const char *note)
{
	struct incident *inc = incident__find_id(t, id);
	if (!inc)
		return VG_ENOTFOUND;
	if (now > t->now)
		t->now = now;
	return incident__record(t, inc, INCC_NOTE, now, inc->state, inc->severity, 0, 0, actor,
	                        note);
}
