/*
 * cli_out.c: the output filter (see cli_out.h). stdout and stderr become
 * unbuffered fopencookie() streams whose writes are sanitised chunk by
 * chunk into the real, buffered streams. One printf() is one chunk, so a
 * sequence split across two calls is cut in two, and each half is
 * harmless on its own: sanitize never lets a control byte through, it only
 * garbles what it cannot recognise.
 */
#define _GNU_SOURCE 1
#include "app/cli_out.h"

#include "core/sanitize.h"
#include "core/vgerr.h"
#include "core/vgmem.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct filter {
	FILE *real; /* the original stream's fd, buffered */
	char *buf;  /* sanitised text */
	size_t cap;
};

static ssize_t filter_write(void *cookie, const char *data, size_t size)
{
	struct filter *f = cookie;
	/* an invalid byte becomes U+FFFD: three bytes for one */
	size_t need = size * 3 + 1;
	if (need > f->cap && vg_grow((void **)&f->buf, &f->cap, need, 1, 4096) != 0)
		return -1;
	size_t n = sanitize_text(f->buf, f->cap, data, size, SANITIZE_KEEP_NEWLINES);
	/* the real stream buffers as stdout always did: by line on a
	 * terminal, in blocks on a pipe or a file */
	if (n && fwrite(f->buf, 1, n, f->real) != n)
		return -1;
	return (ssize_t)size;
}

static int filter_close(void *cookie)
{
	struct filter *f = cookie;
	int rc = fflush(f->real);
	free(f->buf);
	free(f);
	return rc;
}

/* A filter in front of `orig` (fd `fd`); the real stream is line-flushed,
 * or unbuffered for stderr so that the progress line, written straight to
 * the fd, never overtakes a message. */
static FILE *wrap(FILE *orig, int fd, bool buffered)
{
	int dupfd = dup(fd);
	if (dupfd < 0)
		return NULL;
	FILE *real = fdopen(dupfd, "w");
	struct filter *f = calloc(1, sizeof(*f));
	if (!real || !f) {
		if (real)
			fclose(real);
		else
			close(dupfd);
		free(f);
		return NULL;
	}
	fflush(orig);
	if (!buffered)
		setvbuf(real, NULL, _IONBF, 0);
	f->real = real;
	cookie_io_functions_t io = { .write = filter_write, .close = filter_close };
	FILE *c = fopencookie(f, "w", io);
	if (!c) {
		fclose(real);
		free(f);
		return NULL;
	}
	setvbuf(c, NULL, _IONBF, 0);
	return c;
}

int cli_out_install(struct cli_out *o)
{
	FILE *out = wrap(stdout, STDOUT_FILENO, true);
	FILE *err = out ? wrap(stderr, STDERR_FILENO, false) : NULL;
	if (!out || !err) {
		if (out)
			fclose(out);
		return VG_ENOMEM;
	}
	*o = (struct cli_out){ .out = out, .err = err, .orig_out = stdout, .orig_err = stderr };
	stdout = out;
	stderr = err;
	return 0;
}

void cli_out_remove(struct cli_out *o)
{
	if (!o->out)
		return;
	stdout = o->orig_out;
	stderr = o->orig_err;
	fclose(o->out); /* filter_close(): flushes the real stream, frees the filter */
	fclose(o->err);
	o->out = o->err = NULL;
}

static bool is_c1(const unsigned char *p)
{
	return p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F;
}

/* U+2028, U+2029, U+202A..U+202E, U+2066..U+2069 */
static bool is_e2_control(const unsigned char *p)
{
	return p[0] == 0xE2 && ((p[1] == 0x80 && p[2] >= 0xA8 && p[2] <= 0xAE) ||
	                        (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9));
}

char *cli_json_safe(const char *json)
{
	if (!json)
		return NULL;
	size_t len = strlen(json);
	/* every escape ("\\uXXXX", 6 bytes) replaces at least 1 byte */
	char *out = malloc(len * 6 + 1);
	if (!out)
		return NULL;
	const unsigned char *p = (const unsigned char *)json, *end = p + len;
	size_t n = 0;
	while (p < end) {
		unsigned cp = 0;
		size_t used = 0;
		if (*p == 0x7F) {
			cp = 0x7F, used = 1;
		} else if (end - p >= 2 && is_c1(p)) {
			cp = p[1], used = 2;
		} else if (end - p >= 3 && is_e2_control(p)) {
			cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) |
			     (p[2] & 0x3F);
			used = 3;
		}
		if (used) {
			n += (size_t)snprintf(out + n, 7, "\\u%04x", cp);
			p += used;
		} else {
			out[n++] = (char)*p++;
		}
	}
	out[n] = '\0';
	return out;
}

int cli_json_print(FILE *f, const char *json)
{
	char *safe = cli_json_safe(json);
	if (!safe)
		return -1;
	int rc = fputs(safe, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
	free(safe);
	return rc;
}

void cli_progress(const char *fmt, ...)
{
	char raw[512], clean[1600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	sanitize_str(clean, sizeof(clean), raw, 0);
	fflush(stderr);
	dprintf(STDERR_FILENO, "\r\033[K%s", clean);
}

void cli_progress_end(void)
{
	fflush(stderr);
	dprintf(STDERR_FILENO, "\r\033[K");
}
