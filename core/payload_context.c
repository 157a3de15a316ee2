/*
 * payload_context.c: what alerts carry beside the incident (core/payload.h):
 * the provider's breaker, its availability, the fallback's state and
 * availability, the failover chain of the latest affected request and the
 * comparison with the baseline or the static bar, from the incident's
 * context (struct incident_context, set by the pipeline). As PagerDuty
 * custom_details fields (JSON) and as Alertmanager annotations (text).
 */
#include "core/payload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int put(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(o, k, v);
}

static json_t *share_or_null(double v)
{
	return vg_has_d(v) ? json_real(v) : json_null();
}

json_t *payload_context_json(const struct incident_context *c)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	int bad = 0;
	bad |= put(o, "breaker", json_string(model_breaker_state_name(c->breaker)));
	if (c->breaker_of[0])
		bad |= put(o, "breaker_of", json_string(c->breaker_of));
	bad |= put(o, "availability", share_or_null(c->availability));
	json_t *fb = json_object();
	bad |= !fb;
	if (fb) {
		bad |= put(fb, "state", json_string(c->fallback ? c->fallback : "none"));
		if (c->fallback_provider[0])
			bad |= put(fb, "provider", json_string(c->fallback_provider));
		if (vg_has_d(c->fallback_availability))
			bad |= put(fb, "availability", json_real(c->fallback_availability));
		bad |= put(o, "fallback", fb);
	}
	json_t *ch = json_object();
	bad |= !ch;
	if (ch) {
		if (c->selection < SEL__COUNT)
			bad |= put(ch, "selection",
			           json_string(model_selection_reason_name(c->selection)));
		if (c->after_failure_of[0])
			bad |= put(ch, "after_failure_of", json_string(c->after_failure_of));
		if (c->attempt >= 0)
			bad |= put(ch, "attempt", json_integer(c->attempt));
		bad |= put(o, "failover_chain", ch);
	}
	json_t *b = json_object();
	bad |= !b;
	if (b) {
		if (vg_has_d(c->observed))
			bad |= put(b, "observed", json_real(c->observed));
		if (vg_has_d(c->threshold))
			bad |= put(b, "threshold", json_real(c->threshold));
		if (vg_has_d(c->expected))
			bad |= put(b, "expected", json_real(c->expected));
		if (vg_has_d(c->expected_lo) && vg_has_d(c->expected_hi)) {
			json_t *band = json_pack("[ff]", c->expected_lo, c->expected_hi);
			bad |= put(b, "band", band);
		}
		if (vg_has(c->window_count) && c->window_count > 0)
			bad |= put(b, "window_count", json_integer(c->window_count));
		bad |= put(o, "baseline", b);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A share as "12.5%", another measure as "%.4g". */
static void measure(char *buf, size_t size, double v)
{
	if (!vg_has_d(v))
		snprintf(buf, size, "unknown");
	else if (v >= 0 && v <= 1)
		snprintf(buf, size, "%.1f%%", v * 100.0);
	else
		snprintf(buf, size, "%.4g", v);
}

int payload_context_annotations(const struct incident_context *c, json_t *ann)
{
	char text[256], a[32], b[32], e[32];
	int bad = 0;
	if (c->breaker_of[0])
		snprintf(text, sizeof(text), "%s (model %s)", model_breaker_state_name(c->breaker),
		         c->breaker_of);
	else
		snprintf(text, sizeof(text), "%s", model_breaker_state_name(c->breaker));
	bad |= put(ann, "breaker", json_string(text));
	measure(a, sizeof(a), c->availability);
	bad |= put(ann, "availability", json_string(a));
	measure(a, sizeof(a), c->fallback_availability);
	if (c->fallback_provider[0])
		snprintf(text, sizeof(text), "%s: %s (availability %s)",
		         c->fallback ? c->fallback : "none", c->fallback_provider, a);
	else
		snprintf(text, sizeof(text), "%s", c->fallback ? c->fallback : "none");
	bad |= put(ann, "fallback", json_string(text));
	size_t at = (size_t)snprintf(
	        text, sizeof(text), "%s",
	        c->selection < SEL__COUNT ? model_selection_reason_name(c->selection) : "unknown");
	if (c->after_failure_of[0] && at < sizeof(text))
		at += (size_t)snprintf(text + at, sizeof(text) - at, " after %s failed",
		                       c->after_failure_of);
	if (c->attempt >= 0 && at < sizeof(text))
		snprintf(text + at, sizeof(text) - at, ", attempt %d", (int)c->attempt);
	bad |= put(ann, "failover_chain", json_string(text));
	measure(a, sizeof(a), c->observed);
	at = (size_t)snprintf(text, sizeof(text), "observed %s", a);
	if (vg_has_d(c->threshold) && at < sizeof(text)) {
		measure(b, sizeof(b), c->threshold);
		at += (size_t)snprintf(text + at, sizeof(text) - at, ", bar %s", b);
	}
	if (vg_has_d(c->expected) && at < sizeof(text)) {
		measure(e, sizeof(e), c->expected);
		at += (size_t)snprintf(text + at, sizeof(text) - at, ", baseline %s", e);
		if (vg_has_d(c->expected_lo) && vg_has_d(c->expected_hi) && at < sizeof(text)) {
			measure(a, sizeof(a), c->expected_lo);
			measure(b, sizeof(b), c->expected_hi);
			at += (size_t)snprintf(text + at, sizeof(text) - at, " (band %s-%s)", a, b);
		}
	} else if (at < sizeof(text)) {
		at += (size_t)snprintf(text + at, sizeof(text) - at, ", no baseline");
	}
	if (vg_has(c->window_count) && c->window_count > 0 && at < sizeof(text))
		snprintf(text + at, sizeof(text) - at, ", over %lld requests",
		         (long long)c->window_count);
	bad |= put(ann, "baseline", json_string(text));
	return bad ? -1 : 0;
}
