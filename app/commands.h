/* commands.h: entry points of the subcommands listed in app/commands.c. */
#ifndef VIGIL_APP_COMMANDS_H
#define VIGIL_APP_COMMANDS_H

int cmd_baseline_main(int argc, char **argv);
int cmd_check_main(int argc, char **argv);
int cmd_db_main(int argc, char **argv);
int cmd_demo_main(int argc, char **argv);
int cmd_ingest_main(int argc, char **argv);
int cmd_console_main(int argc, char **argv);
int cmd_replay_main(int argc, char **argv);
int cmd_runbook_main(int argc, char **argv);
int cmd_run_main(int argc, char **argv);
int cmd_sim_main(int argc, char **argv);
int cmd_probe_main(int argc, char **argv);

#endif
