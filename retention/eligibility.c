/*
 * eligibility.c: the eligibility function of deliverable 5 (see
 * eligibility.h; docs/retention.md, "Eligibility").
 *
 * The function first establishes every fact (permanent? held? still valid?
 * which trigger governs? when is the period due? what did reviews decide?)
 * and only then picks the outcome by the fixed precedence, so that the
 * reasons always list everything that stands in the way, not only the
 * first obstacle: the execution of a batch reports "held" even for a
 * record that is also still valid.
 */
#include "retention/eligibility.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

const char *elig_outcome_name(enum elig_outcome o)
{
	switch (o) {
	case ELIG_PERMANENT: return "permanent";
	case ELIG_HELD: return "held";
	case ELIG_STILL_VALID: return "still-valid";
	case ELIG_REVIEW_DUE: return "review-due";
	case ELIG_AWAITING_EVENT: return "awaiting-event";
	case ELIG_PERIOD_NOT_ELAPSED: return "period-not-elapsed";
	case ELIG_ELIGIBLE_DESTROY: return "eligible-destroy";
	case ELIG_ELIGIBLE_TRANSFER: return "eligible-transfer";
	}
	return "unknown";
}

/* 1 if the class counts from kind (and, for external events, this name). */
static int class_counts_from(const schedule_class *c, enum sched_trigger kind, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntriggers; i++) {
		if (c->triggers[i].kind != kind)
			continue;
		if (kind != SCHED_TRIGGER_EXTERNAL_EVENT)
			return 1;
		if (name != NULL && c->triggers[i].event != NULL && strcmp(name, c->triggers[i].event) == 0)
			return 1;
	}
	return 0;
}

/* Offer one candidate trigger: the latest one on or before `on` governs. */
static void offer(elig_result *out, const schedule_class *c, enum sched_trigger kind,
                  const char *name, int32_t date, int32_t on)
{
	if (date == DUE_NONE || date > on || !class_counts_from(c, kind, name))
		return;
	if (out->trigger_date == DUE_NONE || date >= out->trigger_date) {
		out->trigger_date = date;
		out->trigger = kind;
	}
}

/* The triggers the record's validity status fires by itself (eligibility.h). */
static void offer_validity(elig_result *out, const schedule_class *c, const elig_record *r,
                           int32_t on)
{
	int32_t ended = r->validity_date;
	/*
	 * The day validity ended is the first day no longer valid, the day a
	 * recorded `expired` status takes effect (docs/retention.md, "Triggers"):
	 * one rule whichever way the expiry is known, erring on the side of
	 * keeping (never the last valid day, a year earlier across a cut-off).
	 */
	int32_t lapsed = r->valid_until == DUE_NONE ? DUE_NONE : r->valid_until + 1;

	switch (r->validity) {
	case ELIG_VALID:
		/* a valid_until in the past is an expiry the status has not caught up with */
		if (lapsed != DUE_NONE && lapsed <= on)
			offer(out, c, SCHED_TRIGGER_VALIDITY_ENDED, NULL, lapsed, on);
		break;
	case ELIG_SUSPENDED:
		break;
	case ELIG_EXPIRED:
		if (ended == DUE_NONE)
			ended = lapsed;
		offer(out, c, SCHED_TRIGGER_VALIDITY_ENDED, NULL, ended, on);
		break;
	case ELIG_SUPERSEDED:
		offer(out, c, SCHED_TRIGGER_VALIDITY_ENDED, NULL, ended, on);
		offer(out, c, SCHED_TRIGGER_SUPERSEDED, NULL, ended, on);
		break;
	case ELIG_REVOKED:
	case ELIG_ANNULLED:
		offer(out, c, SCHED_TRIGGER_VALIDITY_ENDED, NULL, ended, on);
		offer(out, c, SCHED_TRIGGER_REVOKED, NULL, ended, on);
		break;
	}
}

/*
 * Walk the review decisions that settle an elapsed period: the earliest
 * decision dated within [due, on] applies; keep-years moves the due date
 * (strictly later than the decision, so the walk ends) and the walk goes on
 * from there. Decisions dated before the period they would settle are
 * stale and ignored: nothing is destroyed on a decision made before the
 * period ran out.
 */
static void settle_period(elig_result *out, const elig_record *r, const schedule_class *c,
                          int32_t on)
{
	int32_t cur = out->due;
	size_t iter, i;

	for (iter = 0; iter <= r->nreviews; iter++) {
		const elig_review *pick = NULL;
		if (on < cur) {
			out->reasons |= ELIG_R_PERIOD_RUNNING;
			break;
		}
		for (i = 0; i < r->nreviews; i++) {
			const elig_review *v = &r->reviews[i];
			if (v->decision == ELIG_DECISION_KEEP_PERMANENT || v->date < cur || v->date > on)
				continue;
			if (pick == NULL || v->date <= pick->date)
				pick = v;
		}
		if (pick == NULL) {
			out->reasons |= ELIG_R_PERIOD_ELAPSED;
			if (c->action == SCHED_ACTION_REVIEW)
				out->reasons |= ELIG_R_REVIEW_PENDING;
			break;
		}
		out->review_ref = pick->ref;
		if (pick->decision == ELIG_DECISION_DESTROY) {
			out->reasons |= ELIG_R_PERIOD_ELAPSED | ELIG_R_REVIEW_DESTROY;
			break;
		}
		out->reasons |= ELIG_R_REVIEW_EXTENDED;
		if (due_compute(&cur, pick->date, pick->years, c->cutoff, c->due, c->feb29) != 0) {
			cur = DUE_NONE;
			out->reasons |= ELIG_R_DUE_OUT_OF_RANGE | ELIG_R_PERIOD_RUNNING;
			break;
		}
	}
	out->due = cur;
}

int elig_evaluate(elig_result *out, const elig_record *r, const schedule *s,
                  const elig_hold *holds, size_t nholds, int32_t on)
{
	const schedule_class *c;
	size_t i;

	if (out == NULL)
		return KHO_EINVAL;
	memset(out, 0, sizeof *out);
	out->trigger_date = DUE_NONE;
	out->due = DUE_NONE;
	out->transfer_due = DUE_NONE;
	if (r == NULL || s == NULL || r->class_code == NULL || on == DUE_NONE ||
	    (nholds > 0 && holds == NULL) || (r->nevents > 0 && r->events == NULL) ||
	    (r->nreviews > 0 && r->reviews == NULL))
		return KHO_EINVAL;
	for (i = 0; i < r->nreviews; i++)
		if (r->reviews[i].decision == ELIG_DECISION_KEEP_YEARS &&
		    (r->reviews[i].years < 1 || r->reviews[i].years > SCHEDULE_MAX_YEARS))
			return KHO_EINVAL;
	c = schedule_class_find(s, r->class_code);
	if (c == NULL)
		return KHO_ENOTFOUND;
	out->cls = c;
	out->action = c->action;

	/* 1. permanent: by class, or by a review decision already taken */
	if (c->permanent)
		out->reasons |= ELIG_R_PERMANENT_CLASS;
	for (i = 0; i < r->nreviews; i++) {
		if (r->reviews[i].decision == ELIG_DECISION_KEEP_PERMANENT && r->reviews[i].date != DUE_NONE &&
		    r->reviews[i].date <= on) {
			out->reasons |= ELIG_R_KEPT_PERMANENT;
			out->review_ref = r->reviews[i].ref;
		}
	}

	/* 2. holds: active from the day placed until the day released */
	for (i = 0; i < nholds; i++) {
		const elig_hold *h = &holds[i];
		if ((h->placed == DUE_NONE || h->placed <= on) &&
		    (h->released == DUE_NONE || h->released > on)) {
			if (out->nholds++ == 0)
				out->hold_id = h->id;
		}
	}
	if (out->nholds > 0)
		out->reasons |= ELIG_R_HELD;

	/* 3. validity (domain.md: a still-valid result is never destroyed) */
	if (r->validity == ELIG_SUSPENDED)
		out->reasons |= ELIG_R_STILL_VALID | ELIG_R_SUSPENDED;
	else if (r->validity == ELIG_VALID && (r->valid_until == DUE_NONE || on <= r->valid_until))
		out->reasons |= ELIG_R_STILL_VALID;

	/* the governing trigger: the latest of those the class counts from */
	for (i = 0; i < r->nevents; i++)
		offer(out, c, r->events[i].kind, r->events[i].name, r->events[i].date, on);
	offer(out, c, SCHED_TRIGGER_INGEST, NULL, r->ingest_date, on);
	offer_validity(out, c, r, on);

	if (c->permanent) {
		if (c->transfer_after > 0 && out->trigger_date != DUE_NONE &&
		    due_compute(&out->transfer_due, out->trigger_date, c->transfer_after, c->cutoff,
		                c->due, c->feb29) == 0 && out->transfer_due <= on)
			out->reasons |= ELIG_R_TRANSFER_DUE;
	} else if (out->trigger_date == DUE_NONE) {
		out->reasons |= ELIG_R_NO_TRIGGER;
	} else if (due_compute(&out->due, out->trigger_date, c->years, c->cutoff, c->due,
	                       c->feb29) != 0) {
		out->due = DUE_NONE;
		out->reasons |= ELIG_R_DUE_OUT_OF_RANGE | ELIG_R_PERIOD_RUNNING;
	} else {
		settle_period(out, r, c, on);
	}

	/* the precedence of deliverable 5 */
	if (out->reasons & (ELIG_R_PERMANENT_CLASS | ELIG_R_KEPT_PERMANENT))
		out->outcome = ELIG_PERMANENT;
	else if (out->reasons & ELIG_R_HELD)
		out->outcome = ELIG_HELD;
	else if (out->reasons & ELIG_R_STILL_VALID)
		out->outcome = ELIG_STILL_VALID;
	else if (out->reasons & ELIG_R_REVIEW_PENDING)
		out->outcome = ELIG_REVIEW_DUE;
	else if (out->reasons & ELIG_R_NO_TRIGGER)
		out->outcome = ELIG_AWAITING_EVENT;
	else if (out->reasons & ELIG_R_PERIOD_RUNNING)
		out->outcome = ELIG_PERIOD_NOT_ELAPSED;
	else if ((out->reasons & ELIG_R_REVIEW_DESTROY) || c->action == SCHED_ACTION_DESTROY)
		out->outcome = ELIG_ELIGIBLE_DESTROY;
	else if (c->action == SCHED_ACTION_TRANSFER)
		out->outcome = ELIG_ELIGIBLE_TRANSFER;
	else
		return KHO_EINTERNAL; /* review without REVIEW_PENDING, retain without permanent */

	/* belt and braces: no path above may make a held or valid record destroyable */
	if (out->outcome == ELIG_ELIGIBLE_DESTROY &&
	    (out->reasons & (ELIG_R_HELD | ELIG_R_STILL_VALID | ELIG_R_PERMANENT_CLASS |
	                     ELIG_R_KEPT_PERMANENT)))
		return KHO_EINTERNAL;
	return 0;
}

/* Append printf-style text at *used in buf of n bytes, never overflowing. */
static void put(char *buf, size_t n, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t n, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*used >= n)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *used, n - *used, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	*used = (size_t)k >= n - *used ? n : *used + (size_t)k;
}

char *elig_explain(const elig_result *res, char *buf, size_t n)
{
	const schedule_class *c = res->cls;
	char d1[11], d2[11];
	size_t used = 0;
	unsigned r = res->reasons;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	put(buf, n, &used, "%s", elig_outcome_name(res->outcome));
	if (c == NULL)
		return buf;
	if (r & ELIG_R_PERMANENT_CLASS)
		put(buf, n, &used, "; class %s is kept permanently", c->code);
	if (r & ELIG_R_KEPT_PERMANENT)
		put(buf, n, &used, "; kept permanently by review decision %s",
		    res->review_ref ? res->review_ref : "(no reference)");
	if (res->transfer_due != DUE_NONE)
		put(buf, n, &used, "; transfer to the historical archive %s %s",
		    (r & ELIG_R_TRANSFER_DUE) ? "due since" : "due on", due_format(d1, res->transfer_due));
	if (r & ELIG_R_HELD)
		put(buf, n, &used, "; held by %zu hold%s (first: %s)", res->nholds,
		    res->nholds == 1 ? "" : "s", res->hold_id ? res->hold_id : "?");
	if (r & ELIG_R_SUSPENDED)
		put(buf, n, &used, "; suspended, which counts as still valid");
	else if (r & ELIG_R_STILL_VALID)
		put(buf, n, &used, "; the result is still valid");
	if (c->permanent)
		return buf;
	if (r & ELIG_R_NO_TRIGGER) {
		put(buf, n, &used, "; class %s counts %d years from", c->code, c->years);
		for (size_t i = 0; i < c->ntriggers; i++)
			put(buf, n, &used, "%s %s%s%s", i ? " or" : "", schedule_trigger_name(c->triggers[i].kind),
			    c->triggers[i].event ? " " : "", c->triggers[i].event ? c->triggers[i].event : "");
		put(buf, n, &used, ", which has not happened");
		return buf;
	}
	put(buf, n, &used, "; class %s: %d years from %s %s", c->code, c->years,
	    schedule_trigger_name(res->trigger), due_format(d1, res->trigger_date));
	if (r & ELIG_R_REVIEW_EXTENDED)
		put(buf, n, &used, ", extended by review decision %s",
		    res->review_ref ? res->review_ref : "(no reference)");
	if (r & ELIG_R_DUE_OUT_OF_RANGE)
		put(buf, n, &used, ", ends after year 9999");
	else if (r & ELIG_R_PERIOD_RUNNING)
		put(buf, n, &used, ", due %s", due_format(d2, res->due));
	else
		put(buf, n, &used, ", due %s, elapsed", due_format(d2, res->due));
	if (r & ELIG_R_REVIEW_PENDING)
		put(buf, n, &used, "; awaiting a review decision");
	if (r & ELIG_R_REVIEW_DESTROY)
		put(buf, n, &used, "; review decision %s: destroy",
		    res->review_ref ? res->review_ref : "(no reference)");
	if (!(r & ELIG_R_PERIOD_RUNNING) && !(r & ELIG_R_REVIEW_PENDING) && !(r & ELIG_R_REVIEW_DESTROY))
		put(buf, n, &used, "; action %s", schedule_action_name(res->action));
	return buf;
}
