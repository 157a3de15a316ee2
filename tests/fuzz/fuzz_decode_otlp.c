/*
 * fuzz_decode_otlp.c: libFuzzer harness for data/decode (OTLP/JSON spans, the jansson path).
 * The input is one line. Whatever it is, decoding must not crash or read out
 * of bounds, and what comes out must be consistent: a reason in range, and
 * every observation with a provider, a request id and a time.
 */
#include "data/decode.h"
#include "tests/fuzz/fuzz_decode_check.h"

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
	fuzz_decode_check(d, DECODE_OTLP, line, size);
	free(line);
	decoder_free(d);
	return 0;
}
