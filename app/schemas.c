/* schemas.c: reading a folder of JSON Schema files into a compiled set. */
#include "app/schemas.h"

#include "core/vgerr.h"
#include "core/vgmem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int schemas_resolve_dir(const char *config_file, const char *dir, char *out, size_t cap)
{
	const char *slash = config_file ? strrchr(config_file, '/') : NULL;
	int n;
	if (dir[0] == '/' || !slash)
		n = snprintf(out, cap, "%s", dir);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - config_file), config_file, dir);
	return n < 0 || (size_t)n >= cap ? VG_ETOOBIG : 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_all(const char *path, char **buf, size_t *len, char **cause)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return vg_cause(cause, VG_EIO, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	int rc = 0;
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			if (cap >= SCHEMAS_MAX_FILE) {
				vg_cause(cause, VG_ETOOBIG, "%s: larger than %s bytes", path,
				         "4 MiB");
				rc = VG_ETOOBIG;
				break;
			}
			if (vg_grow((void **)&b, &cap, cap + 1, 1, 4096) != 0) {
				free(b);
				b = NULL;
				break;
			}
		}
	}
	if (!rc && !b) {
		vg_cause(cause, VG_ENOMEM, "%s: %s", path, "out of memory");
		rc = VG_ENOMEM;
	} else if (!rc && ferror(f)) {
		vg_cause(cause, VG_EIO, "%s: read error: %s", path, strerror(errno));
		rc = VG_EIO;
	}
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

int schemas_load_dir(const char *dir, struct jschema_set **out, char **cause)
{
	*out = NULL;
	*cause = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return vg_cause(cause, VG_EIO, "%s: cannot open schema folder: %s", dir,
		                strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
			continue;
		if (vg_grow((void **)&names, &cap, n + 1, sizeof(*names), 16) != 0) {
			rc = VG_ENOMEM;
			break;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = VG_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	struct jschema_set *set = rc ? NULL : jschema_set_new();
	if (!rc && !set)
		rc = VG_ENOMEM;
	if (rc == VG_ENOMEM)
		vg_cause(cause, rc, "%s: %s", dir, "out of memory");
	if (!rc)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && !rc; i++) {
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
			vg_cause(cause, VG_ETOOBIG, "%s/%s: path too long", dir, names[i]);
			rc = VG_ETOOBIG;
			break;
		}
		char *text = NULL;
		size_t len = 0;
		if ((rc = read_all(path, &text, &len, cause)) != 0)
			break;
		names[i][strlen(names[i]) - 5] = '\0'; /* the id */
		rc = jschema_set_add(set, names[i], text, len, path, cause);
		free(text);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc) {
		jschema_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}
