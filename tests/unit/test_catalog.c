/*
 * test_catalog.c: the catalog: ingest (new, same bytes, conflict, declared
 * supersede), lookup with its reusable flag and reuse event, status changes,
 * statistics and counts, WAL mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/audit.h"
#include "archive/catalog.h"
#include "common/util.h"
#include "tests/unit/test.h"

static char path[256];

static catalog *fresh(void)
{
	char cmd[1024];
	catalog *c = NULL;

	snprintf(path, sizeof path, "/tmp/kho-test-catalog-%d.db", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
	if (system(cmd) != 0)
		abort();
	if (catalog_open(&c, path, NULL) != 0)
		return NULL;
	return c;
}

static record rec(const char *code, const char *supersedes)
{
	record r;

	memset(&r, 0, sizeof r);
	r.result_code = (char *)code;
	r.dossier_code = (char *)"000.00.20.H30-250314-0007";
	r.procedure_national = (char *)"2.000815";
	r.agency_code = (char *)"000.00.20.H30";
	r.result_type = (char *)"certified-copy";
	r.subject_kind = (char *)"citizen";
	r.subject_id = (char *)"001099012345";
	r.title = (char *)"Bản sao chứng thực";
	r.issue_date = (char *)"2025-03-14";
	r.valid_from = (char *)"2025-03-14";
	r.valid_until = (char *)"2026-03-14";
	r.supersedes = (char *)supersedes;
	return r;
}

static catalog_package pkg(char fill)
{
	catalog_package p;

	memset(&p, 0, sizeof p);
	memset(p.id, fill, 64);
	p.size = 1234;
	memset(p.wrapped_key, 0x11, sizeof p.wrapped_key);
	strcpy(p.indication, "TOTAL-PASSED");
	p.ingested_at = 1741939200;
	return p;
}

static const unsigned char mac[32] = { 1, 2, 3 };

static void t_ingest_semantics(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b'), p3 = pkg('c'), got;
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	record r3 = rec("000.00.20.H30-250314-0007-KQ1", "000.00.20.H30-250314-0007-KQ1");
	kho_err err;
	int sup = -1;

	REQUIRE(c != NULL);
	CHECK_EQ_INT(catalog_ingest(c, &p1, &r1, mac, "officer1", &sup, NULL), 0);
	CHECK_EQ_INT(sup, 0);
	/* same bytes: already there */
	CHECK_EQ_INT(catalog_check_ingest(c, p1.id, &r1, &got, NULL), KHO_EEXIST);
	CHECK_STR(got.id, p1.id);
	CHECK_EQ_INT(catalog_ingest(c, &p1, &r1, mac, "officer1", NULL, NULL), KHO_EEXIST);
	/* same code, other bytes, no supersede: conflict */
	CHECK_EQ_INT(catalog_ingest(c, &p2, &r1, mac, "officer1", NULL, &err), KHO_ECONFLICT);
	CHECK(strstr(err.msg, "supersedes") != NULL);
	CHECK_EQ_INT(catalog_get_package(c, p2.id, NULL, NULL), KHO_ENOTFOUND);
	/* declared replacement */
	CHECK_EQ_INT(catalog_ingest(c, &p3, &r3, mac, "officer1", &sup, NULL), 0);
	CHECK_EQ_INT(sup, 1);
	CHECK_EQ_INT(catalog_get_package(c, p1.id, &got, NULL), 0);
	CHECK_STR(got.state, "superseded");
	CHECK_STR(got.superseded_by, p3.id);
	CHECK_EQ_INT(catalog_result_package(c, r1.result_code, &got, NULL), 0);
	CHECK_STR(got.id, p3.id);
	CHECK(got.has_key);
	CHECK_EQ_INT(got.size, 1234);
	catalog_close(c);
}

static void t_supersede_other_code(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	record r2 = rec("000.00.20.H30-250314-0007-KQ2", "000.00.20.H30-250314-0007-KQ1");
	json_t *j = NULL;
	int sup = 0;

	REQUIRE(c != NULL);
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	CHECK_EQ_INT(catalog_ingest(c, &p2, &r2, mac, "o", &sup, NULL), 0);
	CHECK_EQ_INT(sup, 1);
	CHECK_EQ_INT(catalog_result_json(c, r1.result_code, "2025-06-01", &j, NULL), 0);
	REQUIRE(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "superseded");
	CHECK_STR(json_string_value(json_object_get(j, "superseded_by")), r2.result_code);
	CHECK(json_is_false(json_object_get(j, "reusable")));
	json_decref(j);
	catalog_close(c);
}

/* kho fsck's comparison of a result's catalog record with its package's
 * record.xml (found by review: hand edits went unseen; then, a renewal
 * committed while a fixity run held a stale page of package rows made a
 * false difference). */
static void t_result_differs(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b');
	record r1 = rec("000.00.20.H30-250314-0021-KQ1", NULL);
	static const unsigned char other[32] = { 7 };
	char why[300] = "";

	REQUIRE(c != NULL);
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p1.id, mac, why, sizeof why, NULL), 0);
	r1.title = (char *)"Bản sao khác";
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p1.id, mac, why, sizeof why, NULL), 1);
	CHECK(strstr(why, "title") != NULL);
	r1.title = (char *)"Bản sao chứng thực";
	r1.valid_until = (char *)"2099-12-31";
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p1.id, mac, why, sizeof why, NULL), 1);
	CHECK(strstr(why, "valid until") != NULL);
	r1.valid_until = (char *)"2026-03-14";
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p1.id, other, why, sizeof why, NULL), 1);
	CHECK(strstr(why, "subject") != NULL);
	/* asked about a package the catalog does not hold as current: nothing
	 * to compare (the fixity run's page was stale) */
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p2.id, mac, why, sizeof why, NULL), 0);
	/* renewed by p2: asked about p1 (a stale page), no difference; about p2 none */
	memcpy(p2.renews, p1.id, sizeof p2.renews);
	REQUIRE(catalog_ingest(c, &p2, &r1, mac, "o", NULL, NULL) == 0);
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p1.id, mac, why, sizeof why, NULL), 0);
	CHECK_EQ_INT(catalog_result_differs(c, &r1, p2.id, mac, why, sizeof why, NULL), 0);
	catalog_close(c);
}

/* Only a result of the same agency about one of the same subjects is marked
 * superseded by a record's <supersedes> (found by review: an officer of
 * another agency marked a result about another citizen superseded); and a
 * result archived after the record that supersedes it is marked as it
 * arrives (it stayed valid and reusable). */
static void t_supersede_rules(void)
{
	static const unsigned char mac2[32] = { 9, 9, 9 };
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b'), p3 = pkg('c'), p4 = pkg('d'), p5 = pkg('e');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	record r2 = rec("000.00.18.H30-250314-0008-KQ1", "000.00.20.H30-250314-0007-KQ1");
	record r3 = rec("000.00.20.H30-250314-0009-KQ1", "000.00.20.H30-250314-0007-KQ1");
	record r4 = rec("000.00.20.H30-250314-0011-KQ1", "000.00.20.H30-250314-0010-KQ1");
	record r5 = rec("000.00.20.H30-250314-0010-KQ1", NULL);
	char by[CATALOG_CODE_MAX] = "x";
	json_t *j = NULL;
	int sup = -1;

	REQUIRE(c != NULL);
	r2.agency_code = (char *)"000.00.18.H30";
	r4.valid_from = (char *)"2025-05-01";
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	CHECK_EQ_INT(catalog_ingest(c, &p2, &r2, mac, "o", &sup, NULL), 0);
	CHECK_EQ_INT(sup, CATALOG_SUP_OTHER_AGENCY);
	CHECK_EQ_INT(catalog_ingest(c, &p3, &r3, mac2, "o", &sup, NULL), 0);
	CHECK_EQ_INT(sup, CATALOG_SUP_OTHER_SUBJECTS);
	CHECK_EQ_INT(catalog_result_json(c, r1.result_code, "2025-06-01", &j, NULL), 0);
	REQUIRE(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "valid");
	json_decref(j);
	/* r4 supersedes r5, archived after it. */
	CHECK_EQ_INT(catalog_ingest(c, &p4, &r4, mac, "o", &sup, NULL), 0);
	CHECK_EQ_INT(sup, CATALOG_SUP_UNKNOWN);
	CHECK_EQ_INT(catalog_ingest_full(c, &p5, &r5, mac, "o", NULL, &sup, by, NULL), 0);
	CHECK_EQ_INT(sup, CATALOG_SUP_NONE);
	CHECK_STR(by, r4.result_code);   /* the ingest's answer says so (found by review) */
	CHECK_EQ_INT(catalog_result_json(c, r5.result_code, "2025-06-01", &j, NULL), 0);
	REQUIRE(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "superseded");
	CHECK_STR(json_string_value(json_object_get(j, "superseded_by")), r4.result_code);
	json_decref(j);
	/* Two records declaring each other superseded: the first archived is
	 * marked by the second, not both (found by review). */
	{
		catalog_package p6 = pkg('f'), p7 = pkg('g');
		record r6 = rec("000.00.20.H30-250314-0012-KQ1", "000.00.20.H30-250314-0013-KQ1");
		record r7 = rec("000.00.20.H30-250314-0013-KQ1", "000.00.20.H30-250314-0012-KQ1");
		CHECK_EQ_INT(catalog_ingest(c, &p6, &r6, mac, "o", &sup, NULL), 0);
		CHECK_EQ_INT(sup, CATALOG_SUP_UNKNOWN);
		CHECK_EQ_INT(catalog_ingest_full(c, &p7, &r7, mac, "o", NULL, &sup, by, NULL), 0);
		CHECK_EQ_INT(sup, CATALOG_SUP_DONE);
		CHECK_STR(by, "");   /* not marked: r6 was */
		CHECK_EQ_INT(catalog_result_json(c, r6.result_code, "2025-06-01", &j, NULL), 0);
		REQUIRE(j != NULL);
		CHECK_STR(json_string_value(json_object_get(j, "status")), "superseded");
		json_decref(j);
		CHECK_EQ_INT(catalog_result_json(c, r7.result_code, "2025-06-01", &j, NULL), 0);
		REQUIRE(j != NULL);
		CHECK_STR(json_string_value(json_object_get(j, "status")), "valid");
		json_decref(j);
	}
	/* Declared superseded by two earlier records, the first by date of
	 * another agency: the agency's own marks it, audited. */
	{
		catalog_package p8 = pkg('h'), p9 = pkg('i'), p10 = pkg('j');
		record r8 = rec("000.00.18.H30-250314-0014-KQ1", "000.00.20.H30-250314-0016-KQ1");
		record r9 = rec("000.00.20.H30-250314-0015-KQ1", "000.00.20.H30-250314-0016-KQ1");
		record r10 = rec("000.00.20.H30-250314-0016-KQ1", NULL);
		sqlite3_stmt *q = NULL;
		r8.agency_code = (char *)"000.00.18.H30";
		r9.valid_from = (char *)"2025-03-20";
		CHECK_EQ_INT(catalog_ingest(c, &p8, &r8, mac, "o", NULL, NULL), 0);
		CHECK_EQ_INT(catalog_ingest(c, &p9, &r9, mac, "o", NULL, NULL), 0);
		CHECK_EQ_INT(catalog_ingest_full(c, &p10, &r10, mac, "o", NULL, NULL, by, NULL), 0);
		CHECK_STR(by, r9.result_code);
		CHECK_EQ_INT(catalog_result_json(c, r10.result_code, "2025-06-01", &j, NULL), 0);
		REQUIRE(j != NULL);
		CHECK_STR(json_string_value(json_object_get(j, "superseded_by")), r9.result_code);
		json_decref(j);
		catalog_lock(c);
		REQUIRE(sqlite3_prepare_v2(catalog_db(c), "SELECT count(*) FROM audit WHERE action ="
		                           " 'status' AND object = ?", -1, &q, NULL) == SQLITE_OK);
		sqlite3_bind_text(q, 1, r10.result_code, -1, SQLITE_STATIC);
		CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1);
		sqlite3_finalize(q);
		catalog_unlock(c);
	}
	/* A cycle through the decision history: r1 superseded by r3 from
	 * April, valid again from May, then r3 superseded by r1 from March
	 * would make each superseded by the other in April (found by review:
	 * only the decision in force today was followed). */
	CHECK_EQ_INT(catalog_set_status(c, r1.result_code, "superseded", "d1", r3.result_code,
	                                "2025-04-01", "rm", NULL), 0);
	CHECK_EQ_INT(catalog_set_status(c, r1.result_code, "valid", "d2", NULL, "2025-05-01", "rm",
	                                NULL), 0);
	CHECK_EQ_INT(catalog_set_status(c, r3.result_code, "superseded", "d3", r1.result_code,
	                                "2025-03-20", "rm", NULL), KHO_ECONFLICT);
	/* ... from r4's validFrom: in force before it */
	CHECK_EQ_INT(catalog_result_json(c, r5.result_code, "2025-04-30", &j, NULL), 0);
	REQUIRE(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "status")), "valid");
	json_decref(j);
	catalog_close(c);
}

static void t_lookup_and_status(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	catalog_query q;
	catalog_counts n;
	json_t *j = NULL, *s = NULL;

	REQUIRE(c != NULL);
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac, 32);
	q.valid_on = "2025-06-01";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), KHO_EINVAL); /* no purpose */
	q.purpose = "000.00.20.H30-250601-0001";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);
	REQUIRE(j != NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "found")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 1);
	json_decref(j);
	/* after valid_until: expired, not reusable */
	q.valid_on = "2026-06-01";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", NULL, &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 0);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "results"), 0),
	                                            "status")), "expired");
	json_decref(j);
	/* another subject: nothing */
	q.subject_mac[0] = 9;
	q.valid_on = "2025-06-01";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", NULL, &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "found")), 0);
	json_decref(j);
	/* revoked: no longer reusable */
	CHECK_EQ_INT(catalog_set_status(c, r1.result_code, "revoked", NULL, NULL, NULL, "rm", NULL),
	             KHO_EINVAL);
	CHECK_EQ_INT(catalog_set_status(c, r1.result_code, "bogus", "QĐ 1", NULL, NULL, "rm", NULL),
	             KHO_EINVAL);
	CHECK_EQ_INT(catalog_set_status(c, "000.00.20.H30-250314-0009-KQ1", "revoked", "QĐ 1", NULL,
	                                NULL, "rm", NULL), KHO_ENOTFOUND);
	CHECK_EQ_INT(catalog_set_status(c, r1.result_code, "revoked", "QĐ 12/2025", NULL,
	                                "2025-05-01", "rm", NULL), 0);
	memcpy(q.subject_mac, mac, 32);
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", NULL, &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 0);
	json_decref(j);
	/* stats: 4 lookups in this month, 1 found a reusable result */
	CHECK_EQ_INT(catalog_reuse_stats(c, &s, NULL), 0);
	{
		json_t *a = json_object_get(s, "stats");
		json_int_t lk = 0, ru = 0;
		size_t i;
		for (i = 0; i < json_array_size(a); i++) {
			lk += json_integer_value(json_object_get(json_array_get(a, i), "lookups"));
			ru += json_integer_value(json_object_get(json_array_get(a, i), "found_reusable"));
		}
		CHECK_EQ_INT(lk, 4);
		CHECK_EQ_INT(ru, 1);
	}
	json_decref(s);
	CHECK_EQ_INT(catalog_counts_get(c, &n, NULL), 0);
	CHECK_EQ_INT(n.packages, 1);
	CHECK_EQ_INT(n.lookups, 4);
	CHECK_EQ_INT(n.audit_events, 1 + 4 + 1);   /* ingest, 4 lookups, status */
	catalog_close(c);
}

/* A lookup without a procedure counts its reuse under the procedure of the
 * reusable result it found, not of the first one listed (found by review,
 * 2026-12-08: a household business registration not yet valid, listed
 * first, was credited with the reuse of a certified copy). */
static void t_reuse_procedure(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	record r2 = rec("000.00.20.H30-250314-0007-KQ2", NULL);
	catalog_query q;
	json_t *j = NULL, *s = NULL, *a;

	REQUIRE(c != NULL);
	r2.procedure_national = (char *)"2.000720";
	r2.result_type = (char *)"household-business-registration";
	r2.issue_date = (char *)"2025-05-01";   /* listed first (issue date, newest first) */
	r2.valid_from = (char *)"2025-07-01";   /* not yet valid on the date asked */
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	REQUIRE(catalog_ingest(c, &p2, &r2, mac, "o", NULL, NULL) == 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac, 32);
	q.valid_on = "2025-06-01";
	q.purpose = "000.00.20.H30-250601-0001";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);
	a = json_object_get(j, "results");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "procedure")), "2.000720");
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 1);
	json_decref(j);
	CHECK_EQ_INT(catalog_reuse_stats(c, &s, NULL), 0);
	a = json_object_get(s, "stats");
	CHECK_EQ_INT((long)json_array_size(a), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "procedure")), "2.000815");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(a, 0), "found_reusable")), 1);
	json_decref(s);
	catalog_close(c);
}

/* The sums over every row of GET /v1/stats/reuse of key. */
static json_int_t stat_sum(catalog *c, const char *key)
{
	json_t *s = NULL, *a;
	json_int_t v = 0;
	size_t i;

	if (catalog_reuse_stats(c, &s, NULL) != 0)
		return -1;
	a = json_object_get(s, "stats");
	for (i = 0; i < json_array_size(a); i++)
		v += json_integer_value(json_object_get(json_array_get(a, i), key));
	json_decref(s);
	return v;
}

/*
 * The once-only indicator counts new dossiers, not lookups (found by review:
 * every lookup counted): a dossier (purpose) once per procedure and month,
 * only among lookups judged for today (no valid_on, or valid_on today in
 * Vietnam's day); a purpose received after today is refused. Every lookup
 * still counts in "lookups".
 */
static void t_reuse_dossiers(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	catalog_query q;
	catalog_counts n;
	json_t *j = NULL;

	REQUIRE(c != NULL);
	/* 20:00 UTC on 1 June is 03:00 on 2 June in Vietnam */
	setenv("KHO_NOW", "2025-06-01T20:00:00Z", 1);
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac, 32);
	q.purpose = "000.00.20.H30-250602-0001";   /* received today (Vietnam) */
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);
	json_decref(j);
	j = NULL;
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);   /* again */
	json_decref(j);
	j = NULL;
	CHECK_EQ_INT(stat_sum(c, "lookups"), 2);
	CHECK_EQ_INT(stat_sum(c, "found_reusable"), 2);
	CHECK_EQ_INT(stat_sum(c, "dossiers"), 1);
	CHECK_EQ_INT(stat_sum(c, "dossiers_reusable"), 1);
	/* a historical check is a lookup, not a reuse */
	q.purpose = "000.00.20.H30-250601-0002";
	q.valid_on = "2025-05-01";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 1);
	json_decref(j);
	j = NULL;
	CHECK_EQ_INT(stat_sum(c, "lookups"), 3);
	CHECK_EQ_INT(stat_sum(c, "dossiers_reusable"), 1);
	/* valid_on today (Vietnam's day, not UTC's) is judged for today */
	q.purpose = "000.00.20.H30-250601-0003";
	q.valid_on = "2025-06-02";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);
	json_decref(j);
	j = NULL;
	CHECK_EQ_INT(stat_sum(c, "dossiers"), 2);
	CHECK_EQ_INT(stat_sum(c, "dossiers_reusable"), 2);
	/* a dossier found nothing: a dossier, not a reuse */
	q.purpose = "000.00.20.H30-250601-0004";
	q.valid_on = NULL;
	q.subject_mac[0] = 9;
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), 0);
	json_decref(j);
	j = NULL;
	CHECK_EQ_INT(stat_sum(c, "dossiers"), 3);
	CHECK_EQ_INT(stat_sum(c, "dossiers_reusable"), 2);
	/* a purpose received after today, or not a dossier code: refused, not counted */
	memcpy(q.subject_mac, mac, 32);
	q.purpose = "000.00.20.H30-250603-0005";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), KHO_EINVAL);
	q.purpose = "000.00.20.H30-991231-0301";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), KHO_EINVAL);
	q.purpose = "001099012345";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL), KHO_EINVAL);
	CHECK(j == NULL);
	CHECK_EQ_INT(stat_sum(c, "lookups"), 5);
	CHECK_EQ_INT(catalog_counts_get(c, &n, NULL), 0);
	CHECK_EQ_INT(n.lookups, 5);
	unsetenv("KHO_NOW");
	catalog_close(c);
}

/* A catalog made before for_today existed gets the column at open; its
 * lookups count as judged for today, as they all did. */
static void t_reuse_migrate(void)
{
	catalog *c = fresh();
	sqlite3 *db = NULL;

	REQUIRE(c != NULL);
	catalog_close(c);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK_EQ_INT(sqlite3_exec(db, "DROP TABLE reuse; CREATE TABLE reuse(id INTEGER PRIMARY KEY,"
	                              " at INTEGER NOT NULL, month TEXT NOT NULL, procedure TEXT NOT"
	                              " NULL, purpose TEXT NOT NULL, agency TEXT NOT NULL, found"
	                              " INTEGER NOT NULL, reusable INTEGER NOT NULL);"
	                              " INSERT INTO reuse VALUES(1, 1750000000, '2025-06', '2.000815',"
	                              " '000.00.20.H30-250601-0001', '000.00.20.H30', 1, 1),"
	                              " (2, 1750000001, '2025-06', '2.000815',"
	                              " '000.00.20.H30-250601-0001', '000.00.20.H30', 1, 1),"
	                              /* a purpose received after its lookup's day (2025-06-15):
	                               * not judged for today */
	                              " (3, 1750000002, '2025-06', '2.000815',"
	                              " '000.00.20.H30-991231-0001', '000.00.20.H30', 1, 1)",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	CHECK_EQ_INT(stat_sum(c, "lookups"), 3);
	CHECK_EQ_INT(stat_sum(c, "dossiers_reusable"), 1);
	catalog_close(c);
	REQUIRE(catalog_open(&c, path, NULL) == 0);   /* a second open adds nothing */
	CHECK_EQ_INT(stat_sum(c, "dossiers"), 1);
	catalog_close(c);
}

/* The status of a result on a date (catalog_result_json, _status_on). */
static const char *status_at(catalog *c, const char *code, const char *on, const char *key)
{
	static char out[600];
	json_t *j = NULL;

	out[0] = '\0';
	if (catalog_result_json(c, code, on, &j, NULL) == 0) {
		json_t *v = json_object_get(j, key);
		snprintf(out, sizeof out, "%s", json_is_string(v) ? json_string_value(v) : "null");
	}
	json_decref(j);
	return out;
}

/*
 * Validity decisions take effect on a day: a result revoked on 1 September
 * was valid in August; a suspension may be recorded ahead of its day; a
 * decision recorded later overrides an earlier one from its own effective
 * day (the cancellation of a revocation); a result changed before the
 * history existed keeps its decision; an ingest that supersedes a result
 * does so from the new result's validFrom.
 */
static void t_status_effective(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b'), p3 = pkg('c'), p4 = pkg('d');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	record r2 = rec("000.00.20.H30-250314-0007-KQ2", NULL);
	record r3 = rec("000.00.20.H30-250314-0007-KQ3", NULL);
	record r4 = rec("000.00.20.H30-250314-0007-KQ4", "000.00.20.H30-250314-0007-KQ3");
	const char *k1 = r1.result_code;
	catalog_query q;
	char st16[16];
	int64_t at = -1;
	json_t *j = NULL;

	REQUIRE(c != NULL);
	r1.valid_until = r2.valid_until = r3.valid_until = NULL;   /* no expiry */
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	CHECK_EQ_INT(catalog_set_status(c, k1, "suspended", "QĐ 1", NULL, "2025-06-01", "rm", NULL), 0);
	CHECK_EQ_INT(catalog_set_status(c, k1, "valid", "QĐ 2", NULL, "2025-07-01", "rm", NULL), 0);
	CHECK_EQ_INT(catalog_set_status(c, k1, "revoked", "QĐ 3", NULL, "2025-09-01", "rm", NULL), 0);
	/* The same decision sent again (its answer lost): not recorded twice. */
	CHECK_EQ_INT(catalog_set_status(c, k1, "revoked", "QĐ 3", NULL, "2025-09-01", "rm", NULL),
	             KHO_EEXIST);
	{
		sqlite3_stmt *cq;
		catalog_lock(c);
		REQUIRE(sqlite3_prepare_v2(catalog_db(c), "SELECT (SELECT count(*) FROM result_status"
		                           " WHERE decision = 'QĐ 3'), (SELECT count(*) FROM audit WHERE"
		                           " action = 'status' AND detail LIKE '%QĐ 3%')", -1, &cq,
		                           NULL) == SQLITE_OK);
		CHECK(sqlite3_step(cq) == SQLITE_ROW && sqlite3_column_int(cq, 0) == 1 &&
		      sqlite3_column_int(cq, 1) == 1);
		sqlite3_finalize(cq);
		catalog_unlock(c);
	}
	/* not before the issue date (2025-03-14), and a real date */
	CHECK_EQ_INT(catalog_set_status(c, k1, "revoked", "QĐ 9", NULL, "2025-03-13", "rm", NULL),
	             KHO_EINVAL);
	CHECK_EQ_INT(catalog_set_status(c, k1, "revoked", "QĐ 9", NULL, "2025-02-30", "rm", NULL),
	             KHO_EINVAL);
	CHECK_STR(status_at(c, k1, "2025-05-31", "status"), "valid");
	CHECK_STR(status_at(c, k1, "2025-05-31", "status_decision"), "null");
	CHECK_STR(status_at(c, k1, "2025-06-01", "status"), "suspended");
	CHECK_STR(status_at(c, k1, "2025-06-30", "status_decision"), "QĐ 1");
	/* effective at the start of Vietnam's day: 17:00 UTC the day before */
	CHECK_STR(status_at(c, k1, "2025-06-30", "status_changed_at"), "2025-05-31T17:00:00Z");
	CHECK_STR(status_at(c, k1, "2025-07-15", "status"), "valid");
	CHECK_STR(status_at(c, k1, "2025-07-15", "status_decision"), "QĐ 2");
	CHECK_STR(status_at(c, k1, "2025-09-01", "status"), "revoked");
	CHECK_STR(status_at(c, k1, "2030-01-01", "recorded_status"), "revoked");
	/* the lookup judges the same way */
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac, 32);
	q.purpose = "000.00.20.H30-250601-0001";
	q.valid_on = "2025-06-15";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", NULL, &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 0);
	json_decref(j);
	q.valid_on = "2025-07-15";
	CHECK_EQ_INT(catalog_lookup(c, &q, "o", NULL, &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 1);
	json_decref(j);
	/* the revocation cancelled by a decision recorded later, effective
	 * 1 August: valid from then on, the earlier days unchanged */
	CHECK_EQ_INT(catalog_set_status(c, k1, "valid", "QĐ 4", NULL, "2025-08-01", "rm", NULL), 0);
	CHECK_STR(status_at(c, k1, "2025-10-01", "status"), "valid");
	CHECK_STR(status_at(c, k1, "2025-10-01", "status_decision"), "QĐ 4");
	CHECK_STR(status_at(c, k1, "2025-07-15", "status_decision"), "QĐ 2");
	CHECK_STR(status_at(c, k1, "2025-06-15", "status"), "suspended");
	/* ahead of its day: a suspension from 2099 leaves today valid */
	CHECK_EQ_INT(catalog_set_status(c, k1, "suspended", "QĐ 5", NULL, "2099-01-01", "rm", NULL), 0);
	CHECK_EQ_INT(catalog_status_on(c, k1, "2098-12-31", st16, &at, NULL), 0);
	CHECK_STR(st16, "valid");
	CHECK_EQ_INT(catalog_status_on(c, k1, "2099-01-01", st16, &at, NULL), 0);
	CHECK_STR(st16, "suspended");
	CHECK_STR(status_at(c, k1, NULL, "status"), "valid");
	{
		catalog_counts n;
		CHECK_EQ_INT(catalog_counts_get(c, &n, NULL), 0);
		CHECK_EQ_INT(n.results_valid, 1);   /* the gauge counts it valid today too */
	}

	/* A result revoked before the history existed (its row only): the
	 * revocation stands for its days after a later decision. */
	REQUIRE(catalog_ingest(c, &p2, &r2, mac, "o", NULL, NULL) == 0);
	catalog_lock(c);
	REQUIRE(sqlite3_exec(catalog_db(c), "UPDATE results SET status = 'revoked', status_ref ="
	                     " 'QĐ cũ', status_at = 1746032400 WHERE result_code ="
	                     " '000.00.20.H30-250314-0007-KQ2'", NULL, NULL, NULL) == SQLITE_OK);
	catalog_unlock(c);
	CHECK_STR(status_at(c, r2.result_code, "2025-04-30", "status"), "valid");
	CHECK_STR(status_at(c, r2.result_code, "2025-05-01", "status"), "revoked");
	CHECK_EQ_INT(catalog_set_status(c, r2.result_code, "valid", "QĐ mới", NULL, "2025-12-01", "rm",
	                                NULL), 0);
	CHECK_STR(status_at(c, r2.result_code, "2025-06-01", "status_decision"), "QĐ cũ");
	CHECK_STR(status_at(c, r2.result_code, "2025-12-01", "status"), "valid");
	/* GET /v1/results lists the decisions in the order recorded */
	CHECK_EQ_INT(catalog_result_json(c, r2.result_code, NULL, &j, NULL), 0);
	{
		json_t *h = json_object_get(j, "status_history");
		CHECK_EQ_INT(json_array_size(h), 2);
		CHECK_STR(json_string_value(json_object_get(json_array_get(h, 0), "effective")),
		          "2025-05-01");
		CHECK_STR(json_string_value(json_object_get(json_array_get(h, 0), "decision")), "QĐ cũ");
		CHECK_STR(json_string_value(json_object_get(json_array_get(h, 1), "status")), "valid");
		CHECK_STR(json_string_value(json_object_get(json_array_get(h, 1), "effective")),
		          "2025-12-01");
	}
	json_decref(j);
	CHECK_EQ_INT(catalog_result_json(c, k1, NULL, &j, NULL), 0);
	CHECK_EQ_INT(json_array_size(json_object_get(j, "status_history")), 5);
	json_decref(j);

	/* Superseded by an ingest from the new result's validFrom. */
	REQUIRE(catalog_ingest(c, &p3, &r3, mac, "o", NULL, NULL) == 0);
	r4.valid_from = (char *)"2025-09-10";
	REQUIRE(catalog_ingest(c, &p4, &r4, mac, "o", NULL, NULL) == 0);
	CHECK_STR(status_at(c, r3.result_code, "2025-09-09", "status"), "valid");
	CHECK_STR(status_at(c, r3.result_code, "2025-09-10", "status"), "superseded");
	CHECK_STR(status_at(c, r3.result_code, "2025-09-10", "superseded_by"), r4.result_code);
	/* ... never before the superseded result was issued (a validFrom
	 * earlier than that: from its issue date) */
	{
		catalog_package p5 = pkg('e'), p6 = pkg('f');
		record r5 = rec("000.00.20.H30-250314-0007-KQ5", NULL);
		record r6 = rec("000.00.20.H30-250314-0007-KQ6", "000.00.20.H30-250314-0007-KQ5");
		r5.valid_until = NULL;
		r6.valid_from = (char *)"2025-01-01";
		REQUIRE(catalog_ingest(c, &p5, &r5, mac, "o", NULL, NULL) == 0);
		REQUIRE(catalog_ingest(c, &p6, &r6, mac, "o", NULL, NULL) == 0);
		CHECK_STR(status_at(c, r5.result_code, "2025-03-13", "status"), "not-yet-valid");
		CHECK_STR(status_at(c, r5.result_code, "2025-03-14", "status"), "superseded");
		/* a result as ingested, never changed: no status_changed_at */
		CHECK_STR(status_at(c, r6.result_code, "2025-06-01", "status_changed_at"), "null");
	}
	catalog_close(c);
}

/* A paper result of 1965, digitized later: a decision may take effect
 * before 1970 (a negative instant; found by review: read as no decision). */
static void t_status_before_1970(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	char st16[16];
	int64_t at = 0;

	REQUIRE(c != NULL);
	r1.issue_date = r1.valid_from = (char *)"1965-05-01";
	r1.valid_until = NULL;
	REQUIRE(catalog_ingest(c, &p1, &r1, mac, "o", NULL, NULL) == 0);
	CHECK_EQ_INT(catalog_set_status(c, r1.result_code, "revoked", "QĐ 7/1968", NULL,
	                                "1968-01-01", "rm", NULL), 0);
	CHECK_STR(status_at(c, r1.result_code, "1966-01-01", "status"), "valid");
	CHECK_STR(status_at(c, r1.result_code, "1968-01-01", "status"), "revoked");
	CHECK_STR(status_at(c, r1.result_code, "2025-01-01", "status_changed_at"),
	          "1967-12-31T17:00:00Z");
	CHECK_EQ_INT(catalog_status_on(c, r1.result_code, "1968-06-01", st16, &at, NULL), 0);
	CHECK_STR(st16, "revoked");
	CHECK(at < 0);
	CHECK_EQ_INT(catalog_status_on(c, r1.result_code, "1967-06-01", st16, &at, NULL), 0);
	CHECK_STR(st16, "valid");
	CHECK_EQ_INT((long)at, 0);
	catalog_close(c);
}

static void t_wal_mode(void)
{
	catalog *c = fresh();
	sqlite3_stmt *st;

	REQUIRE(c != NULL);
	catalog_lock(c);
	st = catalog_stmt(c, "PRAGMA journal_mode", NULL);
	REQUIRE(st != NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_reset(st);
	catalog_unlock(c);
	catalog_close(c);
	catalog_close(NULL);
}

static int count_pkg(const catalog_package *p, void *arg)
{
	(*(int *)arg)++;
	(void)p;
	return 0;
}

static void t_each_package_pages(void)
{
	catalog *c = fresh();
	int i, n = 0;

	REQUIRE(c != NULL);
	for (i = 0; i < 600; i++) {
		catalog_package p = pkg('0');
		char code[64];
		record r;
		snprintf(p.id, sizeof p.id, "%064x", i);
		snprintf(code, sizeof code, "000.00.20.H30-250314-%04d-KQ1", i);
		r = rec(code, NULL);
		REQUIRE(catalog_ingest(c, &p, &r, mac, "o", NULL, NULL) == 0);
	}
	CHECK_EQ_INT(catalog_each_package(c, NULL, count_pkg, &n, NULL), 0);
	CHECK_EQ_INT(n, 600);
	/* resumed after an id (a fixity run cut by a restart): the rest only */
	n = 0;
	{
		char after[65];
		snprintf(after, sizeof after, "%064x", 299);
		CHECK_EQ_INT(catalog_each_package(c, after, count_pkg, &n, NULL), 0);
	}
	CHECK_EQ_INT(n, 300);
	catalog_close(c);
}

/* The result codes a lookup by m finds (catalog_lookup), joined by " ",
 * each with its subject_kind; the text answer (catalog_lookup_write) must
 * be the same JSON. */
static void found(catalog *c, const unsigned char m[32], char *out, size_t n)
{
	catalog_query q;
	catalog_lookup_event ev;
	json_t *j = NULL, *t;
	kho_buf b;
	size_t i;

	out[0] = '\0';
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, m, 32);
	q.valid_on = "2025-06-01";
	q.purpose = "000.00.20.H30-250601-0001";
	REQUIRE(catalog_lookup(c, &q, "o", "000.00.20.H30", &j, NULL) == 0);
	for (i = 0; i < json_array_size(json_object_get(j, "results")); i++) {
		json_t *e = json_array_get(json_object_get(j, "results"), i);
		size_t used = strlen(out);
		snprintf(out + used, n - used, "%s%s/%s", used ? " " : "",
		         json_string_value(json_object_get(e, "result_code")) + 26,
		         json_string_value(json_object_get(e, "subject_kind")));
	}
	kho_buf_init(&b, 1 << 20);
	REQUIRE(catalog_lookup_write(c, &q, "o", "000.00.20.H30", NULL, &b, &ev, NULL) == 0);
	t = json_loadb((const char *)b.data, b.len, 0, NULL);
	CHECK(t != NULL && json_equal(json_object_get(t, "results"), json_object_get(j, "results")));
	json_decref(t);
	json_decref(j);
	kho_buf_free(&b);
}

/* A result with further subjects (both spouses of a marriage) is found by
 * each of them, with that subject's kind, in issue-date order among the
 * subject's other results; supersession by the same code replaces them. */
static void t_lookup_other_subjects(void)
{
	catalog *c = fresh();
	catalog_package p1 = pkg('a'), p2 = pkg('b'), p3 = pkg('c'), p4 = pkg('d');
	record r1 = rec("000.00.20.H30-250314-0007-KQ1", NULL);
	record r2 = rec("000.00.20.H30-250314-0007-KQ2", NULL);
	record r4 = rec("000.00.20.H30-250314-0007-KQ3", NULL);
	record r3 = rec("000.00.20.H30-250314-0007-KQ1", "000.00.20.H30-250314-0007-KQ1");
	unsigned char macs[3 * 32] = { 0 }, m2[32] = { 2 }, m3[32] = { 3 }, m4[32] = { 4 };
	char got[256];

	REQUIRE(c != NULL);
	memcpy(macs, mac, 32);
	memcpy(macs + 32, m2, 32);
	memcpy(macs + 64, m3, 32);
	r1.nothers = 2;
	r1.others[0] = (record_subject){ (char *)"citizen", (char *)"001199054321", (char *)"B" };
	r1.others[1] = (record_subject){ (char *)"enterprise", (char *)"0101234567", (char *)"C" };
	REQUIRE(catalog_ingest(c, &p1, &r1, macs, "o", NULL, NULL) == 0);
	/* m2 is the first subject of a later result, and a further subject
	 * of a still later one: its lookup interleaves both kinds in order */
	r2.issue_date = (char *)"2025-04-01";
	REQUIRE(catalog_ingest(c, &p2, &r2, m2, "o", NULL, NULL) == 0);
	r4.issue_date = (char *)"2025-05-01";
	r4.nothers = 1;
	r4.others[0] = r1.others[0];
	REQUIRE(catalog_ingest(c, &p4, &r4, macs, "o", NULL, NULL) == 0);
	found(c, mac, got, sizeof got);
	CHECK_STR(got, "KQ3/citizen KQ1/citizen");
	found(c, m2, got, sizeof got);
	CHECK_STR(got, "KQ3/citizen KQ2/citizen KQ1/citizen");
	found(c, m3, got, sizeof got);
	CHECK_STR(got, "KQ1/enterprise");
	found(c, m4, got, sizeof got);
	CHECK_STR(got, "");
	/* the same code superseded by a record naming m4 instead */
	memcpy(macs + 32, m4, 32);
	r3.nothers = 1;
	r3.others[0] = r1.others[0];
	REQUIRE(catalog_ingest(c, &p3, &r3, macs, "o", NULL, NULL) == 0);
	found(c, m2, got, sizeof got);
	CHECK_STR(got, "KQ3/citizen KQ2/citizen");
	found(c, m3, got, sizeof got);
	CHECK_STR(got, "");
	found(c, m4, got, sizeof got);
	CHECK_STR(got, "KQ1/citizen");
	catalog_close(c);
}

TESTS(T(t_ingest_semantics), T(t_supersede_other_code), T(t_supersede_rules), T(t_result_differs),
      T(t_lookup_and_status), T(t_reuse_procedure), T(t_reuse_dossiers),
      T(t_reuse_migrate), T(t_status_effective), T(t_status_before_1970),
      T(t_lookup_other_subjects), T(t_wal_mode),
      T(t_each_package_pages))
