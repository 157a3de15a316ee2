/*
 * action.c: names of the operator actions (see action.h).
 */
#include "core/action.h"

#include "core/vgerr.h"

#include <string.h>

static const char *const names[ACTION__COUNT] = {
	[ACTION_ACK] = "ack",
	[ACTION_RESOLVE] = "resolve",
	[ACTION_NOTE] = "note",
	[ACTION_TRIAGE] = "triage",
};

/* What the operator_actions table holds: frozen, see action.h. */
static const char *const stored[ACTION__COUNT] = {
	[ACTION_ACK] = "ack",
	[ACTION_RESOLVE] = "resolve",
	[ACTION_NOTE] = "note",
	[ACTION_TRIAGE] = "wizard",
};

const char *action_name(enum action_kind a)
{
	return (unsigned)a < ACTION__COUNT ? names[a] : "unknown";
}

const char *action_stored_name(enum action_kind a)
{
	return (unsigned)a < ACTION__COUNT ? stored[a] : "unknown";
}

int action_parse(const char *s)
{
	for (int i = 0; s && i < ACTION__COUNT; i++) {
		if (strcmp(s, names[i]) == 0 || strcmp(s, stored[i]) == 0)
			return i;
	}
	return VG_EINVAL;
}
