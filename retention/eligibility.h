/*
 * eligibility.h: the one pure function that decides what may happen to a
 * record on a given day (issue 4, deliverable 5; docs/retention.md,
 * "Eligibility").
 *
 *   (record facts, schedule version, holds on the record, date)
 *       -> outcome + reasons
 *
 * Outcomes, by precedence (the first that applies wins):
 *   1. PERMANENT           the class is permanent, or a review kept the
 *                          record permanently
 *   2. HELD                at least one hold is active on that date
 *   3. STILL_VALID         the result is still valid (or only suspended):
 *                          a still-valid result is never eligible for
 *                          destruction (domain.md, "Validity is not
 *                          retention")
 *   4. REVIEW_DUE          the period of a review class has elapsed and
 *                          no decision settles it
 *   5. AWAITING_EVENT      no trigger of the class has happened yet
 *      PERIOD_NOT_ELAPSED  the period runs until `due`
 *      ELIGIBLE_DESTROY    the period has elapsed and the action is
 *                          destroy (or a review decided destroy)
 *      ELIGIBLE_TRANSFER   the period has elapsed and the action is transfer
 * Eligible means eligible for a batch: destruction still goes through an
 * approved batch whose execution calls this function again.
 *
 * Several trigger events: the last one (latest date) among those the class
 * counts from governs. The record's validity feeds triggers by itself:
 * expired, superseded, revoked and annulled end validity (validity-ended);
 * superseded also fires superseded; revoked and annulled fire revoked. An
 * expiry known only from valid_until (status valid past it, or expired with
 * no day) ended on valid_until + 1, the first day no longer valid, as a
 * recorded expired status effective that day says. Events
 * and decisions dated after the evaluation date are ignored, so that an
 * injected clock sees the world as it was on that day.
 *
 * The function allocates nothing, keeps no state and only borrows its
 * inputs: it is the inner loop of the daily sweep over every record.
 */
#ifndef KHO_ELIGIBILITY_H
#define KHO_ELIGIBILITY_H

#include <stddef.h>
#include <stdint.h>

#include "retention/due.h"
#include "retention/schedule.h"

/* The reuse status of a result (domain.md, "Validity is not retention"). */
enum elig_validity {
	ELIG_VALID = 0,   /* valid; may still have a valid_until in the future */
	ELIG_SUSPENDED,   /* not usable now, may be reinstated: treated as still valid */
	ELIG_EXPIRED,
	ELIG_SUPERSEDED,  /* cấp đổi, cấp lại */
	ELIG_REVOKED,     /* thu hồi */
	ELIG_ANNULLED,    /* hủy bỏ */
};

/* One trigger event that happened to the record. */
typedef struct elig_event {
	enum sched_trigger kind;
	int32_t date;               /* due.h day number */
	const char *name;           /* the event name for external-event, else NULL */
} elig_event;

/* A recorded review decision (by a records manager, with its reference). */
enum elig_decision {
	ELIG_DECISION_DESTROY = 0,  /* may be destroyed (through a batch) */
	ELIG_DECISION_KEEP_YEARS,   /* keep `years` more, counted from the decision date */
	ELIG_DECISION_KEEP_PERMANENT,
};

typedef struct elig_review {
	enum elig_decision decision;
	int32_t date;               /* day of the decision */
	int years;                  /* for KEEP_YEARS: 1..SCHEDULE_MAX_YEARS */
	const char *ref;            /* decision number, for the reasons; may be NULL */
} elig_review;

/* A hold (lawsuit, inspection) that the caller found to apply to the record. */
typedef struct elig_hold {
	const char *id;
	int32_t placed;             /* day placed; DUE_NONE: since always */
	int32_t released;           /* day released (not active from that day); DUE_NONE: active */
} elig_hold;

/*
 * The facts about one record. All pointers are borrowed for the call only.
 * procedure and result_type are what classify() used; elig_evaluate does
 * not read them.
 */
typedef struct elig_record {
	const char *class_code;     /* the record's class in the schedule passed */
	const char *procedure;      /* national procedure code */
	const char *result_type;
	enum elig_validity validity;
	int32_t validity_date;      /* day the status above took effect (DUE_NONE: unknown) */
	int32_t valid_until;        /* last day of validity (DUE_NONE: no expiry) */
	int32_t ingest_date;        /* day the archive received it (DUE_NONE: unknown) */
	const elig_event *events;
	size_t nevents;
	const elig_review *reviews;
	size_t nreviews;
} elig_record;

enum elig_outcome {
	ELIG_PERMANENT = 0,
	ELIG_HELD,
	ELIG_STILL_VALID,
	ELIG_REVIEW_DUE,
	ELIG_AWAITING_EVENT,
	ELIG_PERIOD_NOT_ELAPSED,
	ELIG_ELIGIBLE_DESTROY,
	ELIG_ELIGIBLE_TRANSFER,
};

/* Reasons: every condition found, not only the one that decided. */
enum {
	ELIG_R_PERMANENT_CLASS   = 1u << 0,  /* the class is permanent */
	ELIG_R_KEPT_PERMANENT    = 1u << 1,  /* a review decision keeps it permanently */
	ELIG_R_HELD              = 1u << 2,  /* nholds active holds, first is hold_id */
	ELIG_R_STILL_VALID       = 1u << 3,  /* valid (until valid_until, if any) */
	ELIG_R_SUSPENDED         = 1u << 4,  /* suspended, counted as still valid */
	ELIG_R_NO_TRIGGER        = 1u << 5,  /* no trigger of the class yet */
	ELIG_R_PERIOD_RUNNING    = 1u << 6,  /* due is after the date */
	ELIG_R_PERIOD_ELAPSED    = 1u << 7,  /* due is on or before the date */
	ELIG_R_REVIEW_PENDING    = 1u << 8,  /* review class, period elapsed, no decision */
	ELIG_R_REVIEW_DESTROY    = 1u << 9,  /* a review decided destruction */
	ELIG_R_REVIEW_EXTENDED   = 1u << 10, /* a review kept it for more years (due moved) */
	ELIG_R_DUE_OUT_OF_RANGE  = 1u << 11, /* the period would end after year 9999 */
	ELIG_R_TRANSFER_DUE      = 1u << 12, /* permanent + transferAfter: transfer_due reached */
};

typedef struct elig_result {
	enum elig_outcome outcome;
	unsigned reasons;           /* ELIG_R_* */
	enum sched_action action;   /* the class's action at the end */
	int32_t trigger_date;       /* the governing trigger's day, or DUE_NONE */
	enum sched_trigger trigger; /* its kind (meaningless if trigger_date is DUE_NONE) */
	int32_t due;                /* the day the period ends (eligible from), or DUE_NONE */
	int32_t transfer_due;       /* permanent + transferAfter: day transfer is due, or DUE_NONE */
	size_t nholds;              /* holds active on the date */
	const char *hold_id;        /* the first of them (borrowed from holds), or NULL */
	const char *review_ref;     /* the decision that settled it (borrowed), or NULL */
	const schedule_class *cls;  /* the record's class (borrowed from the schedule) */
} elig_result;

/*
 * elig_evaluate: the outcome for record r under schedule s on day `on`,
 * with the holds the caller found for the record (active or not: each is
 * checked against `on`). 0 and *out filled, or KHO_EINVAL (NULL argument,
 * `on` is DUE_NONE) or KHO_ENOTFOUND (r->class_code is not a class of s),
 * with *out zeroed. Pure: no allocation, no I/O, no clock.
 */
int elig_evaluate(elig_result *out, const elig_record *r, const schedule *s,
                  const elig_hold *holds, size_t nholds, int32_t on);

/* elig_outcome_name: "permanent", "held", "still-valid", "review-due",
 * "awaiting-event", "period-not-elapsed", "eligible-destroy",
 * "eligible-transfer". */
const char *elig_outcome_name(enum elig_outcome o);

/*
 * elig_explain: the reasons of res in words, one sentence, into buf
 * (truncated to n bytes, always NUL-terminated). Returns buf. Example:
 * "held by 2 holds (first: H-2025-7); class CT.01: 5 years from
 * dossier-closed 2019-05-02, due 2024-12-31, elapsed".
 */
char *elig_explain(const elig_result *res, char *buf, size_t n);

#endif
