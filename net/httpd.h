/*
 * httpd.h: a small HTTP/1.1 server on the libuv loop, for vigil's own
 * endpoints (/metrics) and for the local receivers the tests run.
 *
 * One request per connection (the answer says "Connection: close"). A
 * request is read whole (head at most 16 KiB, a Content-Length body at most
 * 1 MiB; chunked request bodies are refused with 411) and handed to the
 * handler, which answers now or later (httpd_respond() on the reply it was
 * given), or drops the connection without an answer (httpd_drop(), for tests
 * of broken peers). Malformed requests get 400, oversized ones 413/431,
 * without reaching the handler.
 *
 * Threads: loop thread only. Ownership: the request passed to the handler is
 * borrowed until the reply is answered or dropped; httpd_respond() copies
 * the body.
 */
#ifndef VIGIL_NET_HTTPD_H
#define VIGIL_NET_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct httpd;
struct httpd_reply;

struct httpd_header {
	const char *name; /* lower-cased */
	const char *value;
};

struct httpd_request {
	const char *method; /* "GET", "POST", ... */
	const char *target; /* "/api/v2/alerts?x=1" as sent */
	const char *path;   /* the target without its query */
	const char *query;  /* after '?', or "" */
	const struct httpd_header *headers;
	size_t n_headers;
	const char *body; /* NUL-terminated (not counted) */
	size_t body_len;
	char peer[64]; /* "127.0.0.1:53211" */
};

/* The handler: answer `reply` now or later. */
typedef void (*httpd_handler)(void *data, const struct httpd_request *req,
                              struct httpd_reply *reply);

/*
 * Listen on host:port (IPv4 or IPv6 literal; port 0 picks a free port, see
 * httpd_port()). Returns 0 and *out, or VG_EINVAL (bad address), VG_EIO
 * (cannot bind or listen) with a malloc'd message in *cause (caller frees;
 * may be NULL), or VG_ENOMEM.
 */
int httpd_start(uv_loop_t *loop, const char *host, int port, httpd_handler handler, void *data,
                struct httpd **out, char **cause);

/* The port actually bound. */
int httpd_port(const struct httpd *h);

/* A header of the request by lower-case name, or NULL. */
const char *httpd_header(const struct httpd_request *req, const char *name);

/*
 * Answer: status, Content-Type (NULL for none), body (copied), extra header
 * lines ("Retry-After: 60", without CRLF; may be NULL). The connection is
 * closed after the answer is written; the reply is freed with it.
 */
void httpd_respond(struct httpd_reply *r, int status, const char *content_type, const void *body,
                   size_t len, const char *const *headers, size_t n_headers);

/* Close the connection without an answer (the client sees a reset or an empty reply). */
void httpd_drop(struct httpd_reply *r);

/* The request of a reply not answered yet (for handlers that answer later). */
const struct httpd_request *httpd_reply_request(const struct httpd_reply *r);

/* Stop listening and close every connection (replies not answered are
 * dropped: their pointers become invalid); the memory is freed in the close
 * callbacks (run the loop once more). NULL does nothing. */
void httpd_close(struct httpd *h);

/* Requests answered so far (for logs and tests). */
uint64_t httpd_requests(const struct httpd *h);

#endif
