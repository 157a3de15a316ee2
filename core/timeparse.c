/*
 * timeparse.c: RFC 3339, HTTP dates and Go durations, without libc's time
 * functions (which may consult TZ) so that core stays pure.
 */
#include "core/timeparse.h"

#include "core/vgerr.h"

#include <string.h>

int64_t timeparse_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm. */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t mp = (int64_t)((m + 9) % 12);
	const int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Reads exactly n digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
	int v = 0;
	for (int k = 0; k < n; k++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

static int valid_civil(int y, int mo, int d, int h, int mi, int se)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo))
		return 0;
	/* 60 allows a leap second; it is folded into the next minute. */
	return h <= 23 && mi <= 59 && se <= 60;
}

static int64_t to_ms(int y, int mo, int d, int h, int mi, int se)
{
	int64_t days = timeparse_days_from_civil(y, (unsigned)mo, (unsigned)d);
	return ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000;
}

int timeparse_rfc3339(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0;
	int y, mo, d, h, mi, se;
	if (!s || digits(s, len, &i, 4, &y) || expect(s, len, &i, '-') ||
	    digits(s, len, &i, 2, &mo) || expect(s, len, &i, '-') || digits(s, len, &i, 2, &d))
		return VG_EPARSE;
	if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return VG_EPARSE;
	i++;
	if (digits(s, len, &i, 2, &h) || expect(s, len, &i, ':') || digits(s, len, &i, 2, &mi) ||
	    expect(s, len, &i, ':') || digits(s, len, &i, 2, &se))
		return VG_EPARSE;
	if (!valid_civil(y, mo, d, h, mi, se))
		return VG_EPARSE;
	int64_t frac_ms = 0;
	if (i < len && s[i] == '.') {
		i++;
		int n = 0;
		int64_t scale = 100;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (scale > 0)
				frac_ms += (s[i] - '0') * scale;
			scale /= 10;
			i++;
			n++;
		}
		if (n == 0)
			return VG_EPARSE;
	}
	int64_t offset_min = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;
		int oh, om;
		i++;
		if (digits(s, len, &i, 2, &oh) || expect(s, len, &i, ':') ||
		    digits(s, len, &i, 2, &om) || oh > 23 || om > 59)
			return VG_EPARSE;
		offset_min = sign * (oh * 60 + om);
	} else {
		return VG_EPARSE;
	}
	if (i != len)
		return VG_EPARSE;
	*ms = to_ms(y, mo, d, h, mi, se) + frac_ms - offset_min * 60000;
	return 0;
}

static int month_from_name(const char *s, size_t len, size_t *i)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (*i + 3 > len)
		return -1;
	for (int m = 0; m < 12; m++) {
		if (memcmp(names + 3 * m, s + *i, 3) == 0) {
			*i += 3;
			return m + 1;
		}
	}
	return -1;
}

static int skip_weekday(const char *s, size_t len, size_t *i)
{
	size_t start = *i;
	while (*i < len && ((s[*i] >= 'A' && s[*i] <= 'Z') || (s[*i] >= 'a' && s[*i] <= 'z')))
		(*i)++;
	return *i - start >= 3 ? 0 : -1;
}

static int hms(const char *s, size_t len, size_t *i, int *h, int *mi, int *se)
{
	if (digits(s, len, i, 2, h) || expect(s, len, i, ':') || digits(s, len, i, 2, mi) ||
	    expect(s, len, i, ':') || digits(s, len, i, 2, se))
		return -1;
	return 0;
}

static int gmt(const char *s, size_t len, size_t *i)
{
	if (expect(s, len, i, ' ') || *i + 3 > len || memcmp(s + *i, "GMT", 3) != 0)
		return -1;
	*i += 3;
	return 0;
}

int timeparse_http_date(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0;
	int y, mo, d, h, mi, se;
	if (!s || skip_weekday(s, len, &i))
		return VG_EPARSE;
	if (i < len && s[i] == ',') {
		/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or
		 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT". */
		i++;
		if (expect(s, len, &i, ' ') || digits(s, len, &i, 2, &d))
			return VG_EPARSE;
		if (i < len && s[i] == '-') {
			i++;
			if ((mo = month_from_name(s, len, &i)) < 0 || expect(s, len, &i, '-') ||
			    digits(s, len, &i, 2, &y))
				return VG_EPARSE;
			y += y < 70 ? 2000 : 1900;
		} else {
			if (expect(s, len, &i, ' ') || (mo = month_from_name(s, len, &i)) < 0 ||
			    expect(s, len, &i, ' ') || digits(s, len, &i, 4, &y))
				return VG_EPARSE;
		}
		if (expect(s, len, &i, ' ') || hms(s, len, &i, &h, &mi, &se) || gmt(s, len, &i))
			return VG_EPARSE;
	} else {
		/* asctime "Sun Nov  6 08:49:37 1994" */
		if (expect(s, len, &i, ' ') || (mo = month_from_name(s, len, &i)) < 0 ||
		    expect(s, len, &i, ' '))
			return VG_EPARSE;
		if (i < len && s[i] == ' ')
			i++;
		d = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && d < 100)
			d = d * 10 + (s[i++] - '0');
		if (expect(s, len, &i, ' ') || hms(s, len, &i, &h, &mi, &se) ||
		    expect(s, len, &i, ' ') || digits(s, len, &i, 4, &y))
			return VG_EPARSE;
	}
	if (i != len || !valid_civil(y, mo, d, h, mi, se))
		return VG_EPARSE;
	*ms = to_ms(y, mo, d, h, mi, se);
	return 0;
}

int timeparse_go_duration(const char *s, size_t len, int64_t *ms)
{
	size_t i = 0;
	double total_ns = 0;
	int sign = 1;
	if (!s || len == 0)
		return VG_EPARSE;
	if (s[0] == '-' || s[0] == '+') {
		sign = s[0] == '-' ? -1 : 1;
		i++;
	}
	if (len - i == 1 && s[i] == '0') {
		*ms = 0;
		return 0;
	}
	if (i >= len)
		return VG_EPARSE;
	while (i < len) {
		double v = 0, scale = 1;
		int nd = 0, seen_dot = 0;
		while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
			if (s[i] == '.') {
				if (seen_dot++)
					return VG_EPARSE;
			} else if (seen_dot) {
				scale /= 10;
				v += (s[i] - '0') * scale;
				nd++;
			} else {
				v = v * 10 + (s[i] - '0');
				nd++;
			}
			i++;
		}
		if (nd == 0 || i >= len)
			return VG_EPARSE;
		double unit;
		/* "ms" before "m": the longest unit that matches wins. */
		if (len - i >= 2 && s[i] == 'm' && s[i + 1] == 's') {
			unit = 1e6;
			i += 2;
		} else if (len - i >= 2 && s[i] == 'u' && s[i + 1] == 's') {
			unit = 1e3;
			i += 2;
		} else if (len - i >= 3 && (unsigned char)s[i] == 0xc2 &&
		           (unsigned char)s[i + 1] == 0xb5 && s[i + 2] == 's') {
			unit = 1e3;
			i += 3;
		} else if (len - i >= 2 && s[i] == 'n' && s[i + 1] == 's') {
			unit = 1;
			i += 2;
		} else if (s[i] == 'h') {
			unit = 3600e9;
			i++;
		} else if (s[i] == 'm') {
			unit = 60e9;
			i++;
		} else if (s[i] == 's') {
			unit = 1e9;
			i++;
		} else {
			return VG_EPARSE;
		}
		total_ns += v * unit;
		if (total_ns > 9.2e18)
			return VG_EPARSE;
	}
	*ms = sign * (int64_t)(total_ns / 1e6 + 0.5);
	return 0;
}

int timeparse_format_rfc3339(int64_t ms, char *buf, size_t size)
{
	if (size < 25)
		return VG_ERANGE;
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t rem = ms - days * 86400000;
	int64_t y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		return VG_ERANGE;
	unsigned h = (unsigned)(rem / 3600000), mi = (unsigned)(rem / 60000 % 60);
	unsigned se = (unsigned)(rem / 1000 % 60), milli = (unsigned)(rem % 1000);
	unsigned vals[] = { (unsigned)y, mo, d, h, mi, se, milli };
	static const int widths[] = { 4, 2, 2, 2, 2, 2, 3 };
	static const char seps[] = "--T::.Z";
	size_t o = 0;
	for (int k = 0; k < 7; k++) {
		for (int w = widths[k] - 1; w >= 0; w--) {
			unsigned v = vals[k];
			for (int p = 0; p < w; p++)
				v /= 10;
			buf[o++] = (char)('0' + v % 10);
		}
		buf[o++] = seps[k];
	}
	buf[o] = '\0';
	return (int)o;
}

int timeparse_hour_of_week(int64_t ms)
{
	int64_t hours = ms >= 0 ? ms / 3600000 : -((-ms + 3599999) / 3600000);
	/* 1970-01-01 was a Thursday: hour 0 of the epoch is hour 72 of its week. */
	int64_t how = (hours + 72) % 168;
	if (how < 0)
		how += 168;
	return (int)how;
}
