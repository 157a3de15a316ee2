/*
 * proc.h: helpers for integration tests that run real servers (Prometheus,
 * Alertmanager): find a binary, pick a free loopback port, start a process
 * with its output in a log file, stop it, and make a blocking HTTP call by
 * running a libuv loop until net/http answers.
 */
#ifndef VIGIL_TESTS_PROC_H
#define VIGIL_TESTS_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

struct http_client;

/* The full path of an executable found in PATH, /usr/bin, /usr/sbin or
 * /usr/local/bin (malloc'd; caller frees), or NULL. */
char *tp_which(const char *name);

/* A port free on 127.0.0.1 now (bound to port 0, read back, closed). */
int tp_free_port(void);

/* Start argv[0] with argv, stdout and stderr appended to log_path, in its own
 * process group. Returns the pid, or -1. */
pid_t tp_spawn(char *const argv[], const char *log_path);

/* Run argv to completion (stdout and stderr to log_path, stdin from
 * stdin_path or /dev/null); returns its exit status, or -1. */
int tp_run(char *const argv[], const char *stdin_path, const char *log_path);

/* Percent-encode s for a URL query value into buf. */
void tp_urlencode(const char *s, char *buf, size_t size);

/* SIGTERM the process (group), wait up to 5 s, then SIGKILL; reaps it. */
void tp_kill(pid_t pid);

/* True while the process has not exited (reaps it if it has). */
bool tp_alive(pid_t pid);

/* A finished request as the helper returns it. */
struct tp_response {
	int err;    /* 0 with an HTTP answer */
	int status; /* -1 without */
	char *body; /* malloc'd, NUL-terminated; caller frees */
	size_t len;
};

/*
 * Run `loop` until the request completes (or timeout_ms passes: err =
 * VG_ENET then). method NULL = GET; body may be NULL. Returns 0 or err.
 */
int tp_http(uv_loop_t *loop, struct http_client *c, const char *method, const char *url,
            const char *body, const char *content_type, int timeout_ms, struct tp_response *out);

/* Run the loop for about ms milliseconds (servers on it keep answering). */
void tp_run_for(uv_loop_t *loop, int ms);

/* Poll `pred(data)` every 100 ms, running the loop in between, for up to
 * timeout_ms. Returns true once it holds. */
bool tp_wait(uv_loop_t *loop, bool (*pred)(void *), void *data, int timeout_ms);

#endif
