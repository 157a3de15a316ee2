/*
 * route.c: the routing rules of route.h, one function per sink kind.
 */
#include "core/route.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = { "pagerduty", "alertmanager", "webhook", "jira" };
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == SINK__COUNT, "sink kinds");

static const char *const op_names[] = { "trigger", "acknowledge", "resolve",
	                                "silence", "change",      "ticket" };
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == NOTIFY__COUNT, "notify ops");

static int parse(const char *const *names, int count, const char *s, size_t len)
{
	if (!s)
		return -1;
	if (len == (size_t)-1)
		len = strlen(s);
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

const char *route_sink_kind_name(enum sink_kind k)
{
	return (int)k >= 0 && k < SINK__COUNT ? kind_names[k] : "unknown";
}

int route_sink_kind_parse(const char *s, size_t len)
{
	return parse(kind_names, SINK__COUNT, s, len);
}

const char *route_op_name(enum notify_op op)
{
	return (int)op >= 0 && op < NOTIFY__COUNT ? op_names[op] : "unknown";
}

int route_op_parse(const char *s, size_t len)
{
	return parse(op_names, NOTIFY__COUNT, s, len);
}

void route_buf_init(struct route_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void route_buf_clear(struct route_buf *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].payload);
	b->n = 0;
}

void route_buf_done(struct route_buf *b)
{
	route_buf_clear(b);
	free(b->v);
	route_buf_init(b);
}

/* The notification's idempotency key (route.h), from its dedup key and
 * the change; a key that does not fit is cut (still stable). */
static void idem_key(struct notification *n, const struct incident_change *ch)
{
	if (n->op == NOTIFY_TICKET) {
		snprintf(n->idem_key, sizeof(n->idem_key), "%s/%s/ticket", n->dedup_key, n->sink);
		return;
	}
	const char *what =
	        n->op == NOTIFY_CHANGE ? incident_change_name(ch->kind) : route_op_name(n->op);
	char nth[48] = "";
	size_t at = 0;
	if (ch->ordinal > 1)
		at = (size_t)snprintf(nth, sizeof(nth), "/%d", ch->ordinal);
	/* Incidents of one episode share the dedup key: a later one's changes
	 * name its first event's time too. */
	if (ch->incident->episode_of && at < sizeof(nth))
		snprintf(nth + at, sizeof(nth) - at, "/of-%lld", (long long)ch->incident->first_ms);
	snprintf(n->idem_key, sizeof(n->idem_key), "%s/%s/%s/%lld%s", n->dedup_key, n->sink, what,
	         (long long)ch->time_ms, nth);
}

/* Append a notification taking ownership of payload (freed on failure). */
static int push(struct route_buf *b, const struct route_sink *s, const struct incident_change *ch,
                enum notify_op op, char *payload)
{
	if (!payload)
		return VG_ENOMEM;
	if (b->n == b->cap && vg_grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v), 8) != 0) {
		free(payload);
		return VG_ENOMEM;
	}
	struct notification *n = &b->v[b->n++];
	memset(n, 0, sizeof(*n));
	n->incident_id = ch->incident_id;
	model_copy_str(n->sink, sizeof(n->sink), s->name, (size_t)-1);
	n->kind = s->kind;
	n->op = op;
	model_copy_str(n->dedup_key, sizeof(n->dedup_key), ch->incident->dedup_key, (size_t)-1);
	n->time_ms = ch->time_ms;
	n->payload = payload;
	idem_key(n, ch);
	return 0;
}

static bool pages(enum severity sev, const struct route_sink *s)
{
	return sev <= s->min_severity;
}

/* The severity the incident's page carries: its own, or its episode's
 * earlier peak when worse (a continuation of a paged episode has paged). */
static enum severity paged_sev(const struct incident *inc, enum severity sev)
{
	return inc->episode_severity < sev ? inc->episode_severity : sev;
}

/* Did this change make the incident start paging the sink? Not when its
 * episode paged already: one page per episode. */
static bool starts_paging(const struct incident_change *ch, const struct route_sink *s)
{
	if (ch->incident->page_borrowed || pages(ch->incident->episode_severity, s))
		return false;
	if (ch->kind == INCC_OPENED)
		return pages(ch->sev_to, s);
	if (ch->kind == INCC_ESCALATED)
		return pages(ch->sev_to, s) && !pages(ch->sev_from, s);
	return false;
}

/* Whether a change resolves the page: an operator's resolve (unless a later
 * incident continues the episode and owns the page now), or the end of the
 * episode of an auto-resolved incident. */
static bool resolves_page(const struct incident_change *ch)
{
	if (ch->incident->page_borrowed)
		return false; /* the outage's incident resolves it */
	if (ch->kind == INCC_RESOLVED)
		return !ch->incident->superseded;
	return ch->kind == INCC_EPISODE_ENDED;
}

static int route_pagerduty(const struct route_sink *s, const struct incident_change *ch,
                           const struct payload_options *o, struct route_buf *out)
{
	const struct incident *inc = ch->incident;
	int rc = 0;
	if (starts_paging(ch, s)) {
		rc = push(out, s, ch, NOTIFY_TRIGGER,
		          payload_pagerduty(inc, PD_TRIGGER, ch->time_ms, o));
		if (!rc && ch->to == INC_ACKNOWLEDGED)
			rc = push(out, s, ch, NOTIFY_ACKNOWLEDGE,
			          payload_pagerduty(inc, PD_ACKNOWLEDGE, ch->time_ms, o));
		return rc;
	}
	if (!pages(paged_sev(inc, ch->sev_to), s))
		return 0;
	if (resolves_page(ch))
		return push(out, s, ch, NOTIFY_RESOLVE,
		            payload_pagerduty(inc, PD_RESOLVE, ch->time_ms, o));
	if (ch->kind == INCC_ACKNOWLEDGED)
		return push(out, s, ch, NOTIFY_ACKNOWLEDGE,
		            payload_pagerduty(inc, PD_ACKNOWLEDGE, ch->time_ms, o));
	return 0;
}

static int route_alertmanager(const struct route_sink *s, const struct incident_change *ch,
                              const struct payload_options *o, struct route_buf *out)
{
	const struct incident *inc = ch->incident;
	int rc = 0;
	if (starts_paging(ch, s)) {
		rc = push(out, s, ch, NOTIFY_TRIGGER,
		          payload_alertmanager(inc, ch->sev_to, false, ch->time_ms, o));
		if (!rc && ch->to == INC_ACKNOWLEDGED)
			rc = push(out, s, ch, NOTIFY_SILENCE,
			          payload_silence(inc, ch->time_ms, "", "", o));
		return rc;
	}
	if (!pages(paged_sev(inc, ch->sev_to), s))
		return 0;
	if (resolves_page(ch))
		return push(out, s, ch, NOTIFY_RESOLVE,
		            payload_alertmanager(inc, paged_sev(inc, ch->sev_to), true, ch->time_ms,
		                                 o));
	switch (ch->kind) {
	case INCC_ESCALATED:
		if (pages(inc->episode_severity, s))
			return 0; /* the episode's alert fires already */
		/* The severity label changed: a new alert; end the old one first. */
		rc = push(out, s, ch, NOTIFY_RESOLVE,
		          payload_alertmanager(inc, ch->sev_from, true, ch->time_ms, o));
		if (!rc)
			rc = push(out, s, ch, NOTIFY_TRIGGER,
			          payload_alertmanager(inc, ch->sev_to, false, ch->time_ms, o));
		return rc;
	case INCC_ACKNOWLEDGED: {
		/* a snooze: the silence lasts as long as the operator asked */
		struct payload_options so = *o;
		if (ch->silence_ms > 0)
			so.silence_ms = ch->silence_ms;
		return push(out, s, ch, NOTIFY_SILENCE,
		            payload_silence(inc, ch->time_ms, ch->actor, ch->note, &so));
	}
	default: return 0;
	}
}

int route_change(const struct route_sink *sinks, size_t n_sinks, const struct incident_change *ch,
                 const struct payload_options *o, struct route_buf *out)
{
	size_t start = out->n;
	int rc = 0;
	for (size_t i = 0; i < n_sinks && !rc; i++) {
		const struct route_sink *s = &sinks[i];
		switch (s->kind) {
		case SINK_PAGERDUTY: rc = route_pagerduty(s, ch, o, out); break;
		case SINK_ALERTMANAGER: rc = route_alertmanager(s, ch, o, out); break;
		case SINK_WEBHOOK:
			if (ch->kind != INCC_UPDATED && pages(ch->sev_to, s))
				rc = push(out, s, ch, NOTIFY_CHANGE,
				          payload_webhook(ch->incident, ch, o));
			break;
		case SINK_JIRA:
			if (ch->kind == INCC_TICKETED && pages(ch->sev_to, s))
				rc = push(out, s, ch, NOTIFY_TICKET, payload_jira(ch->incident, o));
			break;
		default: break;
		}
	}
	if (rc) {
		for (size_t i = start; i < out->n; i++)
			free(out->v[i].payload);
		out->n = start;
	}
	return rc;
}
