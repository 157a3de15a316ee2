/* store_internal.h: what data/store*.c share (not for other modules). */
#ifndef VIGIL_DATA_STORE_INTERNAL_H
#define VIGIL_DATA_STORE_INTERNAL_H

/* The schema's migrations, applied in order; user_version = how many ran. */
extern const char *const store__migrations[];
extern const int store__n_migrations;

#endif
