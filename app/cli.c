/* cli.c: top-level dispatch, --help, version, and shared flag helpers. */
#include "app/cli.h"
#include "app/cli_out.h"

#include "core/timeparse.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vigil%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'vigil%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
	return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int ret, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	if (ret == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", arg);
	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

long long cli_duration_ms(const char *s)
{
	int64_t ms;
	if (!s || timeparse_go_duration(s, strlen(s), &ms) != 0 || ms < 0)
		return -1;
	return (long long)ms;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "vigil %s: terminal operations console for multi-provider LLM gateways\n\n"
	        "usage: vigil <command> [options]\n\n"
	        "commands:\n",
	        VIGIL_VERSION);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'vigil <command> --help' describes a command's options.\n");
}

static int run(const struct cli_command *cmd, int argc, char **argv)
{
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		if (argc > 2 && strcmp(name, "version") == 0 && !cli_wants_help(argc - 1, argv + 1))
			return cli_usage_error("version", "unexpected argument '%s'", argv[2]);
		printf("vigil %s\n", VIGIL_VERSION);
		return CLI_EXIT_OK;
	}
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	if (name[0] == '-')
		return cli_usage_error(NULL, "unknown option '%s'", name);
	return cli_usage_error(NULL, "unknown command '%s'", name);
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* Every command's output is filtered (app/cli_out) but those that draw
	 * the terminal or write generated data; usage errors quote argv. */
	const struct cli_command *cmd = NULL;
	for (const struct cli_command *c = cli_commands; c->name && !cmd; c++)
		if (strcmp(c->name, argv[1]) == 0)
			cmd = c;
	struct cli_out filter = { 0 };
	if ((!cmd || !cmd->raw) && cli_out_install(&filter) != 0)
		fprintf(stderr, "vigil: output not filtered (out of memory)\n");
	int rc = run(cmd, argc, argv);
	cli_out_remove(&filter);
	return rc;
}
