/* sim_time.c: time formatting, duration parsing and the virtual clock. */
#include "sim/sim_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant's civil_from_days. */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = floor_div(days, 146097);
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct parts {
	int64_t y;
	int mo, d, h, mi, s, ms, wday;
};

static void split(int64_t ms, struct parts *p)
{
	int64_t days = floor_div(ms, 86400000);
	int64_t rem = ms - days * 86400000;
	civil(days, &p->y, &p->mo, &p->d);
	p->h = (int)(rem / 3600000);
	p->mi = (int)(rem / 60000 % 60);
	p->s = (int)(rem / 1000 % 60);
	p->ms = (int)(rem % 1000);
	p->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

char *sim_time_rfc3339(int64_t ms, bool millis, char *buf, size_t size)
{
	struct parts p;
	split(ms, &p);
	if (millis)
		snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)p.y, p.mo,
		         p.d, p.h, p.mi, p.s, p.ms);
	else
		snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)p.y, p.mo, p.d,
		         p.h, p.mi, p.s);
	return buf;
}

char *sim_time_http_date(int64_t ms, char *buf, size_t size)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct parts p;
	split(ms, &p);
	snprintf(buf, size, "%s, %02d %s %04lld %02d:%02d:%02d GMT", wd[p.wday], p.d, mon[p.mo - 1],
	         (long long)p.y, p.h, p.mi, p.s);
	return buf;
}

char *sim_time_go_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000) {
		snprintf(buf, size, "%lldms", (long long)ms);
		return buf;
	}
	int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
	char sec[32];
	if (frac) {
		snprintf(sec, sizeof(sec), "%lld.%03lld", (long long)s, (long long)frac);
		size_t n = strlen(sec);
		while (sec[n - 1] == '0')
			sec[--n] = '\0';
	} else {
		snprintf(sec, sizeof(sec), "%lld", (long long)s);
	}
	if (h)
		snprintf(buf, size, "%lldh%lldm%ss", (long long)h, (long long)m, sec);
	else if (m)
		snprintf(buf, size, "%lldm%ss", (long long)m, sec);
	else
		snprintf(buf, size, "%ss", sec);
	return buf;
}

int sim_time_parse_duration(const char *s, int64_t *ms)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	double total = 0;
	const char *p = s;
	while (*p) {
		char *end;
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -1;
		double v = strtod(p, &end);
		if (end == p || !isfinite(v) || v < 0)
			return -1;
		p = end;
		double unit;
		if (p[0] == 'm' && p[1] == 's') {
			unit = 1;
			p += 2;
		} else if (*p == 'd') {
			unit = 86400000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else {
			return -1;
		}
		total += v * unit;
	}
	if (total > 9e15)
		return -1;
	*ms = (int64_t)llround(total);
	return 0;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int sim_time_parse_rfc3339(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0;
	if (!s || strlen(s) < 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int scale = 100;
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
			return -1;
		off = (oh * 60 + om) * 60000LL * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	*ms = days_from_civil(y, mo, d) * 86400000LL + h * 3600000LL + mi * 60000LL + sec * 1000LL +
	      frac - off;
	return 0;
}

int64_t sim_time_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_clock_init(struct sim_clock *c, int64_t wall0_ms, int64_t scn0_ms, double speed)
{
	c->wall0_ms = wall0_ms;
	c->scn0_ms = scn0_ms;
	c->speed = speed;
	c->loop_ms = 0;
}

int64_t sim_clock_scenario_ms(const struct sim_clock *c, int64_t wall_ms)
{
	double t = (double)c->scn0_ms;
	if (c->speed > 0)
		t += (double)(wall_ms - c->wall0_ms) * c->speed;
	int64_t v = (int64_t)llround(t);
	if (c->loop_ms > 0) {
		v %= c->loop_ms;
		if (v < 0)
			v += c->loop_ms;
	}
	return v;
}

int64_t sim_clock_wall_ms(const struct sim_clock *c, int64_t scn_ms)
{
	if (c->speed <= 0)
		return c->wall0_ms;
	return c->wall0_ms + (int64_t)llround((double)(scn_ms - c->scn0_ms) / c->speed);
}

void sim_clock_set(struct sim_clock *c, int64_t wall_ms, int64_t scn_ms)
{
	c->wall0_ms = wall_ms;
	c->scn0_ms = scn_ms;
}
