/*
 * model.c: names of the shared enums, and the subtype -> category table.
 * Every table is indexed by its enum and checked for size at compile time.
 */
#include "core/model.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const category_names[] = {
	"provider", "quality", "cost", "security", "data", "monitor",
};
_Static_assert(COUNT(category_names) == CAT__COUNT, "category names");

static const struct {
	const char *name;
	enum category cat;
	bool hard;
	bool pointless;
} subtypes[] = {
	[SUB_DNS] = { "dns", CAT_PROVIDER, true, false },
	[SUB_CONNECT] = { "connect", CAT_PROVIDER, true, false },
	[SUB_TLS] = { "tls", CAT_PROVIDER, true, false },
	[SUB_TIMEOUT] = { "timeout", CAT_PROVIDER, true, false },
	[SUB_RESET] = { "reset", CAT_PROVIDER, true, false },
	[SUB_SERVER_ERROR] = { "server_error", CAT_PROVIDER, true, false },
	[SUB_OVERLOADED] = { "overloaded", CAT_PROVIDER, true, false },
	[SUB_AUTH] = { "auth", CAT_PROVIDER, true, true },
	[SUB_QUOTA_EXHAUSTED] = { "quota_exhausted", CAT_PROVIDER, true, true },
	[SUB_SPEND_CAP] = { "spend_cap", CAT_PROVIDER, true, true },
	[SUB_INVALID_REQUEST] = { "invalid_request", CAT_PROVIDER, false, true },
	[SUB_RATE_LIMIT] = { "rate_limit", CAT_PROVIDER, false, false },
	[SUB_LATENCY] = { "latency", CAT_PROVIDER, false, false },
	[SUB_TRUNCATION] = { "truncation", CAT_PROVIDER, false, false },
	[SUB_CONTENT_FILTER] = { "content_filter", CAT_PROVIDER, false, true },
	[SUB_OSCILLATION] = { "oscillation", CAT_PROVIDER, false, false },
	[SUB_PROVIDER_OTHER] = { "other", CAT_PROVIDER, false, false },
	[SUB_HALLUCINATION] = { "hallucination", CAT_QUALITY, false, false },
	[SUB_REGRESSION] = { "regression", CAT_QUALITY, false, false },
	[SUB_FORMAT_VIOLATION] = { "format_violation", CAT_QUALITY, false, false },
	[SUB_COHERENCE] = { "coherence", CAT_QUALITY, false, false },
	[SUB_TOKEN_INFLATION] = { "token_inflation", CAT_COST, false, false },
	[SUB_RETRY_STORM] = { "retry_storm", CAT_COST, false, false },
	[SUB_CONTEXT_STUFFING] = { "context_stuffing", CAT_COST, false, false },
	[SUB_PROMPT_INJECTION] = { "prompt_injection", CAT_SECURITY, false, false },
	[SUB_JAILBREAK] = { "jailbreak", CAT_SECURITY, false, false },
	[SUB_PII_LEAK] = { "pii_leak", CAT_SECURITY, false, false },
	[SUB_EXTRACTION] = { "extraction", CAT_SECURITY, false, false },
	[SUB_EMBEDDING_DRIFT] = { "embedding_drift", CAT_DATA, false, false },
	[SUB_STALE_CONTEXT] = { "stale_context", CAT_DATA, false, false },
	[SUB_GROUND_TRUTH_CORRUPTION] = { "ground_truth_corruption", CAT_DATA, false, false },
	[SUB_SIDECAR_BLIND_SPOT] = { "sidecar_blind_spot", CAT_MONITOR, false, false },
	[SUB_STORE_QUEUE_FULL] = { "store_queue_full", CAT_MONITOR, false, false },
	[SUB_SINK_UNREACHABLE] = { "sink_unreachable", CAT_MONITOR, false, false },
	[SUB_TAIL_FILE_GONE] = { "tail_file_gone", CAT_MONITOR, false, false },
	[SUB_STORE_CORRUPT] = { "store_corrupt", CAT_MONITOR, false, false },
	[SUB_GATEWAY_QUIET] = { "gateway_quiet", CAT_MONITOR, false, false },
	[SUB_STORE_UNWRITABLE] = { "store_unwritable", CAT_MONITOR, false, false },
};
_Static_assert(COUNT(subtypes) == SUB__COUNT, "subtype table");

static const char *const severity_names[] = { "critical", "high", "medium", "low" };
_Static_assert(COUNT(severity_names) == SEV__COUNT, "severity names");

static const char *const provider_kind_names[] = { "openai", "anthropic", "google", "other" };
_Static_assert(COUNT(provider_kind_names) == PK__COUNT, "provider kinds");

static const char *const traffic_class_names[] = {
	"revenue",
	"compliance",
	"internal",
	"experimental",
};
_Static_assert(COUNT(traffic_class_names) == TC__COUNT, "traffic classes");

static const char *const selection_reason_names[] = {
	"primary",
	"fallback",
	"load_balanced",
	"canary",
};
_Static_assert(COUNT(selection_reason_names) == SEL__COUNT, "selection reasons");

static const char *const transport_error_names[] = {
	"none", "dns", "connect", "tls", "timeout", "reset",
};
_Static_assert(COUNT(transport_error_names) == TE__COUNT, "transport errors");

static const char *const err_class_names[] = {
	"ok",         "rate_limit",      "quota_exhausted", "spend_cap",
	"overloaded", "server_error",    "timeout",         "auth",
	"permission", "invalid_request", "context_length",  "not_found",
	"too_large",  "content_filter",  "transport",       "other",
};
_Static_assert(COUNT(err_class_names) == EC__COUNT, "error classes");

static const char *const finish_reason_names[] = {
	"stop", "length", "content_filter", "tool", "refusal", "other",
};
_Static_assert(COUNT(finish_reason_names) == FR__COUNT, "finish reasons");

static const char *const breaker_state_names[] = { "closed", "open", "half_open" };
_Static_assert(COUNT(breaker_state_names) == BRK__COUNT, "breaker states");

static const char *name_at(const char *const *names, size_t n, int i)
{
	if (i < 0 || (size_t)i >= n)
		return "unknown";
	return names[i];
}

static int find_name(const char *const *names, size_t n, const char *s, size_t len)
{
	if (!s)
		return -1;
	if (len == (size_t)-1)
		len = strlen(s);
	for (size_t i = 0; i < n; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return (int)i;
	}
	return -1;
}

const char *model_category_name(enum category c)
{
	return name_at(category_names, COUNT(category_names), (int)c);
}

const char *model_subtype_name(enum subtype s)
{
	if ((int)s < 0 || s >= SUB__COUNT)
		return "unknown";
	return subtypes[s].name;
}

const char *model_severity_name(enum severity s)
{
	return name_at(severity_names, COUNT(severity_names), (int)s);
}

const char *model_provider_kind_name(enum provider_kind k)
{
	return name_at(provider_kind_names, COUNT(provider_kind_names), (int)k);
}

const char *model_traffic_class_name(enum traffic_class t)
{
	return name_at(traffic_class_names, COUNT(traffic_class_names), (int)t);
}

const char *model_selection_reason_name(enum selection_reason r)
{
	return name_at(selection_reason_names, COUNT(selection_reason_names), (int)r);
}

const char *model_transport_error_name(enum transport_error e)
{
	return name_at(transport_error_names, COUNT(transport_error_names), (int)e);
}

const char *model_err_class_name(enum err_class e)
{
	return name_at(err_class_names, COUNT(err_class_names), (int)e);
}

const char *model_finish_reason_name(enum finish_reason f)
{
	return name_at(finish_reason_names, COUNT(finish_reason_names), (int)f);
}

int model_category_parse(const char *s, size_t len)
{
	return find_name(category_names, COUNT(category_names), s, len);
}

/* Subtype names are unique except "other", which means the provider one. */
int model_subtype_parse(const char *s, size_t len)
{
	if (!s)
		return -1;
	if (len == (size_t)-1)
		len = strlen(s);
	for (size_t i = 0; i < SUB__COUNT; i++) {
		if (strlen(subtypes[i].name) == len && memcmp(subtypes[i].name, s, len) == 0)
			return (int)i;
	}
	return -1;
}

int model_severity_parse(const char *s, size_t len)
{
	return find_name(severity_names, COUNT(severity_names), s, len);
}

int model_traffic_class_parse(const char *s, size_t len)
{
	return find_name(traffic_class_names, COUNT(traffic_class_names), s, len);
}

int model_selection_reason_parse(const char *s, size_t len)
{
	return find_name(selection_reason_names, COUNT(selection_reason_names), s, len);
}

int model_transport_error_parse(const char *s, size_t len)
{
	return find_name(transport_error_names, COUNT(transport_error_names), s, len);
}

int model_err_class_parse(const char *s, size_t len)
{
	return find_name(err_class_names, COUNT(err_class_names), s, len);
}

int model_finish_reason_parse(const char *s, size_t len)
{
	return find_name(finish_reason_names, COUNT(finish_reason_names), s, len);
}

enum provider_kind model_provider_kind_from_name(const char *s, size_t len)
{
	static const struct {
		const char *name;
		enum provider_kind kind;
	} aliases[] = {
		{ "openai", PK_OPENAI },        { "azure.ai.openai", PK_OPENAI },
		{ "anthropic", PK_ANTHROPIC },  { "aws.bedrock", PK_OTHER },
		{ "google", PK_GOOGLE },        { "gemini", PK_GOOGLE },
		{ "vertex_ai", PK_GOOGLE },     { "gcp.gemini", PK_GOOGLE },
		{ "gcp.vertex_ai", PK_GOOGLE }, { "gcp.gen_ai", PK_GOOGLE },
	};
	if (!s)
		return PK_OTHER;
	if (len == (size_t)-1)
		len = strlen(s);
	for (size_t i = 0; i < COUNT(aliases); i++) {
		if (strlen(aliases[i].name) == len && memcmp(aliases[i].name, s, len) == 0)
			return aliases[i].kind;
	}
	return PK_OTHER;
}

enum category model_subtype_category(enum subtype s)
{
	if ((int)s < 0 || s >= SUB__COUNT)
		return CAT__COUNT;
	return subtypes[s].cat;
}

bool model_subtype_is_hard(enum subtype s)
{
	if ((int)s < 0 || s >= SUB__COUNT)
		return false;
	return subtypes[s].hard;
}

bool model_subtype_retry_pointless(enum subtype s)
{
	if ((int)s < 0 || s >= SUB__COUNT)
		return false;
	return subtypes[s].pointless;
}

bool model_copy_str(char *dst, size_t dstsize, const char *src, size_t len)
{
	if (dstsize == 0)
		return false;
	if (!src) {
		dst[0] = '\0';
		return true;
	}
	if (len == (size_t)-1)
		len = strlen(src);
	bool fits = len < dstsize;
	size_t n = fits ? len : dstsize - 1;
	/* cut at a character boundary: half a UTF-8 sequence is invalid text
	 * that jansson refuses (a whole replay failed as "out of memory") */
	if (!fits)
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return fits;
}

const char *model_breaker_state_name(enum breaker_state s)
{
	return name_at(breaker_state_names, COUNT(breaker_state_names), (int)s);
}

int model_breaker_state_parse(const char *s, size_t len)
{
	return find_name(breaker_state_names, COUNT(breaker_state_names), s, len);
}
