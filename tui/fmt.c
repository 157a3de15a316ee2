/*
 * fmt.c: short number and time formats for the console (see fmt.h).
 */
#include "tui/fmt.h"

#include "core/model.h"
#include "tui/surface.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

char *fmt_ms(double ms, char *buf, size_t size)
{
	if (isnan(ms) || ms < 0)
		snprintf(buf, size, "-");
	else if (ms < 1000)
		snprintf(buf, size, "%.0fms", ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", ms / 1000.0);
	else
		snprintf(buf, size, "%.1fm", ms / 60000.0);
	return buf;
}

char *fmt_fit_words(const char *text, int cols, char *buf, size_t size)
{
	snprintf(buf, size, "%s", text);
	if (surf_text_width(buf) <= cols)
		return buf;
	/* Drop words from the end until the rest and " ..." fit. */
	for (char *sp = strrchr(buf, ' '); sp; sp = strrchr(buf, ' ')) {
		*sp = '\0';
		if (surf_text_width(buf) + 4 <= cols) {
			size_t n = strlen(buf);
			snprintf(buf + n, size - n, " ...");
			return buf;
		}
	}
	/* One long word: cut it (surf_put stops at the edge). */
	snprintf(buf, size, "%s", text);
	return buf;
}

char *fmt_pct(double share, char *buf, size_t size)
{
	if (isnan(share))
		snprintf(buf, size, "-");
	else if (share >= 0.9995 && share <= 1.0)
		snprintf(buf, size, "100%%");
	else if (share == 0.0)
		snprintf(buf, size, "0%%");
	else
		snprintf(buf, size, "%.1f%%", share * 100.0);
	return buf;
}

char *fmt_count(int64_t n, char *buf, size_t size)
{
	if (!vg_has(n))
		snprintf(buf, size, "-");
	else if (n < 1000)
		snprintf(buf, size, "%lld", (long long)n);
	else if (n < 1000000)
		snprintf(buf, size, "%.1fk", (double)n / 1e3);
	else if (n < 1000000000)
		snprintf(buf, size, "%.1fM", (double)n / 1e6);
	else
		snprintf(buf, size, "%.1fG", (double)n / 1e9);
	return buf;
}

char *fmt_rate(double v, char *buf, size_t size)
{
	if (isnan(v) || v < 0)
		snprintf(buf, size, "-");
	else if (v < 10)
		snprintf(buf, size, "%.1f", v);
	else if (v < 1000)
		snprintf(buf, size, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, size, "%.1fk", v / 1e3);
	else
		snprintf(buf, size, "%.1fM", v / 1e6);
	return buf;
}

char *fmt_age(int64_t ms, char *buf, size_t size)
{
	if (!vg_has(ms))
		snprintf(buf, size, "-");
	else if (ms < 0)
		snprintf(buf, size, "0s");
	else if (ms < 60000)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else if (ms < 86400000)
		snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
	else
		snprintf(buf, size, "%lldd", (long long)(ms / 86400000));
	return buf;
}

char *fmt_span(int64_t ms, char *buf, size_t size)
{
	if (!vg_has(ms))
		snprintf(buf, size, "-");
	else if (ms < 0)
		snprintf(buf, size, "0s");
	else if (ms < 60000)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm%02llds", (long long)(ms / 60000),
		         (long long)(ms / 1000 % 60));
	else if (ms < 86400000)
		snprintf(buf, size, "%lldh%02lldm", (long long)(ms / 3600000),
		         (long long)(ms / 60000 % 60));
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)(ms / 86400000),
		         (long long)(ms / 3600000 % 24));
	return buf;
}

char *fmt_clock(int64_t epoch_ms, char *buf, size_t size)
{
	if (!vg_has(epoch_ms)) {
		snprintf(buf, size, "-");
		return buf;
	}
	int64_t s = epoch_ms / 1000;
	if (epoch_ms < 0 && epoch_ms % 1000)
		s--;
	int64_t day_s = ((s % 86400) + 86400) % 86400;
	snprintf(buf, size, "%02lld:%02lld:%02lld", (long long)(day_s / 3600),
	         (long long)(day_s / 60 % 60), (long long)(day_s % 60));
	return buf;
}

char *fmt_num(double v, int decimals, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f", decimals, v);
	return buf;
}

char *fmt_usd(double usd, char *buf, size_t size)
{
	if (isnan(usd))
		snprintf(buf, size, "-");
	else if (usd < 100)
		snprintf(buf, size, "$%.2f", usd);
	else
		snprintf(buf, size, "$%.0f", usd);
	return buf;
}
