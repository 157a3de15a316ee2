/*
 * schemas.h: loading the JSON Schemas of structured outputs from the folder
 * that vigil.yaml names (semantic.schemas_dir). The shell reads the files;
 * core/jschema compiles them once. A schema's id, which response.schema_id
 * names, is its file name without ".json".
 */
#ifndef VIGIL_APP_SCHEMAS_H
#define VIGIL_APP_SCHEMAS_H

#include "core/jschema.h"

#include <stddef.h>

#define SCHEMAS_MAX_FILE (4u << 20) /* bytes per schema file */

/*
 * The folder to load: `dir` itself when absolute, else relative to the
 * folder of `config_file` (as Prometheus resolves rule files). Writes at
 * most cap bytes to out (NUL-terminated). Returns 0 or VG_ETOOBIG.
 */
int schemas_resolve_dir(const char *config_file, const char *dir, char *out, size_t cap);

/*
 * Compile every *.json file in `dir` (sorted by name) into a new set in
 * *out (caller frees with jschema_set_free()). Returns 0, or VG_EIO (the
 * folder or a file cannot be read), VG_ETOOBIG, VG_EPARSE / VG_EINVAL (a
 * file is not JSON / not a valid schema) or VG_ENOMEM, with a malloc'd
 * message in *cause naming the file (and the JSON pointer) at fault; caller
 * frees. Nothing is returned in *out on error.
 */
int schemas_load_dir(const char *dir, struct jschema_set **out, char **cause);

#endif
