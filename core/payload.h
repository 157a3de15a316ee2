/*
 * payload.h: pure encoders of what the sinks send, built from an incident
 * and one of its changes, so that replay can print exactly what would have
 * been sent and data/sinks only delivers bytes from the outbox.
 *
 *   PagerDuty Events API v2   one event: trigger / acknowledge / resolve
 *   Alertmanager API v2       a one-alert array for POST /api/v2/alerts, and a
 *                             silence for POST /api/v2/silences (acknowledge)
 *   webhook                   {"change": ..., "incident": incident_to_json()}
 *   Jira REST v2              a create-issue body for POST /rest/api/2/issue
 *
 * No secret is ever part of a payload: the PagerDuty routing_key is inserted
 * by data/sinks at send time (payload_pagerduty_with_key()), from the
 * environment variable the config names, and never written back.
 *
 * Every encoder returns a malloc'd NUL-terminated JSON text (caller frees),
 * or NULL when out of memory. Keys are emitted in a fixed order, so equal
 * inputs give byte-equal payloads.
 */
#ifndef VIGIL_CORE_PAYLOAD_H
#define VIGIL_CORE_PAYLOAD_H

#include "core/incident.h"

/* Options of the encoders, from the config's `incidents:` and `sinks:`. A
 * value type: copy it freely. */
struct payload_options {
	char source[VG_NAME_MAX]; /* PagerDuty payload.source, the alerts' "instance" ("vigil") */
	char runbook_base[256];   /* prefix of runbook paths (a URL ending in '/'); "" keeps
	                              * the repository path */
	char console_url[256];    /* Alertmanager generatorURL, PagerDuty client_url; "" omits */
	int64_t silence_ms;       /* Alertmanager silence length for an acknowledgement (4 h) */
	char jira_project[32];    /* Jira project key ("OPS") */
	char jira_issue_type[32]; /* Jira issue type name ("Task") */
};

/* Fill *o with the defaults ("vigil", "", "", 4 h, "OPS", "Task"). */
void payload_options_defaults(struct payload_options *o);

enum pd_action { PD_TRIGGER, PD_ACKNOWLEDGE, PD_RESOLVE };

/*
 * What a responder needs beside the incident (payload_context.c), from its
 * context (inc->ctx, when set): breaker, availability, fallback {state,
 * provider, availability}, failover_chain {selection, after_failure_of,
 * attempt}, baseline {observed, threshold, expected, band, window_count}.
 * payload_context_json() is PagerDuty's custom_details.context (NULL when
 * out of memory); payload_context_annotations() adds the Alertmanager
 * annotations breaker, availability, fallback, failover_chain, baseline as
 * one line of text each (0, or -1 when out of memory).
 */
json_t *payload_context_json(const struct incident_context *c);
int payload_context_annotations(const struct incident_context *c, json_t *ann);

/* The PagerDuty severity of a vigil severity: critical, error, warning, info. Static. */
const char *payload_pd_severity(enum severity s);

/* The alertname of an incident: "Vigil" + category + family in CamelCase
 * ("VigilProviderOutage", "VigilCostTokenInflation") into buf. */
void payload_alertname(const struct incident *inc, char *buf, size_t size);

/* A one-line summary (at most 1024 bytes, PagerDuty's limit, UTF-8 kept
 * whole): "[HIGH] openai provider outage: 100 failures (server_error,
 * overloaded) since 2026-...; fail over ...". Into buf; returns the length. */
size_t payload_summary(const struct incident *inc, char *buf, size_t size);

/* The runbook URL of an incident (runbook_base + the repository path) into buf. */
void payload_runbook_url(const struct incident *inc, const struct payload_options *o, char *buf,
                         size_t size);

/*
 * A PagerDuty Events v2 event, without routing_key. A trigger carries the
 * full payload (summary, source, severity, timestamp, component, group,
 * class, custom_details) and links (runbook); acknowledge and resolve carry
 * event_action and dedup_key only, as the API asks. `time_ms` is the
 * change's time.
 */
char *payload_pagerduty(const struct incident *inc, enum pd_action action, int64_t time_ms,
                        const struct payload_options *o);

/* The same event text with "routing_key" set first. Returns a malloc'd text
 * the caller frees (and must not log or store), or NULL when `json` is not a
 * JSON object or memory runs out. */
char *payload_pagerduty_with_key(const char *json, const char *routing_key);

/*
 * An Alertmanager v2 alert list holding one alert: labels alertname,
 * category, family, subtype, provider, region (a provider incident's, when
 * its events name one), severity, incident_key (the dedup key: from the
 * events, the same on every vigil of an HA pair, so Alertmanager sees one
 * alert), instance;
 * annotations summary, description, runbook_url; startsAt (the first event);
 * endsAt when `resolved` (at time_ms); generatorURL when console_url is set.
 * `sev` is the severity label to use (the incident's, or the one before an
 * escalation when resolving the old label set).
 */
char *payload_alertmanager(const struct incident *inc, enum severity sev, bool resolved,
                           int64_t time_ms, const struct payload_options *o);

/* An Alertmanager v2 silence for an acknowledgement: matchers
 * instance="<source>" and incident_key="<dedup key>" (equal, not regex:
 * this incident's alerts, never another vigil's), from time_ms for
 * silence_ms, createdBy the actor ("vigil" when empty), comment the note
 * (or a default). */
char *payload_silence(const struct incident *inc, int64_t time_ms, const char *actor,
                      const char *note, const struct payload_options *o);

/* The webhook body: {"version":1,"change":{kind,time,from,to,...},"incident":{...}}. */
char *payload_webhook(const struct incident *inc, const struct incident_change *ch,
                      const struct payload_options *o);

/* A Jira REST v2 create-issue body: fields.project.key, summary, description
 * (counts, times, samples, runbook), issuetype.name, labels. */
char *payload_jira(const struct incident *inc, const struct payload_options *o);

#endif
