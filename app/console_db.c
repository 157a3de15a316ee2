/*
 * console_db.c: the console over a database (see console_db.h). The loop
 * asks the reader for snapshots; the reader answers on the loop thread and
 * the answer goes to the console loop. Actions go to the reader's writer,
 * or to the demo's callback; a refused one is said on the bottom row, and
 * so is what the daemon made of each (applied, or refused and why).
 */
#include "app/console_db.h"

#include "app/config.h"
#include "core/action.h"
#include "core/vgerr.h"
#include "net/clock.h"
#include "tui/console_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct console_db {
	struct console_reader *reader;
	struct console_loop *cl;
	console_db_act_fn act;
	void *act_ud;
};

static void on_snapshot(void *ud, const struct snapshot *s, int err, const char *cause)
{
	struct console_db *c = ud;
	console_loop_deliver(c->cl, s, err, cause);
}

static void on_action(void *ud, const struct op_action *a, int err, const char *cause)
{
	struct console_db *c = ud;
	(void)a;
	if (err) {
		char m[200];
		snprintf(m, sizeof(m), "not recorded: %s", cause ? cause : vg_strerror(err));
		console_loop_say(c->cl, true, m);
	}
	/* Show it pending (or applied) at once. */
	console_loop_refresh(c->cl);
}

/* The daemon took one of this console's actions: say what became of it
 * (a refusal, e.g. an incident another console acknowledged first). */
static void on_outcome(void *ud, const struct op_action *a, bool refused, const char *text)
{
	struct console_db *c = ud;
	char m[SNAP_TEXT_MAX];
	snprintf(m, sizeof(m), "%s #%lld: %s", action_name(a->kind), (long long)a->incident_id,
	         text);
	console_loop_say(c->cl, refused, m);
	console_loop_refresh(c->cl);
}

static void request(void *ud, int64_t detail_id)
{
	struct console_db *c = ud;
	console_reader_request(c->reader, clock_wall_ms(), detail_id);
}

static int act(void *ud, const struct op_action *a, char **cause)
{
	struct console_db *c = ud;
	if (c->act)
		return c->act(c->act_ud, a, cause);
	const char *ro = console_reader_read_only(c->reader);
	if (ro) {
		if (cause)
			vg_cause(cause, 0, "read-only: %s", ro);
		return VG_ESTATE;
	}
	int rc = console_reader_write(c->reader, a, clock_wall_ms());
	if (rc != 0 && cause)
		*cause = strdup(rc == VG_EFULL ? "too many actions waiting" : vg_strerror(rc));
	return rc;
}

int console_db_open(uv_loop_t *loop, const struct console_db_opts *o, struct console_db **out,
                    char **cause)
{
	*out = NULL;
	struct console_db *c = calloc(1, sizeof(*c));
	if (!c)
		return VG_ENOMEM;
	c->act = o->act;
	c->act_ud = o->act_ud;
	struct console_reader_opts ro = {
		.db_path = o->path,
		.writer = o->act == NULL,
		.baselines = o->baselines,
		.on_snapshot = on_snapshot,
		.on_action = on_action,
		.on_outcome = on_outcome,
		.ud = c,
	};
	int rc = console_reader_start(loop, &ro, &c->reader, cause);
	if (rc != 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* The config a console reads: `config`, else vigil.yaml when no database is
 * named and it exists; *out NULL when none (caller frees *out). */
static int read_config(const char *db, const char *config, struct vigil_config **out, char **cause)
{
	*out = NULL;
	const char *path = config ? config : "vigil.yaml";
	if (!config && (db || access(path, R_OK) != 0))
		return 0;
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return VG_ENOMEM;
	config_defaults(cfg);
	int rc = config_load(cfg, path, cause);
	if (rc != 0) {
		free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int console_db_resolve(const char *db, const char *config, char *buf, size_t size, char **cause)
{
	if (db) {
		snprintf(buf, size, "%s", db);
		return 0;
	}
	struct vigil_config *cfg;
	int rc = read_config(db, config, &cfg, cause);
	if (rc == 0)
		snprintf(buf, size, "%s", cfg ? cfg->store.path : "vigil.db");
	free(cfg);
	return rc;
}

int console_db_baselines(const char *db, const char *config, struct baseline_settings *out,
                         char **cause)
{
	baseline_defaults(out);
	struct vigil_config *cfg;
	int rc = read_config(db, config, &cfg, cause);
	if (rc == 0 && cfg)
		config_baseline_settings(cfg, out);
	free(cfg);
	return rc;
}

struct console_source console_db_source(struct console_db *cdb)
{
	struct console_source s = { 0 };
	s.request = request;
	s.act = act;
	s.ud = cdb;
	return s;
}

const char *console_db_read_only(const struct console_db *cdb)
{
	return cdb->act ? NULL : console_reader_read_only(cdb->reader);
}

void console_db_attach(struct console_db *cdb, struct console_loop *cl)
{
	cdb->cl = cl;
}

void console_db_close(struct console_db *cdb)
{
	if (!cdb)
		return;
	console_reader_stop(cdb->reader);
	free(cdb);
}
