/*
 * runbook.c: find an embedded runbook by name, its title, and cut its
 * section for a finding (see runbook.h). The table itself is generated.
 */
#include "core/runbook.h"

#include "core/vgerr.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct line {
	const char *p;
	size_t n;
};

static bool next_line(const char *md, size_t len, size_t *pos, struct line *l)
{
	if (*pos >= len)
		return false;
	const char *start = md + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - start) : len - *pos;
	l->p = start;
	l->n = n;
	*pos += n + (nl ? 1 : 0);
	return true;
}

static bool contains_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k && i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

/* "1. ", "12. ", "- ", "* " */
static bool is_item(const struct line *l)
{
	size_t i = 0;
	while (i < l->n && l->p[i] >= '0' && l->p[i] <= '9')
		i++;
	if (i > 0 && i + 1 < l->n && l->p[i] == '.' && l->p[i + 1] == ' ')
		return true;
	return l->n >= 2 && (l->p[0] == '-' || l->p[0] == '*') && l->p[1] == ' ';
}

static int heading_level(const struct line *l)
{
	int k = 0;
	while ((size_t)k < l->n && l->p[k] == '#')
		k++;
	return k > 0 && (size_t)k < l->n && l->p[k] == ' ' ? k : 0;
}

/* Append a line without "**" markers; keeps room for the NUL. */
static void put_line(char *out, size_t size, size_t *n, const struct line *l)
{
	if (size == 0)
		return;
	if (*n > 0 && *n + 1 < size)
		out[(*n)++] = '\n';
	for (size_t i = 0; i < l->n && *n + 1 < size; i++) {
		if (l->p[i] == '*' && i + 1 < l->n && l->p[i + 1] == '*') {
			i++;
			continue;
		}
		out[(*n)++] = l->p[i];
	}
	out[*n] = '\0';
}

static void trim_trailing_blank(char *out, size_t *n)
{
	while (*n > 0 && (out[*n - 1] == '\n' || out[*n - 1] == ' '))
		out[--*n] = '\0';
}

int runbook_section(const char *md, size_t len, const char *key, char *out, size_t size)
{
	size_t n = 0, pos = 0;
	struct line l;
	if (size > 0)
		out[0] = '\0';
	if (!md)
		return VG_ENOTFOUND;
	if (!key || !*key) {
		bool title = false;
		while (next_line(md, len, &pos, &l)) {
			if (heading_level(&l) == 1 && !title) {
				title = true;
				continue;
			}
			if (heading_level(&l) || is_item(&l))
				break;
			if (n == 0 && l.n == 0)
				continue;
			put_line(out, size, &n, &l);
		}
		trim_trailing_blank(out, &n);
		return n ? (int)n : VG_ENOTFOUND;
	}
	/* A heading that names the key. */
	while (next_line(md, len, &pos, &l)) {
		int lvl = heading_level(&l);
		if (lvl < 2 || !contains_ci(l.p, l.n, key))
			continue;
		while (next_line(md, len, &pos, &l)) {
			int k = heading_level(&l);
			if (k && k <= lvl)
				break;
			if (n == 0 && l.n == 0)
				continue;
			put_line(out, size, &n, &l);
		}
		trim_trailing_blank(out, &n);
		return (int)n;
	}
	/* A list item that names the key in bold. */
	char bold[80];
	size_t k = strlen(key);
	if (k + 5 > sizeof(bold))
		return VG_ENOTFOUND;
	bold[0] = bold[1] = '*';
	memcpy(bold + 2, key, k);
	bold[k + 2] = bold[k + 3] = '*';
	bold[k + 4] = '\0';
	pos = 0;
	while (next_line(md, len, &pos, &l)) {
		if (!is_item(&l) || !contains_ci(l.p, l.n, bold))
			continue;
		put_line(out, size, &n, &l);
		while (next_line(md, len, &pos, &l)) {
			if (l.n == 0 || is_item(&l) || heading_level(&l))
				break;
			put_line(out, size, &n, &l);
		}
		trim_trailing_blank(out, &n);
		return (int)n;
	}
	return VG_ENOTFOUND;
}

const struct runbook_doc *runbook_find(const char *name)
{
	static const char dir[] = "docs/runbooks/";
	if (!name)
		return NULL;
	if (strncmp(name, dir, sizeof(dir) - 1) == 0)
		name += sizeof(dir) - 1;
	size_t n = strlen(name);
	for (const struct runbook_doc *d = runbook_docs; d->name; d++) {
		size_t k = strlen(d->name);
		if (k == n && memcmp(d->name, name, n) == 0)
			return d;
		if (k == n + 3 && memcmp(d->name, name, n) == 0 && strcmp(d->name + n, ".md") == 0)
			return d;
	}
	return NULL;
}

size_t runbook_title(const struct runbook_doc *doc, char *out, size_t size)
{
	size_t pos = 0, n = 0;
	struct line l = { doc->name, strlen(doc->name) };
	struct line t;
	while (next_line(doc->data, doc->len, &pos, &t)) {
		if (heading_level(&t) == 1) {
			l.p = t.p + 2;
			l.n = t.n - 2;
			break;
		}
	}
	if (l.p == doc->name && l.n > 3 && strcmp(l.p + l.n - 3, ".md") == 0)
		l.n -= 3;
	if (size == 0)
		return 0;
	n = l.n < size - 1 ? l.n : size - 1;
	memcpy(out, l.p, n);
	out[n] = '\0';
	return n;
}
