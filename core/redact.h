/*
 * redact.h: keep API keys out of everything vigil stores, sends, logs or
 * shows. A gateway line can carry a key (a 401 body "Incorrect API key
 * provided: sk-..."), and provider messages flow into failure events,
 * incident details and alert payloads; every such text passes through here
 * before it leaves the pipeline or reaches the store.
 *
 * Two kinds of secret are masked, in place, with '*' (the length is kept, so
 * a fixed buffer or a JSON string stays valid):
 *  - the keys vigil itself holds (the environment variables the config
 *    names: OPENAI_API_KEY, ..., and the sinks' secrets), given by the shell
 *    with redact_add(): every occurrence, whole;
 *  - the usual key shapes, whoever's they are: OpenAI and Anthropic
 *    ("sk-" then 20 or more of [A-Za-z0-9_-]: sk-proj-..., sk-ant-api03-...),
 *    Google API keys ("AIza" then 30 or more), Google OAuth access tokens
 *    ("ya29." then 20 or more of [A-Za-z0-9_.-]) and bearer credentials
 *    ("Bearer " then 16 or more token characters). The prefix stays
 *    ("sk-****", "AIza****", "Bearer ****") so a reader knows what was there.
 *    A shape must not follow a letter or digit ("task-..." is not a key;
 *    "r1-AIza..." and "key=sk-..." are).
 *
 * Pure: the set is built once by the shell (core never reads the
 * environment) and only read afterwards, so one set may serve several
 * threads once built. Ownership: redact_add() copies the secret.
 */
#ifndef VIGIL_CORE_REDACT_H
#define VIGIL_CORE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

struct redact;

/* The shortest secret redact_add() takes: shorter texts would mask words. */
#define REDACT_MIN_SECRET 8

/* An empty set (shapes only). NULL when out of memory. */
struct redact *redact_new(void);

/* Free a set; NULL does nothing. */
void redact_free(struct redact *r);

/* Add a secret vigil holds (copied). Returns 0, VG_EINVAL for NULL or a text
 * shorter than REDACT_MIN_SECRET (nothing added), or VG_ENOMEM. */
int redact_add(struct redact *r, const char *secret);

/* How many secrets the set holds. */
size_t redact_count(const struct redact *r);

/*
 * Mask, in place, every secret of `r` (may be NULL: shapes only) and every
 * key shape in `len` bytes of `text` (NUL bytes allowed). Returns how many
 * were masked (0: the text is unchanged).
 */
size_t redact_buf(const struct redact *r, char *text, size_t len);

/* The same for a NUL-terminated string (NULL does nothing). */
size_t redact_str(const struct redact *r, char *text);

/* True when `len` bytes of `text` hold a secret of `r` or a key shape (what
 * redact_buf() would change). */
bool redact_found(const struct redact *r, const char *text, size_t len);

#endif
