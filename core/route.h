/*
 * route.h: which sink hears about which incident change, and with what
 * payload (pure). The result is a list of notifications that the shell
 * writes to the outbox first and delivers afterwards (data/outbox).
 *
 * Rules, per configured sink (each has a min_severity; an incident "pages"
 * a sink when its highest severity is at least that):
 *   pagerduty     trigger when an incident opens paging, or escalates into
 *                 paging; acknowledge and resolve (operator or automatic)
 *                 when it had paged. Escalating an acknowledged incident
 *                 into paging sends trigger, then acknowledge.
 *   alertmanager  the same moments: a firing alert, a silence on
 *                 acknowledgement (matcher incident_id), a resolved alert.
 *                 Escalating within paging changes the severity label, which
 *                 is a new alert to Alertmanager: the old label set is sent
 *                 resolved, then the new one firing.
 *   webhook       every history-worthy change (not "updated") of an incident
 *                 at or above min_severity.
 *   jira          the ticket (INCC_TICKETED) of an incident at or above
 *                 min_severity.
 * One page per episode (core/incident.h): an incident that continues a
 * paged episode (same dedup key) triggers nothing; the page resolves at the
 * episode's end (INCC_EPISODE_ENDED) after an auto-resolve, or at once on
 * an operator's resolve (not of a superseded incident: the page is the
 * later incident's).
 * Notifications for one incident share its dedup key; the outbox delivers
 * them in order per (sink, dedup key).
 *
 * Each notification also has an idempotency key, from the events like the
 * dedup key (so both daemons of an HA pair build the same one) and unique
 * per delivery: "<dedup key>/<sink>/<what>/<change time ms>[/<n>]", what
 * being the change's kind for a webhook, the op for PagerDuty and
 * Alertmanager, "ticket" (and no time: one per incident) for Jira; n > 1
 * tells apart two changes of one kind at one time. data/sinks sends it as
 * the Idempotency-Key header of webhook and ticket deliveries: delivery is
 * at least once (a crash between a delivery and the commit of its outcome
 * sends it again), and the key is what a receiver de-duplicates by.
 */
#ifndef VIGIL_CORE_ROUTE_H
#define VIGIL_CORE_ROUTE_H

#include "core/payload.h"

enum sink_kind { SINK_PAGERDUTY, SINK_ALERTMANAGER, SINK_WEBHOOK, SINK_JIRA, SINK__COUNT };

enum notify_op {
	NOTIFY_TRIGGER,     /* pagerduty trigger, alertmanager firing alert */
	NOTIFY_ACKNOWLEDGE, /* pagerduty acknowledge */
	NOTIFY_RESOLVE,     /* pagerduty resolve, alertmanager resolved alert */
	NOTIFY_SILENCE,     /* alertmanager silence (an acknowledgement) */
	NOTIFY_CHANGE,      /* webhook: one incident change */
	NOTIFY_TICKET,      /* jira: create the issue */
	NOTIFY__COUNT
};

struct route_sink {
	char name[VG_NAME_MAX]; /* the sink's configured name, unique */
	enum sink_kind kind;
	enum severity min_severity;
};

#define NOTIFY_IDEM_MAX (INCIDENT_KEY_MAX + VG_NAME_MAX + 64)

struct notification {
	int64_t incident_id;
	char sink[VG_NAME_MAX];
	enum sink_kind kind;
	enum notify_op op;
	char dedup_key[INCIDENT_KEY_MAX];
	char idem_key[NOTIFY_IDEM_MAX]; /* the idempotency key (above) */
	int64_t time_ms;
	char *payload; /* JSON text (no secret), owned by the route_buf */
};

/* A growing list of notifications; embed it and route_buf_init() it. */
struct route_buf {
	struct notification *v;
	size_t n, cap;
};

/* Static names: "pagerduty", "alertmanager", "webhook", "jira"; "trigger", ... */
const char *route_sink_kind_name(enum sink_kind k);
int route_sink_kind_parse(const char *s, size_t len);
const char *route_op_name(enum notify_op op);
int route_op_parse(const char *s, size_t len);

void route_buf_init(struct route_buf *b);
/* Free the payloads and empty the list (capacity kept). */
void route_buf_clear(struct route_buf *b);
/* Free everything; the buffer can be initialised again. */
void route_buf_done(struct route_buf *b);

/*
 * Append the notifications one change causes for the given sinks, in sink
 * order. Returns 0, or VG_ENOMEM (the buffer keeps what was appended before
 * this call only).
 */
int route_change(const struct route_sink *sinks, size_t n_sinks, const struct incident_change *ch,
                 const struct payload_options *o, struct route_buf *out);

#endif
