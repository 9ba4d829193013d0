/*
 * test_ingest_dates.c: ingest_dated_after_poe (archive/ingest.h), the
 * ingest's refusal of a record dated after its package existed (found by
 * review: a record issued 2099-12-31, dossier 991231, sealed and
 * timestamped in 2026, was archived, 201). The day is Vietnam's day of the
 * earliest proof of existence of a signature over record.xml, else of the
 * ingest (the validation time), with one day of tolerance; the claimed
 * signing time does not count.
 */
#include <string.h>
#include <time.h>

#include "archive/ingest.h"
#include "common/util.h"
#include "tests/unit/test.h"

static time_t at(const char *s)
{
	time_t t = 0;

	if (kho_time_parse(&t, s) != 0)
		fprintf(stderr, "  bad test time %s\n", s);
	return t;
}

static void t_dates_against_poe(void)
{
	record r;
	vr_object objs[2];
	vr_signature sig[2];
	verify_report rep;
	char why[512];

	memset(&r, 0, sizeof r);
	r.dossier_code = (char *)"000.31.20.H55-991231-0301";
	r.issue_date = (char *)"2099-12-31";
	memset(objs, 0, sizeof objs);
	objs[0].name = (char *)"ketqua.pdf";
	objs[1].name = (char *)"record.xml";
	memset(sig, 0, sizeof sig);
	sig[0].objects = objs;
	sig[0].nobjects = 2;
	sig[0].has_poe = 1;
	sig[0].best_signature_time = at("2026-12-08T01:00:00Z");
	sig[0].has_signing_time = 1;
	sig[0].signing_time = at("2099-12-31T01:00:00Z");   /* a claim, not a proof */
	memset(&rep, 0, sizeof rep);
	rep.validation_time = at("2100-06-01T00:00:00Z");
	rep.record = &r;
	rep.sigs = sig;
	rep.nsigs = 1;

	/* the review's record: issued 2099, its signature stamped in 2026 */
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 1);
	CHECK(strstr(why, "issueDate 2099-12-31") != NULL);
	CHECK(strstr(why, "2026-12-08T01:00:00Z") != NULL);
	CHECK(strstr(why, "after 2026-12-09") != NULL);

	/* one day of tolerance past Vietnam's day of the proof (2026-12-08
	 * 17:30 UTC is 00:30 on the 9th: up to the 10th is taken) */
	sig[0].best_signature_time = at("2026-12-08T17:30:00Z");
	r.dossier_code = (char *)"000.31.20.H55-261210-0301";
	r.issue_date = (char *)"2026-12-10";
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 0);
	r.issue_date = (char *)"2026-12-11";
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 1);

	/* digitizedOn and the receipt date count too */
	r.issue_date = (char *)"1992-05-04";
	r.digitized_on = (char *)"2090-01-01";
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 1);
	CHECK(strstr(why, "digitizedOn 2090-01-01") != NULL);
	r.digitized_on = NULL;
	r.dossier_code = (char *)"000.31.20.H55-261211-0301";
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 1);
	CHECK(strstr(why, "receipt date") != NULL);
	r.dossier_code = (char *)"000.31.20.H55-261207-0301";
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 0);

	/* the earliest proof among the signatures over record.xml; one that
	 * does not sign record.xml does not count */
	r.issue_date = (char *)"2026-12-20";
	r.dossier_code = (char *)"000.31.20.H55-261220-0301";
	sig[0].best_signature_time = at("2026-12-25T00:00:00Z");
	sig[1].objects = objs;
	sig[1].nobjects = 1;                 /* ketqua.pdf only */
	sig[1].has_poe = 1;
	sig[1].best_signature_time = at("2026-12-01T00:00:00Z");
	rep.nsigs = 2;
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 0);
	sig[1].nobjects = 2;
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 1);
	rep.nsigs = 1;

	/* no proof of existence: the day of the ingest */
	sig[0].has_poe = 0;
	sig[0].best_signature_time = at("2026-12-25T00:00:00Z");   /* the validation time */
	rep.validation_time = at("2026-12-08T01:00:00Z");
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 1);
	CHECK(strstr(why, "received at 2026-12-08T01:00:00Z") != NULL);
	rep.validation_time = at("2026-12-19T00:00:00Z");
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 0);

	/* no record (a destruction certificate's own check is elsewhere) */
	rep.record = NULL;
	CHECK_EQ_INT(ingest_dated_after_poe(&rep, why, sizeof why), 0);
}

TESTS(T(t_dates_against_poe))
