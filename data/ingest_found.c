/*
 * ingest_found.c: files rotated while vigil was down. A stored position
 * names a file by (device, inode), the path it was read under and a
 * signature of its first bytes. At start, for each stored position whose
 * path a pattern names: when that path no longer holds the file with the
 * bytes read (renamed away; or copied and truncated, so the path holds
 * fewer bytes than the position or other ones), the file is looked for in
 * the path's folder whatever its name now, as Fluent Bit and Vector do: by
 * identity (the same device and inode, its head matching the signature),
 * else by fingerprint (another file whose first bytes match and that holds
 * the same number of lines before the position: the copy copytruncate
 * made; the newest such file, as event lines often share their first 64
 * bytes). Found with bytes
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

/* The file p names, in its path's folder under any name: by identity,
 * else by fingerprint, never the file now at the path (`here`, may be
 * NULL). Its path goes to `out`; false when there is none. */
static bool look_for(const struct pos *p, const struct stat *here, char *out, size_t size)
{
	char dir[512];
	const char *slash = strrchr(p->path, '/');
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - p->path), p->path);
	else
		snprintf(dir, sizeof(dir), ".");
	if (slash && slash == p->path)
		snprintf(dir, sizeof(dir), "/");
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool by_ino = false, by_head = false;
	struct timespec newest = { 0, 0 };
	struct dirent *e;
	while (!by_ino && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[1024];
		int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= size)
			continue;
		struct stat sb;
		if (!same_head(path, p, &sb))
			continue;
		if (here && sb.st_dev == here->st_dev && sb.st_ino == here->st_ino)
			continue;
		bool ino = (uint64_t)sb.st_dev == p->dev && (uint64_t)sb.st_ino == p->ino;
		bool newer =
		        !by_head || sb.st_mtim.tv_sec > newest.tv_sec ||
		        (sb.st_mtim.tv_sec == newest.tv_sec && sb.st_mtim.tv_nsec > newest.tv_nsec);
		if (ino || (newer && same_lines(path, p))) {
			model_copy_str(out, size, path, (size_t)-1);
			by_ino = ino;
			by_head = true;
			newest = sb.st_mtim;
		}
	}
	closedir(d);
	return by_head;
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
		bool here = stat(p.path, &sb) == 0;
		bool same = here && (uint64_t)sb.st_dev == p.dev && (uint64_t)sb.st_ino == p.ino;
		if (same && same_head(p.path, &p, &sb))
			continue; /* still there: it resumes when the patterns are opened */
		char found[512];
		if (!look_for(&p, here ? &sb : NULL, found, sizeof(found))) {
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
