/*
 * fuzz_baseline.c: libFuzzer harness for the baseline blob decoder
 * (core/baseline_blob). The input is a blob; it is decoded as it is, and
 * again with its checksum recomputed (so mutations reach the value checks
 * behind the CRC). A refusal must come with a message and leave nothing
 * allocated; a blob that decodes must encode back to the same bytes, and
 * the model must be usable by the rest of core: every metric's band at a
 * few slots, a live series judging requests against it, an hour learned
 * and a refresh over it.
 */
#include "core/baseline.h"
#include "core/vgerr.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1704067200000LL /* Monday 00:00 UTC */

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

static void one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	if (size >= 16) {
		uint8_t *copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		uint32_t c = crc32(copy, size - 4);
		for (int i = 0; i < 4; i++)
			copy[size - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
		one(copy, size);
		free(copy);
	}
	return 0;
}

static void one(const uint8_t *data, size_t size)
{
	struct baseline_model *m = malloc(sizeof(*m));
	if (!m)
		return;
	char *cause = NULL;
	int rc = baseline_model_decode(data, size, m, &cause);
	if (rc != 0) {
		if (!cause && rc != VG_ENOMEM)
			__builtin_trap();
		free(cause);
		free(m);
		return;
	}
	if (cause)
		__builtin_trap();
	/* The bytes it came from, exactly. */
	size_t n = baseline_blob_size(m);
	uint8_t *buf = malloc(n);
	if (n != size || !buf || baseline_model_encode(m, buf, n) != (int)n ||
	    memcmp(buf, data, n) != 0)
		__builtin_trap();
	free(buf);

	struct baseline_settings s;
	baseline_defaults(&s);
	struct baseline_static st = { 10000, 95, 0.1 };
	struct baseline_ctx c;
	baseline_ctx_init(&c, &s, &st, 3, 1);
	for (int mt = 0; mt < BM__COUNT; mt++)
		for (int slot = -1; slot < BL_SLOTS; slot += 41) {
			struct baseline_band b;
			baseline_band_of(m, &c, (enum baseline_metric)mt, 2, slot, T0, &b);
		}
	struct baseline_series *bs = baseline_series_new(&m->key);
	if (bs) {
		memcpy(baseline_series_model(bs), m, sizeof(*m));
		struct rollup_sample smp;
		memset(&smp, 0, sizeof(smp));
		smp.quality = smp.tps_log = smp.cost_log = NAN;
		struct baseline_out out;
		for (int i = 0; i < 300; i++) {
			smp.err = i % 7 == 0 ? RU_SERVER : -1;
			smp.latency_ms = smp.ttft_ms = 50.0 + 37.0 * (i % 50);
			smp.lat_bucket = smp.ttft_bucket = lhist_index(smp.latency_ms);
			smp.tps_log = log(10.0 + i % 13);
			smp.quality = i % 5 ? 1 : 0;
			baseline_series_feed(bs, &c, &smp, false, T0 + 2000LL * i, &out);
		}
		struct rollup *hour = malloc(sizeof(*hour));
		if (hour) {
			rollup_init(hour, T0, 3600000LL);
			for (int i = 0; i < 50; i++)
				rollup_add(hour, &smp);
			struct baseline_refresh_report rep;
			baseline_refresh(baseline_series_model(bs), &s, hour, 1, T0 + 3600000LL,
			                 &rep);
			baseline_review_accept(baseline_series_model(bs));
			free(hour);
		}
		baseline_series_free(bs);
	}
	free(m);
}
