/*
 * sim_http.h: the simulator server's HTTP/1.1 request parser. Pure: bytes in,
 * a parsed request out. It reads a request line, header fields, and a body
 * framed by Content-Length or chunked transfer coding; anything else is
 * refused with a clear code rather than guessed at.
 *
 * Header names and values point into the caller's buffer (borrowed while it
 * is unchanged); a chunked body is decoded into req->decoded, which the
 * caller frees with sim_http_req_done().
 */
#ifndef VIGIL_SIM_HTTP_H
#define VIGIL_SIM_HTTP_H

#include "sim/sim_buf.h"

#include <stdbool.h>
#include <stddef.h>

#define SIM_HTTP_MAX_HEADERS 64
#define SIM_HTTP_MAX_HEAD    (64 * 1024)

enum sim_http_rc {
	SIM_HTTP_INCOMPLETE = 0, /* need more bytes (see req->head_done) */
	SIM_HTTP_BAD = -1,       /* not HTTP/1.x we accept: answer 400 and close */
	SIM_HTTP_TOO_LARGE = -2, /* head over SIM_HTTP_MAX_HEAD or body over the cap */
};

struct sim_http_hdr {
	const char *name, *value;
	size_t name_len, value_len;
};

struct sim_http_req {
	const char *method, *target; /* not NUL-terminated */
	size_t method_len, target_len;
	int minor; /* HTTP/1.minor */
	struct sim_http_hdr headers[SIM_HTTP_MAX_HEADERS];
	int n_headers;
	bool head_done;       /* the header block is complete */
	size_t head_len;      /* bytes of the request line and headers */
	bool keep_alive;      /* the connection may serve another request */
	bool expect_continue; /* Expect: 100-continue */
	bool chunked;
	size_t content_length;
	const char *body; /* borrowed (Content-Length) or req->decoded (chunked) */
	size_t body_len;
	struct sim_buf decoded;
};

/* Initialise before the first sim_http_parse(). */
void sim_http_req_init(struct sim_http_req *req);
/* Free what the request owns (the decoded chunked body). */
void sim_http_req_done(struct sim_http_req *req);

/*
 * Parse one request from buf[0..len). Returns the number of bytes it used
 * (> 0) when it is complete, SIM_HTTP_INCOMPLETE when more bytes are needed,
 * or a negative enum sim_http_rc. May be called again with a longer buffer
 * (it starts over). max_body caps the body.
 */
int sim_http_parse(struct sim_http_req *req, const char *buf, size_t len, size_t max_body);

/* The value of header `name` (case-insensitive), or NULL; *len gets its length. */
const char *sim_http_header(const struct sim_http_req *req, const char *name, size_t *len);

#endif
