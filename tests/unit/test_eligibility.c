/*
 * test_eligibility.c: the eligibility function (retention/eligibility.h)
 * with an injected date: the precedence permanent > hold > still valid >
 * review > period; a still-valid result past its period is not eligible;
 * two holds (releasing one keeps the record held, releasing both makes an
 * overdue record eligible at once); review-due records need a decision;
 * the last trigger governs; 29 February under both schedule rules;
 * dossiers closed on 1 January and 31 December fall due together; an
 * expiry counts from the day after validUntil however it is known; and a
 * randomized check that nothing held, valid or permanent is ever
 * destroyable and that eligibility, once reached, does not go away.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "retention/eligibility.h"
#include "tests/unit/test.h"

static int32_t D(const char *s)
{
	int32_t d = DUE_NONE;

	if (due_parse(&d, s) != 0)
		fprintf(stderr, "  bad test date %s\n", s);
	return d;
}

static const char *F(int32_t d)
{
	static char buf[4][11];
	static int i;

	i = (i + 1) % 4;
	return due_format(buf[i], d);
}

static schedule *province(void)
{
	char p[4096];
	const char *r = getenv("ROOT");
	schedule *s = NULL;
	kho_err e = { 0 };

	snprintf(p, sizeof p, "%s/testdata/schedules/province-2025.xml", r && *r ? r : ".");
	if (schedule_load(&s, p, &e) != 0)
		fprintf(stderr, "  %s\n", e.msg);
	return s;
}

/* A small schedule: the given classes plus a permanent fallback. */
static schedule *custom(const char *feb29, const char *classes)
{
	kho_buf b;
	schedule *s = NULL;
	kho_err e = { 0 };

	kho_buf_init(&b, 1 << 16);
	if (kho_buf_appendf(&b,
	    "<?xml version=\"1.0\"?>\n<schedule xmlns=\"urn:kho:schedule:1\">"
	    "<identifier>T</identifier><version>1</version>"
	    "<issuingAgency code=\"000.00.08.H55\">A</issuingAgency>"
	    "<authority><decision>1</decision><date>2025-01-01</date></authority>"
	    "<effective>2025-01-01</effective>"
	    "<counting><cutoff>none</cutoff><due>anniversary</due><feb29>%s</feb29></counting>"
	    "<classes>%s<class code=\"Z.1\" fallback=\"true\"><title>z</title><covers/>"
	    "<period><permanent/></period><action>retain</action><legalBasis>x</legalBasis></class>"
	    "</classes></schedule>", feb29, classes) == 0 &&
	    schedule_parse(&s, b.data, b.len, &e) != 0)
		fprintf(stderr, "  %s\n", e.msg);
	kho_buf_free(&b);
	return s;
}

/* A record of class code, closed on `closed`, expired (not valid any more). */
static elig_record rec(const char *code, elig_event *ev, const char *closed)
{
	elig_record r;

	memset(&r, 0, sizeof r);
	r.class_code = code;
	r.validity = ELIG_EXPIRED;
	r.validity_date = DUE_NONE;
	r.valid_until = DUE_NONE;
	r.ingest_date = DUE_NONE;
	if (closed != NULL) {
		ev->kind = SCHED_TRIGGER_DOSSIER_CLOSED;
		ev->date = D(closed);
		ev->name = NULL;
		r.events = ev;
		r.nevents = 1;
	}
	return r;
}

static enum elig_outcome outcome(const elig_record *r, const schedule *s, const elig_hold *h,
                                 size_t nh, const char *on)
{
	elig_result res;
	int rc = elig_evaluate(&res, r, s, h, nh, D(on));

	if (rc != 0) {
		fprintf(stderr, "  elig_evaluate: %d\n", rc);
		return (enum elig_outcome)-1;
	}
	return res.outcome;
}

/* Deliverable 11: closed on 1 January and 31 December of one year, due together. */
static void t_jan1_dec31_together(void)
{
	schedule *s = province();
	elig_event e1, e2;
	elig_record a = rec("CT.01", &e1, "2019-01-01"), b = rec("CT.01", &e2, "2019-12-31");
	elig_result ra, rb;

	REQUIRE(s != NULL);
	REQUIRE(elig_evaluate(&ra, &a, s, NULL, 0, D("2024-12-30")) == 0);
	REQUIRE(elig_evaluate(&rb, &b, s, NULL, 0, D("2024-12-30")) == 0);
	CHECK_EQ_INT(ra.outcome, ELIG_PERIOD_NOT_ELAPSED);
	CHECK_EQ_INT(rb.outcome, ELIG_PERIOD_NOT_ELAPSED);
	CHECK_STR(F(ra.due), "2024-12-31");
	CHECK_STR(F(rb.due), "2024-12-31");
	CHECK_EQ_INT(outcome(&a, s, NULL, 0, "2024-12-31"), ELIG_ELIGIBLE_DESTROY);
	CHECK_EQ_INT(outcome(&b, s, NULL, 0, "2024-12-31"), ELIG_ELIGIBLE_DESTROY);
	schedule_free(s);
}

/* Deliverable 11: 29 February, under both per-schedule rules. */
static void t_feb29(void)
{
	static const char cls[] =
		"<class code=\"A.1\"><title>a</title><covers><resultType>x</resultType></covers>"
		"<period><years>1</years></period><trigger>subject-ceased</trigger>"
		"<action>destroy</action><legalBasis>x</legalBasis></class>";
	schedule *mar1 = custom("mar1", cls), *feb28 = custom("feb28", cls);
	elig_event ev = { SCHED_TRIGGER_SUBJECT_CEASED, 0, NULL };
	elig_record r = rec("A.1", NULL, NULL);
	elig_result res;

	REQUIRE(mar1 != NULL && feb28 != NULL);
	ev.date = D("2024-02-29");
	r.events = &ev;
	r.nevents = 1;
	REQUIRE(elig_evaluate(&res, &r, mar1, NULL, 0, D("2025-02-28")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_PERIOD_NOT_ELAPSED);
	CHECK_STR(F(res.due), "2025-03-01");
	CHECK_EQ_INT(outcome(&r, mar1, NULL, 0, "2025-03-01"), ELIG_ELIGIBLE_DESTROY);
	REQUIRE(elig_evaluate(&res, &r, feb28, NULL, 0, D("2025-02-28")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_ELIGIBLE_DESTROY);
	CHECK_STR(F(res.due), "2025-02-28");
	CHECK_EQ_INT(outcome(&r, feb28, NULL, 0, "2025-02-27"), ELIG_PERIOD_NOT_ELAPSED);
	schedule_free(mar1);
	schedule_free(feb28);
}

/* Deliverable 11: a still-valid result past its period is not eligible. */
static void t_still_valid_never_destroyable(void)
{
	schedule *s = province();
	elig_event ev;
	elig_record r = rec("CT.01", &ev, "2010-03-01");
	elig_result res;

	REQUIRE(s != NULL);
	r.validity = ELIG_VALID; /* no expiry */
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2030-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_STILL_VALID);
	CHECK(res.reasons & ELIG_R_PERIOD_ELAPSED); /* the period has run out all the same */
	CHECK_STR(F(res.due), "2015-12-31");
	r.validity = ELIG_SUSPENDED;
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2030-01-01"), ELIG_STILL_VALID);
	/* valid until a day: still valid on that day, eligible after it */
	r.validity = ELIG_VALID;
	r.valid_until = D("2029-06-30");
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2029-06-30"), ELIG_STILL_VALID);
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2029-07-01"), ELIG_ELIGIBLE_DESTROY);
	/* revoked, superseded: not valid */
	r.valid_until = DUE_NONE;
	r.validity = ELIG_REVOKED;
	r.validity_date = D("2012-01-01");
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2030-01-01"), ELIG_ELIGIBLE_DESTROY);
	schedule_free(s);
}

/* Deliverable 11: two holds; releasing one keeps the record held; releasing
 * both makes an overdue record eligible at once. */
static void t_two_holds(void)
{
	schedule *s = province();
	elig_event ev;
	elig_record r = rec("CT.01", &ev, "2015-05-05"); /* due 2020-12-31: overdue */
	elig_hold h[2] = {
		{ "H-2025-001", DUE_NONE, DUE_NONE },
		{ "H-2025-002", DUE_NONE, DUE_NONE },
	};
	elig_result res;

	REQUIRE(s != NULL);
	h[0].placed = D("2025-01-10");
	h[1].placed = D("2025-03-01");
	REQUIRE(elig_evaluate(&res, &r, s, h, 2, D("2025-06-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_HELD);
	CHECK_EQ_INT(res.nholds, 2);
	CHECK_STR(res.hold_id, "H-2025-001");
	CHECK(res.reasons & ELIG_R_PERIOD_ELAPSED);

	h[0].released = D("2025-06-15");
	REQUIRE(elig_evaluate(&res, &r, s, h, 2, D("2025-06-15")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_HELD);
	CHECK_EQ_INT(res.nholds, 1);
	CHECK_STR(res.hold_id, "H-2025-002");

	h[1].released = D("2025-07-01");
	CHECK_EQ_INT(outcome(&r, s, h, 2, "2025-06-30"), ELIG_HELD);
	CHECK_EQ_INT(outcome(&r, s, h, 2, "2025-07-01"), ELIG_ELIGIBLE_DESTROY);
	/* before the holds were placed the record was already eligible */
	CHECK_EQ_INT(outcome(&r, s, h, 2, "2025-01-09"), ELIG_ELIGIBLE_DESTROY);
	schedule_free(s);
}

/* The precedence: permanent, then hold, then still valid, then review, then period. */
static void t_precedence(void)
{
	schedule *s = province();
	elig_event ev;
	elig_hold h = { "H-1", DUE_NONE, DUE_NONE };
	elig_record r;
	elig_result res;

	REQUIRE(s != NULL);
	/* permanent beats hold and validity */
	r = rec("HT.03", &ev, NULL);
	r.validity = ELIG_VALID;
	REQUIRE(elig_evaluate(&res, &r, s, &h, 1, D("2090-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_PERMANENT);
	CHECK(res.reasons & ELIG_R_HELD);
	CHECK(res.reasons & ELIG_R_STILL_VALID);
	/* hold beats validity and a pending review */
	r = rec("LLTP.01", &ev, "2000-01-01");
	r.validity = ELIG_VALID;
	REQUIRE(elig_evaluate(&res, &r, s, &h, 1, D("2020-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_HELD);
	CHECK(res.reasons & ELIG_R_STILL_VALID);
	CHECK(res.reasons & ELIG_R_REVIEW_PENDING);
	/* validity beats review */
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2020-01-01"), ELIG_STILL_VALID);
	/* review */
	r.validity = ELIG_EXPIRED;
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2020-01-01"), ELIG_REVIEW_DUE);
	/* period */
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2010-12-30"), ELIG_PERIOD_NOT_ELAPSED);
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2010-12-31"), ELIG_REVIEW_DUE);
	schedule_free(s);
}

/* Deliverable 11: review-due records cannot be destroyed without a decision. */
static void t_review_needs_decision(void)
{
	schedule *s = province();
	elig_event ev;
	elig_record r = rec("LLTP.01", &ev, "2012-08-08"); /* 10 years: due 2022-12-31 */
	elig_review v[2];
	elig_result res;
	char why[300];

	REQUIRE(s != NULL);
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2026-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_REVIEW_DUE);
	CHECK(strstr(elig_explain(&res, why, sizeof why), "awaiting a review decision") != NULL);

	/* a destroy decision taken before the period ended is stale */
	v[0] = (elig_review){ ELIG_DECISION_DESTROY, D("2021-05-05"), 0, "QĐ-early" };
	r.reviews = v;
	r.nreviews = 1;
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2026-01-01"), ELIG_REVIEW_DUE);

	/* a destroy decision after it: eligible (through a batch) */
	v[0] = (elig_review){ ELIG_DECISION_DESTROY, D("2023-03-03"), 0, "45/QĐ-HĐXĐGTTL" };
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2026-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_ELIGIBLE_DESTROY);
	CHECK_STR(res.review_ref, "45/QĐ-HĐXĐGTTL");
	/* not before the decision was taken */
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2023-03-02"), ELIG_REVIEW_DUE);

	/* keep 5 more years from the decision, then review again */
	v[0] = (elig_review){ ELIG_DECISION_KEEP_YEARS, D("2023-03-03"), 5, "46/QĐ" };
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2026-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_PERIOD_NOT_ELAPSED);
	CHECK_STR(F(res.due), "2028-12-31");
	CHECK(res.reasons & ELIG_R_REVIEW_EXTENDED);
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2028-12-31"), ELIG_REVIEW_DUE);
	v[1] = (elig_review){ ELIG_DECISION_DESTROY, D("2029-02-02"), 0, "7/QĐ" };
	r.nreviews = 2;
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2029-02-02"), ELIG_ELIGIBLE_DESTROY);

	/* keep permanently */
	v[1] = (elig_review){ ELIG_DECISION_KEEP_PERMANENT, D("2029-02-02"), 0, "8/QĐ" };
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2029-02-01"), ELIG_REVIEW_DUE);
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2029-02-02"), ELIG_PERMANENT);

	/* a bad decision is a bad argument */
	v[0].years = 0;
	CHECK_EQ_INT(elig_evaluate(&res, &r, s, NULL, 0, D("2030-01-01")), KHO_EINVAL);
	schedule_free(s);
}

/* With several triggers the last governs; future events are not seen. */
static void t_last_trigger_governs(void)
{
	schedule *s = province();
	elig_event ev[2] = {
		{ SCHED_TRIGGER_SUBJECT_CEASED, 0, NULL },
		{ SCHED_TRIGGER_DOSSIER_CLOSED, 0, NULL }, /* not a trigger of HKD.01 */
	};
	elig_record r = rec("HKD.01", NULL, NULL);
	elig_result res;

	REQUIRE(s != NULL);
	/* HKD.01: 20 years, from subject-ceased or revoked, anniversary, no cut-off */
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2030-01-01"), ELIG_AWAITING_EVENT);
	ev[0].date = D("2000-05-01");
	ev[1].date = D("2010-01-01");
	r.events = ev;
	r.nevents = 2;
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2020-05-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_REVIEW_DUE);
	CHECK_EQ_INT(res.trigger, SCHED_TRIGGER_SUBJECT_CEASED);
	CHECK_STR(F(res.due), "2020-05-01");
	/* revoked later: the revocation governs */
	r.validity = ELIG_REVOKED;
	r.validity_date = D("2003-07-01");
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2020-05-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_PERIOD_NOT_ELAPSED);
	CHECK_EQ_INT(res.trigger, SCHED_TRIGGER_REVOKED);
	CHECK_STR(F(res.trigger_date), "2003-07-01");
	CHECK_STR(F(res.due), "2023-07-01");
	/* seen from before the revocation, the cessation governs */
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2003-06-30")) == 0);
	CHECK_EQ_INT(res.trigger, SCHED_TRIGGER_SUBJECT_CEASED);
	CHECK_EQ_INT(res.outcome, ELIG_PERIOD_NOT_ELAPSED);
	schedule_free(s);
}

/* Named external events, ingest date, validity-ended, transfer classes. */
static void t_other_triggers_and_transfer(void)
{
	static const char cls[] =
		"<class code=\"E.1\"><title>e</title><covers><resultType>e</resultType></covers>"
		"<period><years>2</years></period><trigger event=\"inspection-closed\">external-event"
		"</trigger><action>destroy</action><legalBasis>x</legalBasis></class>"
		"<class code=\"I.1\"><title>i</title><covers><resultType>i</resultType></covers>"
		"<period><years>3</years></period><trigger>ingest</trigger>"
		"<action>transfer</action><legalBasis>x</legalBasis></class>"
		"<class code=\"V.1\"><title>v</title><covers><resultType>v</resultType></covers>"
		"<period><years>1</years></period><trigger>validity-ended</trigger>"
		"<action>destroy</action><legalBasis>x</legalBasis></class>";
	schedule *s = custom("mar1", cls), *p = province();
	elig_event ev[2] = {
		{ SCHED_TRIGGER_EXTERNAL_EVENT, 0, "audit-closed" },
		{ SCHED_TRIGGER_EXTERNAL_EVENT, 0, "inspection-closed" },
	};
	elig_record r;
	elig_result res;

	REQUIRE(s != NULL && p != NULL);
	r = rec("E.1", NULL, NULL);
	ev[0].date = D("2020-01-01");
	r.events = ev;
	r.nevents = 1;
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2030-01-01"), ELIG_AWAITING_EVENT); /* wrong name */
	ev[1].date = D("2021-04-04");
	r.nevents = 2;
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2023-04-04")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_ELIGIBLE_DESTROY);
	CHECK_STR(F(res.due), "2023-04-04");

	r = rec("I.1", NULL, NULL);
	r.ingest_date = D("2025-10-10");
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2028-10-09"), ELIG_PERIOD_NOT_ELAPSED);
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2028-10-10"), ELIG_ELIGIBLE_TRANSFER);

	/* a valid_until in the past ends validity even if the status lags */
	r = rec("V.1", NULL, NULL);
	r.validity = ELIG_VALID;
	r.valid_until = D("2025-06-30");
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2025-06-30"), ELIG_STILL_VALID);
	/* counted from 2025-07-01, the first day no longer valid */
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2026-06-30"), ELIG_PERIOD_NOT_ELAPSED);
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2026-07-01"), ELIG_ELIGIBLE_DESTROY);
	r.validity = ELIG_SUPERSEDED;
	r.validity_date = D("2025-01-15");
	CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2026-01-15"), ELIG_ELIGIBLE_DESTROY);

	/* permanent with transferAfter: stays permanent, says when transfer is due */
	r = rec("XD.01", ev, "2019-05-05");
	r.validity = ELIG_VALID;
	REQUIRE(elig_evaluate(&res, &r, p, NULL, 0, D("2026-01-01")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_PERMANENT);
	CHECK(res.reasons & ELIG_R_TRANSFER_DUE);
	CHECK_STR(F(res.transfer_due), "2024-12-31");
	REQUIRE(elig_evaluate(&res, &r, p, NULL, 0, D("2024-12-30")) == 0);
	CHECK(!(res.reasons & ELIG_R_TRANSFER_DUE));
	schedule_free(s);
	schedule_free(p);
}

/*
 * The day validity ended is one fact whichever way it is known: a valid
 * status whose validUntil has passed, an expired status with no day, and an
 * expired status recorded effective the day after validUntil all count from
 * the first day no longer valid. With a calendar-year cut-off a validUntil of
 * 31 December used to count from that year and destroy a year sooner than the
 * recorded status (found by review).
 */
static void t_validity_ended_one_rule(void)
{
	static const char cls[] =
		"<class code=\"V.2\"><title>v</title><covers><resultType>v</resultType></covers>"
		"<period><years>5</years></period><trigger>validity-ended</trigger>"
		"<cutoff>calendar-year</cutoff><due>end-of-year</due>"
		"<action>destroy</action><legalBasis>x</legalBasis></class>";
	schedule *s = custom("mar1", cls);
	elig_record r;
	elig_result res;
	int k;

	REQUIRE(s != NULL);
	for (k = 0; k < 3; k++) {
		r = rec("V.2", NULL, NULL);
		r.valid_until = D("2025-12-31");
		if (k == 0) {
			r.validity = ELIG_VALID;        /* the status has not caught up */
		} else if (k == 1) {
			r.validity = ELIG_EXPIRED;      /* expired, no day recorded */
		} else {
			r.validity = ELIG_EXPIRED;      /* POST .../status expired effective 2026-01-01 */
			r.validity_date = D("2026-01-01");
		}
		REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2030-12-31")) == 0);
		CHECK_EQ_INT(res.trigger, SCHED_TRIGGER_VALIDITY_ENDED);
		CHECK_STR(F(res.trigger_date), "2026-01-01");
		CHECK_STR(F(res.due), "2031-12-31");
		CHECK_EQ_INT(res.outcome, ELIG_PERIOD_NOT_ELAPSED);
		CHECK_EQ_INT(outcome(&r, s, NULL, 0, "2031-12-31"), ELIG_ELIGIBLE_DESTROY);
	}
	/* on the last valid day nothing has ended yet */
	r = rec("V.2", NULL, NULL);
	r.validity = ELIG_VALID;
	r.valid_until = D("2025-12-31");
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2025-12-31")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_STILL_VALID);
	CHECK_EQ_INT(res.trigger_date, DUE_NONE);
	schedule_free(s);
}

static void t_errors_and_explain(void)
{
	schedule *s = province();
	elig_event ev;
	elig_record r = rec("NOPE.1", &ev, "2019-01-01");
	elig_hold h = { "H-9", DUE_NONE, DUE_NONE };
	elig_result res;
	char why[400];

	REQUIRE(s != NULL);
	CHECK_EQ_INT(elig_evaluate(&res, &r, s, NULL, 0, D("2030-01-01")), KHO_ENOTFOUND);
	r.class_code = "CT.01";
	CHECK_EQ_INT(elig_evaluate(&res, &r, s, NULL, 0, DUE_NONE), KHO_EINVAL);
	CHECK_EQ_INT(elig_evaluate(&res, &r, NULL, NULL, 0, D("2030-01-01")), KHO_EINVAL);
	CHECK_EQ_INT(elig_evaluate(&res, &r, s, NULL, 1, D("2030-01-01")), KHO_EINVAL);
	CHECK_EQ_INT(elig_evaluate(NULL, &r, s, NULL, 0, D("2030-01-01")), KHO_EINVAL);

	REQUIRE(elig_evaluate(&res, &r, s, &h, 1, D("2030-01-01")) == 0);
	elig_explain(&res, why, sizeof why);
	CHECK_STR(why, "held; held by 1 hold (first: H-9); class CT.01: 5 years from dossier-closed "
	               "2019-01-01, due 2024-12-31, elapsed; action destroy");
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("2030-01-01")) == 0);
	CHECK_STR(elig_outcome_name(res.outcome), "eligible-destroy");
	/* truncation is safe */
	elig_explain(&res, why, 10);
	CHECK_EQ_INT(strlen(why), 9);
	/* a period ending after 9999 never elapses */
	ev.date = D("9998-01-01");
	REQUIRE(elig_evaluate(&res, &r, s, NULL, 0, D("9999-12-31")) == 0);
	CHECK_EQ_INT(res.outcome, ELIG_PERIOD_NOT_ELAPSED);
	CHECK(res.reasons & ELIG_R_DUE_OUT_OF_RANGE);
	schedule_free(s);
}

/* xorshift: a fixed-seed generator, so a failure reproduces. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

/* Invariants over random records of every class: nothing held, valid or
 * permanent is destroyable; with no new facts, an eligible record stays
 * eligible later; outcomes come only from the reasons found. */
static void t_random_invariants(void)
{
	schedule *s = province();
	int32_t base = D("2000-01-01");
	int violations = 0, eligible = 0, stable = 0, n;

	REQUIRE(s != NULL);
	for (n = 0; n < 100000; n++) {
		elig_event ev[3];
		elig_hold h[2];
		elig_review v[1];
		elig_record r;
		elig_result a, b;
		size_t i;
		int32_t on = base + (int32_t)rnd(40 * 366);

		memset(&r, 0, sizeof r);
		r.class_code = s->classes[rnd((uint32_t)s->nclasses)].code;
		r.validity = (enum elig_validity)rnd(6);
		r.validity_date = rnd(3) ? base + (int32_t)rnd(30 * 366) : DUE_NONE;
		r.valid_until = rnd(2) ? base + (int32_t)rnd(30 * 366) : DUE_NONE;
		r.ingest_date = base + (int32_t)rnd(10 * 366);
		for (i = 0; i < 3; i++) {
			ev[i].kind = rnd(2) ? SCHED_TRIGGER_DOSSIER_CLOSED : (enum sched_trigger)rnd(SCHED_TRIGGER_COUNT_);
			ev[i].date = base + (int32_t)rnd(30 * 366);
			ev[i].name = NULL;
		}
		r.events = ev;
		r.nevents = rnd(4);
		for (i = 0; i < 2; i++) {
			h[i].id = "H";
			h[i].placed = base + (int32_t)rnd(40 * 366);
			h[i].released = rnd(2) ? h[i].placed + (int32_t)rnd(1000) : DUE_NONE;
		}
		v[0].decision = (enum elig_decision)rnd(3);
		v[0].date = base + (int32_t)rnd(40 * 366);
		v[0].years = 1 + (int)rnd(10);
		v[0].ref = "R";
		r.reviews = v;
		r.nreviews = rnd(2);
		if (elig_evaluate(&a, &r, s, h, rnd(3), on) != 0) {
			violations++;
			continue;
		}
		if (a.outcome == ELIG_ELIGIBLE_DESTROY) {
			eligible++;
			if (a.reasons & (ELIG_R_HELD | ELIG_R_STILL_VALID | ELIG_R_PERMANENT_CLASS |
			                 ELIG_R_KEPT_PERMANENT | ELIG_R_PERIOD_RUNNING))
				violations++;
			if (a.due == DUE_NONE || a.due > on)
				violations++;
			/* a year later, with no hold and no fact dated after `on`: still eligible */
			int future = r.validity_date != DUE_NONE && r.validity_date > on;
			for (i = 0; i < r.nevents; i++)
				future |= ev[i].date > on;
			for (i = 0; i < r.nreviews; i++)
				future |= v[i].date > on;
			if (elig_evaluate(&b, &r, s, NULL, 0, on + 365) != 0)
				violations++;
			else if (!future && b.outcome != ELIG_ELIGIBLE_DESTROY)
				violations++;
			else if (!future)
				stable++;
		}
		if ((a.reasons & ELIG_R_STILL_VALID) && a.outcome > ELIG_STILL_VALID)
			violations++;
		if ((a.reasons & ELIG_R_HELD) && a.outcome > ELIG_HELD)
			violations++;
	}
	CHECK_EQ_INT(violations, 0);
	/* the generator does reach the interesting cases */
	if (eligible < 1000 || stable < 300)
		fprintf(stderr, "  %d eligible, %d stable\n", eligible, stable);
	CHECK(eligible >= 1000);
	CHECK(stable >= 300);
	schedule_free(s);
}

TESTS(T(t_jan1_dec31_together), T(t_feb29), T(t_still_valid_never_destroyable), T(t_two_holds),
      T(t_precedence), T(t_review_needs_decision), T(t_last_trigger_governs),
      T(t_other_triggers_and_transfer), T(t_validity_ended_one_rule), T(t_errors_and_explain),
      T(t_random_invariants))
