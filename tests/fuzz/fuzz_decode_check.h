/*
 * fuzz_decode_check.h: what both decode harnesses (fuzz_decode_v1.c,
 * fuzz_decode_otlp.c) check of one line, whatever its bytes: decoding in the
 * given format and in auto never crashes or reads out of bounds, the reason
 * is in range and explained, and every observation has a provider, a
 * request id and a time, with text and context readable to their last byte.
 */
#ifndef VIGIL_FUZZ_DECODE_CHECK_H
#define VIGIL_FUZZ_DECODE_CHECK_H

#include "data/decode.h"

#include <stddef.h>

static inline void fuzz_decode_check(struct decoder *d, enum decode_format fmt, const char *line,
                                     size_t size)
{
	struct decode_result r;
	for (int pass = 0; pass < 2; pass++) {
		if (decode_line(d, pass == 0 ? fmt : DECODE_AUTO, line, size, &r) != 0)
			continue;
		if ((unsigned)r.reason >= DR__COUNT)
			__builtin_trap();
		if (r.reason != DR_NONE && r.detail[0] == '\0')
			__builtin_trap();
		for (size_t i = 0; i < r.n_obs; i++) {
			const struct observation *o = &r.obs[i];
			if (!o->pid.provider[0] || !o->request_id[0] || !vg_has(o->ts_ms))
				__builtin_trap();
			if (o->text && o->text_len)
				(void)(volatile char)o->text[o->text_len - 1];
			if (o->context_text && o->context_len)
				(void)(volatile char)o->context_text[o->context_len - 1];
		}
	}
}

#endif
