/*
 * fuzz_decode_otlp.c: libFuzzer harness for data/decode (OTLP/JSON spans, the jansson path).
 * The input is one line. Whatever it is, decoding must not crash or read out
 * of bounds, and what comes out must be consistent: a reason in range, and
 * every observation with a provider, a request id and a time.
 */
#include "data/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder *d = decoder_new();
	if (!d)
		return 0;
	/* a private copy, so reads past the end are caught */
	char *line = malloc(size ? size : 1);
	if (!line) {
		decoder_free(d);
		return 0;
	}
	memcpy(line, data, size);
	struct decode_result r;
	for (int pass = 0; pass < 2; pass++) {
		enum decode_format fmt = pass == 0 ? DECODE_OTLP : DECODE_AUTO;
		if (decode_line(d, fmt, line, size, &r) != 0)
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
	free(line);
	decoder_free(d);
	return 0;
}
