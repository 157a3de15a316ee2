/*
 * timeparse.h: pure parsers and formatters for the time notations providers
 * and gateways use. Times are milliseconds since the Unix epoch (UTC); nothing
 * here reads the clock or the TZ environment.
 */
#ifndef VIGIL_CORE_TIMEPARSE_H
#define VIGIL_CORE_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parse an RFC 3339 timestamp ("2026-11-27T10:00:00.123Z", "...+02:00",
 * any number of fraction digits, 't'/'z' accepted) into *ms.
 * Returns 0, or VG_EPARSE leaving *ms unchanged. */
int timeparse_rfc3339(const char *s, size_t len, int64_t *ms);

/* Parse an HTTP date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete
 * RFC 850 and asctime forms too) into *ms. Returns 0 or VG_EPARSE. */
int timeparse_http_date(const char *s, size_t len, int64_t *ms);

/* Parse a Go-style duration ("12ms", "1s", "6m0s", "1h2m3.5s", "250us",
 * "47s", "0.5s") into *ms, rounded to the nearest ms. Units: h, m, s, ms,
 * us/µs, ns. A bare number is refused. Returns 0 or VG_EPARSE. */
int timeparse_go_duration(const char *s, size_t len, int64_t *ms);

/* Format ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least
 * 25 bytes). Returns the length written, or a negative code if it does not fit. */
int timeparse_format_rfc3339(int64_t ms, char *buf, size_t size);

/* Days since 1970-01-01 of a proleptic Gregorian civil date. */
int64_t timeparse_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Hour of the week (0 = Monday 00:00 UTC .. 167) of a time, for baselines. */
int timeparse_hour_of_week(int64_t ms);

#endif
