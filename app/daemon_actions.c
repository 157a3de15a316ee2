/*
 * daemon_actions.c: the operator actions written by `vigil console` into
 * the operator_actions table (see daemon.h). Every tick, when nothing of
 * the daemon's waits for the store, the unapplied actions are read back
 * and applied to the incidents (pipeline_operator_action: acknowledge,
 * resolve, note, the triage path) or to a baseline review item (accept,
 * reject; these wait while a refresh is running); each is marked applied in the same batch
 * as the effects it caused (the notifications to the sinks included), so a
 * crash neither loses nor repeats one.
 */
#include "app/daemon_internal.h"

#include "core/action.h"
#include "core/incident.h"
#include "core/vgerr.h"

#include <stdio.h>
#include <string.h>

/* Why an action could not be applied, for the console that wrote it:
 * "refused: incident #31 is acknowledged (invalid state)". */
static void refusal(struct daemon *d, bool review, int64_t target, int rc, char *buf, size_t size)
{
	const struct incident *inc =
	        review ? NULL : incidents_get(pipeline_incidents(d->p), target);
	if (inc)
		snprintf(buf, size, "refused: incident #%lld is %s (%s)", (long long)target,
		         incident_state_name(inc->state), vg_strerror(rc));
	else if (rc == VG_ENOTFOUND)
		snprintf(buf, size, "refused: no %s #%lld open",
		         review ? "review item" : "incident", (long long)target);
	else
		snprintf(buf, size, "refused: %s #%lld: %s", review ? "review item" : "incident",
		         (long long)target, vg_strerror(rc));
}

static void apply_action(struct daemon *d, const struct store_operator_action *a,
                         struct store_batch *b)
{
	struct effects fx;
	memset(&fx, 0, sizeof(fx));
	int64_t now = daemon__now(d);
	const char *note = a->note ? a->note : "";
	/* accept and reject name a baseline review item, the others an incident */
	bool review = action_is_review(a->action);
	int64_t target = review ? a->review_id : a->incident_id;
	int rc = pipeline_operator_action(d->p, a->action, target, now, a->actor, note, &fx);
	json_t *f = json_pack("{s:I,s:I,s:s,s:s}", "action_id", (json_int_t)a->id,
	                      review ? "review" : "incident", (json_int_t)target, "action",
	                      action_name(a->action), "actor", a->actor);
	char outcome[STORE_OUTCOME_MAX] = "applied";
	if (rc == 0) {
		d->st.actions_applied++;
		daemon__log(d, "info", "operator action applied", f);
	} else {
		refusal(d, review, target, rc, outcome, sizeof(outcome));
		json_object_set_new(f, "error", json_string(vg_strerror(rc)));
		daemon__log(d, "warn", "operator action not applicable", f);
	}
	/* taken either way (an action that does not apply never will), with
	 * its outcome for the console that wrote it */
	daemon__account(d, &fx);
	if (daemon__add_effects(d, b, &fx) != 0 ||
	    store_batch_mark_action_applied(b, a->id, outcome) != 0)
		daemon__log(d, "error", "out of memory applying an operator action", NULL);
}

static void on_actions(void *data, const struct store_answer *a)
{
	struct daemon *d = data;
	d->actions_query = false;
	if (a->err != 0 || d->state != DS_RUNNING || a->n_actions == 0)
		return;
	struct store_batch *b = daemon__waiting_batch(d);
	if (!b)
		return;
	for (size_t i = 0; i < a->n_actions; i++) {
		if (a->actions[i].id <= d->last_action_id)
			continue;
		/* A review decision waits while the weekly refresh holds the
		 * models (and so do the actions after it: they keep their order). */
		if (action_is_review(a->actions[i].action) && pipeline_baseline_busy(d->p))
			break;
		apply_action(d, &a->actions[i], b);
		d->last_action_id = a->actions[i].id;
	}
	daemon__submit_waiting(d);
}

void daemon__poll_actions(struct daemon *d)
{
	/* Actions are read when nothing of ours waits: what the query returns is
	 * then never already applied in a batch not yet submitted. */
	if (!d->actions_query && !d->waiting && d->store &&
	    store_query(d->store, STORE_Q_ACTIONS_UNAPPLIED, on_actions, d) == 0)
		d->actions_query = true;
}
