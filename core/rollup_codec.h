/*
 * rollup_codec.h: a rollup (core/rollup) as compact bytes, for the week of
 * hourly rollups a pipeline keeps until its refresh (core/pipeline_baseline)
 * and for the minute and hour rollup tables of the store (data/).
 *
 * A struct rollup is about 15 KB in memory, almost all of it two
 * histograms of 940 buckets, most of them empty. Encoded, a rollup takes
 * what its counts need: each scalar as nothing (zero), a varint (a whole
 * number, which every count of a minute or an hour is) or a raw double,
 * and each histogram as its non-empty buckets (delta-coded index, varint
 * or raw weight). An hour of a busy series comes to one or two KB.
 *
 * Layout, version 1 (little-endian where fixed):
 *   u8 1 (version), varint zigzag start_ms, varint span_ms, varint flags,
 *   u8 len + model,
 *   2 bits per scalar in 5 bytes (19 scalars, in struct order: requests,
 *   successes, errors[6], prompt_tokens, completion_tokens, cost_usd,
 *   tps_n, tps_log, tps_log2, cost_n, cost_log, cost_log2, quality_pass,
 *   quality_fail): 0 zero, 1 varint, 2 f64; then the values;
 *   per histogram (latency, ttft): varint buckets, u8 0 (varint weights) or
 *   1 (f64 weights), then per bucket varint index delta and its weight.
 * The decoder checks everything (lengths, indices, finite values) and
 * leaves an empty rollup on failure. Pure, no allocation.
 */
#ifndef VIGIL_CORE_ROLLUP_CODEC_H
#define VIGIL_CORE_ROLLUP_CODEC_H

#include "core/rollup.h"

#include <stddef.h>
#include <stdint.h>

#define ROLLUP_CODEC_VERSION 1

/* The most bytes rollup_encode() can write (every bucket non-empty and
 * raw): a bound for buffers, far above what real rollups take. */
#define ROLLUP_ENCODED_MAX (64 + VG_MODEL_MAX + 19 * 10 + 2 * (16 + LHIST_BUCKETS * 12))

/* Encode r into buf[0..size). Returns the bytes written, or VG_ETOOBIG when
 * size is short (size ROLLUP_ENCODED_MAX always suffices). */
int rollup_encode(const struct rollup *r, uint8_t *buf, size_t size);

/* Decode buf[0..len) into *r. Returns 0, VG_EVERSION for a newer version
 * (*r untouched), or VG_EPARSE for anything malformed (*r is then an empty
 * rollup: it is decoded in place, a scratch copy would be 15 KB). */
int rollup_decode(const uint8_t *buf, size_t len, struct rollup *r);

/* The start_ms of an encoded rollup without decoding the rest; VG_EPARSE
 * when unreadable. */
int rollup_encoded_start(const uint8_t *buf, size_t len, int64_t *start_ms);

#endif
