/*
 * triagewalk.h: the triage wizard on shipped scenarios, for the two halves
 * of tests/integration/test_triage_scenarios_*.c. Each scenario
 * (sim/scenarios) is generated at test time and ingested into a database
 * (`vigil sim gateway`, `vigil ingest`, as tests/integration/
 * replay_scenarios.bash does for replay); for every incident the console
 * reads its detail with its own evidence (console_read_build), the wizard
 * starts about it, and accepting every suggestion must end at the
 * incident's category and subtype. VIGIL_TRIAGE_SHOW=1 prints every path.
 */
#ifndef VIGIL_TESTS_TRIAGEWALK_H
#define VIGIL_TESTS_TRIAGEWALK_H

#include <stddef.h>

/* The scenarios of each part (two halves, then the multi-week scenario that
 * only the soak label runs): together, every file in sim/scenarios. */
#define TRIAGEWALK_PARTS 3
extern const char *const triagewalk_half[TRIAGEWALK_PARTS][6];

/* Walk every incident of the scenarios of part h (0, 1 or 2), failing the
 * running cmocka test on an incident that does not end at its label; also
 * fails when a shipped scenario is in no part. */
void triagewalk_check(int h);

#endif
