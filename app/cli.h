/*
 * cli.h: the subcommand table and the helpers every subcommand uses to parse
 * its flags the same way: a bad flag or argument is one line on stderr
 * ("vigil ingest: unknown option '--x' (see 'vigil ingest --help')") and
 * exit status 2.
 */
#ifndef VIGIL_APP_CLI_H
#define VIGIL_APP_CLI_H

#include <stdbool.h>

#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1
#define CLI_EXIT_USAGE 2

/* A subcommand: run(argc, argv) gets argv[0] = its own name. Its stdout
 * and stderr pass through app/cli_out's filter unless `raw` is set (the
 * console and the demo draw the terminal themselves; the simulator writes
 * generated data). */
struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	bool raw;
};

/* The subcommand table (NULL-name terminated), defined in app/commands.c. */
extern const struct cli_command cli_commands[];

/* Print "vigil <cmd>: <message> (see 'vigil <cmd> --help')" and return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when argv holds -h or --help before any "--". */
bool cli_wants_help(int argc, char **argv);

/* After getopt_long() returned '?' or ':' (with opterr = 0 and a leading ':'
 * in optstring), print the one-line error for the offending flag; returns 2. */
int cli_bad_option(const char *cmd, int ret, char **argv);

/* Parse a duration flag value ("30s", "5m"); -1 on error. */
long long cli_duration_ms(const char *s);

/* Entry point used by main(): dispatches argv[1]. Returns the exit status. */
int cli_main(int argc, char **argv);

#endif
