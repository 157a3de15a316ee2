/*
 * pii.c: hand-written scanners for e-mail addresses, phone and card numbers
 * and key-shaped secrets (see pii.h). One pass finds number runs; e-mail
 * addresses are found from each '@', secrets from their fixed prefixes.
 */
#include "core/pii.h"

#include "core/textscan.h"
#include "core/vgerr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pii_kind_name(enum pii_kind k)
{
	static const char *const names[] = { "email", "phone", "card", "secret" };
	return (unsigned)k < PII__COUNT ? names[k] : "unknown";
}

void pii_scratch_init(struct pii_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

void pii_scratch_done(struct pii_scratch *s)
{
	free(s->digits);
	memset(s, 0, sizeof(*s));
}

static bool is_alnum(char c)
{
	return ts_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int pii_luhn(const char *d, size_t n)
{
	int sum = 0;
	bool dbl = false;
	for (size_t i = n; i-- > 0;) {
		int v = d[i] - '0';
		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
		dbl = !dbl;
	}
	return n > 0 && sum % 10 == 0;
}

/* A number run: digits with single separators between groups. */
struct run {
	size_t start, end;
	char digits[24];
	size_t nd;     /* digits (only the first 23 are kept) */
	int groups;    /* digit groups */
	bool plus;     /* starts with '+' */
	bool only_sd;  /* separators are only ' ' and '-' */
	int max_group; /* longest group */
	int min_group;
};

static bool sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}

/* Read a run starting at i (a digit, or '+'/'(' before a digit). */
static size_t read_run(const char *t, size_t len, size_t i, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->start = i;
	r->only_sd = true;
	r->min_group = 1 << 20;
	if (t[i] == '+') {
		r->plus = true;
		i++;
	}
	int group = 0;
	size_t last_digit = i;
	while (i < len) {
		char c = t[i];
		if (ts_is_digit(c)) {
			if (r->nd < sizeof(r->digits) - 1)
				r->digits[r->nd] = c;
			r->nd++;
			group++;
			last_digit = i;
			i++;
			continue;
		}
		if (!sep(c))
			break;
		/* a separator counts only between groups: at most two in a row
		 * ("(555) 123"), and a digit must follow */
		size_t k = i;
		while (k < len && sep(t[k]) && k - i < 2)
			k++;
		if (k >= len || !ts_is_digit(t[k]))
			break;
		if (group) {
			r->groups++;
			if (group > r->max_group)
				r->max_group = group;
			if (group < r->min_group)
				r->min_group = group;
		}
		group = 0;
		for (size_t m = i; m < k; m++) {
			if (t[m] != ' ' && t[m] != '-')
				r->only_sd = false;
		}
		i = k;
	}
	if (group) {
		r->groups++;
		if (group > r->max_group)
			r->max_group = group;
		if (group < r->min_group)
			r->min_group = group;
	}
	r->end = last_digit + 1;
	if (r->nd >= sizeof(r->digits))
		r->digits[sizeof(r->digits) - 1] = '\0';
	else
		r->digits[r->nd] = '\0';
	return r->end;
}

static bool run_start(const char *t, size_t i)
{
	return i == 0 || !(is_alnum(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == ',' ||
	                   t[i - 1] == '_' || t[i - 1] == '+');
}

static bool is_card(const struct run *r)
{
	if (r->nd < 13 || r->nd > 19 || r->plus || !r->only_sd)
		return false;
	if (r->groups > 1 && (r->min_group < 3 || r->max_group > 6))
		return false;
	if (r->digits[0] < '2' || r->digits[0] > '6')
		return false;
	return pii_luhn(r->digits, r->nd);
}

static bool is_phone(const struct run *r)
{
	if (r->plus)
		return r->nd >= 8 && r->nd <= 15 && r->groups >= 1;
	return r->nd >= 10 && r->nd <= 11 && r->groups >= 3;
}

static int build_context_digits(struct pii_scratch *s, const char *ctx, size_t clen)
{
	if (s->cap < clen + 2) {
		char *d = realloc(s->digits, clen + 2);
		if (!d)
			return VG_ENOMEM;
		s->digits = d;
		s->cap = clen + 2;
	}
	size_t o = 0;
	s->digits[o++] = '|';
	for (size_t i = 0; i < clen;) {
		char c = ctx[i];
		if (ts_is_digit(c) ||
		    ((c == '+' || c == '(') && i + 1 < clen && ts_is_digit(ctx[i + 1]))) {
			struct run r;
			size_t e = read_run(ctx, clen, i, &r);
			for (size_t k = i; k < e; k++) {
				if (ts_is_digit(ctx[k]))
					s->digits[o++] = ctx[k];
			}
			s->digits[o++] = '|';
			i = e > i ? e : i + 1;
		} else {
			i++;
		}
	}
	s->len = o;
	return 0;
}

struct scan {
	const char *ctx;
	size_t clen;
	struct pii_scratch *s;
	bool digits_built;
	struct pii_result *r;
	int err;
};

static void leak(struct scan *sc, enum pii_kind k, const char *masked)
{
	sc->r->leaked[k]++;
	if (!sc->r->leaks++) {
		snprintf(sc->r->kind, sizeof(sc->r->kind), "%s", pii_kind_name(k));
		snprintf(sc->r->sample, sizeof(sc->r->sample), "%s", masked);
	}
}

static bool in_context_digits(struct scan *sc, const char *digits, size_t nd)
{
	if (!sc->ctx || !sc->clen)
		return false;
	if (!sc->digits_built) {
		if (build_context_digits(sc->s, sc->ctx, sc->clen)) {
			sc->err = VG_ENOMEM;
			return true;
		}
		sc->digits_built = true;
	}
	return ts_find(sc->s->digits, sc->s->len, digits, nd) != (size_t)-1;
}

static bool iso_date_at(const char *t, size_t len, size_t i)
{
	static const char shape[] = "dddd-dd-dd";
	if (len - i < 10)
		return false;
	for (size_t k = 0; k < 10; k++) {
		if (shape[k] == 'd' ? !ts_is_digit(t[i + k]) : t[i + k] != '-')
			return false;
	}
	return true;
}

/* Judge the number run starting at t[i]; returns where it ends. */
static size_t check_run(struct scan *sc, const char *t, size_t len, size_t i)
{
	struct run r;
	size_t e = read_run(t, len, i, &r);
	/* a run glued to letters or more digits is an identifier; one that runs
	 * into a time ("2024-03-15 10:30") or starts with a date is a timestamp */
	bool glued = e < len && (is_alnum(t[e]) || t[e] == '_' || t[e] == ':');
	glued = glued || iso_date_at(t, len, i);
	if (!glued && r.nd < sizeof(r.digits)) {
		char masked[32];
		if (is_card(&r)) {
			sc->r->found[PII_CARD]++;
			if (!in_context_digits(sc, r.digits, r.nd)) {
				snprintf(masked, sizeof(masked), "****%s", r.digits + r.nd - 4);
				leak(sc, PII_CARD, masked);
			}
		} else if (is_phone(&r)) {
			sc->r->found[PII_PHONE]++;
			if (!in_context_digits(sc, r.digits, r.nd)) {
				snprintf(masked, sizeof(masked), "***%s", r.digits + r.nd - 2);
				leak(sc, PII_PHONE, masked);
			}
		}
	}
	return e > i ? e : i + 1;
}

static void scan_numbers(struct scan *sc, const char *t, size_t len)
{
	for (size_t i = 0; i < len;) {
		char c = t[i];
		if (!(ts_cls[(unsigned char)c] & TS_C_DIGIT) && c != '+' && c != '(') {
			i++;
			continue;
		}
		bool lead = ts_is_digit(c) || (i + 1 < len && ts_is_digit(t[i + 1]));
		if (!lead || !run_start(t, i)) {
			i++;
			continue;
		}
		i = check_run(sc, t, len, i);
	}
}

/* The same, visiting only where the tokenizer found numbers. */
static void scan_number_tokens(struct scan *sc, const char *t, size_t len,
                               const struct ts_token *tok, size_t n)
{
	size_t done = 0;
	for (size_t k = 0; k < n; k++) {
		if (tok[k].kind != TS_NUMBER || tok[k].start < done)
			continue;
		size_t i = tok[k].start;
		if (i > 0 && (t[i - 1] == '+' || t[i - 1] == '('))
			i--;
		if (!run_start(t, i))
			continue;
		done = check_run(sc, t, len, i);
	}
}

static bool local_char(char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static void scan_emails(struct scan *sc, const char *t, size_t len)
{
	const char *p = t, *end = t + len;
	while ((p = memchr(p, '@', (size_t)(end - p))) != NULL) {
		size_t at = (size_t)(p - t);
		p++;
		size_t s = at;
		while (s > 0 && local_char(t[s - 1]))
			s--;
		while (s < at && t[s] == '.')
			s++;
		if (s == at)
			continue;
		size_t e = at + 1, last_dot = 0, label = 0;
		while (e < len && (is_alnum(t[e]) || t[e] == '-' || t[e] == '.')) {
			if (t[e] == '.') {
				if (label == 0)
					break;
				last_dot = e;
				label = 0;
			} else {
				label++;
			}
			e++;
		}
		while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-'))
			e--;
		if (!last_dot || last_dot >= e)
			continue;
		size_t tld = e - last_dot - 1;
		bool alpha_tld = tld >= 2;
		for (size_t k = last_dot + 1; k < e && alpha_tld; k++)
			alpha_tld = (t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z');
		if (!alpha_tld)
			continue;
		sc->r->found[PII_EMAIL]++;
		if (sc->ctx && ts_find_ci(sc->ctx, sc->clen, t + s, e - s) != (size_t)-1)
			continue;
		char masked[32];
		snprintf(masked, sizeof(masked), "%c***@%c***.%.*s", t[s], t[at + 1],
		         (int)(tld > 8 ? 8 : tld), t + last_dot + 1);
		leak(sc, PII_EMAIL, masked);
	}
}

static bool key_char(char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

static void secret_at(struct scan *sc, const char *t, size_t len, size_t i)
{
	if (i > 0 && key_char(t[i - 1]))
		return;
	size_t e, prefix;
	if (len - i >= 3 && t[i] == 's' && t[i + 1] == 'k' && t[i + 2] == '-') {
		prefix = 3;
		e = i + 3;
		while (e < len && key_char(t[e]))
			e++;
		if (e - i - 3 < 20)
			return;
	} else if (len - i >= 4 && memcmp(t + i, "AKIA", 4) == 0) {
		prefix = 4;
		e = i + 4;
		while (e < len && ((t[e] >= 'A' && t[e] <= 'Z') || ts_is_digit(t[e])))
			e++;
		if (e - i != 20 || (e < len && key_char(t[e])))
			return;
	} else {
		return;
	}
	sc->r->found[PII_SECRET]++;
	if (!(sc->ctx && ts_find(sc->ctx, sc->clen, t + i, e - i) != (size_t)-1)) {
		char masked[32];
		snprintf(masked, sizeof(masked), "%.*s****(%zu chars)", (int)prefix, t + i, e - i);
		leak(sc, PII_SECRET, masked);
	}
}

/* Secrets start with "sk-" or "AKIA": look for the rare '-' and 'K' only. */
static void scan_secrets(struct scan *sc, const char *t, size_t len)
{
	const char *p = t, *end = t + len;
	while (p < end && (p = memchr(p, '-', (size_t)(end - p))) != NULL) {
		size_t at = (size_t)(p - t);
		if (at >= 2 && t[at - 2] == 's' && t[at - 1] == 'k')
			secret_at(sc, t, len, at - 2);
		p++;
	}
	p = t;
	while (p < end && (p = memchr(p, 'K', (size_t)(end - p))) != NULL) {
		size_t at = (size_t)(p - t);
		if (at >= 1 && t[at - 1] == 'A')
			secret_at(sc, t, len, at - 1);
		p++;
	}
}

int pii_scan(const char *answer, size_t alen, const char *context, size_t clen,
             struct pii_scratch *s, struct pii_result *r)
{
	memset(r, 0, sizeof(*r));
	struct scan sc = { .ctx = context, .clen = context ? clen : 0, .s = s, .r = r };
	scan_emails(&sc, answer, alen);
	scan_secrets(&sc, answer, alen);
	scan_numbers(&sc, answer, alen);
	if (sc.err) {
		memset(r, 0, sizeof(*r));
		return sc.err;
	}
	return 0;
}

int pii_scan_tokens(const char *answer, size_t alen, const struct ts_token *tok, size_t n,
                    const char *context, size_t clen, struct pii_scratch *s, struct pii_result *r)
{
	memset(r, 0, sizeof(*r));
	struct scan sc = { .ctx = context, .clen = context ? clen : 0, .s = s, .r = r };
	scan_emails(&sc, answer, alen);
	scan_secrets(&sc, answer, alen);
	scan_number_tokens(&sc, answer, alen, tok, n);
	if (sc.err) {
		memset(r, 0, sizeof(*r));
		return sc.err;
	}
	return 0;
}
