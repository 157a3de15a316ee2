/*
 * ingest_read.c: the tailer's worker side (see ingest.c's top comment for
 * who touches what): on libuv's pool, a read carries the unfinished last
 * line of the previous chunk over, preads the next bytes, splits lines
 * (skipping, with its head kept, a line over DECODE_MAX_LINE) and decodes
 * them into the slot's observations and quarantine items, with their texts
 * copied out of the decoder's scratch.
 */
#include "data/ingest_internal.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the worker (pool thread) ---------------------------------------------------------- */

static struct item *push_item(struct chunk *c)
{
	if (c->n_items == c->cap_items &&
	    vg_grow((void **)&c->items, &c->cap_items, c->n_items + 1, sizeof(*c->items), 256) != 0)
		return NULL;
	struct item *it = &c->items[c->n_items++];
	memset(it, 0, sizeof(*it));
	return it;
}

static bool in_buf(const struct chunk *c, const void *p)
{
	const char *q = p;
	return q >= c->buf && q < c->buf + c->len;
}

/* Copy the borrowed texts that live in the decoder's scratch into the chunk's arena. */
static int keep_borrowed(struct chunk *c, struct observation *o)
{
	const char **texts[2] = { &o->text, &o->context_text };
	size_t lens[2] = { o->text_len, o->context_len };
	for (int k = 0; k < 2; k++) {
		if (!*texts[k] || in_buf(c, *texts[k]))
			continue;
		if (c->arena_used + lens[k] > c->arena_cap)
			return VG_ENOMEM; /* cannot happen: unescaped text is shorter than the chunk */
		memcpy(c->arena + c->arena_used, *texts[k], lens[k]);
		*texts[k] = c->arena + c->arena_used;
		c->arena_used += lens[k];
	}
	if (o->embedding && o->embedding_len) {
		if (c->farena_used + o->embedding_len > c->farena_cap) {
			/* every number takes two bytes of the line at least: one
			 * allocation per chunk is enough, so earlier pointers stay valid */
			if (c->farena_used != 0)
				return VG_ENOMEM;
			size_t need = c->len / 2 + 1;
			if (o->embedding_len > need)
				need = o->embedding_len;
			float *nf = realloc(c->farena, need * sizeof(float));
			if (!nf)
				return VG_ENOMEM;
			c->farena = nf;
			c->farena_cap = need;
		}
		memcpy(c->farena + c->farena_used, o->embedding, o->embedding_len * sizeof(float));
		o->embedding = c->farena + c->farena_used;
		c->farena_used += o->embedding_len;
	}
	return 0;
}

static void quarantine_item(struct item *it, const char *line, size_t len, int64_t line_no,
                            int64_t offset, const struct decode_result *r)
{
	it->kind = IT_QUAR;
	it->line_no = line_no;
	it->offset = offset;
	it->reason = r->reason;
	memcpy(it->detail, r->detail, sizeof(it->detail));
	it->head = (const unsigned char *)line;
	it->head_len = len < DECODE_HEAD_BYTES ? len : DECODE_HEAD_BYTES;
}

/* Decode one line into the chunk's items. With `used` (an unterminated last
 * line), the line only counts when it is whole. Returns 0 or VG_ENOMEM. */
static int take_line(struct tfile *t, struct chunk *c, const char *line, size_t len,
                     int64_t line_no, int64_t offset, bool *used)
{
	struct decode_result r;
	int rc = decode_line(t->dec, t->ing->opt.format, line, len, &r);
	if (rc != 0)
		return rc;
	if (used) {
		*used = r.reason == DR_NONE || (r.reason != DR_NOT_JSON && r.reason != DR_NOT_UTF8);
		if (!*used)
			return 0;
	}
	c->ignored += (int64_t)r.n_ignored;
	if (r.n_obs) {
		if (c->n_obs + r.n_obs > c->cap_obs &&
		    vg_grow((void **)&c->obs, &c->cap_obs, c->n_obs + r.n_obs, sizeof(*c->obs),
		            256) != 0)
			return VG_ENOMEM;
		struct item *it = push_item(c);
		if (!it)
			return VG_ENOMEM;
		it->kind = IT_OBS;
		it->first = c->n_obs;
		it->count = r.n_obs;
		it->line_no = line_no;
		it->offset = offset;
		for (size_t k = 0; k < r.n_obs; k++) {
			c->obs[c->n_obs] = r.obs[k];
			rc = keep_borrowed(c, &c->obs[c->n_obs]);
			if (rc != 0)
				return rc;
			c->n_obs++;
		}
	}
	if (r.reason != DR_NONE) {
		struct item *it = push_item(c);
		if (!it)
			return VG_ENOMEM;
		quarantine_item(it, line, len, line_no, offset, &r);
	}
	return 0;
}

void ingest__work_cb(uv_work_t *w)
{
	struct tfile *t = w->data;
	struct chunk *c = &t->ch[t->work_slot];
	size_t chunk = t->ing->opt.chunk_bytes;
	c->n_obs = c->n_items = 0;
	c->arena_used = c->farena_used = 0;
	c->werr = 0;
	c->consumed = 0;
	c->lines_done = 0;
	c->got = 0;
	c->ignored = 0;

	if (t->head_len < HEAD_SIG_BYTES) {
		ssize_t h = pread(t->fd, t->head, HEAD_SIG_BYTES, 0);
		if (h > 0)
			t->head_len = (size_t)h;
	}
	memcpy(c->head, t->head, t->head_len);
	c->head_len = t->head_len;
	struct stat sb;
	c->size = fstat(t->fd, &sb) == 0 ? (int64_t)sb.st_size : -1;

	/* the unfinished last line of the previous chunk comes first */
	size_t carry = 0;
	const struct chunk *prev = t->carry_slot >= 0 ? &t->ch[t->carry_slot] : NULL;
	if (prev)
		carry = prev->len - prev->consumed;
	if (carry + chunk > c->cap) {
		char *nb = realloc(c->buf, carry + chunk);
		if (!nb) {
			c->werr = VG_ENOMEM;
			return;
		}
		c->buf = nb;
		c->cap = carry + chunk;
	}
	if (carry)
		memcpy(c->buf, prev->buf + prev->consumed, carry);
	c->len = carry;
	c->buf_off = t->next_off;
	c->buf_line = t->next_line;

	ssize_t n;
	do {
		n = pread(t->fd, c->buf + c->len, chunk, (off_t)(c->buf_off + (int64_t)c->len));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		c->werr = VG_EIO;
		return;
	}
	c->got = n;
	c->len += (size_t)n;
	if (c->arena_cap < c->len + DECODE_HEAD_BYTES) {
		char *na = realloc(c->arena, c->len + DECODE_HEAD_BYTES);
		if (!na) {
			c->werr = VG_ENOMEM;
			return;
		}
		c->arena = na;
		c->arena_cap = c->len + DECODE_HEAD_BYTES;
	}

	size_t p = 0;
	int64_t line_no = c->buf_line;
	for (;;) {
		const char *nl = memchr(c->buf + p, '\n', c->len - p);
		if (!nl)
			break;
		size_t ll = (size_t)(nl - (c->buf + p));
		line_no++;
		if (t->discarding) {
			/* the end of a line over the limit: its head goes to the arena */
			struct item *it = push_item(c);
			if (!it) {
				c->werr = VG_ENOMEM;
				return;
			}
			t->disc_len += (int64_t)ll;
			struct decode_result r;
			memset(&r, 0, sizeof(r));
			r.reason = DR_TOO_LONG;
			snprintf(r.detail, sizeof(r.detail),
			         "line of %lld bytes is over the %zu-byte limit",
			         (long long)t->disc_len, DECODE_MAX_LINE);
			char *h = c->arena + c->arena_used;
			memcpy(h, t->disc_head, t->disc_head_len);
			c->arena_used += t->disc_head_len;
			quarantine_item(it, h, t->disc_head_len, t->disc_line, t->disc_off, &r);
			t->discarding = false;
		} else {
			int rc = take_line(t, c, c->buf + p, ll, line_no, c->buf_off + (int64_t)p,
			                   NULL);
			if (rc != 0) {
				c->werr = rc;
				return;
			}
		}
		p += ll + 1;
		c->lines_done++;
	}
	size_t left = c->len - p;
	if (t->discarding) {
		t->disc_len += (int64_t)left;
		p = c->len;
	} else if (left > DECODE_MAX_LINE) {
		t->discarding = true;
		t->disc_off = c->buf_off + (int64_t)p;
		t->disc_line = line_no + 1;
		t->disc_len = (int64_t)left;
		t->disc_head_len = left < DECODE_HEAD_BYTES ? left : DECODE_HEAD_BYTES;
		memcpy(t->disc_head, c->buf + p, t->disc_head_len);
		p = c->len;
	} else if (t->final_pass && n == 0 && left > 0) {
		bool used = false;
		int rc = take_line(t, c, c->buf + p, left, line_no + 1, c->buf_off + (int64_t)p,
		                   &used);
		if (rc != 0) {
			c->werr = rc;
			return;
		}
		if (used) {
			p = c->len;
			c->lines_done++;
		}
	}
	c->consumed = p;
	if (t->discarding) {
		c->commit_off = t->disc_off;
		c->commit_line = t->disc_line - 1;
	} else {
		c->commit_off = c->buf_off + (int64_t)p;
		c->commit_line = c->buf_line + c->lines_done;
	}
	/* the next read continues after this chunk */
	t->next_off = c->buf_off + (int64_t)p;
	t->next_line = c->buf_line + c->lines_done;
	t->carry_slot = t->work_slot;
}
