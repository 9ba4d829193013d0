/*
 * test_rstore.c: the retention store (retention/rstore.h) on a fresh data
 * directory with catalog rows written directly: classification at ingest
 * (refuse by default, keep unclassified when configured), check without
 * writing, 29 February through the store, holds by subject HMAC (first or
 * further subject) and by query, tombstones refuse edits; a destruction
 * certificate's renewals (only of its current package, served once made).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive/keystore.h"
#include "archive/store.h"
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

static char dir[64];

/* A new directory under /tmp into dir (mkdtemp's template); 0 on success. */
static int tmp_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/kho-rstore-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static rstore *open_tmp(void)
{
	rstore *r = NULL;
	if (tmp_dir() != 0 || rstore_open(&r, dir, NULL, NULL, NULL) != 0)
		return NULL;
	return r;
}

/* add: one result and package row, as the daemon's ingest writes them. */
static int add(rstore *r, const char *code, const char *procedure, const char *type,
               const unsigned char mac[32], const char *status)
{
	sqlite3 *db = catalog_db(rstore_catalog(r));
	sqlite3_stmt *p = NULL, *q = NULL;
	char id[65], dossier[96];
	unsigned char md[32];
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
	                       "(?,?,?,?,'000.31.20.H55',?,'citizen',?,?)", -1, &q, NULL);
	sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(p, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, dossier, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, procedure, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 6, mac, 32, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, status, -1, SQLITE_STATIC);
	ok = sqlite3_step(p) == SQLITE_DONE && sqlite3_step(q) == SQLITE_DONE;
	sqlite3_finalize(p);
	sqlite3_finalize(q);
	catalog_unlock(rstore_catalog(r));
	return ok ? 0 : -1;
}

static int32_t day(const char *s)
{
	int32_t d = DUE_NONE;
	due_parse(&d, s);
	return d;
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

static void t_unclassified_policy(void)
{
	rstore *r = open_tmp();
	unsigned char mac[32] = { 1 };
	int64_t n = 0, nu = 0;
	char cls[32], sha[65];
	kho_err err;
	json_t *rep = NULL;

	REQUIRE(r != NULL);
	REQUIRE(add(r, "000.31.20.H55-250314-0001-KQ1", "2.000815", "certified-copy", mac, "valid") == 0);
	/* No schedule in force: refused by default, with the reason. */
	CHECK_EQ_INT(rstore_classify_record(r, "000.31.20.H55-250314-0001-KQ1",
	                                    RSTORE_UNCLASSIFIED_REFUSE, "t", &err), KHO_ENOTFOUND);
	CHECK(strstr(err.msg, "no retention schedule in force") != NULL);
	/* Kept unclassified when configured, and counted by the report. */
	CHECK_EQ_INT(rstore_classify_pending(r, RSTORE_UNCLASSIFIED_KEEP, "t", &n, &nu, &err), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(nu, 1);
	CHECK_EQ_INT(rstore_report(r, day("2026-01-01"), &rep, &err), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(rep, "unclassified")), 1);
	json_decref(rep);
	/* Publishing the first schedule classifies the record kept unclassified
	 * (issue 4 item 2: a version applies to every record). */
	REQUIRE(publish(r) == 0);
	CHECK_EQ_INT(rstore_report(r, day("2026-01-01"), &rep, &err), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(rep, "unclassified")), 0);
	json_decref(rep);
	{
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(catalog_db(rstore_catalog(r)), "SELECT class_code FROM ret_class"
		                   " WHERE result_code = '000.31.20.H55-250314-0001-KQ1'", -1, &st, NULL);
		CHECK(st != NULL && sqlite3_step(st) == SQLITE_ROW &&
		      sqlite3_column_text(st, 0) != NULL &&
		      strcmp((const char *)sqlite3_column_text(st, 0), "CT.01") == 0);
		sqlite3_finalize(st);
	}
	/* A result never classified (no ret_class row) counts as unclassified. */
	REQUIRE(add(r, "000.31.20.H55-250314-0009-KQ1", "2.000815", "certified-copy", mac, "valid") == 0);
	CHECK_EQ_INT(rstore_report(r, day("2026-01-01"), &rep, &err), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(rep, "unclassified")), 1);
	json_decref(rep);
	/* The check that the ingest path makes before storing. */
	CHECK_EQ_INT(rstore_check_class(r, "2.000815.000.00.00.H55", "certified-copy",
	                                day("2026-01-01"), cls, sizeof cls, sha, &err), 0);
	CHECK_STR(cls, "CT.01");
	CHECK_EQ_INT((int)strlen(sha), 64);
	CHECK_EQ_INT(rstore_check_class(r, NULL, NULL, day("2026-01-01"), cls, sizeof cls, sha, &err),
	             KHO_ENOTFOUND);
	CHECK_EQ_INT(rstore_check_class(r, "2.000815", "certified-copy", day("2024-01-01"), cls,
	                                sizeof cls, sha, &err), KHO_ENOTFOUND);
	rstore_close(r);
}

static void t_feb29_and_holds(void)
{
	rstore *r = open_tmp();
	unsigned char mac[32], other[32];
	const char *hkd = "000.31.20.H55-250314-0002-KQ1", *ct = "000.31.20.H55-250314-0003-KQ1";
	enum elig_outcome o;
	char why[512], id[32], target[80], hex[65];
	kho_err err;

	REQUIRE(r != NULL);
	memset(mac, 0xab, sizeof mac);
	memset(other, 0xcd, sizeof other);
	REQUIRE(publish(r) == 0);
	REQUIRE(add(r, hkd, "2.000720", "household-business-registration", mac, "revoked") == 0);
	REQUIRE(add(r, ct, "2.000815", "certified-copy", other, "expired") == 0);
	CHECK_EQ_INT(rstore_classify_record(r, hkd, RSTORE_UNCLASSIFIED_REFUSE, "t", &err), 0);
	CHECK_EQ_INT(rstore_classify_record(r, ct, RSTORE_UNCLASSIFIED_REFUSE, "t", &err), 0);
	CHECK_EQ_INT(rstore_classify_record(r, ct, RSTORE_UNCLASSIFIED_REFUSE, "t", &err), 0);
	/* HKD.01: 20 years from subject-ceased, no cut-off, anniversary. */
	CHECK_EQ_INT(rstore_add_event(r, hkd, "subject-ceased", day("2024-02-29"), NULL, "t", &err), 0);
	CHECK_EQ_INT(rstore_evaluate(r, hkd, day("2044-02-28"), &o, why, sizeof why, &err), 0);
	CHECK_EQ_INT(o, ELIG_PERIOD_NOT_ELAPSED);
	CHECK_EQ_INT(rstore_evaluate(r, hkd, day("2044-02-29"), &o, why, sizeof why, &err), 0);
	CHECK_EQ_INT(o, ELIG_REVIEW_DUE);
	/* A subject hold by HMAC holds only that subject's records. */
	snprintf(target, sizeof target, "mac:%s", kho_hex(hex, mac, 32));
	CHECK_EQ_INT(rstore_hold_place(r, "subject", target, "kiện", "TAND", "t", day("2044-01-01"),
	                               id, sizeof id, &err), 0);
	CHECK_EQ_INT(rstore_evaluate(r, hkd, day("2044-03-01"), &o, why, sizeof why, &err), 0);
	CHECK_EQ_INT(o, ELIG_HELD);
	CHECK_EQ_INT(rstore_add_event(r, ct, "dossier-closed", day("2025-05-05"), NULL, "t", &err), 0);
	CHECK_EQ_INT(rstore_evaluate(r, ct, day("2044-03-01"), &o, why, sizeof why, &err), 0);
	CHECK_EQ_INT(o, ELIG_ELIGIBLE_DESTROY);
	/* A subject hold holds the records where the subject is a further
	 * subject (result_subjects, the other spouse of a marriage) too; once
	 * released, the record is eligible again. */
	{
		unsigned char spouse[32];
		sqlite3_stmt *st = NULL;
		memset(spouse, 0xee, sizeof spouse);
		sqlite3_prepare_v2(catalog_db(rstore_catalog(r)), "INSERT INTO result_subjects("
		                   "subject_mac, result_code, subject_kind) VALUES(?, ?, 'citizen')",
		                   -1, &st, NULL);
		sqlite3_bind_blob(st, 1, spouse, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ct, -1, SQLITE_STATIC);
		CHECK(st != NULL && sqlite3_step(st) == SQLITE_DONE);
		sqlite3_finalize(st);
		snprintf(target, sizeof target, "mac:%s", kho_hex(hex, spouse, 32));
		CHECK_EQ_INT(rstore_hold_place(r, "subject", target, "kiện", "TAND", "t",
		                               day("2044-01-01"), id, sizeof id, &err), 0);
		CHECK_EQ_INT(rstore_evaluate(r, ct, day("2044-03-01"), &o, why, sizeof why, &err), 0);
		CHECK_EQ_INT(o, ELIG_HELD);
		CHECK_EQ_INT(rstore_hold_release(r, id, "xong", "t", day("2044-01-02"), &err), 0);
		CHECK_EQ_INT(rstore_evaluate(r, ct, day("2044-03-01"), &o, why, sizeof why, &err), 0);
		CHECK_EQ_INT(o, ELIG_ELIGIBLE_DESTROY);
	}
	/* A query hold on the class. */
	CHECK_EQ_INT(rstore_hold_place(r, "query", "class=CT.01;dossier-year=2025", "thanh tra",
	                               "Thanh tra", "t", day("2044-01-01"), id, sizeof id, &err), 0);
	CHECK_EQ_INT(rstore_evaluate(r, ct, day("2044-03-01"), &o, why, sizeof why, &err), 0);
	CHECK_EQ_INT(o, ELIG_HELD);
	CHECK_EQ_INT(rstore_hold_place(r, "shelf", "x", "r", "a", "t", 0, id, sizeof id, &err),
	             KHO_EINVAL);
	CHECK_EQ_INT(rstore_hold_place(r, "query", "colour=red", "r", "a", "t", 0, id, sizeof id,
	                               &err), KHO_EINVAL);
	CHECK_EQ_INT(rstore_hold_place(r, "query", "class=", "r", "a", "t", 0, id, sizeof id, &err),
	             KHO_EINVAL);
	/* Values that could match no record are refused, each saying why
	 * (found by review, 2026-12-08: accepted, they held nothing, and the
	 * records they named were destroyed). */
	{
		static const char *const bad[][2] = {
			{ "procedure=2.000815.000.00.00.H55;dossier-year=2025", "national procedure code" },
			{ "class=ct.01", "in no published schedule" },
			{ "class=XX.99", "in no published schedule" },
			{ "dossier-year=25", "four digits" },
			{ "dossier-year=1925", "2000 to 2099" },
			{ "class=CT.01;class=HT.01", "class is given more than once" },
			{ "type=certified-copy;type=birth-registration", "type is given more than once" },
			{ "agency=000.31.20.h55", "agency code" },
			{ "type=Certified", "result type" },
			{ "type=certified copy", "result type" },
		};
		for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
			CHECK_EQ_INT(rstore_hold_place(r, "query", bad[k][0], "r", "a", "t", 0, id, sizeof id,
			                               &err), KHO_EINVAL);
			CHECK(strstr(err.msg, bad[k][1]) != NULL);
		}
		CHECK_EQ_INT(rstore_hold_place(r, "query", "procedure=2.000815;agency=000.31.20.H55;"
		                               "type=certified-copy", "r", "a", "t", day("2044-01-01"),
		                               id, sizeof id, &err), 0);
	}
	CHECK_EQ_INT(rstore_add_event(r, ct, "external-event", day("2025-05-05"), NULL, "t", &err),
	             KHO_EINVAL);
	/* Review only on review classes. */
	CHECK_EQ_INT(rstore_review(r, ct, "destroy", 0, day("2044-03-01"), "1/QĐ", "t", &err),
	             KHO_EINVAL);
	CHECK_EQ_INT(rstore_review(r, hkd, "keep-years", 0, day("2044-03-01"), "1/QĐ", "t", &err),
	             KHO_EINVAL);
	/* A decision is recorded once made: not dated after today (found by
	 * review, 2026-12-08: one dated ahead made the record destroyable on
	 * its day, unreviewed). */
	CHECK_EQ_INT(rstore_review(r, hkd, "keep-years", 5, kho_local_day(kho_now()) + 1, "1/QĐ", "t",
	                           &err), KHO_EINVAL);
	CHECK(strstr(err.msg, "is after today") != NULL);
	CHECK_EQ_INT(rstore_review(r, hkd, "keep-years", 5, kho_local_day(kho_now()), "1/QĐ", "t",
	                           &err), 0);
	rstore_close(r);
}

static int count_of(rstore *r, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	catalog_lock(rstore_catalog(r));
	if (sqlite3_prepare_v2(catalog_db(rstore_catalog(r)), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	catalog_unlock(rstore_catalog(r));
	return n;
}

/* A destruction certificate's renewals (the daemon's fixity run adds an
 * archive timestamp before its evidence ends): each is a renewal of the
 * certificate's current package only, and the certificate served after is
 * the latest; a refused renewal stores nothing. The certificate rows are
 * written directly (the renewal never reads the certificate as executed). */
static void t_certificate_renewal(void)
{
	char mk[128], keys[128], orig[65], id1[65], id2[65], sha[65];
	unsigned char master[STORE_KEY_LEN], md[32];
	static const char doc1[] = "certificate, renewed once", doc2[] = "certificate, twice";
	store *stor = NULL;
	keystore *ks = NULL;
	rstore *r = NULL;
	kho_buf b;
	kho_err err;
	char *sql;

	REQUIRE(tmp_dir() == 0);
	snprintf(mk, sizeof mk, "%s/master.key", dir);
	snprintf(keys, sizeof keys, "%s.keys", dir);
	REQUIRE(store_open(&stor, dir, mk, 1, &err) == 0);
	REQUIRE(store_key_file(master, mk, &err) == 0);
	REQUIRE(keystore_open(&ks, keys, master, NULL, &err) == 0);
	keystore_free(ks);
	REQUIRE(rstore_open(&r, dir, keys, mk, &err) == 0);
	kho_sha256(md, "as executed", 11);
	kho_hex(orig, md, 32);
	kho_sha256(md, doc1, sizeof doc1 - 1);
	kho_hex(id1, md, 32);
	kho_sha256(md, doc2, sizeof doc2 - 1);
	kho_hex(id2, md, 32);
	sql = sqlite3_mprintf(
	    "INSERT INTO ret_batches(id, kind, state, proposed_by, proposed_on, hash,"
	    " certificate_sha256) VALUES(7, 'destroy', 'executed', 'a', 1, 'h', '%s');"
	    "INSERT INTO packages(id, result_code, agency, size, indication, sub, state, ingested_at,"
	    " ingested_by) VALUES('%s', 'destruction-certificate-batch-7', '000.31.20.H55', 11,"
	    " 'TOTAL-PASSED', '', 'current', 1740000000, 'cli');"
	    "INSERT INTO ret_certificates(batch, package_id, size, wrapped_key, stored_at, stored_by)"
	    " VALUES(7, '%s', 11, zeroblob(40), 1740000000, 'cli');", orig, orig, orig);
	catalog_lock(rstore_catalog(r));
	REQUIRE(sqlite3_exec(catalog_db(rstore_catalog(r)), sql, NULL, NULL, NULL) == SQLITE_OK);
	catalog_unlock(rstore_catalog(r));
	sqlite3_free(sql);

	/* Not the package of a certificate: refused, nothing stored. */
	CHECK_EQ_INT(rstore_certificate_renew(r, id2, doc1, sizeof doc1 - 1, "TOTAL-PASSED", "daemon",
	                                      &err), KHO_ECONFLICT);
	CHECK(!store_exists(stor, id1));
	/* The first renewal: stored, the certificate as executed "renewed". */
	CHECK_EQ_INT(rstore_certificate_renew(r, orig, doc1, sizeof doc1 - 1, "TOTAL-PASSED", "daemon",
	                                      &err), 0);
	CHECK(store_exists(stor, id1));
	CHECK_EQ_INT(count_of(r, "SELECT count(*) FROM packages WHERE state = 'renewed'"), 1);
	CHECK_EQ_INT(count_of(r, "SELECT count(*) FROM packages WHERE state = 'current' AND"
	                         " result_code = 'destruction-certificate-batch-7'"), 1);
	kho_buf_init(&b, 1 << 20);
	CHECK_EQ_INT(rstore_certificate_get(r, 7, &b, sha, &err), 0);
	CHECK(b.len == sizeof doc1 - 1 && memcmp(b.data, doc1, b.len) == 0);
	CHECK_STR(sha, id1);
	kho_buf_release(&b);
	/* The certificate as executed again (renewed meanwhile): refused, and
	 * the bytes it would have stored are not left behind. */
	CHECK_EQ_INT(rstore_certificate_renew(r, orig, doc2, sizeof doc2 - 1, "TOTAL-PASSED", "daemon",
	                                      &err), KHO_ECONFLICT);
	CHECK(!store_exists(stor, id2));
	/* The renewal renewed: the latest is served. */
	CHECK_EQ_INT(rstore_certificate_renew(r, id1, doc2, sizeof doc2 - 1, "TOTAL-PASSED", "daemon",
	                                      &err), 0);
	kho_buf_init(&b, 1 << 20);
	CHECK_EQ_INT(rstore_certificate_get(r, 7, &b, sha, &err), 0);
	CHECK_STR(sha, id2);
	kho_buf_release(&b);
	CHECK_EQ_INT(count_of(r, "SELECT count(*) FROM ret_certificate_renewals WHERE batch = 7"), 2);
	CHECK_EQ_INT(count_of(r, "SELECT count(*) FROM audit WHERE action = 'renew' AND"
	                         " object = 'batch-7'"), 2);
	/* Permanent: the renewals refuse edits. */
	catalog_lock(rstore_catalog(r));
	CHECK(sqlite3_exec(catalog_db(rstore_catalog(r)), "DELETE FROM ret_certificate_renewals",
	                   NULL, NULL, NULL) != SQLITE_OK);
	catalog_unlock(rstore_catalog(r));
	rstore_close(r);
	store_free(stor);
}

TESTS(T(t_unclassified_policy), T(t_feb29_and_holds), T(t_certificate_renewal))
