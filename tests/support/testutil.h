/*
 * testutil.h: helpers shared by the test programs (not part of vigil):
 * reading data files, listing a data folder, temporary directories.
 * Include <cmocka.h>'s prerequisites before this header.
 */
#ifndef VIGIL_TESTS_TESTUTIL_H
#define VIGIL_TESTS_TESTUTIL_H

#include <stddef.h>

/* Read a whole file; returns a malloc'd NUL-terminated buffer (length in *len
 * when len is not NULL), or NULL. Caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* The sorted names of the files in dir ending with suffix; *n gets the count.
 * Returns a malloc'd array of malloc'd strings; free with tu_free_list(). */
char **tu_list_dir(const char *dir, const char *suffix, size_t *n);
void tu_free_list(char **names, size_t n);

/* Join a folder and a file name into a static buffer (valid until the next call). */
const char *tu_path(const char *dir, const char *name);

/* Make a fresh temporary directory; returns a malloc'd path. Caller removes
 * it with tu_rmtree() and frees the path. */
char *tu_mkdtemp(const char *tag);

/* Remove a directory tree (rm -rf). */
void tu_rmtree(const char *path);

#endif
