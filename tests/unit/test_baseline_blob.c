/*
 * test_baseline_blob.c: a series' model as bytes (core/baseline_blob): the
 * round trip of a trained model with a pending review is exact and judges
 * the same, the size is fixed by the key, and every malformed blob is
 * refused with a message and leaves the model alone: each truncation, a
 * flipped byte, trailing bytes, another magic, a newer version, and values
 * out of range under a valid checksum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/baseline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MON  1704067200000LL
#define HOUR 3600000LL
#define WEEK (168 * HOUR)

static uint64_t rng = 77;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static struct baseline_model *trained(void)
{
	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_model *m = malloc(sizeof(*m));
	struct rollup_series key = { "anthropic", "claude-3-5-haiku", OBS_PROBE };
	baseline_model_init(m, &key);
	struct rollup *hours = malloc(168 * sizeof(*hours));
	for (int wk = 0; wk < 3; wk++) {
		for (int h = 0; h < 168; h++) {
			rollup_init(&hours[h], MON + wk * WEEK + h * HOUR, HOUR);
			struct rollup_sample smp;
			memset(&smp, 0, sizeof(smp));
			for (int i = 0; i < 200; i++) {
				smp.err = uniform() < 0.02 ? RU_RATE_LIMIT : -1;
				smp.latency_ms = smp.err < 0 ? 400 + 2000 * uniform() : NAN;
				smp.lat_bucket = lhist_index(smp.latency_ms);
				smp.ttft_ms = smp.err < 0 ? 100 + 300 * uniform() : NAN;
				smp.ttft_bucket = lhist_index(smp.ttft_ms);
				smp.tps_log = log(40 + 20 * uniform());
				smp.cost_log = log(0.002);
				smp.quality = uniform() < 0.05 ? 0 : 1;
				rollup_add(&hours[h], &smp);
			}
		}
		struct baseline_refresh_report rep;
		assert_int_equal(baseline_refresh(m, &s, hours, 168, MON + (wk + 1) * WEEK, &rep),
		                 0);
	}
	free(hours);
	m->review.pending = true;
	m->review.metric = BM_SERVER_ERROR;
	m->review.mask = (1u << BM_SERVER_ERROR) | (1u << BM_AVAILABILITY);
	m->review.delta[BM_SERVER_ERROR] = 1.7;
	m->review.z = 9.5;
	m->review.at_ms = MON + 3 * WEEK - 20 * HOUR;
	m->review.created_ms = MON + 3 * WEEK;
	m->review.near_marker = true;
	strcpy(m->review.model, "claude-3-5-haiku-20241022");
	return m;
}

static uint8_t *encode(const struct baseline_model *m, size_t *len)
{
	*len = baseline_blob_size(m);
	uint8_t *buf = malloc(*len);
	assert_int_equal(baseline_model_encode(m, buf, *len), (int)*len);
	return buf;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct baseline_model *m = trained();
	size_t len;
	uint8_t *buf = encode(m, &len);
	print_message("blob: %zu bytes per series (model in memory: %zu bytes)\n", len, sizeof(*m));
	/* The size depends on the lengths of the names only. */
	struct baseline_model *e = malloc(sizeof(*e));
	baseline_model_init(e, &m->key);
	strcpy(e->review.model, m->review.model);
	assert_int_equal(baseline_blob_size(e), len);
	/* Short buffers are refused. */
	assert_int_equal(baseline_model_encode(m, buf, len - 1), -9 /* VG_ETOOBIG */);
	assert_int_equal(baseline_model_encode(m, buf, len), (int)len);

	struct baseline_model *d = malloc(sizeof(*d));
	char *cause = NULL;
	assert_int_equal(baseline_model_decode(buf, len, d, &cause), 0);
	assert_null(cause);
	assert_memory_equal(m, d, sizeof(*m));
	/* And it judges the same. */
	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_static st = { 10000, 95, 0.1 };
	struct baseline_ctx c;
	baseline_ctx_init(&c, &s, &st, 0, 1);
	for (int mt = 0; mt < BM__COUNT; mt++)
		for (int slot = 0; slot < BL_SLOTS; slot += 17) {
			struct baseline_band a, b;
			baseline_band_of(m, &c, mt, 1, slot, MON + 3 * WEEK, &a);
			baseline_band_of(d, &c, mt, 1, slot, MON + 3 * WEEK, &b);
			assert_true(memcmp(&a.expected, &b.expected, 8) == 0 &&
			            memcmp(&a.threshold, &b.threshold, 8) == 0 &&
			            memcmp(&a.sigma, &b.sigma, 8) == 0 && a.weight == b.weight &&
			            a.warm == b.warm);
		}
	/* Encoding the decoded model gives the same bytes. */
	size_t len2;
	uint8_t *buf2 = encode(d, &len2);
	assert_int_equal(len2, len);
	assert_memory_equal(buf, buf2, len);
	free(buf2);
	free(buf);
	free(d);
	free(e);
	free(m);
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static void reseal(uint8_t *buf, size_t len)
{
	uint32_t c = crc32(buf, len - 4);
	for (int i = 0; i < 4; i++)
		buf[len - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
}

/* Decoding fails with rc and a message; the model is untouched. */
static void refused(const uint8_t *buf, size_t len, int rc, const char *what)
{
	struct baseline_model *d = malloc(sizeof(*d));
	memset(d, 0xa5, sizeof(*d));
	char *cause = NULL;
	int got = baseline_model_decode(buf, len, d, &cause);
	if (got != rc)
		fail_msg("%s: rc %d, want %d (%s)", what, got, rc, cause ? cause : "");
	assert_non_null(cause);
	for (size_t i = 0; i < sizeof(*d); i++)
		if (((uint8_t *)d)[i] != 0xa5)
			fail_msg("%s: the model was written", what);
	free(cause);
	free(d);
}

static void test_refusals(void **state)
{
	(void)state;
	struct baseline_model *m = trained();
	size_t len;
	uint8_t *buf = encode(m, &len);
	uint8_t *bad = malloc(len + 1);
	/* Every truncation. */
	for (size_t n = 0; n < len; n += (n < 64 ? 1 : 97))
		refused(buf, n, -3 /* VG_EPARSE */, "truncated");
	refused(NULL, 0, -3, "NULL");
	/* A flipped bit anywhere: the checksum. */
	for (size_t i = 0; i < len; i += 1013) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x10;
		refused(bad, len, -3, "flipped");
	}
	/* Trailing bytes. */
	memcpy(bad, buf, len);
	bad[len] = 0;
	refused(bad, len + 1, -3, "trailing");
	/* Another magic, a newer version, version 0. */
	memcpy(bad, buf, len);
	bad[0] = 'X';
	reseal(bad, len);
	refused(bad, len, -3, "magic");
	memcpy(bad, buf, len);
	bad[4] = BASELINE_BLOB_VERSION + 1;
	reseal(bad, len);
	refused(bad, len, -5 /* VG_EVERSION */, "newer");
	memcpy(bad, buf, len);
	bad[4] = 0;
	reseal(bad, len);
	refused(bad, len, -3, "version 0");
	/* Values out of range under a valid checksum: the source byte, a key
	 * length past the buffer, a NaN level. */
	memcpy(bad, buf, len);
	bad[12] = 7;
	reseal(bad, len);
	refused(bad, len, -3, "source");
	memcpy(bad, buf, len);
	bad[13] = 200;
	reseal(bad, len);
	refused(bad, len, -3, "provider length");
	/* The first stat's level follows the key, the times, the counts. */
	size_t at = 12 + 1 + 1 + strlen(m->key.provider) + 1 + strlen(m->key.alias) + 8 + 8 + 4 +
	            BC__COUNT * (8 + 2 * 168 * 4);
	double level;
	memcpy(&level, buf + at, 8);
	assert_true(level == m->stat[0].level); /* the layout is as documented */
	memcpy(bad, buf, len);
	double nan = NAN;
	memcpy(bad + at, &nan, 8);
	reseal(bad, len);
	refused(bad, len, -3, "NaN level");
	/* A message names the problem. */
	char *cause = NULL;
	struct baseline_model *d = malloc(sizeof(*d));
	baseline_model_decode(bad, len, d, &cause);
	assert_non_null(strstr(cause, "bad level"));
	free(cause);
	free(d);
	free(bad);
	free(buf);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
