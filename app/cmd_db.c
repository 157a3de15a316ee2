/*
 * cmd_db.c: `vigil db check --db PATH [--quick]` and `vigil db recover --db
 * PATH --out NEW`: a database file's integrity, and what can be saved from
 * a damaged one (data/dbfile). Both open PATH read-only and never change
 * it; another application's database is refused.
 *
 * check: PRAGMA integrity_check (quick_check with --quick), every problem
 * SQLite lists on its own line. Exit 0 when SQLite says "ok", 1 when the
 * file is damaged or refused, 2 on usage errors.
 *
 * recover: vigil's tables copied row by row into NEW, a fresh vigil
 * database (dbfile_salvage(): rows on damaged pages are lost, the rest is
 * kept; it does not run the sqlite3 shell's .recover), then a table of what
 * each table kept. Exit 0 when NEW was written and passes integrity_check
 * (losses are listed), 1 when nothing could be written, 2 on usage errors.
 */
#include "app/cli.h"
#include "app/cli_db.h"
#include "app/commands.h"
#include "core/vgerr.h"
#include "data/dbfile.h"
#include "data/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("usage: vigil db check --db PATH [--quick]\n"
	       "       vigil db recover --db PATH --out NEW\n\n"
	       "A vigil database file's integrity. Both read PATH without changing it, and\n"
	       "refuse a database that is not vigil's (PRAGMA application_id 0x%08x).\n\n"
	       "  check      PRAGMA integrity_check (--quick: quick_check), each problem on\n"
	       "             its own line; exit 0 when whole, 1 when damaged\n"
	       "  recover    copy what is readable of every vigil table into NEW, a new\n"
	       "             vigil database (never overwritten): rows on damaged pages are\n"
	       "             lost, the rest is kept; prints what each table kept\n\n"
	       "  -d, --db PATH     the database (required)\n"
	       "  -o, --out NEW     recover: the new file (must not exist)\n"
	       "  -q, --quick       check: quick_check (no index cross-check)\n"
	       "  -h, --help        this help\n\n"
	       "Exit status: 0 whole (check) or written (recover), 1 damaged or failed,\n"
	       "2 usage error; 3 no such database, 4 not a file (a directory), 5 not\n"
	       "readable by this user, 6 not a vigil database (as every command's --db).\n",
	       (unsigned)DBFILE_APPLICATION_ID);
}

static const char *kind_name(enum dbfile_kind k)
{
	switch (k) {
	case DBFILE_VIGIL: return "vigil database";
	case DBFILE_UNMARKED: return "vigil database from before the application_id mark";
	default: return "empty database";
	}
}

struct problems {
	int n;
};

static void on_problem(void *data, const char *line)
{
	struct problems *p = data;
	p->n++;
	/* SQLite's lines may hold newlines ("*** in database main ***\nPage 5: ...") */
	for (const char *l = line; *l;) {
		const char *e = strchr(l, '\n');
		int len = e ? (int)(e - l) : (int)strlen(l);
		if (len)
			printf("  %.*s\n", len, l);
		l += len + (e ? 1 : 0);
	}
}

static int check(const char *db, bool quick)
{
	struct dbfile_id id;
	struct problems p = { 0 };
	char *cause = NULL;
	printf("%s: %s\n", db, quick ? "PRAGMA quick_check" : "PRAGMA integrity_check");
	int rc = dbfile_check(db, quick, 200, on_problem, &p, &id, &cause);
	if (cause) {
		fprintf(stderr, "vigil db check: %s\n", cause);
		free(cause);
		return CLI_EXIT_FAIL;
	}
	printf("%s: %s, schema %d, application_id 0x%08x\n", db, kind_name(id.kind),
	       id.user_version, id.application_id);
	if (rc == 0) {
		printf("%s: ok\n", db);
		return CLI_EXIT_OK;
	}
	if (rc == VG_ECORRUPT) {
		printf("%s: DAMAGED (%d problem%s listed above). vigil will not write to it; copy "
		       "what is readable with `vigil db recover --db %s --out NEW`\n",
		       db, p.n, p.n == 1 ? "" : "s", db);
		return CLI_EXIT_FAIL;
	}
	fprintf(stderr, "vigil db check: %s: %s\n", db, vg_strerror(rc));
	return CLI_EXIT_FAIL;
}

static int recover(const char *db, const char *out)
{
	struct dbfile_salvage_report rep;
	char *cause = NULL;
	int rc = dbfile_salvage(db, out, &rep, &cause);
	if (rc != 0) {
		fprintf(stderr, "vigil db recover: %s\n", cause ? cause : vg_strerror(rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	printf("%s -> %s (a new vigil database, schema %d): %lld rows copied\n", db, out,
	       STORE_SCHEMA_VERSION, (long long)rep.copied);
	printf("  %-22s %10s %8s %6s  %s\n", "table", "copied", "refused", "gaps", "note");
	for (size_t i = 0; i < rep.n; i++) {
		const struct dbfile_table_report *t = &rep.t[i];
		const char *note = t->unreadable ? "unreadable: nothing copied"
		                   : t->cut      ? "copied up to its first damaged page"
		                   : t->gaps     ? "rows on damaged pages lost"
		                                 : "";
		printf("  %-22s %10lld %8lld %6lld  %s\n", t->table, (long long)t->copied,
		       (long long)t->refused, (long long)t->gaps, note);
	}
	if (!rep.result_ok) {
		fprintf(stderr, "vigil db recover: %s does not pass integrity_check\n", out);
		return CLI_EXIT_FAIL;
	}
	printf("%s: passes integrity_check. %s\n", out,
	       rep.damaged ? "Some rows were lost (see above); point store.path at the new file "
	                     "to go on with what was saved"
	                   : "Nothing was lost");
	return CLI_EXIT_OK;
}

int cmd_db_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *out = NULL;
	bool quick = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'q': quick = true; break;
		case 'h': help(); return CLI_EXIT_OK;
		default: return cli_bad_option("db", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("db", "no action given (check or recover)");
	const char *action = argv[optind];
	if (optind + 1 < argc)
		return cli_usage_error("db", "unexpected argument '%s'", argv[optind + 1]);
	if (!db)
		return cli_usage_error("db", "--db PATH is required");
	if (strcmp(action, "check") == 0) {
		if (out)
			return cli_usage_error("db", "--out goes with recover");
		int st = cli_db_check("db check", db, DBACCESS_READ);
		return st ? st : check(db, quick);
	}
	if (strcmp(action, "recover") == 0) {
		if (!out)
			return cli_usage_error("db", "recover needs --out NEW");
		if (quick)
			return cli_usage_error("db", "--quick goes with check");
		int st = cli_db_check("db recover", db, DBACCESS_READ);
		return st ? st : recover(db, out);
	}
	return cli_usage_error("db", "unknown action '%s' (check or recover)", action);
}
