/*
 * fmt.h: how the console writes numbers and times, short and in fixed
 * widths: "820ms", "1.3s"; "99.2%"; "1.2k"; "6m", "2h"; "2m14s";
 * "10:04:05". NaN or VG_NONE give "-". Each writes into buf (NUL-terminated,
 * cut to size) and returns buf.
 */
#ifndef VIGIL_TUI_FMT_H
#define VIGIL_TUI_FMT_H

#include <stddef.h>
#include <stdint.h>

char *fmt_ms(double ms, char *buf, size_t size);           /* latency: "820ms", "1.3s", "2.1m" */
char *fmt_pct(double share, char *buf, size_t size);       /* 0..1 -> "99.2%", "100%", "0%" */
char *fmt_count(int64_t n, char *buf, size_t size);        /* "950", "1.2k", "3.4M" */
char *fmt_rate(double per_s, char *buf, size_t size);      /* tokens/s: "950", "1.2k" */
char *fmt_age(int64_t ms, char *buf, size_t size);         /* "5s", "6m", "2h", "3d" */
char *fmt_span(int64_t ms, char *buf, size_t size);        /* "45s", "2m14s", "1h05m" */
char *fmt_clock(int64_t epoch_ms, char *buf, size_t size); /* UTC "10:04:05" */
char *fmt_num(double v, int decimals, char *buf, size_t size); /* "0.97", "-" */
char *fmt_usd(double usd, char *buf, size_t size);             /* "$0.12", "$12", "-" */

/* `text` in at most `cols` columns: whole when it fits, else cut after its
 * last whole word that fits, with " ..." (so "latency 213 ms" never shows
 * as "latency 213 m"). Returns buf. */
char *fmt_fit_words(const char *text, int cols, char *buf, size_t size);

#endif
