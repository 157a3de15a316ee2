/*
 * ingest_files.c: the tailer's files: the patterns globbed (now and at each
 * poll), a file opened where its committed position says (checked against
 * the signature of its head), watched with a uv_fs_event, rotation and
 * truncation noticed, and a file closed once its handles are.
 */
#include "data/ingest_internal.h"

#include "core/vgerr.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- files ---------------------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
	struct tfile *t = h->data;
	if (--t->handles_open > 0)
		return;
	decoder_free(t->dec);
	for (int i = 0; i < 2; i++) {
		struct chunk *c = &t->ch[i];
		free(c->buf);
		free(c->obs);
		free(c->items);
		free(c->arena);
		free(c->farena);
	}
	free(t);
}

/* Unlink t from the list and free it (after its work and batches are done). */
void ingest__close_file(struct tfile *t)
{
	struct ingest *ing = t->ing;
	for (struct tfile **pp = &ing->files; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->closing = true;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	store_batch_free(t->pending);
	t->pending = NULL;
	t->handles_open = 1;
	if (t->fsev_init) {
		uv_fs_event_stop(&t->fsev);
		uv_close((uv_handle_t *)&t->fsev, on_handle_closed);
	} else {
		on_handle_closed((uv_handle_t *)&t->fsev);
	}
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
	(void)name;
	(void)events;
	struct tfile *t = h->data;
	if (status == 0 && !t->closing && t->eof && !t->pending)
		ingest__schedule(t);
}

static bool is_open(struct ingest *ing, uint64_t dev, uint64_t ino)
{
	for (struct tfile *t = ing->files; t; t = t->next) {
		if (t->dev == dev && t->ino == ino)
			return true;
	}
	return false;
}

/* Does a rotated file still being finished hold this path? */
static bool path_busy(struct ingest *ing, const char *path)
{
	for (struct tfile *t = ing->files; t; t = t->next) {
		if ((t->rotated && strcmp(t->path, path) == 0) || strcmp(t->succ_path, path) == 0)
			return true;
	}
	return false;
}

/* Can p be where this file resumes? Bytes before a committed offset never
 * change: its head must match. */
static bool resumes(const struct tfile *t, const struct pos *p)
{
	return p && p->offset <= t->size &&
	       ingest__head_sig(t->head, t->head_len, p->offset) == p->head_sig;
}

struct tfile *ingest__open(struct ingest *ing, const char *path, const struct pos *from)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return NULL;
	if (is_open(ing, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino) || path_busy(ing, path))
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vigil ingest: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return NULL;
	}
	struct tfile *t = calloc(1, sizeof(*t));
	if (t)
		t->dec = decoder_new();
	if (!t || !t->dec) {
		free(t);
		close(fd);
		ingest__set_err(ing, VG_ENOMEM, "open", path);
		return NULL;
	}
	t->ing = ing;
	t->fd = fd;
	t->dev = (uint64_t)sb.st_dev;
	t->ino = (uint64_t)sb.st_ino;
	t->size = (int64_t)sb.st_size;
	t->carry_slot = -1;
	t->ready_slot = -1;
	model_copy_str(t->path, sizeof(t->path), path, (size_t)-1);
	ssize_t h = pread(fd, t->head, HEAD_SIG_BYTES, 0);
	t->head_len = h > 0 ? (size_t)h : 0;

	/* resume where a previous run stopped, if this is the same file (or
	 * the copy of the one `from` names) */
	const struct pos *p = ingest__find_pos(ing, t->dev, t->ino);
	if (!resumes(t, p))
		p = from;
	if (resumes(t, p)) {
		t->next_off = t->commit_off = t->read_end = p->offset;
		t->next_line = t->commit_line = p->line_no;
		t->commit_sig = p->head_sig;
	}
	t->next = ing->files;
	ing->files = t;
	ing->st.files++;
	t->fsev.data = t;
	if (ing->opt.follow && uv_fs_event_init(ing->loop, &t->fsev) == 0) {
		t->fsev_init = true;
		t->fsev.data = t;
		/* where inotify is missing this fails: the periodic stat still works */
		t->fsev_on = uv_fs_event_start(&t->fsev, on_fs_event, path, 0) == 0;
	}
	ingest__schedule(t);
	return t;
}

void ingest__discover(struct ingest *ing)
{
	for (size_t i = 0; i < ing->n_patterns; i++) {
		const char *pat = ing->patterns[i];
		if (!strpbrk(pat, "*?[")) {
			ingest__open(ing, pat, NULL);
			continue;
		}
		glob_t g;
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++)
				ingest__open(ing, g.gl_pathv[k], NULL);
		}
		globfree(&g);
	}
}

/* Follow: notice growth, truncation, rotation and new files. */
void ingest__on_poll(uv_timer_t *h)
{
	struct ingest *ing = h->data;
	struct tfile *next;
	for (struct tfile *t = ing->files; t; t = next) {
		next = t->next;
		if (t->busy)
			continue;
		struct stat sb;
		if (fstat(t->fd, &sb) != 0)
			continue;
		t->size = (int64_t)sb.st_size;
		unsigned char now_head[HEAD_SIG_BYTES];
		size_t cmp = t->head_len;
		bool head_changed = false;
		if (cmp) {
			ssize_t hn = pread(t->fd, now_head, cmp, 0);
			head_changed = hn < (ssize_t)cmp || memcmp(now_head, t->head, cmp) != 0;
		}
		if (!t->pending && t->ready_slot < 0 &&
		    (t->size < t->read_end || t->size < t->commit_off || head_changed)) {
			/* copytruncate: the file was cut (and maybe written again) */
			ingest__reset_file(t);
			ingest__schedule(t);
			continue;
		}
		if (!t->rotated) {
			struct stat ps;
			if (stat(t->path, &ps) != 0 || (uint64_t)ps.st_ino != t->ino ||
			    (uint64_t)ps.st_dev != t->dev)
				t->rotated = true;
		}
		if (t->size > t->read_end) {
			ingest__schedule(t);
		} else if (t->rotated && t->eof && !t->pending && t->ready_slot < 0 &&
		           t->inflight == 0) {
			/* the old file is finished: the new one can start */
			ingest__close_file(t);
		}
	}
	ingest__discover(ing);
	ingest__check_done(ing);
}
