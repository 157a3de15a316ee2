/*
 * baseline_job.c: a series' week of hours and the refresh job (see
 * baseline_job.h).
 */
#include "core/baseline_job.h"

#include "core/rollup_codec.h"
#include "core/timeparse.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdlib.h>
#include <string.h>

void baseline_week_init(struct baseline_week *w)
{
	memset(w, 0, sizeof(*w));
}

void baseline_week_done(struct baseline_week *w)
{
	free(w->buf);
	baseline_week_init(w);
}

static size_t varint_len(size_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_varint(uint8_t *p, size_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p = (uint8_t)v;
}

/* The entry at *at: its bytes and length; advances *at. False at the end or
 * on a malformed length. */
static bool next_entry(const struct baseline_week *w, size_t *at, const uint8_t **p, size_t *len)
{
	size_t v = 0, i = *at;
	for (int shift = 0; i < w->len && shift < 35; shift += 7) {
		uint8_t b = w->buf[i++];
		v |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (v > w->len - i)
				return false;
			*p = w->buf + i;
			*len = v;
			*at = i + v;
			return true;
		}
	}
	return false;
}

int64_t baseline_week_first_start(const struct baseline_week *w)
{
	size_t at = 0, len;
	const uint8_t *p;
	int64_t start;
	if (!w->n || !next_entry(w, &at, &p, &len) || rollup_encoded_start(p, len, &start) != 0)
		return INT64_MIN;
	return start;
}

int64_t baseline_week_last_start(const struct baseline_week *w)
{
	return w->n ? w->last_start : INT64_MIN;
}

size_t baseline_week_bytes(const struct baseline_week *w)
{
	return w->cap;
}

static int append(struct baseline_week *w, const uint8_t *enc, size_t len, int64_t start)
{
	size_t need = w->len + varint_len(len) + len;
	if (vg_grow((void **)&w->buf, &w->cap, need, 1, 4096) != 0)
		return VG_ENOMEM;
	put_varint(w->buf + w->len, len);
	w->len += varint_len(len);
	memcpy(w->buf + w->len, enc, len);
	w->len += len;
	w->n++;
	w->last_start = start;
	return 0;
}

int baseline_week_add_encoded(struct baseline_week *w, const uint8_t *enc, size_t len)
{
	int64_t start;
	if (rollup_encoded_start(enc, len, &start) != 0)
		return VG_EINVAL;
	if (w->n && start <= w->last_start)
		return VG_EINVAL;
	return append(w, enc, len, start);
}

int baseline_week_add(struct baseline_week *w, const struct rollup *hour)
{
	if (w->n && hour->start_ms <= w->last_start)
		return VG_EINVAL;
	uint8_t *tmp = malloc(ROLLUP_ENCODED_MAX);
	if (!tmp)
		return VG_ENOMEM;
	int n = rollup_encode(hour, tmp, ROLLUP_ENCODED_MAX);
	int rc = n < 0 ? n : append(w, tmp, (size_t)n, hour->start_ms);
	free(tmp);
	return rc;
}

int baseline_week_split(struct baseline_week *w, int64_t cutoff_ms, struct baseline_week *to)
{
	baseline_week_done(to);
	struct baseline_week keep;
	baseline_week_init(&keep);
	size_t at = 0, len;
	const uint8_t *p;
	int rc = 0;
	while (rc == 0 && next_entry(w, &at, &p, &len)) {
		int64_t start;
		if (rollup_encoded_start(p, len, &start) != 0)
			continue;
		/* an hour's span is an hour: it ends by the cutoff when it starts
		 * an hour before it */
		bool done = start + ROLLUP_HOUR_MS <= cutoff_ms;
		rc = append(done ? to : &keep, p, len, start);
	}
	if (rc != 0) {
		baseline_week_done(to);
		baseline_week_done(&keep);
		return rc;
	}
	baseline_week_done(w);
	*w = keep;
	return 0;
}

int baseline_week_decode(const struct baseline_week *w, struct rollup **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (w->n == 0)
		return 0;
	struct rollup *v = malloc(w->n * sizeof(*v));
	if (!v)
		return VG_ENOMEM;
	size_t at = 0, len, k = 0;
	const uint8_t *p;
	while (k < w->n && next_entry(w, &at, &p, &len)) {
		if (rollup_decode(p, len, &v[k]) != 0) {
			free(v);
			return VG_EPARSE;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

static int64_t floordiv(int64_t t, int64_t d)
{
	int64_t q = t / d;
	return (t % d < 0) ? q - 1 : q;
}

int64_t baseline_job_schedule(const struct baseline_settings *s, int64_t t)
{
	int64_t hour = floordiv(t, ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
	int target = (s->refresh_weekday % 7) * 24 + s->refresh_hour % 24;
	int back = (timeparse_hour_of_week(t) - target + BL_SLOTS) % BL_SLOTS;
	return hour - (int64_t)back * ROLLUP_HOUR_MS;
}

/* ---- the job ------------------------------------------------------------------------- */

struct baseline_job *baseline_job_new(const struct baseline_settings *s, int64_t cutoff_ms)
{
	struct baseline_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->s = *s;
	j->cutoff_ms = cutoff_ms;
	return j;
}

void baseline_job_free(struct baseline_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		baseline_week_done(&j->items[i].week);
	free(j->items);
	free(j);
}

struct baseline_job_item *baseline_job_add(struct baseline_job *j, const struct baseline_model *m,
                                           struct baseline_week *week)
{
	if (vg_grow((void **)&j->items, &j->cap, j->n + 1, sizeof(*j->items), 8) != 0)
		return NULL;
	struct baseline_job_item *it = &j->items[j->n++];
	memset(it, 0, sizeof(*it));
	it->model = *m;
	it->week = *week;
	baseline_week_init(week);
	return it;
}

int baseline_job_run(struct baseline_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct baseline_job_item *it = &j->items[i];
		struct rollup *hours;
		size_t n;
		int rc = baseline_week_decode(&it->week, &hours, &n);
		if (rc == VG_ENOMEM)
			return rc;
		if (rc == 0)
			rc = baseline_refresh(&it->model, &j->s, hours, n, j->cutoff_ms,
			                      &it->report);
		free(hours);
		if (rc == VG_ENOMEM)
			return rc;
		it->rc = rc;
		it->ran = true;
	}
	return 0;
}
