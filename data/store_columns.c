/*
 * store_columns.c: the SQL of a statement, generated from a column list of
 * data/store_columns.h (see there). Runs when a statement is prepared, never
 * per row.
 */
#include "data/store_columns.h"

#include "core/vgerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A string being built in a fixed buffer; `over` once it did not fit. */
struct sql_buf {
	char *p;
	size_t size, n;
	bool over;
};

static void put(struct sql_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sql_buf *b, const char *fmt, ...)
{
	if (b->over)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(b->p + b->n, b->size - b->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= b->size - b->n)
		b->over = true;
	else
		b->n += (size_t)w;
}

/* The names of the columns with a role in `roles` (a bit per enum
 * store__role), or with `assign` their upsert assignments, separated by sep. */
static void list(struct sql_buf *b, const struct store__col *cols, size_t n, unsigned roles,
                 const char *sep, bool assign)
{
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct store__col *c = &cols[i];
		if (!(roles & (1u << c->role)))
			continue;
		put(b, "%s", k++ ? sep : "");
		if (!assign)
			put(b, "%s", c->name);
		else if (c->role == STORE__ADD)
			put(b, "%s = %s + excluded.%s", c->name, c->name, c->name);
		else if (c->role == STORE__KEEP)
			put(b, "%s = coalesce(excluded.%s, %s)", c->name, c->name, c->name);
		else
			put(b, "%s = excluded.%s", c->name, c->name);
	}
}

#define ROLE(r) (1u << STORE__##r)

static int count(const struct store__col *cols, size_t n, unsigned roles)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += (roles & (1u << cols[i].role)) != 0;
	return k;
}

int store__sql_write(char *buf, size_t size, const char *verb, const char *table,
                     const struct store__col *cols, size_t n)
{
	struct sql_buf b = { buf, size, 0, size == 0 };
	if (strcmp(verb, "UPDATE") == 0) {
		/* UPDATE t SET a = ?2, b = ?3 WHERE k = ?1: numbered in list order */
		put(&b, "UPDATE %s SET ", table);
		int k = 0;
		for (size_t i = 0; i < n; i++)
			if (cols[i].role != STORE__KEY)
				put(&b, "%s%s = ?%zu", k++ ? ", " : "", cols[i].name, i + 1);
		put(&b, " WHERE ");
		k = 0;
		for (size_t i = 0; i < n; i++)
			if (cols[i].role == STORE__KEY)
				put(&b, "%s%s = ?%zu", k++ ? " AND " : "", cols[i].name, i + 1);
	} else {
		put(&b, "%s INTO %s (", verb, table);
		list(&b, cols, n, ~0u, ", ", false);
		put(&b, ") VALUES (");
		for (size_t i = 0; i < n; i++)
			put(&b, "%s?%zu", i ? ", " : "", i + 1);
		put(&b, ")");
		if (count(cols, n, ROLE(KEY)) > 0) {
			put(&b, " ON CONFLICT (");
			list(&b, cols, n, ROLE(KEY), ", ", false);
			put(&b, ") DO ");
			if (count(cols, n, ROLE(SET) | ROLE(ADD) | ROLE(KEEP)) > 0) {
				put(&b, "UPDATE SET ");
				list(&b, cols, n, ROLE(SET) | ROLE(ADD) | ROLE(KEEP), ", ", true);
			} else {
				put(&b, "NOTHING");
			}
		}
	}
	return b.over ? VG_ERANGE : 0;
}

int store__sql_select(char *buf, size_t size, const char *table, const struct store__col *cols,
                      size_t n, const char *tail)
{
	struct sql_buf b = { buf, size, 0, size == 0 };
	put(&b, "SELECT ");
	list(&b, cols, n, ~0u, ", ", false);
	put(&b, " FROM %s%s%s", table, tail && *tail ? " " : "", tail ? tail : "");
	return b.over ? VG_ERANGE : 0;
}
