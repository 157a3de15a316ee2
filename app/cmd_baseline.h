/*
 * cmd_baseline.h: what the files of `vigil baseline` share (app/
 * cmd_baseline.c: the subcommands rebuild, refresh, review and the options;
 * app/cmd_baseline_show.c: show, the chart). Not for other modules.
 */
#ifndef VIGIL_APP_CMD_BASELINE_H
#define VIGIL_APP_CMD_BASELINE_H

#include "app/config.h"
#include "core/baseline.h"
#include "data/baseline_db.h"

#include <stdbool.h>
#include <stdint.h>

/* The options of every subcommand. */
struct bl_opts {
	const char *db;
	const char *provider, *model, *metric, *source; /* show's filters */
	int64_t from, to;                               /* rebuild: INT64_MIN / INT64_MAX */
	bool json, force, all;
	const char *actor;
	struct vigil_config *cfg;    /* --config, or the defaults */
	struct baseline_settings bs; /* from cfg's baselines: */
};

/* A series' name for people: "openai/gpt-4o gateway", sanitized. */
void cmd_baseline__series_name(const struct rollup_series *k, char *buf, size_t size);

/* "2026-02-02 04:00 UTC" (or "never"). */
void cmd_baseline__time(int64_t ms, char *buf, size_t size);

/* `vigil baseline show` (cmd_baseline_show.c); the database is open. */
int cmd_baseline__show(struct baseline_db *d, const struct bl_opts *o);

#endif
