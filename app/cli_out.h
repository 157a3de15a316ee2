/*
 * cli_out.h: what a command prints is safe for the terminal it lands on.
 * Provider names, models, request ids, file names and model output come
 * from outside; printed raw, an OSC 52 in a gateway's event line sets the
 * reader's clipboard and an OSC 0 its title. So every command's stdout and
 * stderr pass through core/sanitize on their way out (control sequences
 * removed whole, control characters and invalid UTF-8 replaced; newlines
 * kept), except the commands that draw the terminal themselves (console,
 * demo) and the simulator (whose output is generated data).
 *
 * JSON documents are escaped rather than stripped (lossless): jansson
 * already escapes C0 controls, and cli_json_safe() escapes the rest a
 * terminal could act on (DEL, C1 controls, bidirectional overrides and
 * isolates, line and paragraph separators) before the document is printed.
 *
 * A progress line (a terminal's "\r\033[K..." redraw) goes around the
 * filter through cli_progress(), with its text sanitised.
 */
#ifndef VIGIL_APP_CLI_OUT_H
#define VIGIL_APP_CLI_OUT_H

#include <stdio.h>

/* The filters in front of stdout and stderr, and what those were: held by
 * the caller (zero-initialised) from cli_out_install() to cli_out_remove(). */
struct cli_out {
	FILE *out, *err;           /* the filters; NULL when not installed */
	FILE *orig_out, *orig_err; /* stdout and stderr before */
};

/* Put the filter in front of stdout and stderr (once per process), noted in
 * *o. Returns 0, or a negative vg_err (then output stays unfiltered). */
int cli_out_install(struct cli_out *o);

/* Flush and close the filters, and make stdout and stderr what they were;
 * nothing when none is installed. */
void cli_out_remove(struct cli_out *o);

/* A copy of the JSON text `json` with DEL, U+0080..U+009F, U+2028/U+2029 and
 * the bidirectional controls written as \uXXXX escapes (valid JSON: these
 * can only stand inside strings). Caller frees; NULL when out of memory or
 * `json` is NULL. */
char *cli_json_safe(const char *json);

/* Print `json` made safe (cli_json_safe()) and a newline to f; 0 or -1. */
int cli_json_print(FILE *f, const char *json);

/* Redraw the progress line on stderr (a terminal): "\r\033[K" and the
 * formatted text, sanitised. cli_progress_end() clears it. */
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_end(void);

#endif
