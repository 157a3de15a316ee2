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
#include <stdlib.h>
#include <string.h>

_Static_assert(ENT_LIST_SLOTS >= 2 * ENT_LIST_MAX && (ENT_LIST_SLOTS & (ENT_LIST_SLOTS - 1)) == 0,
               "the word lists fit at half load");
_Static_assert(ENTITIES_QTAB >= 2 * ENTITIES_QUERIES && (ENTITIES_QTAB & (ENTITIES_QTAB - 1)) == 0,
               "the lookup table holds every lookup at half load");

void entities_scratch_init(struct entities_scratch *s)
{
	memset(s, 0, sizeof(*s));
	entities_lists_init(&s->lists);
}

void entities_scratch_done(struct entities_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

struct word {
	const char *w;
	size_t len;
};
#define W(s)                                                                                       \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}

#define NWORDS(list) (sizeof(list) / sizeof(list[0]))

static const struct word units[] = {
	W("mg"),        W("g"),        W("kg"),       W("t"),      W("lb"),        W("lbs"),
	W("oz"),        W("ml"),       W("l"),        W("km"),     W("m"),         W("cm"),
	W("mm"),        W("mi"),       W("ft"),       W("in"),     W("s"),         W("ms"),
	W("sec"),       W("min"),      W("h"),        W("hr"),     W("hrs"),       W("hours"),
	W("minutes"),   W("seconds"),  W("days"),     W("weeks"),  W("months"),    W("years"),
	W("percent"),   W("usd"),      W("eur"),      W("gbp"),    W("dollars"),   W("euros"),
	W("kb"),        W("mb"),       W("gb"),       W("tb"),     W("kbps"),      W("mbps"),
	W("gbps"),      W("hz"),       W("khz"),      W("mhz"),    W("ghz"),       W("w"),
	W("kw"),        W("mw"),       W("kwh"),      W("mwh"),    W("v"),         W("mv"),
	W("a"),         W("ma"),       W("c"),        W("f"),      W("k"),         W("million"),
	W("billion"),   W("trillion"), W("thousand"), W("people"), W("employees"), W("users"),
	W("customers"), W("patients"), W("votes"),    W("points"), W("calories"),  W("kcal"),
	W("mph"),       W("kph"),      W("psi"),      W("bar"),    W("atm"),       W("mol"),
	W("mmol"),      W("iu"),       W("mcg"),
};

static const struct word months[] = {
	W("january"), W("february"), W("march"),     W("april"),   W("may"),      W("june"),
	W("july"),    W("august"),   W("september"), W("october"), W("november"), W("december"),
	W("jan"),     W("feb"),      W("mar"),       W("apr"),     W("jun"),      W("jul"),
	W("aug"),     W("sep"),      W("sept"),      W("oct"),     W("nov"),      W("dec"),
};

static const struct word citers[] = {
	W("section"), W("sec"),  W("chapter"),  W("article"), W("table"),
	W("figure"),  W("fig"),  W("appendix"), W("clause"),  W("paragraph"),
	W("para"),    W("page"), W("p"),        W("pp"),      W("rule"),
};

static const struct word connectors[] = {
	W("of"), W("de"),  W("la"), W("van"), W("von"), W("der"),
	W("du"), W("del"), W("da"), W("di"),  W("le"),  W("al"),
};

void entities_lists_init(struct entities_lists *l)
{
	memset(l, 0, sizeof(*l));
	const struct word *src[ENT_LIST__COUNT] = { units, months, citers, connectors };
	size_t n[ENT_LIST__COUNT] = { NWORDS(units), NWORDS(months), NWORDS(citers),
		                      NWORDS(connectors) };
	for (int k = 0; k < ENT_LIST__COUNT; k++) {
		for (size_t i = 0; i < n[k] && l->n[k] < ENT_LIST_MAX; i++) {
			uint64_t h = ts_word_hash(src[k][i].w, src[k][i].len);
			l->h[k][l->n[k]++] = h;
			l->mask[k] |= 1ull << (h >> 58);
			size_t j = (size_t)(h ^ (h >> 29)) & (ENT_LIST_SLOTS - 1);
			while (l->slot[k][j] && l->slot[k][j] != h)
				j = (j + 1) & (ENT_LIST_SLOTS - 1);
			l->slot[k][j] = h;
		}
	}
}

/* Whether token k is a word of list `which`. */
static bool word_is(const struct entities_lists *l, const struct ts_token *k, int which)
{
	if (k->kind != TS_WORD || !((l->mask[which] >> (k->hash >> 58)) & 1))
		return false;
	const uint64_t *slot = l->slot[which];
	for (size_t j = (size_t)(k->hash ^ (k->hash >> 29)) & (ENT_LIST_SLOTS - 1); slot[j];
	     j = (j + 1) & (ENT_LIST_SLOTS - 1)) {
		if (slot[j] == k->hash)
			return true;
	}
	return false;
}

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

/* An entity: its bytes [s, e) and its tokens [ta, tb). */
typedef void (*entity_fn)(size_t s, size_t e, size_t ta, size_t tb, void *data);

static int extract(const struct entities_lists *L, const char *t, size_t len,
                   const struct ts_token *tok, size_t n, entity_fn fn, void *data)
{
	int count = 0;
	bool first_token = true;
	size_t last_end = 0;
#define PEEK(k) (i + (k) < n ? &tok[i + (k)] : NULL)
	size_t i = 0;
	while (i < n) {
		const struct ts_token *a = &tok[i];
		bool sentence_start = first_token || gap_ends_sentence(t, last_end, a->start);
		first_token = false;
		size_t s = a->start, e = 0, used = 1, first_tok = 0;
		const struct ts_token *b = PEEK(1);
		if (a->kind == TS_URL || a->kind == TS_CITE) {
			e = a->end;
		} else if (a->kind == TS_NUMBER) {
			if (is_iso_date(t, len, a->start)) {
				e = a->start + 10;
				used = 3; /* 2024, 03, 15 */
			} else if (b && b->kind == TS_WORD && b->start - a->end <= 1 &&
			           word_is(L, b, ENT_UNITS)) {
				e = b->end;
				used = 2;
			} else if (b && b->kind == TS_WORD && small_number(t, a, 31) &&
			           b->start - a->end == 1 && word_is(L, b, ENT_MONTHS)) {
				/* 3 March [2024] */
				e = b->end;
				used = 2;
				const struct ts_token *c = PEEK(2);
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
				    word_is(L, b, ENT_UNITS)) {
					e = b->end;
					used = 2;
				}
			}
		} else if (a->kind == TS_WORD) {
			if (b && b->kind == TS_NUMBER && b->start - a->end <= 2 &&
			    capitalised(t, a) && word_is(L, a, ENT_CITERS)) {
				e = b->end;
				used = 2;
			} else if (b && capitalised(t, a) && word_is(L, a, ENT_MONTHS) &&
			           (small_number(t, b, 31) || year(t, b)) &&
			           b->start - a->end == 1) {
				/* March 3[, 2024] or June 2023 */
				e = b->end;
				used = 2;
				const struct ts_token *c = PEEK(2);
				if (!year(t, b) && c && year(t, c) && c->start - b->end <= 2) {
					e = c->end;
					used = 3;
				}
			} else if (capitalised(t, a)) {
				/* A run of capitalised words joined by single spaces. */
				size_t k = 1, caps = 1, last_cap = 0;
				for (;;) {
					const struct ts_token *x = PEEK(k);
					const struct ts_token *prev = &tok[i + k - 1];
					if (!x || !gap_is_space(t, prev->end, x->start))
						break;
					if (capitalised(t, x)) {
						caps++;
						last_cap = k;
					} else if (!(word_is(L, x, ENT_CONNECTORS) &&
					             x->kind == TS_WORD)) {
						break;
					}
					k++;
				}
				size_t first = 0;
				if (sentence_start) {
					first = 1;
					caps--;
				}
				if (caps >= 2 && last_cap >= first) {
					/* skip connectors at the start */
					while (first < last_cap && !capitalised(t, &tok[i + first]))
						first++;
					s = tok[i + first].start;
					e = tok[i + last_cap].end;
					first_tok = first;
				}
				used = last_cap + 1;
			}
		}
		if (used > n - i)
			used = n - i;
		if (e) {
			fn(s, e, i + first_tok, i + used, data);
			count++;
		}
		last_end = tok[i + used - 1].end;
		i += used;
		/* a token consumed as part of a date may extend past the span */
		if (e > last_end) {
			while (i < n && tok[i].start < e)
				i++;
			last_end = e;
		}
	}
#undef PEEK
	return count;
}

struct adapter {
	void (*fn)(size_t, size_t, void *);
	void *data;
};

static void adapt(size_t s, size_t e, size_t ta, size_t tb, void *data)
{
	(void)ta;
	(void)tb;
	struct adapter *a = data;
	a->fn(s, e, a->data);
}

int entities_extract_tokens(const char *t, size_t len, const struct ts_token *tok, size_t n,
                            void (*fn)(size_t, size_t, void *), void *data)
{
	struct adapter a = { fn, data };
	struct entities_lists l;
	entities_lists_init(&l);
	return extract(&l, t, len, tok, n, adapt, &a);
}

int entities_extract(const char *t, size_t len, void (*fn)(size_t, size_t, void *), void *data)
{
	size_t cap = len / 2 + 2, n = 0, pos = 0;
	struct ts_token *tok = malloc(cap * sizeof(*tok));
	if (!tok)
		return VG_ENOMEM;
	while (n < cap && ts_next(t, len, &pos, &tok[n]))
		n++;
	int count = entities_extract_tokens(t, len, tok, n, fn, data);
	free(tok);
	return count;
}

struct screen {
	const char *t;
	const struct ts_token *tok;
	struct entities_scratch *s;
	struct entities_result *r;
	size_t n_seen, n_ent, n_q;
};

static void append_sample(struct entities_result *r, const char *t, size_t s, size_t e);

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

/* An entity of the answer: counted once, its lookups kept for the scan. */
static void on_entity(size_t s, size_t e, size_t ta, size_t tb, void *data)
{
	struct screen *sc = data;
	/* Normalised token hashes of the entity. */
	uint64_t h[16];
	size_t n = 0;
	for (size_t i = ta; i < tb && n < 16; i++)
		h[n++] = sc->tok[i].hash;
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
	struct entities_scratch *x = sc->s;
	size_t k = sc->n_ent++;
	x->ent[k].s = s;
	x->ent[k].e = e;
	x->ent[k].q = sc->n_q;
	if (n == 1)
		x->q[sc->n_q++] = h[0];
	for (size_t i = 1; i < n; i++)
		x->q[sc->n_q++] = ts_mix(h[i - 1], h[i]);
	x->ent[k].nq = sc->n_q - x->ent[k].q;
}

static size_t slot_of(uint64_t h, size_t mask)
{
	return (size_t)(h ^ (h >> 29)) & mask;
}

/* Where h is in the table, or a free slot. */
static size_t probe(const uint64_t *tab, size_t mask, uint64_t h)
{
	size_t i = slot_of(h, mask);
	while (tab[i] && tab[i] != h)
		i = (i + 1) & mask;
	return i;
}

/*
 * The context holds every pair of adjacent tokens and every single token
 * that is not a word (a multi-word name is checked by its pairs; a URL, a
 * citation or a number may be an entity on its own): one pass over it marks
 * which of the lookups it holds, and stops once all are found.
 */
static void scan_context(struct entities_scratch *x, size_t nq, const char *ctx, size_t clen)
{
	size_t cap = 64;
	while (cap < nq * 2)
		cap *= 2;
	size_t mask = cap - 1, distinct = 0, hits = 0;
	memset(x->qtab, 0, cap * sizeof(x->qtab[0]));
	memset(x->qhit, 0, cap);
	memset(x->qbits, 0, sizeof(x->qbits));
	for (size_t i = 0; i < nq; i++) {
		size_t j = probe(x->qtab, mask, x->q[i]);
		if (!x->qtab[j]) {
			x->qtab[j] = x->q[i];
			distinct++;
		}
		x->qbits[x->q[i] >> 58] |= 1ull << ((x->q[i] >> 52) & 63);
	}
	size_t pos = 0;
	uint64_t prev = 0;
	for (;;) {
		size_t n = ts_tokenize(ctx, clen, &pos, x->tok, sizeof(x->tok) / sizeof(x->tok[0]));
		for (size_t i = 0; i < n; i++) {
			uint64_t h = x->tok[i].hash;
			uint64_t look[2];
			int nl = 0;
			if (x->tok[i].kind != TS_WORD)
				look[nl++] = h;
			if (prev)
				look[nl++] = ts_mix(prev, h);
			prev = h;
			for (int l = 0; l < nl; l++) {
				if (!((x->qbits[look[l] >> 58] >> ((look[l] >> 52) & 63)) & 1))
					continue; /* most context tokens: no lookup */
				size_t j = probe(x->qtab, mask, look[l]);
				if (x->qtab[j] && !x->qhit[j]) {
					x->qhit[j] = 1;
					if (++hits == distinct)
						return;
				}
			}
		}
		if (n < sizeof(x->tok) / sizeof(x->tok[0]))
			return;
	}
}

int entities_screen_tokens(const char *answer, size_t alen, const struct ts_token *tok, size_t n,
                           const char *context, size_t clen, struct entities_scratch *s,
                           struct entities_result *r)
{
	memset(r, 0, sizeof(*r));
	struct screen sc = { .t = answer, .tok = tok, .s = s, .r = r };
	extract(&s->lists, answer, alen, tok, n, on_entity, &sc);
	if (!sc.n_ent)
		return 0;
	scan_context(s, sc.n_q, context ? context : "", context ? clen : 0);
	size_t cap = 64;
	while (cap < sc.n_q * 2)
		cap *= 2;
	for (size_t k = 0; k < sc.n_ent; k++) {
		bool ok = true;
		for (size_t i = 0; i < s->ent[k].nq && ok; i++)
			ok = s->qhit[probe(s->qtab, cap - 1, s->q[s->ent[k].q + i])];
		if (!ok) {
			r->unsupported++;
			append_sample(r, answer, s->ent[k].s, s->ent[k].e);
		}
	}
	return 0;
}

int entities_screen(const char *answer, size_t alen, const char *context, size_t clen,
                    struct entities_scratch *s, struct entities_result *r)
{
	size_t cap = alen / 2 + 2, n = 0, pos = 0;
	struct ts_token *tok = malloc(cap * sizeof(*tok));
	if (!tok) {
		memset(r, 0, sizeof(*r));
		return VG_ENOMEM;
	}
	while (n < cap && ts_next(answer, alen, &pos, &tok[n]))
		n++;
	int rc = entities_screen_tokens(answer, alen, tok, n, context, clen, s, r);
	free(tok);
	return rc;
}
