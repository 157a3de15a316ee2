/*
 * fuzz_decode_v1.c: libFuzzer harness for data/decode (events-v1, the jtok fast path).
 * The input is one line. Whatever it is, decoding must not crash or read out
 * of bounds, and what comes out must be consistent: a reason in range, and
 * every observation with a provider, a request id and a time. And the fast
 * tokenizer must agree with jansson on what is JSON (a differential check),
 * except where jansson refuses numbers too big for it or lone surrogate
 * escapes, or it refuses nesting deeper than its own limit (ours has none).
 */
#include "data/decode.h"
#include "tests/fuzz/fuzz_decode_check.h"

#include <jansson.h>

#include <stdbool.h>
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
	fuzz_decode_check(d, DECODE_VIGIL, line, size);
	struct decode_result r;
	/* differential: is it JSON? */
	/* (jansson stops reading at a NUL byte: no verdict of its own there) */
	if (decode_line(d, DECODE_VIGIL, line, size, &r) == 0 && decode_utf8_valid(line, size) &&
	    size <= DECODE_MAX_LINE && !memchr(line, 0, size)) {
		bool blank = true;
		for (size_t i = 0; i < size && blank; i++)
			blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r' ||
			        line[i] == '\n';
		json_error_t jerr;
		json_t *j = json_loadb(line, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		bool ours = r.reason != DR_NOT_JSON;
		bool theirs = j != NULL;
		json_decref(j);
		if (!blank && ours != theirs) {
			/* jansson refuses huge numbers and lone surrogates (\ud83d), which
			 * JSON's grammar allows and vigil decodes (as U+FFFD) */
			bool excused =
			        (!theirs &&
			         (strstr(jerr.text, "too big") || strstr(jerr.text, "overflow") ||
			          strstr(jerr.text, "nicode") || strstr(jerr.text, "depth")));
			if (!excused)
				__builtin_trap();
		}
	}
	free(line);
	decoder_free(d);
	return 0;
}
