/*
 * store_columns.c: the SQL of a statement, generated from a column list of
 * data/store_columns.h (see there). Runs when a statement is prepared, never
 * per row.
 */
#include "data/store_columns.h"

#include "core/vgerr.h"

#include <stdarg.h>
#include <string.h>

/* A string being built in a fixed buffer; `over` once it did not fit. */
struct sql_buf {
	char *p;
	size_t size, n;
	bool over;
};

/* Append the strings given, up to a NULL. */
static void put(struct sql_buf *b, ...) __attribute__((sentinel));
static void put(struct sql_buf *b, ...)
{
	va_list ap;
	va_start(ap, b);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		size_t len = strlen(s);
		if (b->over || len >= b->size - b->n) {
			b->over = true;
			break;
		}
		memcpy(b->p + b->n, s, len + 1);
		b->n += len;
	}
	va_end(ap);
}

/* Append the placeholder "?k". */
static void put_param(struct sql_buf *b, size_t k)
{
	char num[24], *p = num + sizeof(num);
	*--p = '\0';
	do
		*--p = (char)('0' + k % 10);
	while ((k /= 10) > 0);
	*--p = '?';
	put(b, p, NULL);
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
		put(b, k++ ? sep : "", c->name, NULL);
		if (!assign)
			continue;
		if (c->role == STORE__ADD)
			put(b, " = ", c->name, " + excluded.", c->name, NULL);
		else if (c->role == STORE__KEEP)
			put(b, " = coalesce(excluded.", c->name, ", ", c->name, ")", NULL);
		else
			put(b, " = excluded.", c->name, NULL);
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
		put(&b, "UPDATE ", table, " SET ", NULL);
		int k = 0;
		for (size_t i = 0; i < n; i++) {
			if (cols[i].role == STORE__KEY)
				continue;
			put(&b, k++ ? ", " : "", cols[i].name, " = ", NULL);
			put_param(&b, i + 1);
		}
		put(&b, " WHERE ", NULL);
		k = 0;
		for (size_t i = 0; i < n; i++) {
			if (cols[i].role != STORE__KEY)
				continue;
			put(&b, k++ ? " AND " : "", cols[i].name, " = ", NULL);
			put_param(&b, i + 1);
		}
	} else {
		put(&b, verb, " INTO ", table, " (", NULL);
		list(&b, cols, n, ~0u, ", ", false);
		put(&b, ") VALUES (", NULL);
		for (size_t i = 0; i < n; i++) {
			put(&b, i ? ", " : "", NULL);
			put_param(&b, i + 1);
		}
		put(&b, ")", NULL);
		if (count(cols, n, ROLE(KEY)) > 0) {
			put(&b, " ON CONFLICT (", NULL);
			list(&b, cols, n, ROLE(KEY), ", ", false);
			put(&b, ") DO ", NULL);
			if (count(cols, n, ROLE(SET) | ROLE(ADD) | ROLE(KEEP)) > 0) {
				put(&b, "UPDATE SET ", NULL);
				list(&b, cols, n, ROLE(SET) | ROLE(ADD) | ROLE(KEEP), ", ", true);
			} else {
				put(&b, "NOTHING", NULL);
			}
		}
	}
	return b.over ? VG_ERANGE : 0;
}

int store__sql_select(char *buf, size_t size, const char *table, const struct store__col *cols,
                      size_t n, const char *tail)
{
	struct sql_buf b = { buf, size, 0, size == 0 };
	put(&b, "SELECT ", NULL);
	list(&b, cols, n, ~0u, ", ", false);
	put(&b, " FROM ", table, tail && *tail ? " " : "", tail ? tail : "", NULL);
	return b.over ? VG_ERANGE : 0;
}
