/*
 * demo_pager.c: the demo's PagerDuty-like receiver (see demo_pager.h).
 */
#include "app/demo_pager.h"

#include "core/vgerr.h"
#include "net/httpd.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct demo_pager {
	struct httpd *httpd;
	FILE *log;
	struct demo_pager_counts counts;
};

static void on_request(void *data, const struct httpd_request *req, struct httpd_reply *reply)
{
	struct demo_pager *p = data;
	if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/v2/enqueue") != 0) {
		static const char nf[] = "{\"status\":\"not found\"}";
		httpd_respond(reply, 404, "application/json", nf, sizeof(nf) - 1, NULL, 0);
		return;
	}
	json_t *o = json_loadb(req->body, req->body_len, 0, NULL);
	const char *action = json_string_value(json_object_get(o, "event_action"));
	const char *key = json_string_value(json_object_get(o, "dedup_key"));
	if (!json_is_object(o) || !action) {
		static const char bad[] = "{\"status\":\"invalid event\"}";
		httpd_respond(reply, 400, "application/json", bad, sizeof(bad) - 1, NULL, 0);
		json_decref(o);
		return;
	}
	if (strcmp(action, "trigger") == 0)
		p->counts.trigger++;
	else if (strcmp(action, "acknowledge") == 0)
		p->counts.acknowledge++;
	else if (strcmp(action, "resolve") == 0)
		p->counts.resolve++;
	else
		p->counts.other++;
	/* One compact line per event: the tests read it with jq or grep. */
	char *line = json_dumps(o, JSON_COMPACT);
	if (line && p->log) {
		fprintf(p->log, "%s\n", line);
		fflush(p->log);
	}
	free(line);
	char ans[256];
	int n = snprintf(ans, sizeof(ans),
	                 "{\"status\":\"success\",\"message\":\"Event processed\","
	                 "\"dedup_key\":\"%.160s\"}",
	                 key ? key : "");
	httpd_respond(reply, 202, "application/json", ans, (size_t)n, NULL, 0);
	json_decref(o);
}

int demo_pager_start(uv_loop_t *loop, const char *log_path, struct demo_pager **out, char **cause)
{
	struct demo_pager *p = calloc(1, sizeof(*p));
	if (!p)
		return VG_ENOMEM;
	p->log = fopen(log_path, "w");
	if (!p->log) {
		vg_cause(cause, VG_EIO, "cannot create %s: %s", log_path, strerror(errno));
		free(p);
		return VG_EIO;
	}
	chmod(log_path, 0600);
	int rc = httpd_start(loop, "127.0.0.1", 0, on_request, p, &p->httpd, cause);
	if (rc != 0) {
		fclose(p->log);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int demo_pager_port(const struct demo_pager *p)
{
	return httpd_port(p->httpd);
}

void demo_pager_counts(const struct demo_pager *p, struct demo_pager_counts *out)
{
	*out = p->counts;
}

void demo_pager_stop(struct demo_pager *p)
{
	if (!p)
		return;
	httpd_close(p->httpd);
	if (p->log)
		fclose(p->log);
	free(p);
}
