/*
 * http.h: an asynchronous HTTP client on the libuv loop: libcurl's multi
 * interface driven by uv_poll and uv_timer (CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION, the pattern of curl's docs/examples/multi-uv.c).
 * Nothing here blocks the loop: no easy_perform, no DNS on the loop thread
 * (libcurl resolves on its own thread).
 *
 * Used by the canary probes (probes/), the sinks and the outbox (data/). One
 * client per loop; any number of requests in flight. Every request ends in
 * exactly one completion callback, on the loop thread, with a struct
 * http_response: the status (or a transport error mapped to enum
 * transport_error), the phase times libcurl measured (CURLINFO_*_TIME_T),
 * the response headers with lower-cased names, and the body capped at
 * max_body bytes (1 MiB by default) with a truncation flag.
 *
 * Redirects are not followed (a probe reports a 3xx as it is). TLS peers are
 * verified unless the request says otherwise.
 *
 * Threads: loop thread only.
 * Ownership: http_request() copies everything in the request; the response
 * passed to the callback is borrowed for the duration of the call.
 */
#ifndef VIGIL_NET_HTTP_H
#define VIGIL_NET_HTTP_H

#include "core/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)

struct http_client;

struct http_request {
	const char *method;         /* "GET" (NULL), "POST", "PUT", "DELETE", "HEAD" */
	const char *url;            /* http:// or https:// */
	const char *const *headers; /* "Name: value" lines, may be NULL */
	size_t n_headers;
	const void *body; /* request body, may be NULL; copied */
	size_t body_len;
	int64_t connect_timeout_ms; /* 0: 10 s */
	int64_t timeout_ms;         /* whole request; 0: 30 s */
	bool fresh_connect;         /* a new connection, closed afterwards (probes) */
	size_t max_body;            /* response bytes kept; 0: HTTP_DEFAULT_MAX_BODY */
	bool insecure;              /* do not verify the TLS peer (tests only) */
	const char *ca_file;        /* extra CA bundle (PEM), may be NULL */
	const char *resolve;        /* CURLOPT_RESOLVE entry "host:port:addr", may be NULL */
};

/* Phase end times in microseconds from the start of the request, as libcurl
 * reports them (CURLINFO_NAMELOOKUP/CONNECT/APPCONNECT/PRETRANSFER/
 * STARTTRANSFER/TOTAL_TIME_T); 0 when the phase did not happen (no TLS on
 * http://, nothing after a failed connect). */
struct http_times {
	int64_t namelookup_us, connect_us, appconnect_us, pretransfer_us, starttransfer_us,
	        total_us;
};

/* The durations of the blackbox_exporter phases, in seconds: resolve,
 * connect, tls, processing (request sent -> first byte), transfer (first
 * byte -> end). A phase that did not happen is 0. */
enum http_phase {
	HTTP_PHASE_RESOLVE,
	HTTP_PHASE_CONNECT,
	HTTP_PHASE_TLS,
	HTTP_PHASE_PROCESSING,
	HTTP_PHASE_TRANSFER,
	HTTP_PHASE__COUNT
};

struct http_header {
	char *name; /* lower-cased */
	char *value;
};

struct http_response {
	int err;                        /* 0 when an HTTP answer came (any status), VG_ENET for a
	                                * transport error, VG_ESTATE when cancelled by
	                                * http_client_close(), VG_ENOMEM */
	enum transport_error transport; /* TE_NONE with an HTTP answer */
	int curl_code;                  /* the CURLcode, for the detail */
	char error[256];                /* libcurl's message, or "" */
	int32_t status;                 /* HTTP status, or -1 without an answer */
	struct http_times times;
	const struct http_header *headers; /* of the final response, in order */
	size_t n_headers;
	const char *body;    /* NUL-terminated (the NUL is not counted); may hold NULs */
	size_t body_len;     /* bytes kept (at most max_body) */
	int64_t body_bytes;  /* bytes received in total */
	bool truncated;      /* body_bytes > body_len */
	char primary_ip[64]; /* the address connected to, or "" */
	bool reused;         /* an existing connection was reused */
	uint64_t id;         /* the id http_request() returned */
};

typedef void (*http_done_cb)(void *data, const struct http_response *resp);

/* A client on `loop`. Returns 0 and *out, or VG_ENOMEM / VG_ENET (libcurl
 * could not be set up). Call curl_global_init() once per process before
 * (http_global_init() does). */
int http_client_new(uv_loop_t *loop, struct http_client **out);

/* curl_global_init(CURL_GLOBAL_DEFAULT), once, before any thread starts. */
int http_global_init(void);

/*
 * Close the client: every request still in flight completes with
 * err = VG_ESTATE (its callback runs before this returns), the handles are
 * closed, and the memory is freed in their close callbacks (run the loop
 * once more). NULL does nothing.
 */
void http_client_close(struct http_client *c);

/*
 * Start a request. `cb` runs once, later, on the loop thread (never from
 * inside this call). Returns 0 and *id (may be NULL), or VG_EINVAL (no URL,
 * or an unknown method), VG_ENOMEM, VG_ESTATE (client closing).
 */
int http_request(struct http_client *c, const struct http_request *req, http_done_cb cb, void *data,
                 uint64_t *id);

/* Cancel a request in flight: its callback runs now with err = VG_ESTATE.
 * Returns 0 or VG_ENOTFOUND (already completed). */
int http_cancel(struct http_client *c, uint64_t id);

/* Requests in flight. */
size_t http_in_flight(const struct http_client *c);

/* A response header's value (name compared case-insensitively), or NULL. */
const char *http_response_header(const struct http_response *r, const char *name);

/* Phase durations in seconds from the times (see enum http_phase). */
void http_phases(const struct http_times *t, double out[HTTP_PHASE__COUNT]);

/* Static phase names: "resolve", "connect", "tls", "processing", "transfer". */
const char *http_phase_name(enum http_phase p);

/* The transport error a CURLcode means (TE_NONE for CURLE_OK). Exposed for tests. */
enum transport_error http_transport_error(int curl_code);

#endif
