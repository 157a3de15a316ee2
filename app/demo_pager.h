/*
 * demo_pager.h: the simulated pager of `vigil demo`: a PagerDuty Events v2
 * receiver on 127.0.0.1 (any free port) that accepts every event (202, as
 * PagerDuty does), appends its body as one line to a file, and counts the
 * events by action (trigger, acknowledge, resolve). The demo routes its
 * paging sink here, so what an on-call engineer's pager would have received
 * is on disk, where the tests check it.
 *
 * Loop thread only.
 */
#ifndef VIGIL_APP_DEMO_PAGER_H
#define VIGIL_APP_DEMO_PAGER_H

#include <stdint.h>
#include <uv.h>

struct demo_pager;

struct demo_pager_counts {
	int64_t trigger, acknowledge, resolve, other;
};

/*
 * Listen on 127.0.0.1:0 and append received events to `log_path` (created or
 * truncated). Returns 0 and *out, or an error with a malloc'd *cause.
 */
int demo_pager_start(uv_loop_t *loop, const char *log_path, struct demo_pager **out, char **cause);

/* The port bound (the events URL is http://127.0.0.1:PORT/v2/enqueue). */
int demo_pager_port(const struct demo_pager *p);

/* Events received so far, by action. */
void demo_pager_counts(const struct demo_pager *p, struct demo_pager_counts *out);

/* Close the listener and the file; memory goes with the close callbacks (run
 * the loop). NULL does nothing. */
void demo_pager_stop(struct demo_pager *p);

#endif
