/*
 * commands.c: the subcommand table. A new subcommand adds its entry point to
 * app/commands.h, a row here, and its own app/cmd_<name>.c.
 */
#include "app/cli.h"
#include "app/commands.h"

#include <stddef.h>

const struct cli_command cli_commands[] = {
	{ "baseline",
	  "the learned normal per series and hour of week: show, review, refresh, "
	  "rebuild",
	  cmd_baseline_main, false },
	{ "check", "validate a config file and print what it configures", cmd_check_main, false },
	{ "console", "the operations console (attaches to a daemon's database)", cmd_console_main,
	  true },
	{ "db", "check a database's integrity, or recover what is readable into a new one",
	  cmd_db_main, false },
	{ "demo", "the whole product on simulated traffic, in one process (no keys)", cmd_demo_main,
	  true },
	{ "ingest", "read gateway event files into the database", cmd_ingest_main, false },
	{ "probe", "send the canary probes of a config and print the results", cmd_probe_main,
	  false },
	{ "replay", "recorded events through today's rules on a virtual clock (nothing sent)",
	  cmd_replay_main, false },
	{ "run", "the daemon: follow events, classify, incidents, /metrics, sinks", cmd_run_main,
	  false },
	{ "runbook", "list the runbooks shipped in the binary, or print one", cmd_runbook_main,
	  false },
	{ "sim", "simulated providers and gateway traffic (no keys, loopback only)", cmd_sim_main,
	  true },
	{ NULL, NULL, NULL, false },
};
