/*
 * sim_embed.h: the files shipped inside the binary (the YAML files in sim/scenarios
 * and the JSON files in sim/schemas), generated at build time by cmake/EmbedFiles.cmake into
 * the build folder, so `vigil demo` works from any directory.
 */
#ifndef VIGIL_SIM_EMBED_H
#define VIGIL_SIM_EMBED_H

#include <stddef.h>

struct sim_embedded_file {
	const char *name; /* path below sim/: "scenarios/calm.yaml" */
	const char *data; /* NUL-terminated */
	size_t len;
};

/* Terminated by an entry with a NULL name; sorted by name. */
extern const struct sim_embedded_file sim_embedded_files[];

#endif
