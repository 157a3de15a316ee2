/*
 * canary_request.c: the canary's endpoints, one per configured provider and
 * model (or the first model only), each with the request it sends in its
 * provider's wire format: the URL (OpenAI-compatible chat completions,
 * Anthropic messages, Google generateContent), the small JSON body asking
 * for {"ok":true}, and the headers with the key from the environment. An
 * endpoint that cannot be probed (no key, a bad URL) is kept disabled with
 * the reason.
 */
#include "probes/canary.h"

#include "core/vgerr.h"
#include "probes/canary_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_get(const struct canary_set *s, const char *name)
{
	return s->o.getenv ? s->o.getenv(name) : getenv(name);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dup_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* base_url without a trailing '/', and whether it already ends in `suffix`. */
static size_t base_len(const char *base, const char *suffix, bool *has_suffix)
{
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	size_t k = strlen(suffix);
	*has_suffix = n >= k && memcmp(base + n - k, suffix, k) == 0;
	return n;
}

/* ---- requests in each provider's format ---- */

static int build_url(struct endpoint *e, const struct canary_provider *p)
{
	bool v;
	int n;
	if (p->kind == PK_GOOGLE) {
		size_t bl = base_len(p->base_url, "/v1beta", &v);
		if (e->kind == CANARY_MODELS)
			n = snprintf(e->url, sizeof(e->url), "%.*s%s/models", (int)bl, p->base_url,
			             v ? "" : "/v1beta");
		else
			n = snprintf(e->url, sizeof(e->url), "%.*s%s/models/%s:generateContent",
			             (int)bl, p->base_url, v ? "" : "/v1beta", e->model);
	} else {
		size_t bl = base_len(p->base_url, "/v1", &v);
		const char *what = e->kind == CANARY_MODELS  ? "/models"
		                   : p->kind == PK_ANTHROPIC ? "/messages"
		                                             : "/chat/completions";
		n = snprintf(e->url, sizeof(e->url), "%.*s%s%s", (int)bl, p->base_url,
		             v ? "" : "/v1", what);
	}
	return n > 0 && (size_t)n < sizeof(e->url) ? 0 : VG_EINVAL;
}

static int build_body(struct endpoint *e, const struct canary_provider *p, int max_tokens)
{
	if (e->kind == CANARY_MODELS)
		return 0;
	json_t *b;
	if (p->kind == PK_GOOGLE) {
		b = json_pack("{s:[{s:s,s:[{s:s}]}],s:{s:i,s:s}}", "contents", "role", "user",
		              "parts", "text", CANARY_PROMPT, "generationConfig", "maxOutputTokens",
		              max_tokens, "responseMimeType", "application/json");
	} else if (p->kind == PK_ANTHROPIC) {
		b = json_pack("{s:s,s:i,s:[{s:s,s:s}]}", "model", e->model, "max_tokens",
		              max_tokens, "messages", "role", "user", "content", CANARY_PROMPT);
	} else {
		/* OpenAI's own API takes max_completion_tokens (reasoning models
		 * refuse max_tokens); OpenAI-compatible gateways know max_tokens. */
		b = json_pack("{s:s,s:[{s:s,s:s}],s:i}", "model", e->model, "messages", "role",
		              "user", "content", CANARY_PROMPT,
		              p->kind == PK_OPENAI ? "max_completion_tokens" : "max_tokens",
		              max_tokens);
	}
	if (!b)
		return VG_ENOMEM;
	e->body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	if (!e->body)
		return VG_ENOMEM;
	e->body_len = strlen(e->body);
	return 0;
}

static int add_header(struct endpoint *e, char *h)
{
	if (!h)
		return VG_ENOMEM;
	e->headers[e->n_headers++] = h;
	return 0;
}

/* The auth header (key may be NULL: none) and the provider's own headers. */
static int build_headers(struct endpoint *e, const struct canary_provider *p, const char *key)
{
	int rc = 0;
	if (key) {
		if (p->kind == PK_ANTHROPIC)
			rc = add_header(e, dup_printf("x-api-key: %s", key));
		else if (p->kind == PK_GOOGLE)
			rc = add_header(e, dup_printf("x-goog-api-key: %s", key));
		else
			rc = add_header(e, dup_printf("Authorization: Bearer %s", key));
	}
	if (!rc && p->kind == PK_ANTHROPIC)
		rc = add_header(e, dup_printf("anthropic-version: %s", ANTHROPIC_VERSION));
	if (!rc && e->kind == CANARY_COMPLETION)
		rc = add_header(e, dup_printf("Content-Type: application/json"));
	return rc;
}

/* ---- endpoints from the config ---- */

static const char *key_problem(const struct canary_set *s, const struct canary_provider *p,
                               const char **key)
{
	*key = NULL;
	if (!p->api_key_env[0])
		return NULL; /* a keyless endpoint: no auth header at all */
	const char *k = env_get(s, p->api_key_env);
	if (!k)
		return "is not set";
	if (!k[0])
		return "is empty";
	if (strpbrk(k, "\r\n"))
		return "holds a line break";
	*key = k;
	return NULL;
}

static int add_endpoint(struct canary_set *s, size_t pi, const char *model, enum canary_kind kind,
                        const char *key, const char *disabled)
{
	const struct canary_provider *p = &s->cfg.providers[pi];
	struct endpoint *e = &s->ep[s->n_ep];
	memset(e, 0, sizeof(*e));
	e->set = s;
	e->index = s->n_ep;
	e->provider = pi;
	e->kind = kind;
	model_copy_str(e->model, sizeof(e->model), model, (size_t)-1);
	snprintf(e->name, sizeof(e->name), "%s/%s", p->name,
	         kind == CANARY_MODELS ? "models" : model);
	s->n_ep++;
	if (disabled) {
		snprintf(e->reason, sizeof(e->reason), "%s", disabled);
		return 0;
	}
	int rc = build_url(e, p);
	if (rc) {
		snprintf(e->reason, sizeof(e->reason), "the URL is too long");
		return 0;
	}
	rc = build_body(e, p, s->cfg.max_tokens);
	if (!rc)
		rc = build_headers(e, p, key);
	if (rc)
		return rc;
	e->enabled = true;
	return 0;
}

int canary__build_endpoints(struct canary_set *s)
{
	const struct canary_config *c = &s->cfg;
	size_t max = 0;
	for (size_t i = 0; i < c->n_providers; i++)
		max += c->providers[i].n_models + 1;
	s->ep = calloc(max ? max : 1, sizeof(*s->ep));
	if (!s->ep)
		return VG_ENOMEM;
	if (!c->enabled) {
		canary__log(s, "probes.enabled is false: no canaries");
		return 0;
	}
	for (size_t i = 0; i < c->n_providers; i++) {
		const struct canary_provider *p = &c->providers[i];
		const char *key = NULL;
		const char *problem = key_problem(s, p, &key);
		char why[192] = "";
		if (problem) {
			snprintf(why, sizeof(why), "%s %s (providers[%zu].api_key_env)",
			         p->api_key_env, problem, i);
			canary__log(s, "%s: canaries disabled: %s", p->name, why);
		} else if (!p->api_key_env[0]) {
			canary__log(
			        s, "%s: no api_key_env configured: canaries are sent without a key",
			        p->name);
		}
		probe_budget_init(&s->budget[i], c->daily_budget_usd);
		size_t nm = c->first_model_only && p->n_models > 1 ? 1 : p->n_models;
		if (nm == 0 && !c->availability)
			canary__log(
			        s,
			        "%s: no models configured and probes.availability is off: nothing "
			        "to probe",
			        p->name);
		bool priced = true;
		for (size_t m = 0; m < nm; m++) {
			int rc = add_endpoint(s, i, p->models[m].name, CANARY_COMPLETION, key,
			                      problem ? why : NULL);
			if (rc)
				return rc;
			/* core/price: no input price, no cost */
			if (p->models[m].price_in_per_1k <= 0)
				priced = false;
		}
		if (nm > 0 && !priced && c->daily_budget_usd > 0 && !problem)
			canary__log(s,
			            "%s: a probed model has no price_in_per_1k: its probe spend is "
			            "counted as 0",
			            p->name);
		if (c->availability) {
			int rc = add_endpoint(s, i, "", CANARY_MODELS, key, problem ? why : NULL);
			if (rc)
				return rc;
		}
	}
	return 0;
}
