/*
 * triage_path.c: a walk's recorded path (see triage.h): the steps' numbers
 * as recorded, the verdict against the incident's label, the JSON and the
 * one-line forms, and recorded paths (either form, an older console's JSON
 * cut short included) read back as steps.
 */
#include "core/triage_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void append(char *buf, size_t size, size_t *n, const char *s)
{
	size_t len = strlen(s);
	if (*n + 1 >= size)
		return;
	if (*n + len + 1 > size)
		len = size - 1 - *n;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[*n] = '\0';
}

static const char *answer_name(int a)
{
	return a == TA_YES ? "yes" : a == TA_NO ? "no" : "none";
}

/* A step's number as recorded: "29 of 65 requests (45%)" or "1.7x". */
static int step_value(const struct triage_step *st, char *buf, size_t size)
{
	enum triage_metric m = triage__tree[st->node].metric;
	if (!isnan(st->count) && !isnan(st->value) && vg_has(st->of))
		return triage__count_format(m, st->value, st->count, st->of, buf, size);
	return triage_metric_format(m, st->value, buf, size);
}

int triage_step_evidence(const struct triage *t, int step, char *buf, size_t size)
{
	if (step < 0 || step >= t->n_steps)
		return snprintf(buf, size, "%s", "");
	const struct triage_step *st = &t->steps[step];
	char val[96];
	step_value(st, val, sizeof(val));
	return snprintf(buf, size, "%s %s", triage_metric_label(triage__tree[st->node].metric),
	                val);
}

/* "quality/hallucination" of a done thread, or "" when it found nothing. */
static bool finding_name(const struct triage *t, int i, char *buf, size_t size)
{
	struct triage_thread_info info;
	if (triage_thread_info(t, i, &info) != 0 || !info.done || info.category < 0)
		return false;
	snprintf(buf, size, "%s/%s", model_category_name((enum category)info.category),
	         model_subtype_name(info.subtype));
	return true;
}

size_t triage_verdict(const struct triage *t, char *buf, size_t size)
{
	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (t->label_category < 0 || !triage_done(t))
		return 0;
	char label[64], found[200] = "", one[64];
	snprintf(label, sizeof(label), "%s/%s",
	         model_category_name((enum category)t->label_category),
	         model_subtype_name(t->label_sub));
	bool confirmed = false;
	size_t n = 0;
	for (int i = 0; i < t->n_threads; i++) {
		if (!finding_name(t, i, one, sizeof(one)))
			continue;
		confirmed |= strcmp(one, label) == 0;
		if (strstr(found, one))
			continue;
		append(found, sizeof(found), &n, n ? ", " : "");
		append(found, sizeof(found), &n, one);
	}
	if (confirmed && !triage__label_refuted(t)) {
		snprintf(buf, size, "the evidence in its scope supports its label %s", label);
		return strlen(buf);
	}
	char ev[160] = "";
	if (triage__label_refuted(t))
		triage_step_evidence(t, 0, ev, sizeof(ev));
	int w = snprintf(buf, size, "labelled %s, but %s%s%s; the evidence says %s", label,
	                 triage__label_refuted(t) ? "its own signal is not in its scope ("
	                                          : "the answers",
	                 ev, triage__label_refuted(t) ? ")" : " lead elsewhere",
	                 found[0] ? found : "nothing conclusive");
	return w < 0 ? 0 : (size_t)w < size ? (size_t)w : size - 1;
}

json_t *triage_path_json(const struct triage *t)
{
	json_t *root = json_object();
	json_t *steps = json_array();
	json_t *findings = json_array();
	if (!root || !steps || !findings) {
		json_decref(root);
		json_decref(steps);
		json_decref(findings);
		return NULL;
	}
	json_object_set_new(root, "scope", json_string(t->ev.scope));
	for (int s = 0; s < t->n_steps; s++) {
		const struct triage_step *st = &t->steps[s];
		const struct triage_node *n = &triage__tree[st->node];
		char val[96], ev[200];
		step_value(st, val, sizeof(val));
		snprintf(ev, sizeof(ev), "%s: %s", triage_metric_label(n->metric), val);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "thread", n->branch,
		                      "node", n->id, "question", n->text, "evidence", ev,
		                      "suggested", answer_name(st->suggested), "answer",
		                      answer_name(st->answer), "overridden",
		                      st->suggested != TA_NONE && st->suggested != st->answer);
		if (o)
			json_array_append_new(steps, o);
	}
	for (int i = 0; i < t->n_threads; i++) {
		struct triage_thread_info info;
		triage_thread_info(t, i, &info);
		if (!info.done || (i == 0 && info.category < 0))
			continue;
		json_t *o = json_pack(
		        "{s:s, s:s, s:s, s:s, s:s}", "branch", info.branch, "category",
		        info.category >= 0 ? model_category_name((enum category)info.category)
		                           : "none",
		        "subtype", info.category >= 0 ? model_subtype_name(info.subtype) : "none",
		        "finding", info.finding ? info.finding : "", "runbook",
		        info.runbook ? info.runbook : "");
		if (o)
			json_array_append_new(findings, o);
	}
	json_object_set_new(root, "steps", steps);
	json_object_set_new(root, "findings", findings);
	json_object_set_new(root, "complete", json_boolean(triage_done(t)));
	char why[300];
	if (triage_verdict(t, why, sizeof(why)) > 0)
		json_object_set_new(root, "verdict", json_string(why));
	return root;
}

size_t triage_path_text(const struct triage *t, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (int s = 0; s < t->n_steps; s++) {
		const struct triage_step *st = &t->steps[s];
		char part[160], val[96];
		enum triage_metric m = triage__tree[st->node].metric;
		if (!isnan(st->count) && !isnan(st->value) && vg_has(st->of)) {
			char pct[24];
			triage_metric_format(m, st->value, pct, sizeof(pct));
			snprintf(val, sizeof(val), "%.0f of %lld, %s", st->count, (long long)st->of,
			         pct);
		} else {
			triage_metric_format(m, st->value, val, sizeof(val));
		}
		snprintf(part, sizeof(part), "%s%s? %s (%s)", s ? " > " : "", triage__ask[st->node],
		         answer_name(st->answer), val);
		append(buf, size, &n, part);
	}
	bool any = false;
	for (int i = 0; i < t->n_threads; i++) {
		char one[64], part[80];
		if (!finding_name(t, i, one, sizeof(one)))
			continue;
		snprintf(part, sizeof(part), "%s%s", any ? ", " : " => ", one);
		append(buf, size, &n, part);
		any = true;
	}
	if (!any && triage_done(t))
		append(buf, size, &n, " => nothing confirmed");
	if (triage__label_refuted(t) && triage_done(t)) {
		char part[96];
		snprintf(part, sizeof(part), " (not %s/%s: its signal is not in its scope)",
		         model_category_name((enum category)t->label_category),
		         model_subtype_name(t->label_sub));
		append(buf, size, &n, part);
	}
	return n;
}

/* ---- recorded paths, read back ---- */

/* The string value after `"key":"` in a JSON text that may be cut short:
 * copied (escapes dropped) into out; returns the position after it, or NULL. */
static const char *json_field(const char *p, const char *end, const char *key, char *out,
                              size_t size)
{
	char pat[40];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *at = strstr(p, pat);
	out[0] = '\0';
	if (!at || at >= end)
		return NULL;
	at += strlen(pat);
	size_t n = 0;
	while (*at && *at != '"') {
		if (*at == '\\' && at[1])
			at++;
		if (n + 1 < size)
			out[n++] = *at;
		at++;
	}
	out[n] = '\0';
	return *at ? at + 1 : NULL;
}

/* An older console's JSON path, whole or cut at the note's length. */
static size_t readable_json(const char *note, char *buf, size_t size)
{
	size_t n = 0;
	int k = 0;
	const char *p = note;
	bool cut = false;
	for (;;) {
		const char *step = strstr(p, "\"node\":\"");
		const char *fnd = strstr(p, "\"findings\":");
		if (!step || (fnd && fnd < step))
			break;
		const char *next = strstr(step + 8, "\"node\":\"");
		const char *end = next ? next : step + strlen(step);
		if (fnd && fnd < end)
			end = fnd;
		char q[200], ev[120], ans[16];
		json_field(step, end, "question", q, sizeof(q));
		json_field(step, end, "evidence", ev, sizeof(ev));
		if (!json_field(step, end, "answer", ans, sizeof(ans))) {
			cut = true;
			break;
		}
		char line[400];
		snprintf(line, sizeof(line), "%s%d. %s %s%s%s", k ? "\n" : "", k + 1, q, ans,
		         ev[0] ? ": " : "", ev);
		append(buf, size, &n, line);
		k++;
		p = end;
	}
	const char *f = strstr(p, "\"findings\":");
	while (f) {
		char cat[32], sub[40];
		const char *after = json_field(f, f + strlen(f), "category", cat, sizeof(cat));
		if (!after ||
		    !json_field(after, after + strlen(after), "subtype", sub, sizeof(sub)))
			break;
		if (strcmp(cat, "none") != 0) {
			char line[96];
			snprintf(line, sizeof(line), "\n=> %s/%s", cat, sub);
			append(buf, size, &n, line);
		}
		f = after;
	}
	if (cut || !strstr(note, "\"complete\""))
		append(buf, size, &n,
		       k ? "\n(the rest of this older record was cut short)"
		         : "(an older record, cut short before its first step)");
	return n;
}

size_t triage_note_readable(const char *note, char *buf, size_t size)
{
	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (!note)
		return 0;
	while (*note == ' ')
		note++;
	if (*note == '{')
		return readable_json(note, buf, size);
	/* The one-line form: "a? yes (..) > b? no (..) => x/y (not ...)". */
	size_t n = 0;
	const char *res = strstr(note, " => ");
	const char *stop = res ? res : note + strlen(note);
	const char *p = note;
	for (int k = 0; p < stop; k++) {
		const char *sep = strstr(p, " > ");
		if (!sep || sep > stop)
			sep = stop;
		char line[400];
		snprintf(line, sizeof(line), "%s%d. %.*s", k ? "\n" : "", k + 1, (int)(sep - p), p);
		append(buf, size, &n, line);
		p = sep == stop ? stop : sep + 3;
	}
	if (res) {
		append(buf, size, &n, n ? "\n=> " : "=> ");
		append(buf, size, &n, res + 4);
	}
	return n;
}
