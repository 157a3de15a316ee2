/*
 * action.c: names of the operator actions (see action.h).
 */
#include "core/action.h"

#include "core/vgerr.h"

#include <string.h>

static const char *const names[ACTION__COUNT] = {
	[ACTION_ACK] = "ack",       [ACTION_RESOLVE] = "resolve", [ACTION_NOTE] = "note",
	[ACTION_TRIAGE] = "triage", [ACTION_ACCEPT] = "accept",   [ACTION_REJECT] = "reject",
	[ACTION_SNOOZE] = "snooze",
};

const char *action_name(enum action_kind a)
{
	return (unsigned)a < ACTION__COUNT ? names[a] : "unknown";
}

int action_parse(const char *s)
{
	for (int i = 0; s && i < ACTION__COUNT; i++) {
		if (strcmp(s, names[i]) == 0)
			return i;
	}
	/* databases written before the one enum kept the triage path as "wizard" */
	if (s && strcmp(s, "wizard") == 0)
		return ACTION_TRIAGE;
	return VG_EINVAL;
}
