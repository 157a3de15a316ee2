/*
 * snapshot_json.h: a console snapshot from a JSON document, for the pane
 * tests (tests/data/tui/NAME.json), the console bench and
 * `vigil console --snapshot FILE` (a frozen screen, handy for screenshots
 * and for trying the keys without a daemon).
 *
 * Times are either absolute ("first_ms": 1795773600000) or relative to
 * "now" ("first_ago": "6m", any Go-style duration); "now" is an RFC 3339
 * time or ms. Every string goes through core/sanitize on the way in, exactly
 * as the database builder does. The format is documented by example in
 * tests/data/tui/outage.json.
 */
#ifndef VIGIL_TUI_SNAPSHOT_JSON_H
#define VIGIL_TUI_SNAPSHOT_JSON_H

#include "data/snapshot.h"

#include <jansson.h>

/*
 * Fill *s (reset first) from a parsed document. Returns 0, or VG_EINVAL with
 * a malloc'd message in *cause (caller frees; may be NULL) naming the field
 * at fault ("incidents[2].severity: unknown value 'urgent'").
 */
int snapshot_from_json(struct snapshot *s, json_t *doc, char **cause);

/* The same from a file; the message starts with the file name. VG_EIO when
 * the file cannot be read, VG_EPARSE when it is not JSON. */
int snapshot_load_file(struct snapshot *s, const char *path, char **cause);

#endif
