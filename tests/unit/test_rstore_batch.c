/*
 * test_rstore_batch.c: disposition batches in the retention store
 * (retention/rstore.h) on a fresh data directory with catalog rows written
 * directly: a record is never in two open batches (a second proposal leaves
 * it out, a selection of it is refused naming the batch, an approved batch
 * past its deadline and a rejected one no longer hold it, an exported
 * transfer batch does until acknowledged); a proposed or approved batch
 * can be rejected (state, items, audit), an executed one cannot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/util.h"
#include "retention/rstore.h"
#include "tests/unit/test.h"

static const char *in_root(const char *rel)
{
	static char p[4096];
	const char *r = getenv("ROOT");
	snprintf(p, sizeof p, "%s/%s", r && *r ? r : ".", rel);
	return p;
}

static rstore *open_tmp(void)
{
	static char dir[64];
	rstore *r = NULL;
	snprintf(dir, sizeof dir, "/tmp/kho-rbatch-XXXXXX");
	if (mkdtemp(dir) == NULL || rstore_open(&r, dir, NULL, NULL, NULL) != 0)
		return NULL;
	return r;
}

static int32_t day(const char *s)
{
	int32_t d = DUE_NONE;
	due_parse(&d, s);
	return d;
}

/* sql: run one statement on the store's catalog (test set-up and reads). */
static int sql(rstore *r, const char *q)
{
	int rc;
	catalog_lock(rstore_catalog(r));
	rc = sqlite3_exec(catalog_db(rstore_catalog(r)), q, NULL, NULL, NULL);
	catalog_unlock(rstore_catalog(r));
	return rc == SQLITE_OK ? 0 : -1;
}

/* count: the integer a one-row query answers, -1 on error. */
static long long count(rstore *r, const char *q)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;
	catalog_lock(rstore_catalog(r));
	if (sqlite3_prepare_v2(catalog_db(rstore_catalog(r)), q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	catalog_unlock(rstore_catalog(r));
	return n;
}

/* add_expired: an expired CT.01 certified copy (5 years from dossier
 * closed, destroy), classified, its dossier closed on 2025-03-14: eligible
 * to destroy from 2030-12-31. */
static int add_expired(rstore *r, const char *code)
{
	sqlite3 *db = catalog_db(rstore_catalog(r));
	sqlite3_stmt *p = NULL, *q = NULL;
	unsigned char md[32], mac[32] = { 7 };
	char id[65], dossier[96];
	int ok;

	kho_sha256(md, code, strlen(code));
	kho_hex(id, md, 32);
	snprintf(dossier, sizeof dossier, "%.*s", (int)(strlen(code) - 4), code);
	catalog_lock(rstore_catalog(r));
	sqlite3_prepare_v2(db, "INSERT INTO packages(id, result_code, agency, size, indication, sub,"
	                       " ingested_at, ingested_by) VALUES(?,?,'000.31.20.H55',1,"
	                       "'TOTAL-PASSED','',1740000000,'t')", -1, &p, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO results(result_code, package_id, dossier_code, procedure,"
	                       " agency, result_type, subject_kind, subject_mac, status) VALUES"
	                       "(?,?,?,'2.000815','000.31.20.H55','certified-copy','citizen',?,"
	                       "'expired')", -1, &q, NULL);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, dossier, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, mac, 32, SQLITE_STATIC);
	ok = sqlite3_step(p) == SQLITE_DONE && sqlite3_step(q) == SQLITE_DONE;
	sqlite3_finalize(p);
	sqlite3_finalize(q);
	catalog_unlock(rstore_catalog(r));
	if (!ok || rstore_classify_record(r, code, RSTORE_UNCLASSIFIED_REFUSE, "t", NULL) != 0)
		return -1;
	return rstore_add_event(r, code, "dossier-closed", day("2025-03-14"), NULL, "t", NULL);
}

static int publish(rstore *r)
{
	kho_buf b;
	int rc;
	kho_buf_init(&b, SCHEDULE_MAX_SIZE);
	if (kho_read_file(&b, in_root("testdata/schedules/province-2025.xml"), NULL) != 0)
		return -1;
	rc = rstore_publish(r, b.data, b.len, "t", day("2025-03-01"), 0, NULL, NULL);
	kho_buf_free(&b);
	return rc;
}

/* items_in: the number of items of batch id, -1 on error. */
static long long items_in(rstore *r, int64_t id)
{
	char q[96];
	snprintf(q, sizeof q, "SELECT COUNT(*) FROM ret_items WHERE batch = %lld", (long long)id);
	return count(r, q);
}

#define A "000.31.20.H55-250314-0001-KQ1"
#define B "000.31.20.H55-250314-0002-KQ1"
#define C "000.31.20.H55-250314-0003-KQ1"

static void t_no_record_in_two_open_batches(void)
{
	rstore *r = open_tmp();
	const char *sel[1];
	int64_t b1 = 0, b2 = 0, b3 = 0;
	int32_t on = day("2031-01-02");
	size_t skipped = 99;
	kho_err err;

	REQUIRE(r != NULL);
	REQUIRE(publish(r) == 0);
	REQUIRE(add_expired(r, A) == 0);
	REQUIRE(add_expired(r, B) == 0);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, NULL, 0, &b1, &skipped, &err),
	             0);
	CHECK_EQ_INT(items_in(r, b1), 2);
	CHECK_EQ_INT(skipped, 0);
	/* Proposed twice: nothing new, and the answer says why and where. */
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, NULL, 0, &b2, NULL, &err),
	             KHO_ENOTFOUND);
	CHECK(strstr(err.msg, "nothing new to propose") != NULL);
	CHECK(strstr(err.msg, "already in an open batch (batch 1)") != NULL);
	CHECK_EQ_INT(count(r, "SELECT COUNT(*) FROM ret_batches"), 1);
	/* A record that became eligible since: only it is proposed. */
	REQUIRE(add_expired(r, C) == 0);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, NULL, 0, &b2, &skipped, &err),
	             0);
	CHECK_EQ_INT(items_in(r, b2), 1);
	CHECK_EQ_INT(skipped, 2);
	CHECK_EQ_INT(count(r, "SELECT COUNT(*) FROM ret_items WHERE result_code = '" C "'"), 1);
	/* Selected by name while in an open batch: refused, naming both. */
	sel[0] = A;
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, sel, 1, &b3, NULL, &err),
	             KHO_EINVAL);
	CHECK(strstr(err.msg, A " is already in batch 1") != NULL);
	CHECK(strstr(err.msg, "(proposed)") != NULL);
	/* Approved: open until its deadline (15 days), not after. */
	CHECK_EQ_INT(rstore_batch_approve(r, b1, "rm-hoa", "45/QĐ-SNV", on, on, 0, &err), 0);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on + 15, sel, 1, &b3, NULL, &err),
	             KHO_EINVAL);
	CHECK(strstr(err.msg, "(approved)") != NULL);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on + 16, sel, 1, &b3, NULL, &err),
	             0);
	CHECK_EQ_INT(items_in(r, b3), 1);
	rstore_close(r);
}

static void t_exported_transfer_batch_is_open(void)
{
	rstore *r = open_tmp();
	int64_t b1 = 0, b2 = 0;
	int32_t on = day("2031-01-02");
	kho_err err;

	REQUIRE(r != NULL);
	REQUIRE(publish(r) == 0);
	REQUIRE(add_expired(r, A) == 0);
	REQUIRE(add_expired(r, B) == 0);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, NULL, 0, &b1, NULL, &err), 0);
	/* The states an export leaves (exporting needs stored packages, which
	 * this test does not have): A exported, B dropped at export. A batch's
	 * kind never changes (trigger ret_batches_decided): dropped for this
	 * shortcut. */
	REQUIRE(sql(r, "DROP TRIGGER ret_batches_decided") == 0);
	REQUIRE(sql(r, "UPDATE ret_batches SET kind = 'transfer', state = 'exported'") == 0);
	REQUIRE(sql(r, "UPDATE ret_items SET state = 'exported' WHERE result_code = '" A "'") == 0);
	REQUIRE(sql(r, "UPDATE ret_items SET state = 'dropped', reason = 'held' WHERE"
	               " result_code = '" B "'") == 0);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, NULL, 0, &b2, NULL, &err), 0);
	CHECK_EQ_INT(items_in(r, b2), 1);
	CHECK_EQ_INT(count(r, "SELECT COUNT(*) FROM ret_items WHERE result_code = '" A "'"), 1);
	/* Exported, not yet acknowledged: not rejected either. */
	CHECK_EQ_INT(rstore_batch_reject(r, b1, "rm-hoa", "no", NULL, on, &err), KHO_ECONFLICT);
	CHECK(strstr(err.msg, "is exported") != NULL);
	rstore_close(r);
}

static void t_reject(void)
{
	rstore *r = open_tmp();
	int64_t b1 = 0, b2 = 0;
	int32_t on = day("2031-01-02");
	json_t *j = NULL, *items;
	kho_err err;

	REQUIRE(r != NULL);
	REQUIRE(publish(r) == 0);
	REQUIRE(add_expired(r, A) == 0);
	REQUIRE(add_expired(r, B) == 0);
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on, NULL, 0, &b1, NULL, &err), 0);
	CHECK_EQ_INT(rstore_batch_reject(r, b1, "rm-hoa", NULL, NULL, on, &err), KHO_EINVAL);
	CHECK_EQ_INT(rstore_batch_reject(r, b1, "rm-hoa", "", NULL, on, &err), KHO_EINVAL);
	CHECK_EQ_INT(rstore_batch_reject(r, 99, "rm-hoa", "x", NULL, on, &err), KHO_ENOTFOUND);
	/* Approved, then rejected under a decision. */
	CHECK_EQ_INT(rstore_batch_approve(r, b1, "rm-hoa", "45/QĐ-SNV", on, on, 0, &err), 0);
	CHECK_EQ_INT(rstore_batch_reject(r, b1, "rm-tam", "hồ sơ còn tranh chấp", "12/QĐ-SNV",
	                                 on + 1, &err), 0);
	REQUIRE(rstore_batch_json(r, b1, &j, &err) == 0);
	CHECK_STR(json_string_value(json_object_get(j, "state")), "rejected");
	CHECK_STR(json_string_value(json_object_get(j, "rejected_by")), "rm-tam");
	CHECK_STR(json_string_value(json_object_get(j, "rejected_on")), "2031-01-03");
	CHECK_STR(json_string_value(json_object_get(j, "rejection_reason")), "hồ sơ còn tranh chấp");
	CHECK_STR(json_string_value(json_object_get(j, "rejection_decision")), "12/QĐ-SNV");
	CHECK_STR(json_string_value(json_object_get(j, "decision")), "45/QĐ-SNV");
	items = json_object_get(j, "items");
	CHECK_EQ_INT(json_array_size(items), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(items, 0), "state")), "dropped");
	CHECK_STR(json_string_value(json_object_get(json_array_get(items, 1), "state")), "dropped");
	CHECK_STR(json_string_value(json_object_get(json_array_get(items, 0), "reason")),
	          "batch rejected under decision 12/QĐ-SNV: hồ sơ còn tranh chấp");
	json_decref(j);
	CHECK_EQ_INT(count(r, "SELECT COUNT(*) FROM audit WHERE action = 'retention-reject' AND"
	                      " object = 'batch-1' AND actor = 'rm-tam' AND detail LIKE"
	                      " '%12/QĐ-SNV%hồ sơ còn tranh chấp%2 records dropped%'"), 1);
	/* No longer approvable, executable or rejectable. */
	CHECK_EQ_INT(rstore_batch_approve(r, b1, "rm-hoa", "46/QĐ-SNV", on, on, 0, &err),
	             KHO_ECONFLICT);
	CHECK_EQ_INT(rstore_batch_reject(r, b1, "rm-tam", "again", NULL, on, &err), KHO_ECONFLICT);
	CHECK(strstr(err.msg, "is rejected") != NULL);
	/* Its records can be proposed again. */
	CHECK_EQ_INT(rstore_batch_propose(r, "destroy", "rm-lan", on + 1, NULL, 0, &b2, NULL, &err),
	             0);
	CHECK_EQ_INT(items_in(r, b2), 2);
	/* Executed batches are final; so is an approved one an interrupted
	 * execution destroyed records of (it must be executed again). */
	REQUIRE(sql(r, "UPDATE ret_items SET state = 'destroyed' WHERE batch = 2 AND"
	               " result_code = '" A "'") == 0);
	CHECK_EQ_INT(rstore_batch_reject(r, b2, "rm-tam", "x", NULL, on, &err), KHO_ECONFLICT);
	CHECK(strstr(err.msg, "execute it again") != NULL);
	REQUIRE(sql(r, "UPDATE ret_batches SET state = 'executed' WHERE id = 2") == 0);
	CHECK_EQ_INT(rstore_batch_reject(r, b2, "rm-tam", "x", NULL, on, &err), KHO_ECONFLICT);
	CHECK(strstr(err.msg, "is executed") != NULL);
	CHECK_EQ_INT(count(r, "SELECT COUNT(*) FROM ret_items WHERE batch = 2 AND"
	                      " state = 'dropped'"), 0);
	rstore_close(r);
}

static void t_many_reviews(void)
{
	/* 20 review decisions "destroy" and then one "keep-permanent": the
	 * record is kept. Only 16 reviews were read, so the latest, deciding
	 * one was dropped and the record stayed eligible (found by review). */
	rstore *r = open_tmp();
	enum elig_outcome o = ELIG_HELD;
	char why[512], ref[32];
	int k;

	REQUIRE(r != NULL);
	REQUIRE(publish(r) == 0);
	REQUIRE(add_expired(r, A) == 0);
	CHECK_EQ_INT(rstore_evaluate(r, A, day("2031-01-02"), &o, why, sizeof why, NULL), 0);
	CHECK_EQ_INT(o, ELIG_ELIGIBLE_DESTROY);
	/* (written directly: rstore_review takes decisions for review classes
	 * only, and CT.01 is a destroy class; the evaluation reads them all) */
	for (k = 0; k < 21; k++) {
		char q[256];
		snprintf(ref, sizeof ref, "%d/QĐ-SNV", k < 20 ? k + 1 : 99);
		snprintf(q, sizeof q, "INSERT INTO ret_reviews(result_code, decision, years, day, ref, at,"
		         " actor) VALUES('" A "', '%s', 0, %d, '%s', 0, 't')",
		         k < 20 ? "destroy" : "keep-permanent", (int)(day("2031-01-01") - 40 + 2 * k), ref);
		REQUIRE(sql(r, q) == 0);
	}
	CHECK_EQ_INT(rstore_evaluate(r, A, day("2031-01-02"), &o, why, sizeof why, NULL), 0);
	CHECK(o != ELIG_ELIGIBLE_DESTROY);
	CHECK(strstr(why, "99/QĐ-SNV") != NULL);
	rstore_close(r);
}

static const char sched_v[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<schedule xmlns=\"urn:kho:schedule:1\">"
	"<identifier>T-SHORTEN</identifier><version>%d</version>"
	"<issuingAgency code=\"000.00.08.H55\">SNV</issuingAgency>"
	"<authority><decision>1/QD</decision><date>2025-01-20</date></authority>"
	"<effective>2025-02-01</effective>"
	"<counting><cutoff>calendar-year</cutoff><due>end-of-year</due><feb29>mar1</feb29></counting>"
	"<classes><class code=\"CT.01\"><title>ct</title><covers><procedure>2.000815</procedure>"
	"</covers><period><years>5</years></period><trigger>dossier-closed</trigger>%s"
	"<action>%s</action><legalBasis>x</legalBasis></class>"
	"<class code=\"GEN.99\" fallback=\"true\"><title>gen</title><covers/><period><years>10"
	"</years></period><trigger>dossier-closed</trigger><action>review</action>"
	"<legalBasis>x</legalBasis></class></classes></schedule>\n";

static void t_shorten_without_due(void)
{
	/* A record waiting for its trigger (no dossier closed: no due date)
	 * under a review class; version 2 adds an "ingest" trigger and makes
	 * the action destroy. That ends the record sooner and more
	 * destructively: it needs the confirmation. Only the years were
	 * compared when no due date was known (found by review). */
	rstore *r = open_tmp();
	char x1[2048], x2[2048], id[65], q[768];
	unsigned char md[32];
	json_t *rep = NULL, *kept;

	REQUIRE(r != NULL);
	snprintf(x1, sizeof x1, sched_v, 1, "", "review");
	snprintf(x2, sizeof x2, sched_v, 2, "<trigger>ingest</trigger>", "destroy");
	REQUIRE(rstore_publish(r, x1, strlen(x1), "t", day("2025-03-01"), 0, NULL, NULL) == 0);
	kho_sha256(md, A, strlen(A));
	kho_hex(id, md, 32);
	snprintf(q, sizeof q, "INSERT INTO packages(id, result_code, agency, size, indication, sub,"
	         " ingested_at, ingested_by) VALUES('%s','" A "','000.31.20.H55',1,'TOTAL-PASSED','',"
	         "1740000000,'t')", id);
	REQUIRE(sql(r, q) == 0);
	snprintf(q, sizeof q, "INSERT INTO results(result_code, package_id, dossier_code, procedure,"
	         " agency, result_type, subject_kind, subject_mac, status) VALUES('" A "','%s',"
	         "'000.31.20.H55-250314-0001','2.000815','000.31.20.H55','certified-copy','citizen',"
	         "X'0909090909090909090909090909090909090909090909090909090909090909','valid')", id);
	REQUIRE(sql(r, q) == 0);
	REQUIRE(rstore_classify_record(r, A, RSTORE_UNCLASSIFIED_REFUSE, "t", NULL) == 0);
	REQUIRE(rstore_publish(r, x2, strlen(x2), "t", day("2026-01-01"), 0, &rep, NULL) == 0);
	kept = json_object_get(rep, "kept_on_old_version");
	CHECK_EQ_INT(json_array_size(kept), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(kept, 0), "result_code")), A);
	json_decref(rep);
	rstore_close(r);
}

TESTS(T(t_no_record_in_two_open_batches), T(t_exported_transfer_batch_is_open), T(t_reject),
      T(t_many_reviews), T(t_shorten_without_due))
