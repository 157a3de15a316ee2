/* tu_http.c: the tests' blocking HTTP/1.1 client (see tu_http.h). */
#include "tests/support/tu_http.h"

#include "net/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Parses what arrived: status line, headers, body. Returns true when the
 * framing says the response is complete. */
static bool parse(struct tu_http_resp *r)
{
	for (int i = 0; i < r->n_headers; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	r->n_headers = 0;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = 0;
	r->chunked = false;
	const char *p = r->raw, *end = r->raw + r->raw_len;
	/* skip interim 1xx responses */
	for (;;) {
		const char *he = strstr(p, "\r\n\r\n");
		if (!he || strncmp(p, "HTTP/1.", 7) != 0)
			return false;
		int st = (int)strtol(p + 9, NULL, 10);
		if (st >= 100 && st < 200) {
			p = he + 4;
			continue;
		}
		break;
	}
	const char *he = strstr(p, "\r\n\r\n");
	r->status = (int)strtol(p + 9, NULL, 10);
	const char *line = strstr(p, "\r\n") + 2;
	long long clen = -1;
	while (line < he) {
		const char *le = strstr(line, "\r\n");
		const char *colon = memchr(line, ':', (size_t)(le - line));
		if (colon && r->n_headers < TU_HTTP_MAX_HEADERS) {
			size_t nl = (size_t)(colon - line);
			char *name = strndup(line, nl);
			for (size_t i = 0; i < nl; i++)
				if (name[i] >= 'A' && name[i] <= 'Z')
					name[i] = (char)(name[i] - 'A' + 'a');
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			r->hname[r->n_headers] = name;
			r->hvalue[r->n_headers] = strndup(v, (size_t)(le - v));
			if (strcmp(name, "content-length") == 0)
				clen = strtoll(r->hvalue[r->n_headers], NULL, 10);
			if (strcmp(name, "transfer-encoding") == 0 &&
			    strcasecmp(r->hvalue[r->n_headers], "chunked") == 0)
				r->chunked = true;
			r->n_headers++;
		}
		line = le + 2;
	}
	const char *b = he + 4;
	size_t avail = (size_t)(end - b);
	if (r->chunked) {
		r->body = malloc(avail + 1);
		size_t n = 0;
		const char *q = b;
		for (;;) {
			const char *le = q < end ? strstr(q, "\r\n") : NULL;
			if (!le)
				break;
			size_t size = strtoul(q, NULL, 16);
			q = le + 2;
			if (size == 0) {
				r->body[n] = '\0';
				r->body_len = n;
				return true;
			}
			size_t have = (size_t)(end - q);
			size_t take = size < have ? size : have;
			memcpy(r->body + n, q, take);
			n += take;
			if (have < size + 2)
				break;
			q += size + 2;
		}
		r->body[n] = '\0';
		r->body_len = n;
		return false;
	}
	r->body = strndup(b, avail);
	r->body_len = avail;
	return clen >= 0 && (long long)avail >= clen;
}

static int exchange(int fd, const char *req, size_t len, int timeout_ms, struct tu_http_resp *out)
{
	size_t cap = 65536;
	out->raw = malloc(cap + 1);
	out->raw[0] = '\0';
	if (!send_all(fd, req, len)) {
		if (errno == ECONNRESET || errno == EPIPE)
			out->reset = true;
	}
	long long deadline = clock_mono_ms() + timeout_ms;
	bool complete;
	for (;;) {
		long long left = deadline - clock_mono_ms();
		if (left <= 0) {
			out->timed_out = true;
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			out->timed_out = true;
			break;
		}
		if (out->raw_len + 65536 > cap) {
			cap *= 2;
			out->raw = realloc(out->raw, cap + 1);
		}
		ssize_t n = recv(fd, out->raw + out->raw_len, cap - out->raw_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				out->reset = true;
			break;
		}
		if (n == 0)
			break;
		out->raw_len += (size_t)n;
		out->raw[out->raw_len] = '\0';
	}
	close(fd);
	out->raw[out->raw_len] = '\0';
	complete = parse(out);
	if (out->status && !complete && !out->timed_out)
		out->truncated = true;
	return 0;
}

int tu_http_request(int port, const char *method, const char *path, const char *headers,
                    const char *body, size_t body_len, int timeout_ms, struct tu_http_resp *out)
{
	memset(out, 0, sizeof(*out));
	int fd = dial(port);
	if (fd < 0)
		return -1;
	size_t hl = headers ? strlen(headers) : 0;
	size_t cap = strlen(method) + strlen(path) + hl + body_len + 256;
	char *req = malloc(cap);
	int n = snprintf(req, cap,
	                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
	                 "Content-Length: %zu\r\n%s\r\n",
	                 method, path, port, body_len, headers ? headers : "");
	if (body_len)
		memcpy(req + n, body, body_len);
	int rc = exchange(fd, req, (size_t)n + body_len, timeout_ms, out);
	free(req);
	return rc;
}

int tu_http_raw(int port, const char *bytes, size_t len, int timeout_ms, struct tu_http_resp *out)
{
	memset(out, 0, sizeof(*out));
	int fd = dial(port);
	if (fd < 0)
		return -1;
	return exchange(fd, bytes, len, timeout_ms, out);
}

const char *tu_http_header(const struct tu_http_resp *r, const char *name)
{
	for (int i = 0; i < r->n_headers; i++)
		if (strcmp(r->hname[i], name) == 0)
			return r->hvalue[i];
	return NULL;
}

void tu_http_free(struct tu_http_resp *r)
{
	for (int i = 0; i < r->n_headers; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	free(r->raw);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
