/*
 * classify.c: a record's class in a schedule version (see classify.h).
 *
 * A linear scan over the classes: schedules have tens of classes, the
 * lookup happens once per ingest, and scanning keeps the function free of
 * allocations and of any index that would need building per schedule.
 */
#include "retention/classify.h"

#include <string.h>

/* The national part of a procedure code: "d.dddddd" is 8 characters; a
 * provincial code continues with ".<agency code>". */
static int same_procedure(const char *listed, const char *code)
{
	size_t n = strlen(listed);

	if (strncmp(listed, code, n) != 0)
		return 0;
	return code[n] == '\0' || code[n] == '.';
}

static int lists(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int classify(const schedule_class **out, enum classify_by *how, const schedule *s,
             const char *procedure, const char *result_type, unsigned flags)
{
	const schedule_class *found = NULL;
	enum classify_by by = CLASSIFY_NONE;
	size_t i, j;

	*out = NULL;
	if (how != NULL)
		*how = CLASSIFY_NONE;
	if (s == NULL)
		return KHO_EINVAL;
	if (procedure != NULL && *procedure != '\0') {
		for (i = 0; i < s->nclasses && found == NULL; i++) {
			const schedule_class *c = &s->classes[i];
			for (j = 0; j < c->nprocedures; j++) {
				if (!same_procedure(c->procedures[j], procedure))
					continue;
				if (c->nresult_types == 0 ||
				    (result_type != NULL && lists(c->result_types, c->nresult_types, result_type))) {
					found = c;
					by = CLASSIFY_BY_PROCEDURE;
				}
				break;
			}
		}
	}
	if (found == NULL && result_type != NULL && *result_type != '\0') {
		for (i = 0; i < s->nclasses && found == NULL; i++) {
			const schedule_class *c = &s->classes[i];
			if (c->nprocedures == 0 && lists(c->result_types, c->nresult_types, result_type)) {
				found = c;
				by = CLASSIFY_BY_RESULT_TYPE;
			}
		}
	}
	if (found == NULL && !(flags & CLASSIFY_NO_FALLBACK) && s->fallback != NULL &&
	    ((procedure != NULL && *procedure != '\0') || (result_type != NULL && *result_type != '\0'))) {
		found = s->fallback;
		by = CLASSIFY_BY_FALLBACK;
	}
	if (found == NULL)
		return KHO_ENOTFOUND;
	*out = found;
	if (how != NULL)
		*how = by;
	return 0;
}

const char *classify_by_name(enum classify_by how)
{
	switch (how) {
	case CLASSIFY_BY_PROCEDURE: return "procedure";
	case CLASSIFY_BY_RESULT_TYPE: return "result-type";
	case CLASSIFY_BY_FALLBACK: return "fallback";
	default: return "none";
	}
}
