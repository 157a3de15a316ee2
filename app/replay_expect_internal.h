/*
 * replay_expect_internal.h: what app/replay_expect*.c share (not for other
 * modules):
 *
 *   replay_expect.c        loading and validating an expectation file
 *   replay_expect_check.c  checking a report against it (the diff text)
 */
#ifndef VIGIL_APP_REPLAY_EXPECT_INTERNAL_H
#define VIGIL_APP_REPLAY_EXPECT_INTERNAL_H

#include "app/replay_expect.h"

struct replay_expect {
	json_t *root;
};

/* The string member k of object o, or NULL. */
const char *replay_expect__str(json_t *o, const char *k);

/* 0 critical .. 3 low; -1 unknown (case does not matter). */
int replay_expect__sev_rank(const char *s);

/* The expected incident called name in the array incs, or NULL (borrowed). */
json_t *replay_expect__find_named(json_t *incs, const char *name);

#endif
