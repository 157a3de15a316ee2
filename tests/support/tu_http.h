/*
 * tu_http.h: a small blocking HTTP/1.1 client for tests (not part of vigil).
 * It talks to 127.0.0.1 only, sends one request per connection (Connection:
 * close unless the caller adds its own), reads until the server closes, the
 * framing says the response is complete, or a timeout, and reports what a
 * transport saw: reset, timeout, a body cut short.
 */
#ifndef VIGIL_TESTS_TU_HTTP_H
#define VIGIL_TESTS_TU_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define TU_HTTP_MAX_HEADERS 64

struct tu_http_resp {
	int status; /* 0 when no status line arrived */
	char *raw;  /* every byte received (NUL-terminated) */
	size_t raw_len;
	char *body; /* the body (de-chunked), NUL-terminated */
	size_t body_len;
	int n_headers;
	char *hname[TU_HTTP_MAX_HEADERS]; /* lower-cased */
	char *hvalue[TU_HTTP_MAX_HEADERS];
	bool reset;     /* the connection was reset */
	bool timed_out; /* nothing more arrived before the timeout */
	bool truncated; /* closed before Content-Length bytes / the last chunk */
	bool chunked;
};

/*
 * Send `method path` to 127.0.0.1:port with extra header lines (each ending
 * in "\r\n", may be NULL) and body (may be NULL), and read the answer into
 * *out within timeout_ms. Returns 0 when a connection was made (look at *out
 * for what happened), -1 when it could not connect. Free with tu_http_free().
 */
int tu_http_request(int port, const char *method, const char *path, const char *headers,
                    const char *body, size_t body_len, int timeout_ms, struct tu_http_resp *out);

/* Send raw bytes and read until close or timeout (for malformed requests
 * and pipelining). The response is parsed as far as it goes. */
int tu_http_raw(int port, const char *bytes, size_t len, int timeout_ms, struct tu_http_resp *out);

/* A header's value (name lower-case), or NULL. */
const char *tu_http_header(const struct tu_http_resp *r, const char *name);

void tu_http_free(struct tu_http_resp *r);

#endif
