/*
 * report.h: the console's content as plain lines, for `vigil demo
 * --headless` (or no terminal): a one-line summary per second and, at the
 * end, a table of incidents that scripts can read (whitespace-separated
 * columns, one incident per line, a header first). Drawn from the same
 * snapshots as the panes.
 */
#ifndef VIGIL_TUI_REPORT_H
#define VIGIL_TUI_REPORT_H

#include "data/snapshot.h"

#include <stdio.h>

/* "t+42s  requests 1.2k/5m  breakers open 1/3  incidents open 4 (critical 1, high 2) ..."
 * into buf; `elapsed_ms` is how long the demo has run. Returns buf. */
char *report_summary_line(const struct snapshot *s, int64_t elapsed_ms, char *buf, size_t size);

/* The incident table:
 *   ID SEVERITY CATEGORY SUBTYPE PROVIDER COUNT FIRST LAST STATE ACKED_BY
 * times as UTC HH:MM:SS, "-" for empty fields. Returns the rows written. */
int report_incidents_table(const struct snapshot *s, FILE *out);

#endif
