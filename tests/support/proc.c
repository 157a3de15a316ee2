/* proc.c: process, port and blocking-HTTP helpers for integration tests. */
#include "tests/support/proc.h"

#include "core/vgerr.h"
#include "net/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *tp_which(const char *name)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/bin:/usr/sbin:/usr/local/bin:/bin", path ? path : "");
	for (char *d = dirs; d && *d;) {
		char *colon = strchr(d, ':');
		if (colon)
			*colon = '\0';
		if (*d) {
			char full[4096 + 256];
			snprintf(full, sizeof(full), "%s/%s", d, name);
			if (access(full, X_OK) == 0)
				return strdup(full);
		}
		d = colon ? colon + 1 : NULL;
	}
	return NULL;
}

int tp_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	socklen_t len = sizeof(a);
	int port = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

pid_t tp_spawn(char *const argv[], const char *log_path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0) {
			dup2(devnull, 0);
			close(devnull);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

int tp_run(char *const argv[], const char *stdin_path, const char *log_path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
		if (in >= 0) {
			dup2(in, 0);
			close(in);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void tp_urlencode(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t at = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && at + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf[at++] = (char)*p;
		} else {
			buf[at++] = '%';
			buf[at++] = hex[*p >> 4];
			buf[at++] = hex[*p & 15];
		}
	}
	buf[at] = '\0';
}

bool tp_alive(pid_t pid)
{
	int st;
	return waitpid(pid, &st, WNOHANG) == 0;
}

void tp_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
}

struct tp_call {
	bool done;
	struct tp_response *out;
};

static void on_tp_done(void *data, const struct http_response *r)
{
	struct tp_call *c = data;
	c->done = true;
	c->out->err = r->err;
	c->out->status = r->status;
	c->out->body = malloc(r->body_len + 1);
	if (c->out->body) {
		memcpy(c->out->body, r->body, r->body_len);
		c->out->body[r->body_len] = '\0';
		c->out->len = r->body_len;
	}
}

int tp_http(uv_loop_t *loop, struct http_client *c, const char *method, const char *url,
            const char *body, const char *content_type, int timeout_ms, struct tp_response *out)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	char ct[128];
	const char *hdrs[1];
	size_t nh = 0;
	if (content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		hdrs[nh++] = ct;
	}
	struct http_request req = { .method = method,
		                    .url = url,
		                    .headers = hdrs,
		                    .n_headers = nh,
		                    .body = body,
		                    .body_len = body ? strlen(body) : 0,
		                    .timeout_ms = timeout_ms,
		                    .max_body = 16 * 1024 * 1024 };
	struct tp_call call = { .out = out };
	int rc = http_request(c, &req, on_tp_done, &call, NULL);
	if (rc) {
		out->err = rc;
		return rc;
	}
	while (!call.done)
		uv_run(loop, UV_RUN_ONCE);
	return out->err;
}

static void on_stop(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

void tp_run_for(uv_loop_t *loop, int ms)
{
	uv_timer_t t;
	bool fired = false;
	uv_timer_init(loop, &t);
	t.data = &fired;
	uv_timer_start(&t, on_stop, (uint64_t)ms, 0);
	while (!fired)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

bool tp_wait(uv_loop_t *loop, bool (*pred)(void *), void *data, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		if (pred(data))
			return true;
		tp_run_for(loop, 100);
	}
	return pred(data);
}
