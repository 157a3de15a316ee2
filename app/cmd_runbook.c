/*
 * cmd_runbook.c: `vigil runbook [NAME]`: the runbooks embedded in the binary
 * (core/runbook.h). Without NAME, one line per runbook (name and title);
 * with NAME, that runbook whole. Text goes through core/sanitize like every
 * other command's output, so a runbook cannot drive the terminal.
 */
#include "app/cli.h"
#include "app/commands.h"
#include "core/runbook.h"
#include "core/sanitize.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("usage: vigil runbook [NAME]\n\n"
	       "The runbooks shipped in the binary (docs/runbooks/). Without NAME, list\n"
	       "them (name and title); with NAME (\"provider\", \"provider.md\"), print that\n"
	       "one. Exit 0, or 2 on usage errors (an unknown NAME).\n\n"
	       "  -h, --help          this help\n");
}

/* The name without ".md", as listed and as accepted. */
static int short_name_len(const char *name)
{
	size_t n = strlen(name);
	if (n > 3 && strcmp(name + n - 3, ".md") == 0)
		n -= 3;
	return (int)n;
}

static int list(void)
{
	for (const struct runbook_doc *d = runbook_docs; d->name; d++) {
		char title[160], safe[sizeof(title) * 3];
		runbook_title(d, title, sizeof(title));
		sanitize_str(safe, sizeof(safe), title, 0);
		printf("%-10.*s %s\n", short_name_len(d->name), d->name, safe);
	}
	return CLI_EXIT_OK;
}

static int print(const struct runbook_doc *d)
{
	/* Sanitising can grow the text (an invalid byte becomes U+FFFD, 3 bytes). */
	size_t size = d->len * 3 + 1;
	char *out = malloc(size);
	if (!out) {
		fprintf(stderr, "vigil runbook: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	size_t n = sanitize_text(out, size, d->data, d->len, SANITIZE_KEEP_NEWLINES);
	fwrite(out, 1, n, stdout);
	if (n > 0 && out[n - 1] != '\n')
		putchar('\n');
	free(out);
	return CLI_EXIT_OK;
}

int cmd_runbook_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("runbook", c, argv);
		}
	}
	if (optind == argc)
		return list();
	if (optind + 1 < argc)
		return cli_usage_error("runbook", "unexpected argument '%s'", argv[optind + 1]);
	const struct runbook_doc *d = runbook_find(argv[optind]);
	if (!d) {
		char safe[256];
		sanitize_str(safe, sizeof(safe), argv[optind], 0);
		return cli_usage_error("runbook", "unknown runbook '%s'", safe);
	}
	return print(d);
}
