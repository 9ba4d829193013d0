/*
 * classify.h: the one class of a schedule version that a record belongs to
 * (issue 4, deliverable 3).
 *
 * Three steps, the first that matches wins:
 *   1. by procedure: a class listing the record's national procedure code
 *      whose result types include the record's (a class listing no result
 *      type takes them all);
 *   2. by result type: a class listing no procedure but the record's result
 *      type;
 *   3. the schedule's fallback class.
 * schedule_parse refuses a schedule in which step 1 or 2 could find two
 * classes, so the answer is always unique. A provincial procedure code
 * ("2.000815.000.00.00.H55") is matched by its national part.
 *
 * When nothing matches (only possible with CLASSIFY_NO_FALLBACK, or with a
 * record that has neither procedure nor result type), the answer is "none"
 * and the caller decides: refuse the ingest, or keep the record
 * unclassified and list it for a decision.
 *
 * Pure, allocation-free, thread-safe.
 */
#ifndef KHO_CLASSIFY_H
#define KHO_CLASSIFY_H

#include "retention/schedule.h"

/* How a class was found. */
enum classify_by {
	CLASSIFY_NONE = 0,      /* no class applies */
	CLASSIFY_BY_PROCEDURE,
	CLASSIFY_BY_RESULT_TYPE,
	CLASSIFY_BY_FALLBACK,
};

/* Flags for classify(). */
#define CLASSIFY_NO_FALLBACK 1u /* skip step 3: unmatched records are "none" */

/*
 * classify: find the class of a record with national (or provincial)
 * procedure code `procedure` and result type `result_type` (either may be
 * NULL). *out gets the class (borrowed from s) and *how (if not NULL) the
 * step that found it. Returns 0, or KHO_ENOTFOUND with *out = NULL and
 * *how = CLASSIFY_NONE ("none": see above), or KHO_EINVAL if s is NULL.
 */
int classify(const schedule_class **out, enum classify_by *how, const schedule *s,
             const char *procedure, const char *result_type, unsigned flags);

/* classify_by_name: "procedure", "result-type", "fallback" or "none". */
const char *classify_by_name(enum classify_by how);

#endif
