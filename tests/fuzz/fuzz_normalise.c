/*
 * fuzz_normalise.c: libFuzzer harness for core/normalise. Input layout:
 *   byte 0      provider kind (mod 4)
 *   bytes 1-2   HTTP status (big endian, mod 1000; 999 means no answer)
 *   then        header lines "name: value\n" up to an empty line
 *   then        the body
 */
#include "core/normalise.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	struct norm_input in;
	struct norm_header headers[32];
	memset(&in, 0, sizeof(in));
	in.kind = (enum provider_kind)(data[0] % 4);
	int status = ((data[1] << 8) | data[2]) % 1000;
	in.status = status == 999 ? -1 : status;
	in.transport = status == 999 ? TE_RESET : TE_NONE;
	in.now_ms = 1795773600000LL;
	const char *p = (const char *)data + 3;
	const char *end = (const char *)data + size;
	while (p < end && in.nheaders < 32) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl == p) {
			p++;
			break;
		}
		const char *colon = memchr(p, ':', (size_t)(nl - p));
		if (colon) {
			struct norm_header *h = &headers[in.nheaders++];
			h->name = p;
			h->name_len = (size_t)(colon - p);
			h->value = colon + 1;
			h->value_len = (size_t)(nl - colon - 1);
		}
		p = nl < end ? nl + 1 : end;
	}
	in.headers = headers;
	in.body = p;
	in.body_len = (size_t)(end - p);
	struct norm_signals out;
	normalise_response(&in, &out);
	/* Invariants that must hold whatever the input. */
	if ((int)out.error_class < 0 || out.error_class >= EC__COUNT)
		__builtin_trap();
	if (out.error_class == EC_SPEND_CAP && out.retryable != VG_TRI_FALSE)
		__builtin_trap();
	return 0;
}
