/*
 * entities.c: entity extraction over the normalising tokenizer, and the
 * support test against a hash index of the context (see entities.h).
 *
 * The extractor walks tokens once. Between two tokens it looks at the gap:
 * a '.', '!' or '?' followed by a space, or a newline, starts a sentence; a
 * gap of exactly one space (or a hyphen) keeps a capitalised run going.
 */
#include "core/entities.h"

#include "core/vgerr.h"

#include <stdio.h>
#include <string.h>

void entities_scratch_init(struct entities_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

void entities_scratch_done(struct entities_scratch *s)
{
	ts_set_done(&s->ctx);
	memset(s, 0, sizeof(*s));
}

static bool word_is(const char *t, const struct ts_token *k, const char *const *list)
{
	size_t n = k->end - k->start;
	for (size_t i = 0; list[i]; i++) {
		if (strlen(list[i]) != n)
			continue;
		size_t j = 0;
		while (j < n && ts_lower(t[k->start + j]) == list[i][j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

static const char *const units[] = {
	"mg",       "g",         "kg",      "t",         "lb",       "lbs",      "oz",
	"ml",       "l",         "km",      "m",         "cm",       "mm",       "mi",
	"ft",       "in",        "s",       "ms",        "sec",      "min",      "h",
	"hr",       "hrs",       "hours",   "minutes",   "seconds",  "days",     "weeks",
	"months",   "years",     "percent", "usd",       "eur",      "gbp",      "dollars",
	"euros",    "kb",        "mb",      "gb",        "tb",       "kbps",     "mbps",
	"gbps",     "hz",        "khz",     "mhz",       "ghz",      "w",        "kw",
	"mw",       "kwh",       "mwh",     "v",         "mv",       "a",        "ma",
	"c",        "f",         "k",       "million",   "billion",  "trillion", "thousand",
	"people",   "employees", "users",   "customers", "patients", "votes",    "points",
	"calories", "kcal",      "mph",     "kph",       "psi",      "bar",      "atm",
	"mol",      "mmol",      "iu",      "mcg",       NULL,
};

static const char *const months[] = { "january",  "february", "march",  "april",     "may",
	                              "june",     "july",     "august", "september", "october",
	                              "november", "december", "jan",    "feb",       "mar",
	                              "apr",      "jun",      "jul",    "aug",       "sep",
	                              "sept",     "oct",      "nov",    "dec",       NULL };

static const char *const citers[] = { "section", "sec",       "chapter", "article",
	                              "table",   "figure",    "fig",     "appendix",
	                              "clause",  "paragraph", "para",    "page",
	                              "p",       "pp",        "rule",    NULL };

static const char *const connectors[] = { "of",  "de", "la", "van", "von", "der", "du",
	                                  "del", "da", "di", "le",  "al",  NULL };

static bool capitalised(const char *t, const struct ts_token *k)
{
	return k->kind == TS_WORD && t[k->start] >= 'A' && t[k->start] <= 'Z';
}

/* The gap between two tokens [from, to). */
static bool gap_ends_sentence(const char *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		char c = t[i];
		if (c == '\n')
			return true;
		if ((c == '.' || c == '!' || c == '?') && (i + 1 >= to || t[i + 1] == ' '))
			return true;
	}
	return false;
}

static bool gap_is_space(const char *t, size_t from, size_t to)
{
	return to == from + 1 && (t[from] == ' ' || t[from] == '-');
}

/* A small token window: the extractor looks ahead by at most a few tokens. */
#define LOOK 8
struct walker {
	const char *t;
	size_t len, pos;
	struct ts_token tok[LOOK];
	size_t n; /* buffered tokens */
};

static struct ts_token *peek(struct walker *w, size_t i)
{
	while (w->n <= i && w->n < LOOK) {
		if (!ts_next(w->t, w->len, &w->pos, &w->tok[w->n]))
			return NULL;
		w->n++;
	}
	return i < w->n ? &w->tok[i] : NULL;
}

static void drop(struct walker *w, size_t k)
{
	if (k > w->n)
		k = w->n;
	memmove(w->tok, w->tok + k, (w->n - k) * sizeof(w->tok[0]));
	w->n -= k;
}

static bool is_iso_date(const char *t, size_t len, size_t at)
{
	static const char shape[] = "dddd-dd-dd";
	if (len - at < 10)
		return false;
	for (size_t i = 0; i < 10; i++) {
		if (shape[i] == 'd' ? !ts_is_digit(t[at + i]) : t[at + i] != '-')
			return false;
	}
	return at + 10 >= len || !ts_is_digit(t[at + 10]);
}

static bool small_number(const char *t, const struct ts_token *k, int max)
{
	if (k->kind != TS_NUMBER || k->end - k->start > 2)
		return false;
	int v = 0;
	for (size_t i = k->start; i < k->end; i++)
		v = v * 10 + (t[i] - '0');
	return v >= 1 && v <= max;
}

static bool year(const char *t, const struct ts_token *k)
{
	return k->kind == TS_NUMBER && k->end - k->start == 4;
}

int entities_extract(const char *t, size_t len, void (*fn)(size_t, size_t, void *), void *data)
{
	struct walker w = { .t = t, .len = len };
	int count = 0;
	bool first_token = true;
	size_t last_end = 0;
	struct ts_token *a;
	while ((a = peek(&w, 0)) != NULL) {
		bool sentence_start = first_token || gap_ends_sentence(t, last_end, a->start);
		first_token = false;
		size_t s = a->start, e = 0, used = 1;
		struct ts_token *b = peek(&w, 1);
		if (a->kind == TS_URL || a->kind == TS_CITE) {
			e = a->end;
		} else if (a->kind == TS_NUMBER) {
			if (is_iso_date(t, len, a->start)) {
				e = a->start + 10;
				used = 3; /* 2024, 03, 15 */
			} else if (b && b->kind == TS_WORD && b->start - a->end <= 1 &&
			           word_is(t, b, units)) {
				e = b->end;
				used = 2;
			} else if (b && b->kind == TS_WORD && small_number(t, a, 31) &&
			           b->start - a->end == 1 && word_is(t, b, months)) {
				/* 3 March [2024] */
				e = b->end;
				used = 2;
				struct ts_token *c = peek(&w, 2);
				if (c && year(t, c) && c->start - b->end <= 2) {
					e = c->end;
					used = 3;
				}
			} else if (a->start >= 2 && (unsigned char)t[a->start - 2] == 0xC2 &&
			           (unsigned char)t[a->start - 1] == 0xA7) {
				e = a->end; /* §4 */
				s = a->start - 2;
			} else if (a->start >= 3 && t[a->start - 1] == ' ' &&
			           (unsigned char)t[a->start - 3] == 0xC2 &&
			           (unsigned char)t[a->start - 2] == 0xA7) {
				e = a->end; /* § 4 */
				s = a->start - 3;
			} else if (a->end < len && t[a->end] == '%') {
				e = a->end + 1;
			} else if (a->start > 0 &&
			           (t[a->start - 1] == '$' ||
			            (a->start >= 2 && (unsigned char)t[a->start - 1] == 0xA3) ||
			            (a->start >= 3 && (unsigned char)t[a->start - 1] == 0xAC &&
			             (unsigned char)t[a->start - 2] == 0x82))) {
				s = a->start - 1;
				while (s > 0 && ((unsigned char)t[s] & 0xC0) == 0x80)
					s--;
				e = a->end;
				if (b && b->kind == TS_WORD && b->start - a->end == 1 &&
				    word_is(t, b, units)) {
					e = b->end;
					used = 2;
				}
			}
		} else if (a->kind == TS_WORD) {
			if (b && word_is(t, a, citers) && b->kind == TS_NUMBER &&
			    b->start - a->end <= 2 && capitalised(t, a)) {
				e = b->end;
				used = 2;
			} else if (b && capitalised(t, a) && word_is(t, a, months) &&
			           (small_number(t, b, 31) || year(t, b)) &&
			           b->start - a->end == 1) {
				/* March 3[, 2024] or June 2023 */
				e = b->end;
				used = 2;
				struct ts_token *c = peek(&w, 2);
				if (!year(t, b) && c && year(t, c) && c->start - b->end <= 2) {
					e = c->end;
					used = 3;
				}
			} else if (capitalised(t, a)) {
				/* A run of capitalised words joined by single spaces. */
				size_t k = 1, caps = 1, last_cap = 0;
				for (;;) {
					struct ts_token *x = peek(&w, k);
					struct ts_token *prev = &w.tok[k - 1];
					if (!x || !gap_is_space(t, prev->end, x->start))
						break;
					if (capitalised(t, x)) {
						caps++;
						last_cap = k;
					} else if (!(word_is(t, x, connectors) &&
					             x->kind == TS_WORD)) {
						break;
					}
					k++;
					if (k >= LOOK)
						break;
				}
				size_t first = 0;
				if (sentence_start) {
					first = 1;
					caps--;
				}
				if (caps >= 2 && last_cap >= first) {
					/* skip connectors at the start */
					while (first < last_cap && !capitalised(t, &w.tok[first]))
						first++;
					s = w.tok[first].start;
					e = w.tok[last_cap].end;
				}
				used = last_cap + 1;
			}
		}
		if (e) {
			fn(s, e, data);
			count++;
		}
		if (used > w.n)
			used = w.n;
		last_end = w.tok[used - 1].end;
		drop(&w, used);
		/* a token consumed as part of a date may extend past the span */
		if (e > last_end) {
			while (w.n && w.tok[0].start < e)
				drop(&w, 1);
			last_end = e;
		}
	}
	return count;
}

struct screen {
	const char *t;
	const char *ctx;
	size_t clen;
	struct entities_scratch *s;
	struct entities_result *r;
	size_t n_seen;
	bool indexed;
	int err;
};

static int index_context(struct screen *sc)
{
	if (ts_set_reset(&sc->s->ctx, sc->clen / 2 + 16))
		return VG_ENOMEM;
	size_t pos = 0;
	uint64_t prev = 0;
	struct ts_token k;
	while (ts_next(sc->ctx, sc->clen, &pos, &k)) {
		ts_set_add(&sc->s->ctx, k.hash);
		if (prev)
			ts_set_add(&sc->s->ctx, ts_mix(prev, k.hash));
		prev = k.hash;
	}
	sc->indexed = true;
	return 0;
}

static void append_sample(struct entities_result *r, const char *t, size_t s, size_t e)
{
	size_t o = strlen(r->sample);
	size_t room = sizeof(r->sample) - 1 - o;
	if (room < 8)
		return;
	if (o) {
		r->sample[o++] = ';';
		r->sample[o++] = ' ';
		room -= 2;
	}
	size_t n = e - s;
	if (n > 40)
		n = 40;
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++) {
		char c = t[s + i];
		r->sample[o++] = (unsigned char)c < 0x20 ? ' ' : c;
	}
	/* do not leave half a UTF-8 sequence */
	while (o > 0 && ((unsigned char)r->sample[o - 1] & 0xC0) == 0x80 && n == 40)
		o--;
	if (o > 0 && ((unsigned char)r->sample[o - 1] & 0xC0) == 0xC0)
		o--;
	r->sample[o] = '\0';
}

static void on_entity(size_t s, size_t e, void *data)
{
	struct screen *sc = data;
	if (sc->err)
		return;
	/* Normalised token hashes of the span. */
	uint64_t h[16];
	size_t n = 0, pos = s;
	struct ts_token k;
	while (n < 16 && ts_next(sc->t, e, &pos, &k))
		h[n++] = k.hash;
	if (!n)
		return;
	uint64_t id = h[0];
	for (size_t i = 1; i < n; i++)
		id = ts_mix(id, h[i]);
	for (size_t i = 0; i < sc->n_seen; i++) {
		if (sc->s->seen[i] == id)
			return;
	}
	if (sc->n_seen >= ENTITIES_MAX)
		return;
	sc->s->seen[sc->n_seen++] = id;
	sc->r->found++;
	if (!sc->indexed && index_context(sc)) {
		sc->err = VG_ENOMEM;
		return;
	}
	bool ok = true;
	if (n == 1)
		ok = ts_set_has(&sc->s->ctx, h[0]);
	for (size_t i = 1; i < n && ok; i++)
		ok = ts_set_has(&sc->s->ctx, ts_mix(h[i - 1], h[i]));
	if (!ok) {
		sc->r->unsupported++;
		append_sample(sc->r, sc->t, s, e);
	}
}

int entities_screen(const char *answer, size_t alen, const char *context, size_t clen,
                    struct entities_scratch *s, struct entities_result *r)
{
	memset(r, 0, sizeof(*r));
	struct screen sc = { .t = answer,
		             .ctx = context ? context : "",
		             .clen = context ? clen : 0,
		             .s = s,
		             .r = r };
	entities_extract(answer, alen, on_entity, &sc);
	if (sc.err) {
		memset(r, 0, sizeof(*r));
		return sc.err;
	}
	return 0;
}
