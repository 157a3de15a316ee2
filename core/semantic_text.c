/*
 * semantic_text.c: the pure text work of the semantic stage (see
 * semantic.h): one tokenizer pass over a response, then its schema, its
 * local embedding, coherence, hallucinated entities (against a context)
 * and PII. Stateless but for the worker's scratch buffers, so it runs on
 * the loop thread (inline) or on the sidecar's.
 */
#include "core/semantic.h"

#include "core/embed.h"
#include "core/entities.h"
#include "core/pii.h"
#include "core/semantic_internal.h"
#include "core/vgerr.h"

#include <stdlib.h>
#include <string.h>

/* ---- the text work ---------------------------------------------------------- */

struct semantic_worker {
	struct ts_token *tok; /* the response's tokens, shared by the text checks */
	uint64_t *words;      /* their hashes, for coherence */
	size_t cap;
	struct jschema_scratch js;
	struct coherence_scratch coh;
	struct entities_scratch ent;
	struct pii_scratch pii;
};

struct semantic_worker *semantic_worker_new(void)
{
	struct semantic_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	jschema_scratch_init(&w->js);
	coherence_scratch_init(&w->coh);
	entities_scratch_init(&w->ent);
	pii_scratch_init(&w->pii);
	return w;
}

void semantic_worker_free(struct semantic_worker *w)
{
	if (!w)
		return;
	free(w->words);
	free(w->tok);
	jschema_scratch_done(&w->js);
	coherence_scratch_done(&w->coh);
	entities_scratch_done(&w->ent);
	pii_scratch_done(&w->pii);
	free(w);
}

int semantic_text_run(const struct semantic_text_cfg *cfg, struct semantic_worker *w,
                      const struct observation *obs, struct semantic_text *out)
{
	const struct semantic_settings *ss = &cfg->settings;
	struct semantic_verdicts *v = &out->v;
	semantic_verdicts_init(v);
	out->dims = 0;
	if (!obs->text)
		return 0;
	const char *text = obs->text, *ctx = obs->context_text;
	size_t len = obs->text_len, clen = ctx ? obs->context_len : 0;
	int rc;

	/* 1. schema */
	const struct jschema *schema =
	        obs->schema_id[0] ? jschema_set_get(cfg->schemas, obs->schema_id) : NULL;
	if (schema) {
		struct jschema_result res;
		if ((rc = jschema_validate(schema, text, len, &w->js, &res)) != 0)
			return rc;
		v->schema_valid = semantic__tri(res.valid);
		if (!res.valid) {
			model_copy_str(v->schema_pointer, sizeof(v->schema_pointer), res.pointer,
			               (size_t)-1);
			model_copy_str(v->schema_keyword, sizeof(v->schema_keyword), res.keyword,
			               (size_t)-1);
		}
	}

	/* One tokenizer pass for the embedding, coherence and entities. */
	size_t need = len / 2 + 2, n = 0, pos = 0;
	if (need > w->cap) {
		uint64_t *nw = realloc(w->words, need * sizeof(*nw));
		if (!nw)
			return VG_ENOMEM;
		w->words = nw;
		struct ts_token *nt = realloc(w->tok, need * sizeof(*nt));
		if (!nt)
			return VG_ENOMEM;
		w->tok = nt;
		w->cap = need;
	}
	n = ts_tokenize(text, len, &pos, w->tok, w->cap);

	/* 3. the local embedding, when the gateway sent none, and coherence */
	if (!obs->embedding || obs->embedding_len == 0) {
		size_t dims = (size_t)ss->similarity.dims;
		if (dims > SEMANTIC_MAX_DIMS)
			dims = SEMANTIC_MAX_DIMS;
		if (dims < 8)
			dims = 8;
		if (embed_tokens(text, w->tok, n, out->embedding, dims, w->words))
			out->dims = (uint32_t)dims;
	} else {
		for (size_t i = 0; i < n; i++)
			w->words[i] = w->tok[i].hash;
	}
	struct coherence_result cr;
	if ((rc = coherence_scan_words(&cfg->coherence, w->words, n,
	                               (size_t)ss->coherence.min_trigrams, &w->coh, &cr)) != 0)
		return rc;
	v->repeat_ratio = cr.repeat_ratio;
	v->contradictions = cr.contradictions;
	v->coherence = semantic__tri(
	        (vg_has_d(cr.repeat_ratio) && cr.repeat_ratio > ss->coherence.repeat_ratio) ||
	        cr.contradictions >= ss->coherence.contradictions);

	/* 4. hallucination: only against a context */
	if (ctx && clen) {
		struct entities_result er;
		if ((rc = entities_screen_tokens(text, len, w->tok, n, ctx, clen, &w->ent, &er)) !=
		    0)
			return rc;
		v->unsupported_entities = er.unsupported;
		v->hallucination =
		        semantic__tri(er.unsupported > ss->hallucination.max_unsupported);
		model_copy_str(v->hallucination_sample, sizeof(v->hallucination_sample), er.sample,
		               (size_t)-1);
	}

	/* 5. PII and secrets */
	if (ss->pii.enabled) {
		struct pii_result pr;
		if ((rc = pii_scan_tokens(text, len, w->tok, n, ctx, clen, &w->pii, &pr)) != 0)
			return rc;
		v->pii_leak = semantic__tri(pr.leaks > 0);
		model_copy_str(v->pii_kind, sizeof(v->pii_kind), pr.kind, (size_t)-1);
		model_copy_str(v->pii_sample, sizeof(v->pii_sample), pr.sample, (size_t)-1);
	}

	return 0;
}
