/*
 * payload.c: the sinks' JSON, built with jansson and dumped with
 * JSON_PRESERVE_ORDER | JSON_COMPACT so equal inputs give equal bytes.
 */
#include "core/payload.h"

#include "core/timeparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PD_SUMMARY_MAX 1024

void payload_options_defaults(struct payload_options *o)
{
	memset(o, 0, sizeof(*o));
	model_copy_str(o->source, sizeof(o->source), "vigil", (size_t)-1);
	o->silence_ms = 4 * 3600 * 1000;
	model_copy_str(o->jira_project, sizeof(o->jira_project), "OPS", (size_t)-1);
	model_copy_str(o->jira_issue_type, sizeof(o->jira_issue_type), "Task", (size_t)-1);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

const char *payload_pd_severity(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL: return "critical";
	case SEV_HIGH: return "error";
	case SEV_MEDIUM: return "warning";
	default: return "info";
	}
}

/* Append `word` in CamelCase (underscores dropped, each part capitalised). */
static size_t camel(char *buf, size_t size, size_t at, const char *word)
{
	bool up = true;
	for (const char *p = word; *p && at + 1 < size; p++) {
		if (*p == '_' || *p == '-' || *p == '.') {
			up = true;
			continue;
		}
		char c = *p;
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		buf[at++] = c;
		up = false;
	}
	buf[at] = '\0';
	return at;
}

void payload_alertname(const struct incident *inc, char *buf, size_t size)
{
	if (!size)
		return;
	size_t at = camel(buf, size, 0, "vigil");
	at = camel(buf, size, at, model_category_name(inc->category));
	camel(buf, size, at, inc->family);
}

/* Keep a UTF-8 sequence whole when cutting at n bytes. */
static size_t utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static void subtypes_text(const struct incident *inc, char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int s = 0; s < SUB__COUNT; s++) {
		if (!(inc->subtypes & (UINT64_C(1) << s)))
			continue;
		int n = snprintf(buf + at, size - at, "%s%s", at ? ", " : "",
		                 model_subtype_name((enum subtype)s));
		if (n < 0 || (size_t)n >= size - at)
			break;
		at += (size_t)n;
	}
}

size_t payload_summary(const struct incident *inc, char *buf, size_t size)
{
	char sev[16], subs[256], when[32];
	const char *name = model_severity_name(inc->severity);
	size_t i = 0;
	for (; name[i] && i + 1 < sizeof(sev); i++)
		sev[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
	sev[i] = '\0';
	subtypes_text(inc, subs, sizeof(subs));
	if (timeparse_format_rfc3339(inc->first_ms, when, sizeof(when)) < 0)
		when[0] = '\0';
	const char *family = inc->family ? inc->family : "";
	char fam[64];
	size_t f = 0;
	for (; family[f] && f + 1 < sizeof(fam); f++)
		fam[f] = family[f] == '_' ? ' ' : family[f];
	fam[f] = '\0';
	char tmp[PD_SUMMARY_MAX + 512];
	int n = snprintf(tmp, sizeof(tmp), "[%s] %s %s %s: %lld %s (%s) since %s; %s", sev,
	                 inc->provider, model_category_name(inc->category), fam,
	                 (long long)inc->count, inc->count == 1 ? "event" : "events", subs, when,
	                 event_hint(inc->subtype));
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	size_t max = size ? size - 1 : 0;
	if (max > PD_SUMMARY_MAX)
		max = PD_SUMMARY_MAX;
	if (len > max)
		len = utf8_cut(tmp, max);
	if (size) {
		memcpy(buf, tmp, len);
		buf[len] = '\0';
	}
	return len;
}

void payload_runbook_url(const struct incident *inc, const struct payload_options *o, char *buf,
                         size_t size)
{
	snprintf(buf, size, "%s%s#%s", o ? o->runbook_base : "",
	         event_runbook(inc->category, inc->subtype), model_subtype_name(inc->subtype));
}

static json_t *rfc3339(int64_t ms)
{
	char ts[32];
	if (timeparse_format_rfc3339(ms, ts, sizeof(ts)) < 0)
		return json_string("1970-01-01T00:00:00.000Z");
	return json_string(ts);
}

/* Dump and release `o`; NULL when `bad` or out of memory. */
static char *dump(json_t *o, int bad)
{
	char *s = NULL;
	if (o && !bad)
		s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(o);
	return s;
}

static int set_new(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(o, k, v);
}

/* The causal signals of the worst sample, for custom_details / description. */
static json_t *sample_brief(const struct failure_event *ev)
{
	json_t *j = event_to_json(ev);
	if (!j)
		return NULL;
	json_t *c = json_object_get(j, "causal");
	json_t *o = json_object();
	int bad = !o;
	if (o) {
		bad |= set_new(o, "time",
		               json_string(json_string_value(json_object_get(j, "time"))));
		bad |= set_new(o, "subtype", json_string(model_subtype_name(ev->subtype)));
		bad |= set_new(o, "severity", json_string(model_severity_name(ev->severity)));
		if (ev->pid.model[0])
			bad |= set_new(o, "model", json_string(ev->pid.model));
		if (ev->request_id[0])
			bad |= set_new(o, "request_id", json_string(ev->request_id));
		if (c)
			bad |= json_object_set(o, "causal", c);
	}
	json_decref(j);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *string_list_models(const struct incident *inc)
{
	json_t *a = json_array();
	if (!a)
		return NULL;
	for (size_t i = 0; i < inc->n_involved; i++) {
		const char *m = inc->involved[i].model;
		if (!m[0])
			continue;
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= strcmp(inc->involved[j].model, m) == 0;
		if (!dup && json_array_append_new(a, json_string(m))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *id_list(const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(ids[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *custom_details(const struct incident *inc)
{
	json_t *d = json_object();
	int bad = !d;
	if (!d)
		return NULL;
	char subs[256];
	subtypes_text(inc, subs, sizeof(subs));
	bad |= set_new(d, "incident_id", json_integer(inc->id));
	bad |= set_new(d, "state", json_string(incident_state_name(inc->state)));
	bad |= set_new(d, "count", json_integer(inc->count));
	bad |= set_new(d, "first", rfc3339(inc->first_ms));
	bad |= set_new(d, "last", rfc3339(inc->last_ms));
	bad |= set_new(d, "subtypes", json_string(subs));
	bad |= set_new(d, "models", string_list_models(inc));
	bad |= set_new(d, "related_incidents", id_list(inc->related, inc->n_related));
	bad |= set_new(d, "hint", json_string(event_hint(inc->subtype)));
	bad |= set_new(d, "first_sample", sample_brief(&inc->first));
	bad |= set_new(d, "worst_sample", sample_brief(&inc->worst));
	bad |= set_new(d, "latest_sample", sample_brief(&inc->latest));
	if (inc->ctx.set)
		bad |= set_new(d, "context", payload_context_json(&inc->ctx));
	if (bad) {
		json_decref(d);
		return NULL;
	}
	return d;
}

char *payload_pagerduty(const struct incident *inc, enum pd_action action, int64_t time_ms,
                        const struct payload_options *o)
{
	static const char *const actions[] = { "trigger", "acknowledge", "resolve" };
	json_t *e = json_object();
	int bad = !e;
	if (!e)
		return NULL;
	bad |= set_new(e, "event_action", json_string(actions[action]));
	bad |= set_new(e, "dedup_key", json_string(inc->dedup_key));
	if (action == PD_TRIGGER) {
		char summary[PD_SUMMARY_MAX + 1], component[VG_NAME_MAX + VG_MODEL_MAX + 2];
		char runbook[512];
		payload_summary(inc, summary, sizeof(summary));
		if (inc->worst.pid.model[0])
			snprintf(component, sizeof(component), "%s/%s", inc->provider,
			         inc->worst.pid.model);
		else
			snprintf(component, sizeof(component), "%s", inc->provider);
		payload_runbook_url(inc, o, runbook, sizeof(runbook));
		json_t *p = json_object();
		json_t *links = json_array();
		json_t *link = json_object();
		bad |= !p || !links || !link;
		bad |= set_new(p, "summary", json_string(summary));
		bad |= set_new(p, "source", json_string(str_or(o->source, "vigil")));
		bad |= set_new(p, "severity", json_string(payload_pd_severity(inc->severity)));
		bad |= set_new(p, "timestamp", rfc3339(time_ms));
		bad |= set_new(p, "component", json_string(component));
		bad |= set_new(p, "group", json_string(model_category_name(inc->category)));
		bad |= set_new(p, "class", json_string(inc->family));
		bad |= set_new(p, "custom_details", custom_details(inc));
		bad |= set_new(link, "href", json_string(runbook));
		bad |= set_new(link, "text", json_string("Runbook"));
		bad |= json_array_append(links, link);
		bad |= json_object_set(e, "payload", p);
		bad |= json_object_set(e, "links", links);
		bad |= set_new(e, "client", json_string("vigil"));
		if (o->console_url[0])
			bad |= set_new(e, "client_url", json_string(o->console_url));
		json_decref(p);
		json_decref(links);
		json_decref(link);
	}
	return dump(e, bad);
}

char *payload_pagerduty_with_key(const char *json, const char *routing_key)
{
	json_t *in = json_loads(json, 0, NULL);
	if (!json_is_object(in)) {
		json_decref(in);
		return NULL;
	}
	json_t *out = json_object();
	int bad = !out || set_new(out, "routing_key", json_string(routing_key ? routing_key : ""));
	const char *k;
	json_t *v;
	json_object_foreach (in, k, v) {
		if (strcmp(k, "routing_key") != 0)
			bad |= json_object_set(out, k, v);
	}
	json_decref(in);
	return dump(out, bad);
}

static json_t *am_labels(const struct incident *inc, enum severity sev,
                         const struct payload_options *o)
{
	char name[128];
	payload_alertname(inc, name, sizeof(name));
	json_t *l = json_object();
	int bad = !l;
	if (!l)
		return NULL;
	bad |= set_new(l, "alertname", json_string(name));
	bad |= set_new(l, "category", json_string(model_category_name(inc->category)));
	bad |= set_new(l, "family", json_string(inc->family));
	bad |= set_new(l, "subtype", json_string(model_subtype_name(inc->subtype)));
	bad |= set_new(l, "provider", json_string(inc->provider));
	if (inc->category == CAT_PROVIDER && inc->first.pid.region[0])
		bad |= set_new(l, "region", json_string(inc->first.pid.region));
	bad |= set_new(l, "severity", json_string(model_severity_name(sev)));
	bad |= set_new(l, "incident_key", json_string(inc->dedup_key));
	bad |= set_new(l, "instance", json_string(str_or(o->source, "vigil")));
	if (bad) {
		json_decref(l);
		return NULL;
	}
	return l;
}

char *payload_alertmanager(const struct incident *inc, enum severity sev, bool resolved,
                           int64_t time_ms, const struct payload_options *o)
{
	char summary[PD_SUMMARY_MAX + 1], runbook[512], desc[512], subs[256];
	payload_summary(inc, summary, sizeof(summary));
	payload_runbook_url(inc, o, runbook, sizeof(runbook));
	subtypes_text(inc, subs, sizeof(subs));
	/* no local id: both daemons of an HA pair send the same alert */
	snprintf(desc, sizeof(desc), "%s: %lld event%s of %s on %s; %s",
	         incident_state_name(inc->state), (long long)inc->count, inc->count == 1 ? "" : "s",
	         subs, inc->provider, event_hint(inc->subtype));
	json_t *arr = json_array();
	json_t *a = json_object();
	json_t *ann = json_object();
	int bad = !arr || !a || !ann;
	bad |= set_new(a, "labels", am_labels(inc, sev, o));
	bad |= set_new(ann, "summary", json_string(summary));
	bad |= set_new(ann, "description", json_string(desc));
	bad |= set_new(ann, "runbook_url", json_string(runbook));
	if (inc->ctx.set && !resolved)
		bad |= payload_context_annotations(&inc->ctx, ann);
	bad |= json_object_set(a, "annotations", ann);
	bad |= set_new(a, "startsAt", rfc3339(inc->first_ms));
	if (resolved)
		bad |= set_new(a, "endsAt", rfc3339(time_ms));
	if (o->console_url[0])
		bad |= set_new(a, "generatorURL", json_string(o->console_url));
	bad |= json_array_append(arr, a);
	json_decref(a);
	json_decref(ann);
	return dump(arr, bad);
}

/* An equality matcher of a silence (NULL when out of memory). */
static json_t *matcher(const char *name, const char *value)
{
	json_t *m = json_object();
	int bad = !m;
	bad |= set_new(m, "name", json_string(name));
	bad |= set_new(m, "value", json_string(value));
	bad |= set_new(m, "isRegex", json_false());
	bad |= set_new(m, "isEqual", json_true());
	if (bad) {
		json_decref(m);
		return NULL;
	}
	return m;
}

char *payload_silence(const struct incident *inc, int64_t time_ms, const char *actor,
                      const char *note, const struct payload_options *o)
{
	char comment[INCIDENT_NOTE_MAX + 64];
	if (note && note[0])
		snprintf(comment, sizeof(comment), "acknowledged in vigil: %s", note);
	else
		snprintf(comment, sizeof(comment), "acknowledged in vigil (incident %lld)",
		         (long long)inc->id);
	/* this vigil's (or HA pair's) alerts of this incident only: another
	 * vigil's incident with the same local id has another key, and its own
	 * instance label */
	json_t *s = json_object();
	json_t *ms = json_array();
	int bad = !s || !ms;
	bad |= json_array_append_new(ms, matcher("instance", str_or(o->source, "vigil")));
	bad |= json_array_append_new(ms, matcher("incident_key", inc->dedup_key));
	bad |= json_object_set(s, "matchers", ms);
	bad |= set_new(s, "startsAt", rfc3339(time_ms));
	bad |= set_new(s, "endsAt", rfc3339(time_ms + (o->silence_ms > 0 ? o->silence_ms : 1)));
	bad |= set_new(s, "createdBy", json_string(str_or(actor, "vigil")));
	bad |= set_new(s, "comment", json_string(comment));
	json_decref(ms);
	return dump(s, bad);
}

char *payload_webhook(const struct incident *inc, const struct incident_change *ch,
                      const struct payload_options *o)
{
	(void)o;
	json_t *w = json_object();
	json_t *c = json_object();
	int bad = !w || !c;
	bad |= set_new(w, "version", json_integer(1));
	bad |= set_new(c, "kind", json_string(incident_change_name(ch->kind)));
	bad |= set_new(c, "time", rfc3339(ch->time_ms));
	bad |= set_new(c, "time_ms", json_integer(ch->time_ms));
	bad |= set_new(c, "from", json_string(incident_state_name(ch->from)));
	bad |= set_new(c, "to", json_string(incident_state_name(ch->to)));
	bad |= set_new(c, "severity_from", json_string(model_severity_name(ch->sev_from)));
	bad |= set_new(c, "severity_to", json_string(model_severity_name(ch->sev_to)));
	if (ch->related_id)
		bad |= set_new(c, "related_id", json_integer(ch->related_id));
	if (ch->actor && ch->actor[0])
		bad |= set_new(c, "actor", json_string(ch->actor));
	if (ch->note && ch->note[0])
		bad |= set_new(c, "note", json_string(ch->note));
	bad |= json_object_set(w, "change", c);
	bad |= set_new(w, "incident", incident_to_json(inc));
	json_decref(c);
	return dump(w, bad);
}

/* Append printf-style text to a growing buffer; false when it is full. */
static bool addf(char *buf, size_t size, size_t *at, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static bool addf(char *buf, size_t size, size_t *at, const char *fmt, ...)
{
	if (*at >= size)
		return false;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, size - *at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *at) {
		*at = size - 1;
		return false;
	}
	*at += (size_t)n;
	return true;
}

static void describe_sample(char *buf, size_t size, size_t *at, const char *label,
                            const struct failure_event *ev)
{
	char when[32];
	if (timeparse_format_rfc3339(ev->time_ms, when, sizeof(when)) < 0)
		when[0] = '\0';
	addf(buf, size, at, "* %s: %s %s %s", label, when, model_subtype_name(ev->subtype),
	     model_severity_name(ev->severity));
	if (ev->pid.model[0])
		addf(buf, size, at, " model %s", ev->pid.model);
	const struct causal_signals *c = &ev->causal;
	if (c->http_status)
		addf(buf, size, at, " status %d", c->http_status);
	if (c->transport != TE_NONE)
		addf(buf, size, at, " transport %s", model_transport_error_name(c->transport));
	if (vg_has_d(c->latency_ms))
		addf(buf, size, at, " latency %.0f ms", c->latency_ms);
	if (vg_has_d(c->error_rate))
		addf(buf, size, at, " error rate %.1f%%", c->error_rate * 100);
	if (vg_has_d(c->token_delta_pct))
		addf(buf, size, at, " token delta %.1f%%", c->token_delta_pct);
	if (c->detail[0])
		addf(buf, size, at, " (%s)", c->detail);
	if (ev->request_id[0])
		addf(buf, size, at, " request %s", ev->request_id);
	addf(buf, size, at, "\n");
}

char *payload_jira(const struct incident *inc, const struct payload_options *o)
{
	char summary[256], full[PD_SUMMARY_MAX + 1], runbook[512], first[32], last[32];
	char desc[4096];
	size_t at = 0;
	payload_summary(inc, full, sizeof(full));
	snprintf(summary, sizeof(summary), "vigil incident %lld: %s %s %s (%s)", (long long)inc->id,
	         inc->provider, model_category_name(inc->category), inc->family,
	         model_severity_name(inc->severity));
	payload_runbook_url(inc, o, runbook, sizeof(runbook));
	if (timeparse_format_rfc3339(inc->first_ms, first, sizeof(first)) < 0)
		first[0] = '\0';
	if (timeparse_format_rfc3339(inc->last_ms, last, sizeof(last)) < 0)
		last[0] = '\0';
	addf(desc, sizeof(desc), &at, "%s\n\n", full);
	addf(desc, sizeof(desc), &at,
	     "Incident %lld (%s), state %s, %lld events from %s to %s.\nDedup key: %s\n",
	     (long long)inc->id, inc->key, incident_state_name(inc->state), (long long)inc->count,
	     first, last, inc->dedup_key);
	addf(desc, sizeof(desc), &at, "Runbook: %s\n\nSamples:\n", runbook);
	describe_sample(desc, sizeof(desc), &at, "first", &inc->first);
	describe_sample(desc, sizeof(desc), &at, "worst", &inc->worst);
	describe_sample(desc, sizeof(desc), &at, "latest", &inc->latest);
	if (inc->n_related) {
		addf(desc, sizeof(desc), &at, "\nRelated incidents:");
		for (size_t i = 0; i < inc->n_related; i++)
			addf(desc, sizeof(desc), &at, " %lld", (long long)inc->related[i]);
		addf(desc, sizeof(desc), &at, "\n");
	}
	json_t *b = json_object();
	json_t *f = json_object();
	json_t *proj = json_object();
	json_t *type = json_object();
	json_t *labels = json_array();
	int bad = !b || !f || !proj || !type || !labels;
	bad |= set_new(proj, "key", json_string(str_or(o->jira_project, "OPS")));
	bad |= json_object_set(f, "project", proj);
	bad |= set_new(f, "summary", json_string(summary));
	bad |= set_new(f, "description", json_string(desc));
	bad |= set_new(type, "name", json_string(str_or(o->jira_issue_type, "Task")));
	bad |= json_object_set(f, "issuetype", type);
	bad |= json_array_append_new(labels, json_string("vigil"));
	bad |= json_array_append_new(labels, json_string(model_category_name(inc->category)));
	bad |= json_array_append_new(labels, json_string(model_severity_name(inc->severity)));
	bad |= json_object_set(f, "labels", labels);
	bad |= json_object_set(b, "fields", f);
	json_decref(f);
	json_decref(proj);
	json_decref(type);
	json_decref(labels);
	return dump(b, bad);
}
