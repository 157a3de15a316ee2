/*
 * runbook.h: the runbooks (docs/runbooks/, one markdown file per category)
 * and the part of one that a finding needs. The files are embedded in the
 * library at build time, whole (cmake/EmbedFiles.cmake writes the table
 * runbook_docs into the build folder), so an installed binary has them
 * wherever it runs and nothing is read from disk: the lookup is pure data.
 *
 * A section is found, in order, as a "## " heading that contains the key
 * (case-insensitive), or a list item ("1. ", "- ") that contains "**key**".
 * Bold markers are dropped from the result.
 */
#ifndef VIGIL_CORE_RUNBOOK_H
#define VIGIL_CORE_RUNBOOK_H

#include <stddef.h>

/* One embedded runbook. */
struct runbook_doc {
	const char *name; /* file name below docs/runbooks/: "provider.md" */
	const char *data; /* the whole file, NUL-terminated */
	size_t len;       /* bytes, without the NUL */
};

/* Every shipped runbook, sorted by name, ended by an entry with a NULL name
 * (generated; static data). */
extern const struct runbook_doc runbook_docs[];

/*
 * The runbook named `name`: "provider", "provider.md" or the path that
 * event_runbook() gives ("docs/runbooks/provider.md"). Returns a pointer
 * into runbook_docs (static), or NULL when there is none.
 */
const struct runbook_doc *runbook_find(const char *name);

/*
 * The title of a runbook (the text of its first "# " heading, or its name
 * without ".md" when it has none) into `out` (always NUL-terminated when
 * size > 0). Returns the length written.
 */
size_t runbook_title(const struct runbook_doc *doc, char *out, size_t size);

/*
 * Copy the section of the markdown `md` (len bytes) named by `key` into
 * `out` (size bytes, always NUL-terminated when size > 0), one line per
 * line, without the heading itself. With key NULL or "": the introduction
 * (the text between the title and the first heading or list). Returns the
 * length written, or VG_ENOTFOUND when there is no such section.
 */
int runbook_section(const char *md, size_t len, const char *key, char *out, size_t size);

#endif
