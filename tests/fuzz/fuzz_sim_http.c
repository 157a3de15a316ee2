/*
 * fuzz_sim_http.c: libFuzzer harness for the simulator server's request
 * parser (sim/sim_http.c). Whatever arrives on the socket, parsing must not
 * crash or read out of bounds, must never claim more bytes than it was
 * given, and must give the same answer for the same bytes; a complete
 * request's body lies inside the input (or the decoded chunked body).
 */
#include "sim/sim_http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct sim_http_req r;
	sim_http_req_init(&r);
	size_t off = 0;
	for (int i = 0; i < 8 && off < size; i++) {
		int rc = sim_http_parse(&r, buf + off, size - off, 4096);
		int again = sim_http_parse(&r, buf + off, size - off, 4096);
		if (rc != again)
			__builtin_trap();
		if (rc <= 0)
			break;
		if ((size_t)rc > size - off || !r.head_done)
			__builtin_trap();
		if (r.body_len) {
			const char *b = r.body;
			bool inside = b >= buf + off && b + r.body_len <= buf + off + (size_t)rc;
			bool decoded = r.chunked && b == r.decoded.p && r.body_len == r.decoded.len;
			if (!inside && !decoded)
				__builtin_trap();
		}
		for (int h = 0; h < r.n_headers; h++)
			if (r.headers[h].name_len == 0)
				__builtin_trap();
		off += (size_t)rc;
	}
	sim_http_req_done(&r);
	free(buf);
	return 0;
}
