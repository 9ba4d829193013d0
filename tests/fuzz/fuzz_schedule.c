/*
 * fuzz_schedule.c: libFuzzer harness for the retention-schedule loader
 * (retention/schedule.h). Any bytes go to schedule_parse; a schedule that
 * loads is then pushed through everything downstream that trusts it:
 * classification of each listed procedure and result type, the eligibility
 * of a record of every class on a few dates (with its explanation), and a
 * diff against itself, which must report nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "retention/classify.h"
#include "retention/eligibility.h"
#include "retention/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const schedule *s)
{
	static const char *const dates[] = { "1990-06-15", "2025-02-28", "2060-12-31", "9999-12-31" };
	schedule_change *ch = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < s->nclasses; i++) {
		const schedule_class *c = &s->classes[i], *got = NULL;
		elig_event ev[2] = {
			{ SCHED_TRIGGER_DOSSIER_CLOSED, 0, NULL },
			{ SCHED_TRIGGER_EXTERNAL_EVENT, 0, NULL },
		};
		elig_hold h = { "H", DUE_NONE, DUE_NONE };
		elig_record r;

		for (j = 0; j < c->nprocedures; j++)
			if (classify(&got, NULL, s, c->procedures[j],
			             c->nresult_types ? c->result_types[0] : "x", 0) != 0 || got == NULL)
				abort(); /* a listed procedure always finds a class */
		for (j = 0; j < c->nresult_types; j++)
			(void)classify(&got, NULL, s, NULL, c->result_types[j], CLASSIFY_NO_FALLBACK);

		memset(&r, 0, sizeof r);
		r.class_code = c->code;
		r.validity = ELIG_EXPIRED;
		r.validity_date = DUE_NONE;
		r.valid_until = DUE_NONE;
		(void)due_parse(&r.ingest_date, "2001-01-01");
		(void)due_parse(&ev[0].date, "2004-02-29");
		(void)due_parse(&ev[1].date, "2010-10-10");
		ev[1].name = c->ntriggers ? c->triggers[0].event : NULL;
		r.events = ev;
		r.nevents = 2;
		for (j = 0; j < sizeof dates / sizeof dates[0]; j++) {
			elig_result res;
			int32_t on;
			char why[512];
			if (due_parse(&on, dates[j]) != 0)
				abort();
			if (elig_evaluate(&res, &r, s, &h, j & 1, on) != 0)
				abort(); /* a loaded schedule never yields an internal error */
			elig_explain(&res, why, sizeof why);
			if (res.outcome == ELIG_ELIGIBLE_DESTROY &&
			    (res.reasons & (ELIG_R_HELD | ELIG_R_STILL_VALID)))
				abort();
		}
	}
	if (schedule_diff(&ch, &n, s, s, NULL) != 0 || n != 0)
		abort();
	free(ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	schedule *s = NULL;
	kho_err err;

	if (schedule_parse(&s, data, size, &err) == 0) {
		exercise(s);
		schedule_free(s);
	}
	return 0;
}
