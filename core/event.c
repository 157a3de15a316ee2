/*
 * event.c: construction, runbooks, and the JSON encoding of failure events.
 * The JSON shape is documented in docs/events.md ("Failure events").
 */
#include "core/event.h"

#include "core/redact.h"
#include "core/timeparse.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void event_causal_init(struct causal_signals *c)
{
	memset(c, 0, sizeof(*c));
	c->latency_ms = VG_NONE_D;
	c->threshold = VG_NONE_D;
	c->transport = TE_NONE;
	c->retry_after_ms = VG_NONE;
	c->ratelimit_remaining = VG_NONE;
	c->ratelimit_limit = VG_NONE;
	c->similarity = VG_NONE_D;
	c->token_delta_pct = VG_NONE_D;
	c->input_tokens = VG_NONE;
	c->predicted_input_tokens = VG_NONE;
	c->retry_count = VG_NONE;
	c->error_rate = VG_NONE_D;
	c->window_count = VG_NONE;
	c->doc_age_s = VG_NONE_D;
	c->value = VG_NONE_D;
	c->baseline_expected = VG_NONE_D;
	c->baseline_lo = VG_NONE_D;
	c->baseline_hi = VG_NONE_D;
	c->baseline_slot = VG_NONE;
	c->baseline_weight = VG_NONE_D;
}

int event_init(struct failure_event *ev, uint64_t id, int64_t time_ms, enum category cat,
               enum subtype sub, enum severity sev, const struct provider_id *pid)
{
	memset(ev, 0, sizeof(*ev));
	if ((int)cat < 0 || cat >= CAT__COUNT || (int)sev < 0 || sev >= SEV__COUNT ||
	    (int)sub < 0 || sub >= SUB__COUNT || model_subtype_category(sub) != cat || !pid ||
	    !pid->provider[0])
		return VG_EINVAL;
	ev->schema_version = EVENT_SCHEMA_VERSION;
	ev->id = id;
	ev->time_ms = time_ms;
	ev->category = cat;
	ev->subtype = sub;
	ev->severity = sev;
	ev->pid = *pid;
	ev->traffic_class = TC_UNSET;
	ev->retryable = VG_TRI_UNSET;
	event_causal_init(&ev->causal);
	return 0;
}

const char *event_runbook(enum category cat, enum subtype sub)
{
	(void)sub;
	switch (cat) {
	case CAT_PROVIDER: return "docs/runbooks/provider.md";
	case CAT_QUALITY: return "docs/runbooks/quality.md";
	case CAT_COST: return "docs/runbooks/cost.md";
	case CAT_SECURITY: return "docs/runbooks/security.md";
	case CAT_DATA: return "docs/runbooks/data.md";
	case CAT_MONITOR: return "docs/runbooks/monitor.md";
	default: return "docs/runbooks/README.md";
	}
}

const char *event_hint(enum subtype sub)
{
	switch (sub) {
	case SUB_DNS:
	case SUB_CONNECT:
	case SUB_TLS:
	case SUB_TIMEOUT:
	case SUB_RESET:
	case SUB_SERVER_ERROR:
	case SUB_OVERLOADED: return "fail over to the fallback provider; watch the breaker";
	case SUB_AUTH: return "check the API key and its alias; retrying will not help";
	case SUB_QUOTA_EXHAUSTED: return "billing or quota exhausted: top up or switch provider";
	case SUB_SPEND_CAP:
		return "spend cap reached: raise the cap or switch provider until it resets";
	case SUB_INVALID_REQUEST:
		return "a request the provider refuses: check recent gateway changes";
	case SUB_RATE_LIMIT: return "slow down: honour retry-after, spread load across keys";
	case SUB_LATENCY: return "latency over threshold: consider shifting traffic";
	case SUB_TRUNCATION: return "responses cut short: check max tokens and provider health";
	case SUB_CONTENT_FILTER:
		return "safety blocks: inspect prompts for abuse or a policy change";
	case SUB_OSCILLATION: return "breaker oscillating: intermittent provider fault";
	case SUB_HALLUCINATION: return "unsupported entities: check the model version and context";
	case SUB_REGRESSION:
		return "quality step drop: compare model versions, pin the last good one";
	case SUB_FORMAT_VIOLATION: return "schema failures: check the structured-output settings";
	case SUB_COHERENCE: return "repetitive or contradictory output: check sampling settings";
	case SUB_TOKEN_INFLATION: return "input tokens over prediction: look for injected content";
	case SUB_RETRY_STORM: return "retries multiplying spend: cap retries, open the breaker";
	case SUB_CONTEXT_STUFFING: return "context growing: check retrieval and tokenizer changes";
	case SUB_PROMPT_INJECTION:
		return "possible prompt injection: inspect inputs of this template";
	case SUB_JAILBREAK: return "refusal rate up: inspect this key's or template's traffic";
	case SUB_PII_LEAK: return "PII in output absent from context: block and review";
	case SUB_EXTRACTION: return "possible training-data extraction: review the prompts";
	case SUB_EMBEDDING_DRIFT: return "retrieval similarity falling: check the vector index";
	case SUB_STALE_CONTEXT: return "stale retrieved context: check the indexing pipeline";
	case SUB_GROUND_TRUTH_CORRUPTION:
		return "feedback data corrupted: audit the fine-tuning set";
	case SUB_STORE_CORRUPT:
		return "the database is damaged and vigil stopped writing to it: "
		       "vigil db check, then vigil db recover";
	default: return "see the runbook";
	}
}

/* ---- encoding ---------------------------------------------------------- */

static int set_new(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(o, k, v);
}

json_t *event_to_json(const struct failure_event *ev)
{
	json_t *o = json_object();
	json_t *p = json_object();
	json_t *c = json_object();
	char ts[32];
	int bad = 0;
	if (!o || !p || !c)
		goto fail;
	if (timeparse_format_rfc3339(ev->time_ms, ts, sizeof(ts)) < 0)
		ts[0] = '\0';
	bad |= set_new(o, "schema_version", json_integer(ev->schema_version));
	bad |= set_new(o, "id", json_integer((json_int_t)ev->id));
	bad |= set_new(o, "time", json_string(ts));
	bad |= set_new(o, "time_ms", json_integer(ev->time_ms));
	bad |= set_new(o, "category", json_string(model_category_name(ev->category)));
	bad |= set_new(o, "subtype", json_string(model_subtype_name(ev->subtype)));
	bad |= set_new(o, "severity", json_string(model_severity_name(ev->severity)));
	bad |= set_new(p, "provider", json_string(ev->pid.provider));
	if (ev->pid.model[0])
		bad |= set_new(p, "model", json_string(ev->pid.model));
	if (ev->pid.region[0])
		bad |= set_new(p, "region", json_string(ev->pid.region));
	if (ev->pid.key_alias[0])
		bad |= set_new(p, "key_alias", json_string(ev->pid.key_alias));
	bad |= json_object_set(o, "provider", p);
	if (ev->request_id[0])
		bad |= set_new(o, "request_id", json_string(ev->request_id));
	if (ev->template_id[0])
		bad |= set_new(o, "template", json_string(ev->template_id));
	if (ev->traffic_class != TC_UNSET)
		bad |= set_new(o, "traffic_class",
		               json_string(model_traffic_class_name(ev->traffic_class)));
	if (ev->retryable != VG_TRI_UNSET)
		bad |= set_new(o, "retryable", json_boolean(ev->retryable == VG_TRI_TRUE));
	bad |= set_new(o, "runbook", json_string(event_runbook(ev->category, ev->subtype)));
	bad |= set_new(o, "hint", json_string(event_hint(ev->subtype)));

	const struct causal_signals *s = &ev->causal;
#define PUT_D(name)                                                                                \
	if (vg_has_d(s->name))                                                                     \
	bad |= set_new(c, #name, json_real(s->name))
#define PUT_I(name)                                                                                \
	if (vg_has(s->name))                                                                       \
	bad |= set_new(c, #name, json_integer(s->name))
#define PUT_S(name)                                                                                \
	if (s->name[0])                                                                            \
	bad |= set_new(c, #name, json_string(s->name))
	PUT_D(latency_ms);
	if (s->latency_percentile)
		bad |= set_new(c, "latency_percentile", json_integer(s->latency_percentile));
	PUT_D(threshold);
	if (s->http_status)
		bad |= set_new(c, "http_status", json_integer(s->http_status));
	if (s->transport != TE_NONE)
		bad |= set_new(c, "transport",
		               json_string(model_transport_error_name(s->transport)));
	PUT_S(error_type);
	PUT_S(error_code);
	PUT_S(finish_reason);
	PUT_I(retry_after_ms);
	PUT_I(ratelimit_remaining);
	PUT_I(ratelimit_limit);
	PUT_D(similarity);
	PUT_D(token_delta_pct);
	PUT_I(input_tokens);
	PUT_I(predicted_input_tokens);
	PUT_I(retry_count);
	PUT_D(error_rate);
	PUT_I(window_count);
	PUT_D(doc_age_s);
	PUT_D(value);
	PUT_S(detail);
	PUT_D(baseline_expected);
	PUT_D(baseline_lo);
	PUT_D(baseline_hi);
	PUT_I(baseline_slot);
	PUT_D(baseline_weight);
#undef PUT_D
#undef PUT_I
#undef PUT_S
	bad |= json_object_set(o, "causal", c);
	json_decref(p);
	json_decref(c);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	json_decref(o);
	json_decref(p);
	json_decref(c);
	return NULL;
}

/* ---- decoding ---------------------------------------------------------- */

static int get_enum(json_t *o, const char *key, int (*parse)(const char *, size_t), int *out,
                    char **cause)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return vg_cause(cause, VG_EINVAL, "field '%s': missing or not a string", key);
	int x = parse(json_string_value(v), json_string_length(v));
	if (x < 0)
		return vg_cause(cause, VG_EINVAL, "field '%s': unknown value '%s'", key,
		                json_string_value(v));
	*out = x;
	return 0;
}

static void get_str(json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		model_copy_str(dst, size, json_string_value(v), json_string_length(v));
}

static void get_d(json_t *o, const char *key, double *dst)
{
	json_t *v = json_object_get(o, key);
	if (json_is_number(v))
		*dst = json_number_value(v);
}

static void get_i(json_t *o, const char *key, int64_t *dst)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		*dst = (int64_t)json_integer_value(v);
}

int event_from_json(json_t *obj, struct failure_event *ev, char **cause)
{
	if (cause)
		*cause = NULL;
	if (!json_is_object(obj))
		return vg_cause(cause, VG_EPARSE, "a failure event must be a JSON object");
	json_t *ver = json_object_get(obj, "schema_version");
	if (!json_is_integer(ver))
		return vg_cause(cause, VG_EINVAL,
		                "field 'schema_version': missing or not an integer");
	json_int_t version = json_integer_value(ver);
	if (version > EVENT_SCHEMA_VERSION)
		return vg_cause(cause, VG_EVERSION,
		                "schema_version %lld is newer than this vigil understands (%d)",
		                (long long)version, EVENT_SCHEMA_VERSION);
	if (version < 1)
		return vg_cause(cause, VG_EINVAL, "field 'schema_version': %lld is not valid",
		                (long long)version);
	int cat, sub, sev, rc;
	if ((rc = get_enum(obj, "category", model_category_parse, &cat, cause)) ||
	    (rc = get_enum(obj, "subtype", model_subtype_parse, &sub, cause)) ||
	    (rc = get_enum(obj, "severity", model_severity_parse, &sev, cause)))
		return rc;
	json_t *p = json_object_get(obj, "provider");
	struct provider_id pid;
	memset(&pid, 0, sizeof(pid));
	if (!json_is_object(p))
		return vg_cause(cause, VG_EINVAL, "field 'provider': missing or not an object");
	get_str(p, "provider", pid.provider, sizeof(pid.provider));
	get_str(p, "model", pid.model, sizeof(pid.model));
	get_str(p, "region", pid.region, sizeof(pid.region));
	get_str(p, "key_alias", pid.key_alias, sizeof(pid.key_alias));
	json_t *id = json_object_get(obj, "id");
	json_t *tms = json_object_get(obj, "time_ms");
	if (!json_is_integer(tms))
		return vg_cause(cause, VG_EINVAL, "field 'time_ms': missing or not an integer");
	rc = event_init(ev, json_is_integer(id) ? (uint64_t)json_integer_value(id) : 0,
	                (int64_t)json_integer_value(tms), (enum category)cat, (enum subtype)sub,
	                (enum severity)sev, &pid);
	if (rc)
		return vg_cause(cause, rc,
		                "subtype '%s' is not of category '%s', or provider is empty",
		                model_subtype_name((enum subtype)sub),
		                model_category_name((enum category)cat));
	get_str(obj, "request_id", ev->request_id, sizeof(ev->request_id));
	get_str(obj, "template", ev->template_id, sizeof(ev->template_id));
	json_t *tc = json_object_get(obj, "traffic_class");
	if (json_is_string(tc))
		ev->traffic_class = (enum traffic_class)model_traffic_class_parse(
		        json_string_value(tc), json_string_length(tc));
	json_t *r = json_object_get(obj, "retryable");
	if (json_is_boolean(r))
		ev->retryable = json_is_true(r) ? VG_TRI_TRUE : VG_TRI_FALSE;

	json_t *c = json_object_get(obj, "causal");
	if (c && !json_is_object(c))
		return vg_cause(cause, VG_EINVAL, "field 'causal': not an object");
	struct causal_signals *s = &ev->causal;
	get_d(c, "latency_ms", &s->latency_ms);
	json_t *lp = json_object_get(c, "latency_percentile");
	if (json_is_integer(lp))
		s->latency_percentile = (int32_t)json_integer_value(lp);
	get_d(c, "threshold", &s->threshold);
	json_t *hs = json_object_get(c, "http_status");
	if (json_is_integer(hs))
		s->http_status = (int32_t)json_integer_value(hs);
	json_t *te = json_object_get(c, "transport");
	if (json_is_string(te)) {
		int t = model_transport_error_parse(json_string_value(te), json_string_length(te));
		s->transport = t < 0 ? TE_NONE : (enum transport_error)t;
	}
	get_str(c, "error_type", s->error_type, sizeof(s->error_type));
	get_str(c, "error_code", s->error_code, sizeof(s->error_code));
	get_str(c, "finish_reason", s->finish_reason, sizeof(s->finish_reason));
	get_i(c, "retry_after_ms", &s->retry_after_ms);
	get_i(c, "ratelimit_remaining", &s->ratelimit_remaining);
	get_i(c, "ratelimit_limit", &s->ratelimit_limit);
	get_d(c, "similarity", &s->similarity);
	get_d(c, "token_delta_pct", &s->token_delta_pct);
	get_i(c, "input_tokens", &s->input_tokens);
	get_i(c, "predicted_input_tokens", &s->predicted_input_tokens);
	get_i(c, "retry_count", &s->retry_count);
	get_d(c, "error_rate", &s->error_rate);
	get_i(c, "window_count", &s->window_count);
	get_d(c, "doc_age_s", &s->doc_age_s);
	get_d(c, "value", &s->value);
	get_str(c, "detail", s->detail, sizeof(s->detail));
	get_d(c, "baseline_expected", &s->baseline_expected);
	get_d(c, "baseline_lo", &s->baseline_lo);
	get_d(c, "baseline_hi", &s->baseline_hi);
	get_i(c, "baseline_slot", &s->baseline_slot);
	get_d(c, "baseline_weight", &s->baseline_weight);
	return 0;
}

void event_redact(struct failure_event *ev, const struct redact *r)
{
	redact_str(r, ev->pid.provider);
	redact_str(r, ev->pid.model);
	redact_str(r, ev->pid.region);
	redact_str(r, ev->pid.key_alias);
	redact_str(r, ev->request_id);
	redact_str(r, ev->template_id);
	redact_str(r, ev->causal.error_type);
	redact_str(r, ev->causal.error_code);
	redact_str(r, ev->causal.finish_reason);
	redact_str(r, ev->causal.detail);
}
