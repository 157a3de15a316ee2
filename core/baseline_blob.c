/*
 * baseline_blob.c: a series' model as bytes, for the store (see baseline.h).
 *
 * Layout, little-endian, version 1:
 *   "VGBL" u16 version u16 0 u32 body length
 *   body: u8 source, u8 len + provider, u8 len + alias,
 *         i64 learned_ms, i64 decayed_ms, i32 refreshes,
 *         counts[6]: f64 total, f32 w[168], f32 n[168]
 *         stats[8]:  f64 level, f64 trend, f64 pooled, u8 started,
 *                    f32 season[168], f32 var[168], f32 vw[168]
 *         rates[7]:  f64 total, f64 pooled, f64 pw, f32 k[168], f32 var[168],
 *                    f32 vw[168]
 *         review:    u8 pending, i8 metric, u32 mask, f64 delta[11], f64 z,
 *                    i64 at_ms, i64 created_ms, u8 near_marker, u8 len + model
 *   u32 CRC-32 (IEEE) of everything before it.
 * The decoder reads into a scratch model and checks every value (finite,
 * in range, strings without NULs) before it writes *m, so a fuzzer finds
 * either a clean refusal or a model the rest of core can use.
 */
#include "core/baseline.h"

#include "core/vgerr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 12

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

struct wr {
	uint8_t *p;
	size_t n, cap; /* cap 0: only count */
};

static void put(struct wr *w, const void *src, size_t len)
{
	if (w->cap && w->n + len <= w->cap)
		memcpy(w->p + w->n, src, len);
	w->n += len;
}

static void put_u8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(w, b, 4);
}

static void put_u64(struct wr *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

static void put_f64(struct wr *w, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	put_u64(w, v);
}

static void put_f32s(struct wr *w, const float *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		memcpy(&v, &f[i], 4);
		put_u32(w, v);
	}
}

static void put_str(struct wr *w, const char *s)
{
	size_t len = strlen(s);
	put_u8(w, (uint8_t)len);
	put(w, s, len);
}

static void write_model(struct wr *w, const struct baseline_model *m)
{
	put(w, "VGBL", 4);
	put_u32(w, BASELINE_BLOB_VERSION); /* u16 version, u16 0 */
	size_t len_at = w->n;
	put_u32(w, 0); /* body length, patched below */
	size_t body = w->n;
	put_u8(w, (uint8_t)m->key.source);
	put_str(w, m->key.provider);
	put_str(w, m->key.alias);
	put_u64(w, (uint64_t)m->learned_ms);
	put_u64(w, (uint64_t)m->decayed_ms);
	put_u32(w, (uint32_t)m->refreshes);
	for (int c = 0; c < BC__COUNT; c++) {
		put_f64(w, m->cnt[c].total);
		put_f32s(w, m->cnt[c].w, BL_SLOTS);
		put_f32s(w, m->cnt[c].n, BL_SLOTS);
	}
	for (int i = 0; i < BL_STATS; i++) {
		const struct bl_stat *st = &m->stat[i];
		put_f64(w, st->level);
		put_f64(w, st->trend);
		put_f64(w, st->pooled);
		put_u8(w, st->started ? 1 : 0);
		put_f32s(w, st->season, BL_SLOTS);
		put_f32s(w, st->var, BL_SLOTS);
		put_f32s(w, st->vw, BL_SLOTS);
	}
	for (int r = 0; r < BL_RATES; r++) {
		const struct bl_rate *rt = &m->rate[r];
		put_f64(w, rt->total);
		put_f64(w, rt->pooled);
		put_f64(w, rt->pw);
		put_f32s(w, rt->k, BL_SLOTS);
		put_f32s(w, rt->var, BL_SLOTS);
		put_f32s(w, rt->vw, BL_SLOTS);
	}
	const struct baseline_review *rv = &m->review;
	put_u8(w, rv->pending ? 1 : 0);
	put_u8(w, (uint8_t)(int8_t)rv->metric);
	put_u32(w, rv->mask);
	for (int i = 0; i < BM__COUNT; i++)
		put_f64(w, rv->delta[i]);
	put_f64(w, rv->z);
	put_u64(w, (uint64_t)rv->at_ms);
	put_u64(w, (uint64_t)rv->created_ms);
	put_u8(w, rv->near_marker ? 1 : 0);
	put_str(w, rv->model);
	size_t blen = w->n - body;
	if (w->cap && len_at + 4 <= w->cap) {
		struct wr patch = { w->p + len_at, 0, 4 };
		put_u32(&patch, (uint32_t)blen);
	}
	if (w->cap && w->n <= w->cap) {
		uint32_t crc = crc32(w->p, w->n);
		put_u32(w, crc);
	} else {
		put_u32(w, 0);
	}
}

size_t baseline_blob_size(const struct baseline_model *m)
{
	struct wr w = { NULL, 0, 0 };
	write_model(&w, m);
	return w.n;
}

int baseline_model_encode(const struct baseline_model *m, uint8_t *buf, size_t size)
{
	size_t need = baseline_blob_size(m);
	if (need > size || need > 0x7fffffff)
		return VG_ETOOBIG;
	struct wr w = { buf, 0, size };
	write_model(&w, m);
	return (int)w.n;
}

/* ---- decoding ----------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, at;
	const char *err; /* the first problem, static */
};

static bool get(struct rd *r, void *dst, size_t len)
{
	if (r->err)
		return false;
	if (r->n - r->at < len) {
		r->err = "truncated";
		return false;
	}
	memcpy(dst, r->p + r->at, len);
	r->at += len;
	return true;
}

static uint8_t get_u8(struct rd *r)
{
	uint8_t v = 0;
	get(r, &v, 1);
	return v;
}

static uint32_t get_u32(struct rd *r)
{
	uint8_t b[4] = { 0 };
	get(r, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(struct rd *r)
{
	uint64_t lo = get_u32(r);
	return lo | (uint64_t)get_u32(r) << 32;
}

static void bad(struct rd *r, const char *what)
{
	if (!r->err)
		r->err = what;
}

static double get_f64(struct rd *r, double lo, double hi, bool nan_ok, const char *what)
{
	uint64_t v = get_u64(r);
	double d;
	memcpy(&d, &v, 8);
	if (isnan(d) ? !nan_ok : !(d >= lo && d <= hi))
		bad(r, what);
	return d;
}

static void get_f32s(struct rd *r, float *f, size_t n, double lo, double hi, const char *what)
{
	for (size_t i = 0; i < n && !r->err; i++) {
		uint32_t v = get_u32(r);
		memcpy(&f[i], &v, 4);
		if (!(f[i] >= lo && f[i] <= hi))
			bad(r, what);
	}
}

static void get_str(struct rd *r, char *dst, size_t size, const char *what)
{
	size_t len = get_u8(r);
	if (r->err)
		return;
	if (len >= size) {
		bad(r, what);
		return;
	}
	if (get(r, dst, len)) {
		dst[len] = '\0';
		if (memchr(dst, '\0', len))
			bad(r, what);
	}
}

#define BIG 1e15 /* counts and weights */
#define LN  50.0 /* ln values */

static int decode(struct rd *r, struct baseline_model *m)
{
	char magic[4] = { 0 };
	get(r, magic, 4);
	if (!r->err && memcmp(magic, "VGBL", 4) != 0)
		bad(r, "not a baseline blob (magic)");
	uint32_t ver = get_u32(r);
	if (r->err)
		return VG_EPARSE;
	if ((ver & 0xffff) > BASELINE_BLOB_VERSION)
		return VG_EVERSION;
	if ((ver & 0xffff) == 0 || ver >> 16)
		bad(r, "bad version");
	uint32_t blen = get_u32(r);
	if (!r->err && (size_t)blen + HEADER + 4 != r->n)
		bad(r, "length does not match");
	if (!r->err && crc32(r->p, r->n - 4) !=
	                       ((uint32_t)r->p[r->n - 4] | (uint32_t)r->p[r->n - 3] << 8 |
	                        (uint32_t)r->p[r->n - 2] << 16 | (uint32_t)r->p[r->n - 1] << 24))
		bad(r, "checksum mismatch");
	uint8_t src = get_u8(r);
	if (src > OBS_PROBE)
		bad(r, "bad source");
	m->key.source = src == OBS_PROBE ? OBS_PROBE : OBS_GATEWAY;
	get_str(r, m->key.provider, sizeof(m->key.provider), "bad provider");
	get_str(r, m->key.alias, sizeof(m->key.alias), "bad alias");
	m->learned_ms = (int64_t)get_u64(r);
	m->decayed_ms = (int64_t)get_u64(r);
	m->refreshes = (int32_t)get_u32(r);
	if (m->refreshes < 0)
		bad(r, "bad refresh count");
	for (int c = 0; c < BC__COUNT; c++) {
		m->cnt[c].total = get_f64(r, 0, BIG, false, "bad count");
		get_f32s(r, m->cnt[c].w, BL_SLOTS, 0, BIG, "bad slot weeks");
		get_f32s(r, m->cnt[c].n, BL_SLOTS, 0, BIG, "bad slot samples");
	}
	for (int i = 0; i < BL_STATS; i++) {
		struct bl_stat *st = &m->stat[i];
		st->level = get_f64(r, -LN, LN, false, "bad level");
		st->trend = get_f64(r, -LN, LN, false, "bad trend");
		st->pooled = get_f64(r, -LN, LN, true, "bad pooled variance");
		uint8_t started = get_u8(r);
		if (started > 1)
			bad(r, "bad started flag");
		st->started = started;
		get_f32s(r, st->season, BL_SLOTS, -LN, LN, "bad season");
		get_f32s(r, st->var, BL_SLOTS, -LN, LN, "bad variance");
		get_f32s(r, st->vw, BL_SLOTS, 0, BIG, "bad variance weight");
	}
	for (int k = 0; k < BL_RATES; k++) {
		struct bl_rate *rt = &m->rate[k];
		rt->total = get_f64(r, 0, BIG, false, "bad failure count");
		rt->pooled = get_f64(r, -LN, LN, true, "bad pooled variance");
		rt->pw = get_f64(r, 0, BIG, false, "bad pooled weight");
		get_f32s(r, rt->k, BL_SLOTS, 0, BIG, "bad slot failures");
		get_f32s(r, rt->var, BL_SLOTS, -LN, LN, "bad variance");
		get_f32s(r, rt->vw, BL_SLOTS, 0, BIG, "bad variance weight");
	}
	struct baseline_review *rv = &m->review;
	uint8_t pending = get_u8(r);
	int8_t metric = (int8_t)get_u8(r);
	if (pending > 1 || metric < -1 || metric >= BM__COUNT || (pending && metric < 0))
		bad(r, "bad review");
	rv->pending = pending;
	rv->metric = metric;
	rv->mask = get_u32(r);
	if (rv->mask >> BM__COUNT)
		bad(r, "bad review mask");
	for (int i = 0; i < BM__COUNT; i++)
		rv->delta[i] = get_f64(r, -LN, LN, false, "bad review step");
	rv->z = get_f64(r, -1e9, 1e9, false, "bad review significance");
	rv->at_ms = (int64_t)get_u64(r);
	rv->created_ms = (int64_t)get_u64(r);
	uint8_t near = get_u8(r);
	if (near > 1)
		bad(r, "bad marker flag");
	rv->near_marker = near;
	get_str(r, rv->model, sizeof(rv->model), "bad review model");
	if (!r->err && r->at + 4 != r->n)
		bad(r, "trailing bytes");
	return r->err ? VG_EPARSE : 0;
}

int baseline_model_decode(const uint8_t *buf, size_t len, struct baseline_model *m, char **cause)
{
	if (cause)
		*cause = NULL;
	struct rd r = { buf, len, 0, NULL };
	if (!buf || len < HEADER + 4)
		return vg_cause(cause, VG_EPARSE, "baseline blob: %zu bytes, too short", len);
	struct baseline_model *tmp = calloc(1, sizeof(*tmp));
	if (!tmp)
		return VG_ENOMEM;
	baseline_model_init(tmp, NULL);
	int rc = decode(&r, tmp);
	if (rc == 0)
		memcpy(m, tmp, sizeof(*m));
	else if (rc == VG_EVERSION)
		vg_cause(cause, rc, "baseline blob: version newer than %d", BASELINE_BLOB_VERSION);
	else
		vg_cause(cause, rc, "baseline blob: %s (at byte %zu)", r.err, r.at);
	free(tmp);
	return rc;
}
