/*
 * test_catalog_index.c: the lookup's covering indexes (docs/daemon-benchmarks.md,
 * issue 3 item 14): the statement the lookup really runs is answered from
 * results_lookup and packages_lookup alone (no table read), and a catalog
 * made before them (with results_subject) gets them on its next open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/catalog.h"
#include "tests/unit/test.h"

static char path[256];

static void wipe(void)
{
	char cmd[1024];

	snprintf(path, sizeof path, "/tmp/kho-test-catidx-%d.db", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
	if (system(cmd) != 0)
		abort();
}

static const unsigned char mac[32] = { 7, 7, 7 };

static int ingest_one(catalog *c)
{
	catalog_package p;
	record r;

	memset(&p, 0, sizeof p);
	memset(p.id, 'd', 64);
	p.size = 10;
	memset(p.wrapped_key, 0x22, sizeof p.wrapped_key);
	strcpy(p.indication, "TOTAL-PASSED");
	p.ingested_at = 1741939200;
	memset(&r, 0, sizeof r);
	r.result_code = (char *)"000.00.20.H30-250314-0009-KQ1";
	r.dossier_code = (char *)"000.00.20.H30-250314-0009";
	r.procedure_national = (char *)"2.000815";
	r.agency_code = (char *)"000.00.20.H30";
	r.result_type = (char *)"certified-copy";
	r.subject_kind = (char *)"citizen";
	r.issue_date = (char *)"2025-03-14";
	return catalog_ingest(c, &p, &r, mac, "t", NULL, NULL);
}

static int has_index(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* The query plan of the lookup statement cached on c's connection whose
 * text holds needle, joined. */
static void lookup_plan(catalog *c, const char *needle, char *out, size_t n)
{
	sqlite3 *db = catalog_db(c);
	sqlite3_stmt *st, *ep = NULL;
	char *q;

	out[0] = '\0';
	for (st = sqlite3_next_stmt(db, NULL); st != NULL; st = sqlite3_next_stmt(db, st))
		if (strstr(sqlite3_sql(st), needle) != NULL)
			break;
	if (st == NULL)
		return;
	q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
	if (q != NULL && sqlite3_prepare_v2(db, q, -1, &ep, NULL) == SQLITE_OK)
		while (sqlite3_step(ep) == SQLITE_ROW) {
			size_t used = strlen(out);
			snprintf(out + used, n - used, "%s\n", (const char *)sqlite3_column_text(ep, 3));
		}
	sqlite3_finalize(ep);
	sqlite3_free(q);
}

static void t_lookup_uses_covering_indexes(void)
{
	catalog *c = NULL;
	catalog_query q;
	json_t *j = NULL;
	char plan[4096];

	wipe();
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	REQUIRE(ingest_one(c) == 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac, 32);
	q.valid_on = "2025-06-01";
	q.purpose = "000.00.20.H30-250601-0001";
	REQUIRE(catalog_lookup(c, &q, "t", "000.00.20.H30", &j, NULL) == 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "found")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "reusable")), 1);
	json_decref(j);
	lookup_plan(c, "r.subject_mac = ?1", plan, sizeof plan);
	CHECK(strstr(plan, "COVERING INDEX results_lookup") != NULL);
	CHECK(strstr(plan, "COVERING INDEX packages_lookup") != NULL);
	if (strstr(plan, "COVERING INDEX packages_lookup") == NULL)
		fprintf(stderr, "plan was:\n%s", plan);
	/* the further subjects' statement: a probe of result_subjects by its key */
	lookup_plan(c, "s.subject_mac = ?1", plan, sizeof plan);
	CHECK(strstr(plan, "SEARCH s USING PRIMARY KEY (subject_mac=?)") != NULL);
	CHECK(strstr(plan, "COVERING INDEX packages_lookup") != NULL);
	if (strstr(plan, "SEARCH s USING PRIMARY KEY") == NULL)
		fprintf(stderr, "plan was:\n%s", plan);
	catalog_close(c);
	wipe();
}

static void t_old_catalog_migrates(void)
{
	catalog *c = NULL;
	catalog_query q;
	json_t *j = NULL;

	wipe();
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	REQUIRE(ingest_one(c) == 0);
	/* Make it look like a catalog from before the covering indexes. */
	REQUIRE(sqlite3_exec(catalog_db(c), "DROP INDEX results_lookup; DROP INDEX packages_lookup;"
	                     " CREATE INDEX results_subject ON results(subject_mac);",
	                     NULL, NULL, NULL) == SQLITE_OK);
	catalog_close(c);
	c = NULL;
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	CHECK_EQ_INT(has_index(catalog_db(c), "results_lookup"), 1);
	CHECK_EQ_INT(has_index(catalog_db(c), "packages_lookup"), 1);
	CHECK_EQ_INT(has_index(catalog_db(c), "results_subject"), 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac, 32);
	q.purpose = "000.00.20.H30-250601-0001";
	CHECK_EQ_INT(catalog_lookup(c, &q, "t", "000.00.20.H30", &j, NULL), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "found")), 1);
	json_decref(j);
	catalog_close(c);
	wipe();
}

TESTS(T(t_lookup_uses_covering_indexes), T(t_old_catalog_migrates))
