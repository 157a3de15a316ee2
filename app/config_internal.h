/*
 * config_internal.h: what app/config*.c share (not for other modules):
 *
 *   config.c          the loader: libfyaml, the walk of the document against
 *                     the key tables, checks across fields, defaults
 *   config_keys.c     the key tables: every section of vigil.yaml, its keys,
 *                     their types, ranges and enum names
 *   config_options.c  the option structs of the other layers (pipeline,
 *                     incidents, routes, sinks, canary) filled from a config
 */
#ifndef VIGIL_APP_CONFIG_INTERNAL_H
#define VIGIL_APP_CONFIG_INTERNAL_H

#include "app/config.h"

/* The table of the document's top-level keys (config_keys.c). */
extern const struct cfg_field config__root_fields[];

#endif
