/*
 * ingest_found.c: files rotated while vigil was down. A stored position
 * names a file by (device, inode), the path it was read under and a
 * signature of its first bytes. At start, for each stored position whose
 * path a pattern names: when that path no longer holds the file with the
 * bytes read (renamed away; or copied and truncated, so the path holds
 * fewer bytes than the position or other ones), the file is looked for in
 * the path's folder whatever its name now, as Fluent Bit and Vector do: by
 * identity (the same device and inode, its head matching the signature),
 * or, when the path still holds the inode but cut (copytruncate), by
 * fingerprint (another file whose first bytes match and that holds the
 * same number of lines before the position: the copy; the newest such
 * file, as event lines often share their first 64 bytes). Found with bytes
 * after the position, it is opened there and finished before the new file
 * at the path starts (the path waits: ingest_files.c's path_busy()).
 * Not found (deleted, compressed), the bytes it held after the position
 * when last read are lost: reported once (the row is then marked: its size
 * set to its position).
 */
#include "data/ingest_internal.h"

#include "net/clock.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Does one of the patterns name this path? */
static bool named(const struct ingest *ing, const char *path)
{
	for (size_t i = 0; i < ing->n_patterns; i++) {
		const char *pat = ing->patterns[i];
		if (strcmp(pat, path) == 0 ||
		    (strpbrk(pat, "*?[") && fnmatch(pat, path, FNM_PATHNAME) == 0))
			return true;
	}
	return false;
}

/* Do the first bytes of `path` match p's signature, the file holding at
 * least p's bytes? *sb is its stat. */
static bool same_head(const char *path, const struct pos *p, struct stat *sb)
{
	if (stat(path, sb) != 0 || !S_ISREG(sb->st_mode) || (int64_t)sb->st_size < p->offset)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char head[HEAD_SIG_BYTES];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	close(fd);
	return n >= 0 && ingest__head_sig(head, (size_t)n, p->offset) == p->head_sig;
}

/* Does `path` hold p's lines before p's offset (the last one may be
 * unterminated: a last line taken without its newline)? */
static bool same_lines(const char *path, const struct pos *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[65536];
	int64_t off = 0, lines = 0;
	while (off < p->offset) {
		size_t want = sizeof(buf);
		if ((int64_t)want > p->offset - off)
			want = (size_t)(p->offset - off);
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		off += n;
	}
	close(fd);
	return off == p->offset && (lines == p->line_no || lines + 1 == p->line_no);
}

/* The folder of p's path into dir. */
static void folder_of(const struct pos *p, char *dir, size_t size)
{
	const char *slash = strrchr(p->path, '/');
	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == p->path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - p->path), p->path);
}

#define MAX_COPIES 32

struct copy {
	char path[512];
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct copy *)a)->mtime;
	const struct timespec *y = &((const struct copy *)b)->mtime;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : (x->tv_nsec > y->tv_nsec ? -1 : 0);
}

/*
 * The file p names, in its path's folder under any name (its path into
 * `out`; false when there is none). By identity: a stat per file, its head
 * read once found. With `copies` (p's path still holds p's inode, cut
 * since: copytruncate), else by fingerprint, never the file at the path:
 * the files holding at least p's bytes whose head matches, newest first,
 * the first whose line count before the position matches (that reads the
 * file up to it, so only here).
 */
static bool look_for(const struct pos *p, bool copies, char *out, size_t size)
{
	char dir[512];
	folder_of(p, dir, sizeof(dir));
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct copy *cand = copies ? calloc(MAX_COPIES, sizeof(*cand)) : NULL;
	size_t n_cand = 0;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[1024];
		int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat sb;
		if (n < 0 || (size_t)n >= size || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
		    (int64_t)sb.st_size < p->offset)
			continue;
		if ((uint64_t)sb.st_dev == p->dev && (uint64_t)sb.st_ino == p->ino) {
			if (!copies && same_head(path, p, &sb)) {
				model_copy_str(out, size, path, (size_t)-1);
				found = true;
			}
			continue;
		}
		if (cand && n_cand < MAX_COPIES && same_head(path, p, &sb)) {
			model_copy_str(cand[n_cand].path, sizeof(cand[n_cand].path), path,
			               (size_t)-1);
			cand[n_cand++].mtime = sb.st_mtim;
		}
	}
	closedir(d);
	if (!found && n_cand) {
		qsort(cand, n_cand, sizeof(*cand), newest_first);
		for (size_t i = 0; i < n_cand && !found; i++) {
			if (same_lines(cand[i].path, p)) {
				model_copy_str(out, size, cand[i].path, (size_t)-1);
				found = true;
			}
		}
	}
	free(cand);
	return found;
}

/* p's file is gone: report what it held unread, and record that it was. */
static void lost(struct ingest *ing, struct pos *p)
{
	if (p->size <= p->offset)
		return; /* read to its end (or its size not known) */
	int64_t bytes = p->size - p->offset;
	ing->st.bytes_lost += bytes;
	fprintf(stderr, "vigil ingest: %s: rotated while stopped and gone: %lld bytes never read\n",
	        p->path, (long long)bytes);
	if (ing->lost)
		ing->lost(ing->lost_data, p->path, bytes);
	p->size = p->offset;
	struct store_tail_pos tp;
	memset(&tp, 0, sizeof(tp));
	tp.dev = p->dev;
	tp.ino = p->ino;
	model_copy_str(tp.path, sizeof(tp.path), p->path, (size_t)-1);
	tp.offset = p->offset;
	tp.line_no = p->line_no;
	tp.head_sig = p->head_sig;
	tp.size = p->size;
	tp.updated_ms = clock_wall_ms();
	struct store_batch *b = store_batch_new(NULL, NULL);
	if (b && (store_batch_set_tail(b, &tp) != 0 || store_submit(ing->store, b) != 0))
		store_batch_free(b); /* reported again at the next start */
}

void ingest__find_rotated(struct ingest *ing)
{
	/* positions are copied: opening a file may add one (and move the array) */
	size_t n = ing->n_pos;
	for (size_t i = 0; i < n; i++) {
		struct pos p = ing->pos[i];
		if (!p.path[0] || !named(ing, p.path))
			continue;
		struct stat sb;
		bool same = stat(p.path, &sb) == 0 && (uint64_t)sb.st_dev == p.dev &&
		            (uint64_t)sb.st_ino == p.ino;
		if (same && same_head(p.path, &p, &sb))
			continue; /* still there: it resumes when the patterns are opened */
		char found[512];
		if (!look_for(&p, same, found, sizeof(found))) {
			lost(ing, &ing->pos[i]);
			continue;
		}
		struct stat fs;
		if (stat(found, &fs) != 0 || (int64_t)fs.st_size <= p.offset)
			continue; /* nothing after the position */
		struct tfile *t = ingest__open(ing, found, &p);
		if (!t)
			continue;
		t->rotated = true;
		model_copy_str(t->succ_path, sizeof(t->succ_path), p.path, (size_t)-1);
		fprintf(stderr, "vigil ingest: %s: rotated while stopped, finishing it as %s\n",
		        p.path, found);
	}
}

void ingest__finish_found(struct tfile *t)
{
	struct ingest *ing = t->ing;
	if (!t->succ_path[0] || ing->opt.follow || ing->st.err || !t->eof || t->busy ||
	    t->pending || t->ready_slot >= 0 || t->inflight > 0)
		return;
	ingest__close_file(t);
	ingest__discover(ing);
}
