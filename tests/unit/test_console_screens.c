/*
 * test_console_screens.c: the console drawn on the in-memory grid and
 * compared with expected screens, one file per case:
 * tests/data/tui/<name>.screen. Each file starts with a header
 *
 *   # snapshot: outage.json       the snapshot (tests/data/tui/)
 *   # size: 80x24                 the surface
 *   # keys: 4 <Enter> j           keys sent first (<Name> for named keys,
 *                                 longer words are typed letter by letter)
 *   # ascii                       optional: a surface without Unicode
 *   # roles                       optional: compare the role map too
 *
 * followed by the screen as grid_dump() writes it. On a mismatch the test
 * prints both and writes <build>/screens/<name>.actual; with
 * VIGIL_UPDATE_SCREENS=1 it rewrites the expected file instead (review the
 * diff before committing it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/support/testutil.h"
#include "tui/console.h"
#include "tui/console_loop.h"
#include "tui/grid.h"
#include "tui/keys.h"
#include "tui/snapshot_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DATA VIGIL_TEST_DATA_DIR "/tui"

static int key_named(const char *name)
{
	static const struct {
		const char *name;
		int key;
	} keys[] = {
		{ "Enter", TK_ENTER },         { "Esc", TK_ESC },     { "Tab", TK_TAB },
		{ "BTab", TK_BTAB },           { "Up", TK_UP },       { "Down", TK_DOWN },
		{ "Left", TK_LEFT },           { "Right", TK_RIGHT }, { "PgUp", TK_PGUP },
		{ "PgDn", TK_PGDN },           { "Home", TK_HOME },   { "End", TK_END },
		{ "Backspace", TK_BACKSPACE }, { "Space", ' ' },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return keys[i].key;
	return TK_NONE;
}

struct screen_case {
	char snapshot[128];
	int rows, cols;
	char keys[512];
	bool ascii, roles;
	const char *expected; /* points into the file's text */
};

static int parse_header(char *text, struct screen_case *sc, const char *file)
{
	memset(sc, 0, sizeof(*sc));
	char *p = text;
	while (*p == '#') {
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (sscanf(p, "# snapshot: %127s", sc->snapshot) == 1) {
		} else if (sscanf(p, "# size: %dx%d", &sc->cols, &sc->rows) == 2) {
		} else if (strncmp(p, "# keys:", 7) == 0) {
			snprintf(sc->keys, sizeof(sc->keys), "%s", p + 7);
		} else if (strcmp(p, "# ascii") == 0) {
			sc->ascii = true;
		} else if (strcmp(p, "# roles") == 0) {
			sc->roles = true;
		} else if (strncmp(p, "# ", 2) != 0 && strcmp(p, "#") != 0) {
			fprintf(stderr, "%s: unknown header line '%s'\n", file, p);
			return -1;
		}
		p = nl + 1;
	}
	sc->expected = p;
	if (!sc->snapshot[0] || sc->rows <= 0 || sc->cols <= 0) {
		fprintf(stderr, "%s: needs '# snapshot:' and '# size:'\n", file);
		return -1;
	}
	return 0;
}

static void send_token(struct console *c, const struct snapshot *s, char *tok)
{
	size_t n = strlen(tok);
	if (tok[0] == '<' && n > 2 && tok[n - 1] == '>') {
		tok[n - 1] = '\0';
		int k = key_named(tok + 1);
		assert_int_not_equal(k, TK_NONE);
		console_key(c, s, k);
		return;
	}
	for (size_t i = 0; i < n; i++)
		console_key(c, s, (unsigned char)tok[i]);
}

static void send_keys(struct console *c, const struct snapshot *s, const char *keys)
{
	char tok[128];
	size_t n = 0;
	for (const char *p = keys;; p++) {
		if (*p == ' ' || *p == '\0') {
			tok[n] = '\0';
			if (n)
				send_token(c, s, tok);
			n = 0;
			if (!*p)
				break;
		} else if (n + 1 < sizeof(tok)) {
			tok[n++] = *p;
		}
	}
}

/* Write `text` to path (for .actual files and updates). */
static void write_file(const char *path, const char *head, size_t head_len, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(head, 1, head_len, f);
	fputs(text, f);
	fclose(f);
}

static int run_case(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", DATA, name);
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_non_null(text);
	char *copy = strdup(text);
	struct screen_case sc;
	if (parse_header(copy, &sc, name) != 0) {
		free(text);
		free(copy);
		return 1;
	}
	struct snapshot *s = snapshot_new();
	char *cause = NULL;
	char snap_path[1024];
	snprintf(snap_path, sizeof(snap_path), "%s/%s", DATA, sc.snapshot);
	if (snapshot_load_file(s, snap_path, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	struct console *c = calloc(1, sizeof(*c));
	/* The product's hook: the runbooks embedded in the binary. */
	struct console_hooks hooks = { console_read_runbook, NULL };
	console_init(c, "alice", &hooks);
	struct surface *g = grid_new(sc.rows, sc.cols, !sc.ascii, true);
	/* Lay out once at this size, so page sizes are right for the keys. */
	console_draw(c, s, g);
	console_update(c, s);
	send_keys(c, s, sc.keys);
	console_draw(c, s, g);
	char *got = grid_dump(g, sc.roles);
	int failed = 0;
	if (strcmp(got, sc.expected) != 0) {
		size_t head_len = (size_t)(sc.expected - copy);
		const char *update = getenv("VIGIL_UPDATE_SCREENS");
		if (update && strcmp(update, "1") == 0) {
			write_file(path, text, head_len, got);
			fprintf(stderr, "updated %s\n", name);
		} else {
			const char *bd = getenv("VIGIL_BUILD_DIR");
			char out[1024];
			snprintf(out, sizeof(out), "%s/screens", bd ? bd : ".");
			mkdir(out, 0755);
			snprintf(out, sizeof(out), "%s/screens/%s.actual", bd ? bd : ".", name);
			write_file(out, text, head_len, got);
			fprintf(stderr,
			        "FAIL %s: screen differs (actual in %s)\n--- expected\n%s--- "
			        "got\n%s",
			        name, out, sc.expected, got);
			failed = 1;
		}
	}
	/* Whatever the case, nothing on screen is a control character. */
	for (const char *p = got; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	free(got);
	grid_free(g);
	console_done(c);
	free(c);
	snapshot_free(s);
	free(text);
	free(copy);
	return failed;
}

static void test_screens(void **state)
{
	(void)state;
	size_t n;
	char **names = tu_list_dir(DATA, ".screen", &n);
	assert_non_null(names);
	assert_true(n >= 10);
	int failures = 0;
	for (size_t i = 0; i < n; i++)
		failures += run_case(names[i]);
	tu_free_list(names, n);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
