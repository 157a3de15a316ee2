/*
 * rollup_codec.c: rollups as compact bytes (see rollup_codec.h).
 */
#include "core/rollup_codec.h"

#include "core/vgerr.h"

#include <math.h>
#include <string.h>

#define N_SCALARS 19

struct wr {
	uint8_t *p;
	size_t n, cap;
	bool over;
};

static void put_u8(struct wr *w, uint8_t v)
{
	if (w->n >= w->cap) {
		w->over = true;
		return;
	}
	w->p[w->n++] = v;
}

static void put_varint(struct wr *w, uint64_t v)
{
	while (v >= 0x80) {
		put_u8(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	put_u8(w, (uint8_t)v);
}

static void put_f64(struct wr *w, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	for (int i = 0; i < 8; i++)
		put_u8(w, (uint8_t)(v >> (8 * i)));
}

/* A whole number that a varint holds exactly. */
static bool whole(double x)
{
	return x >= 0 && !signbit(x) && x < 9007199254740992.0 && x == floor(x);
}

/* The scalars, in struct order, read or written through one table. */
static double *scalar(struct rollup *r, int i)
{
	switch (i) {
	case 0: return &r->requests;
	case 1: return &r->successes;
	case 8: return &r->prompt_tokens;
	case 9: return &r->completion_tokens;
	case 10: return &r->cost_usd;
	case 11: return &r->tps_n;
	case 12: return &r->tps_log;
	case 13: return &r->tps_log2;
	case 14: return &r->cost_n;
	case 15: return &r->cost_log;
	case 16: return &r->cost_log2;
	case 17: return &r->quality_pass;
	case 18: return &r->quality_fail;
	default: return &r->errors[i - 2]; /* 2..7 */
	}
}

static void put_hist(struct wr *w, const struct lhist *h)
{
	size_t n = 0;
	bool raw = false;
	for (size_t i = 0; i < LHIST_BUCKETS; i++) {
		if (h->b[i] != 0) {
			n++;
			if (!whole(h->b[i]))
				raw = true;
		}
	}
	put_varint(w, n);
	put_u8(w, raw ? 1 : 0);
	size_t last = 0;
	for (size_t i = 0; i < LHIST_BUCKETS; i++) {
		if (h->b[i] == 0)
			continue;
		put_varint(w, i - last);
		last = i;
		if (raw)
			put_f64(w, h->b[i]);
		else
			put_varint(w, (uint64_t)h->b[i]);
	}
}

int rollup_encode(const struct rollup *r, uint8_t *buf, size_t size)
{
	struct wr w = { buf, 0, size, false };
	put_u8(&w, ROLLUP_CODEC_VERSION);
	uint64_t zz = ((uint64_t)r->start_ms << 1) ^ (uint64_t)(r->start_ms >> 63);
	put_varint(&w, zz);
	put_varint(&w, r->span_ms > 0 ? (uint64_t)r->span_ms : 0);
	put_varint(&w, r->flags);
	size_t ml = strnlen(r->model, sizeof(r->model));
	put_u8(&w, (uint8_t)ml);
	for (size_t i = 0; i < ml; i++)
		put_u8(&w, (uint8_t)r->model[i]);
	struct rollup *rr = (struct rollup *)r; /* scalar() reads only here */
	uint8_t tags[5] = { 0 };
	for (int i = 0; i < N_SCALARS; i++) {
		double x = *scalar(rr, i);
		int t = x == 0 && !signbit(x) ? 0 : whole(x) ? 1 : 2;
		tags[i / 4] |= (uint8_t)(t << (2 * (i % 4)));
	}
	for (int i = 0; i < 5; i++)
		put_u8(&w, tags[i]);
	for (int i = 0; i < N_SCALARS; i++) {
		int t = (tags[i / 4] >> (2 * (i % 4))) & 3;
		double x = *scalar(rr, i);
		if (t == 1)
			put_varint(&w, (uint64_t)x);
		else if (t == 2)
			put_f64(&w, x);
	}
	put_hist(&w, &r->latency);
	put_hist(&w, &r->ttft);
	return w.over ? VG_ETOOBIG : (int)w.n;
}

/* ---- decoding ------------------------------------------------------------ */

struct rd {
	const uint8_t *p;
	size_t n, at;
	bool bad;
};

static uint8_t get_u8(struct rd *r)
{
	if (r->at >= r->n) {
		r->bad = true;
		return 0;
	}
	return r->p[r->at++];
}

static uint64_t get_varint(struct rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b = get_u8(r);
		if (r->bad)
			return 0;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static double get_f64(struct rd *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)get_u8(r) << (8 * i);
	double d;
	memcpy(&d, &v, 8);
	if (!isfinite(d))
		r->bad = true;
	return d;
}

static void get_hist(struct rd *r, struct lhist *h)
{
	uint64_t n = get_varint(r);
	uint8_t raw = get_u8(r);
	if (r->bad || n > LHIST_BUCKETS || raw > 1) {
		r->bad = true;
		return;
	}
	uint64_t idx = 0;
	double total = 0;
	for (uint64_t k = 0; k < n && !r->bad; k++) {
		uint64_t d = get_varint(r);
		if (r->bad || (k > 0 && d == 0) || d >= LHIST_BUCKETS || idx + d >= LHIST_BUCKETS) {
			r->bad = true;
			return;
		}
		idx += d;
		double x = raw ? get_f64(r) : (double)get_varint(r);
		if (!(x >= 0) || x == 0) {
			r->bad = true;
			return;
		}
		h->b[idx] = x;
		total += x;
	}
	h->total = total;
}

static int bad(struct rollup *out)
{
	rollup_init(out, 0, 0);
	return VG_EPARSE;
}

int rollup_decode(const uint8_t *buf, size_t len, struct rollup *out)
{
	/* A rollup is big: decode in place (no scratch copy), cleared on failure. */
	struct rd r = { buf, len, 0, false };
	uint8_t version = get_u8(&r);
	if (r.bad)
		return bad(out);
	if (version > ROLLUP_CODEC_VERSION)
		return VG_EVERSION;
	if (version != ROLLUP_CODEC_VERSION)
		return bad(out);
	uint64_t zz = get_varint(&r);
	int64_t start = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
	uint64_t span = get_varint(&r);
	uint64_t flags = get_varint(&r);
	uint8_t ml = get_u8(&r);
	if (r.bad || span > (uint64_t)INT64_MAX || flags > UINT32_MAX || ml >= VG_MODEL_MAX ||
	    r.at + ml > r.n)
		return bad(out);
	for (size_t i = 0; i < ml; i++)
		if (buf[r.at + i] == 0)
			return bad(out);
	const uint8_t *model = buf + r.at;
	r.at += ml;
	uint8_t tags[5];
	for (int i = 0; i < 5; i++)
		tags[i] = get_u8(&r);
	if (r.bad || (tags[4] >> 6) != 0)
		return bad(out);
	rollup_init(out, start, (int64_t)span);
	out->flags = (uint32_t)flags;
	memcpy(out->model, model, ml);
	for (int i = 0; i < N_SCALARS && !r.bad; i++) {
		int t = (tags[i / 4] >> (2 * (i % 4))) & 3;
		double x = 0;
		if (t == 1) {
			uint64_t v = get_varint(&r);
			if (v >= (1ULL << 53))
				r.bad = true;
			x = (double)v;
		} else if (t == 2) {
			x = get_f64(&r);
		} else if (t == 3) {
			r.bad = true;
		}
		*scalar(out, i) = x;
	}
	if (!r.bad)
		get_hist(&r, &out->latency);
	if (!r.bad)
		get_hist(&r, &out->ttft);
	if (r.bad || r.at != r.n)
		return bad(out);
	return 0;
}

int rollup_encoded_start(const uint8_t *buf, size_t len, int64_t *start_ms)
{
	struct rd r = { buf, len, 0, false };
	if (get_u8(&r) != ROLLUP_CODEC_VERSION)
		return VG_EPARSE;
	uint64_t zz = get_varint(&r);
	if (r.bad)
		return VG_EPARSE;
	*start_ms = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
	return 0;
}
