/*
 * fuzz_config.c: libFuzzer harness for the vigil.yaml loader (app/config).
 * The input is a config file's bytes. Whatever they are, loading must not
 * crash, leak or read out of bounds, and the outcome must be consistent:
 * success, or an error with a message that names the file first (and, when
 * it gives a position, as "file:line:col: "); a loaded config must hold no
 * empty store path and, after a second load of the same bytes, the same
 * outcome (the loader keeps no state between calls).
 */
#include "app/config.h"
#include "core/vgerr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int load(struct vigil_config *cfg, const uint8_t *data, size_t size, char **cause)
{
	config_defaults(cfg);
	/* a private copy, so reads past the end are caught */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return VG_ENOMEM;
	memcpy(copy, data, size);
	int rc = config_load_string(cfg, copy, size, "fuzz.yaml", cause);
	free(copy);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		return 0;
	}
	char *ca = NULL, *cb = NULL;
	int ra = load(a, data, size, &ca);
	int rb = load(b, data, size, &cb);
	if (ra != rb)
		__builtin_trap();
	if (ra == 0) {
		if (ca || !a->store.path[0])
			__builtin_trap();
	} else if (ra != VG_ENOMEM) {
		if (!ca || strncmp(ca, "fuzz.yaml", 9) != 0 || (ca[9] != ':' && ca[9] != '\0'))
			__builtin_trap();
		if (!cb || strcmp(ca, cb) != 0)
			__builtin_trap();
	}
	free(ca);
	free(cb);
	free(a);
	free(b);
	return 0;
}
