/*
 * runbook.h: pick the part of a runbook (docs/runbooks/<category>.md) that
 * a finding needs. The shell reads the file; this only cuts text, so it is
 * pure and testable. A section is found, in order, as a "## " heading that
 * contains the key (case-insensitive), or a list item ("1. ", "- ") that
 * contains "**key**". Bold markers are dropped from the result.
 */
#ifndef VIGIL_CORE_RUNBOOK_H
#define VIGIL_CORE_RUNBOOK_H

#include <stddef.h>

/*
 * Copy the section of the markdown `md` (len bytes) named by `key` into
 * `out` (size bytes, always NUL-terminated when size > 0), one line per
 * line, without the heading itself. With key NULL or "": the introduction
 * (the text between the title and the first heading or list). Returns the
 * length written, or VG_ENOTFOUND when there is no such section.
 */
int runbook_section(const char *md, size_t len, const char *key, char *out, size_t size);

#endif
