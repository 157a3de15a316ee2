/*
 * sim_out.c: where the gateway generator's lines go: a file (or stdout),
 * rotated every N lines the way logrotate does it, by renaming (path ->
 * path.1 -> path.2 ...) or by copying and truncating in place
 * (copytruncate), so the ingest tests see both.
 */
#include "sim/sim.h"

#include "core/vgerr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sim_out {
	FILE *f;
	char *path;
	bool is_stdout;
	enum sim_rotate mode;
	uint64_t every, count;
	int keep;
	bool failed;
};

static char *errmsg(const char *what, const char *path)
{
	char m[600];
	snprintf(m, sizeof(m), "cannot %s %s: %s", what, path, strerror(errno));
	return strdup(m);
}

struct sim_out *sim_out_open(const struct sim_out_opts *o, char **cause)
{
	struct sim_out *out = calloc(1, sizeof(*out));
	if (!out || !o || !o->path) {
		free(out);
		if (cause)
			*cause = strdup(out ? "no output path" : "out of memory");
		return NULL;
	}
	out->mode = o->rotate;
	out->every = o->rotate_every;
	out->keep = o->keep > 0 ? o->keep : 5;
	if (strcmp(o->path, "-") == 0) {
		out->is_stdout = true;
		out->f = stdout;
		out->mode = SIM_ROTATE_NONE;
		return out;
	}
	out->path = strdup(o->path);
	/* Append mode: after a copytruncate, writes land at the new end. */
	if (out->path && !o->append) {
		FILE *t = fopen(o->path, "w");
		if (t)
			fclose(t);
	}
	out->f = out->path ? fopen(o->path, "a") : NULL;
	if (!out->f) {
		if (cause)
			*cause = out->path ? errmsg("open", o->path) : strdup("out of memory");
		free(out->path);
		free(out);
		return NULL;
	}
	return out;
}

static int shift(struct sim_out *out)
{
	size_t n = strlen(out->path) + 16;
	char *a = malloc(n), *b = malloc(n);
	int rc = 0;
	if (!a || !b) {
		rc = VG_ENOMEM;
		goto done;
	}
	for (int i = out->keep - 1; i >= 1; i--) {
		snprintf(a, n, "%s.%d", out->path, i);
		snprintf(b, n, "%s.%d", out->path, i + 1);
		if (rename(a, b) != 0 && errno != ENOENT)
			rc = VG_EIO;
	}
done:
	free(a);
	free(b);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *o = in ? fopen(to, "wb") : NULL;
	char buf[65536];
	int rc = 0;
	if (!in || !o) {
		rc = VG_EIO;
		goto done;
	}
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, o) != n) {
			rc = VG_EIO;
			break;
		}
	if (ferror(in))
		rc = VG_EIO;
done:
	if (in)
		fclose(in);
	if (o && fclose(o) != 0)
		rc = VG_EIO;
	return rc;
}

static int rotate(struct sim_out *out)
{
	size_t n = strlen(out->path) + 16;
	char *one = malloc(n);
	if (!one)
		return VG_ENOMEM;
	snprintf(one, n, "%s.1", out->path);
	int rc = shift(out);
	if (out->mode == SIM_ROTATE_RENAME) {
		if (fclose(out->f) != 0)
			rc = VG_EIO;
		out->f = NULL;
		if (rename(out->path, one) != 0)
			rc = VG_EIO;
		out->f = fopen(out->path, "a");
		if (!out->f)
			rc = VG_EIO;
	} else {
		if (fflush(out->f) != 0 || copy_file(out->path, one) != 0 ||
		    ftruncate(fileno(out->f), 0) != 0)
			rc = VG_EIO;
	}
	free(one);
	return rc;
}

int sim_out_line(struct sim_out *out, const char *line, size_t len)
{
	if (out->failed || !out->f)
		return VG_EIO;
	if (fwrite(line, 1, len, out->f) != len || fputc('\n', out->f) == EOF) {
		out->failed = true;
		return VG_EIO;
	}
	out->count++;
	if (out->mode != SIM_ROTATE_NONE && out->every && out->count % out->every == 0 &&
	    rotate(out) != 0) {
		out->failed = true;
		return VG_EIO;
	}
	return 0;
}

int sim_out_cb(void *ud, const char *line, size_t len)
{
	return sim_out_line(ud, line, len);
}

int sim_out_flush(struct sim_out *out)
{
	if (!out->f || fflush(out->f) != 0)
		return VG_EIO;
	return out->failed ? VG_EIO : 0;
}

int sim_out_close(struct sim_out *out)
{
	if (!out)
		return 0;
	int rc = out->failed ? VG_EIO : 0;
	if (out->f && !out->is_stdout && fclose(out->f) != 0)
		rc = VG_EIO;
	if (out->is_stdout && fflush(stdout) != 0)
		rc = VG_EIO;
	free(out->path);
	free(out);
	return rc;
}
