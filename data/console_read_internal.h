/*
 * console_read_internal.h: what console_read.c shares with the files that
 * read parts of a snapshot for it (console_detail.c: the open incident's
 * detail; console_baselines.c: review items and warmth). Not for use
 * outside data/console_read*.c and data/console_*.c of this module.
 */
#ifndef VIGIL_DATA_CONSOLE_READ_INTERNAL_H
#define VIGIL_DATA_CONSOLE_READ_INTERNAL_H

#include "data/console_evidence.h"
#include "data/console_read.h"

#include "core/baseline.h"
#include "data/baseline_db.h"
#include "data/snapshot.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The console's statements (console_read.c's sql[]), by index. */
enum q {
	Q_BEGIN,
	Q_COMMIT,
	Q_HEALTH,
	Q_SPARK,
	Q_TRANS_MAX,
	Q_TRANS,
	Q_TAXONOMY,
	Q_TAXONOMY_RANGE,
	Q_OBS_EVIDENCE,
	Q_EVT_EVIDENCE,
	Q_SCOPE_OBS,
	Q_SCOPE_EVT,
	Q_SCOPE_FALLBACK,
	Q_SCOPE_MODELS,
	Q_SCOPE_BL_EVT,
	Q_BASELINE,
	Q_INC_OPEN,
	Q_INC_RESOLVED,
	Q_INC_HISTORY,
	Q_INC_DETAIL,
	Q_PENDING,
	Q_BL_MODELS, /* first of the baseline statements (schema 4) */
	Q_BL_HOURLY,
	Q_BL_PENDING,
	Q__COUNT
};

/* Notes the daemon records for a wizard path start with this. */
#define TRIAGE_NOTE_PREFIX "triage: "

/* The 24 h taxonomy counts of the minutes that are settled (older than
 * TAX_SETTLED_MS): kept between builds and moved along a minute at a time
 * (add the minutes that entered, subtract those that left), so a refresh
 * reads a few minutes of event_minute instead of a day of it; summed whole
 * again once a minute. */
#define TAX_SETTLED_MS (3 * 60000LL)

struct console_read {
	sqlite3 *db;
	sqlite3_stmt *st[Q__COUNT];
	char path[200];
	bool immutable; /* opened without WAL (no writer, no write access) */
	bool tax_valid;
	int64_t tax_from, tax_upto; /* [from, upto) minutes summed in tax */
	int64_t tax_full_ms;        /* when it was last summed whole */
	int64_t tax[CAT__COUNT][SEV__COUNT];
	/* baselines (NULL before schema 4) */
	struct baseline_db *bl;
	struct baseline_settings bls;
	bool bl_valid;       /* the cache below matches bl_print */
	int64_t bl_print[4]; /* Q_BL_MODELS' row when the cache was filled */
	struct baseline_db_warmth *warmth;
	size_t n_warmth;
	struct bl_step {
		int64_t id;
		double before, after;
	} steps[SNAP_MAX_REVIEWS]; /* waiting reviews' values, by id */
	int n_steps;
};

/* Column readers: text sanitized for the terminal, NULL as VG_NONE(_D) or
 * the default. */
void console_read__col_str(sqlite3_stmt *st, int i, char *dst, size_t size);
double console_read__col_d(sqlite3_stmt *st, int i);
int64_t console_read__col_i(sqlite3_stmt *st, int i);
int console_read__col_enum(sqlite3_stmt *st, int i, int (*parse)(const char *, size_t), int dflt);

/* The evidence statements of db, for data/console_evidence. */
struct console_evidence_q console_read__evidence_q(struct console_read *db);

/* The detail of incident `id` into s->detail (console_detail.c). SQLITE_OK
 * or an SQLite code, within the build's read transaction. */
int console_read__detail(struct console_read *db, struct snapshot *s, int64_t id);

/* The baselines' review items and warmth into s (console_baselines.c);
 * nothing before schema 4. SQLITE_OK or an SQLite code. */
int console_read__baselines(struct console_read *db, struct snapshot *s);

#endif
