/*
 * test_catalog_lookup_text.c: the lookup answer written as text
 * (catalog_lookup_write, docs/daemon-benchmarks.md) is byte for byte what
 * json_dumps(JSON_COMPACT) writes for catalog_lookup_read's tree: texts
 * that need escapes, non-ASCII, empty and NULL columns, dates, destroyed
 * packages, several results of one subject in their order, filters; the
 * hooks add where the daemon's tombstone and custody parts go; a text that
 * is not valid UTF-8 is refused with KHO_EFORMAT (the daemon then falls
 * back to the tree).
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

	snprintf(path, sizeof path, "/tmp/kho-test-catlt-%d.db", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
	if (system(cmd) != 0)
		abort();
}

static const unsigned char mac1[32] = { 1, 2, 3 };
static const unsigned char mac2[32] = { 9, 9, 9 };

/* One package and result row; title and the columns after it as given. */
static int add(catalog *c, int i, const unsigned char *mac, const char *issue, const char *title,
               const char *type, int keyed)
{
	sqlite3 *db = catalog_db(c);
	sqlite3_stmt *p = NULL, *r = NULL;
	char id[65], code[64];
	int ok;

	snprintf(id, sizeof id, "%064d", i);
	snprintf(code, sizeof code, "000.00.20.H30-250314-%04d-KQ1", i);
	ok = sqlite3_prepare_v2(db, "INSERT INTO packages(id, result_code, agency, size,"
	                            " wrapped_key, indication, sub, ingested_at, ingested_by,"
	                            " last_check, last_check_at) VALUES(?1, ?2, '000.00.20.H30',"
	                            " 1, ?3, 'TOTAL-PASSED', ?4, 1741939200, 't', ?5, ?6)", -1, &p,
	                        NULL) == SQLITE_OK &&
	     sqlite3_prepare_v2(db, "INSERT INTO results(result_code, package_id, dossier_code,"
	                            " procedure, procedure_provincial, agency, result_type,"
	                            " number_symbol, subject_kind, subject_mac, title, issue_date,"
	                            " valid_from, valid_until, status, status_ref, status_at)"
	                            " VALUES(?1, ?2, substr(?1, 1, 25), '2.000815', ?3,"
	                            " '000.00.20.H30', ?4, ?5, 'citizen', ?6, ?7, ?8, ?9, ?10,"
	                            " ?11, ?12, ?13)", -1, &r, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, code, -1, SQLITE_STATIC);
		if (keyed)
			sqlite3_bind_blob(p, 3, "0123456789abcdef01234567", 24, SQLITE_STATIC);
		sqlite3_bind_text(p, 4, i % 2 ? "" : "SIG_CRYPTO_FAILURE", -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 5, i % 3 ? "" : "INDETERMINATE", -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 6, i % 3 ? 0 : 1741939200 + i);
		sqlite3_bind_text(r, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 2, id, -1, SQLITE_STATIC);
		if (i % 2)
			sqlite3_bind_text(r, 3, "1.00\"4\\5", -1, SQLITE_STATIC);
		if (type != NULL)
			sqlite3_bind_text(r, 4, type, -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 5, i % 2 ? "12/2025/SCT" : "", -1, SQLITE_STATIC);
		sqlite3_bind_blob(r, 6, mac, 32, SQLITE_STATIC);
		if (title != NULL)
			sqlite3_bind_text(r, 7, title, -1, SQLITE_STATIC);
		if (issue != NULL)
			sqlite3_bind_text(r, 8, issue, -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 9, "2025-01-01", -1, SQLITE_STATIC);
		if (i % 4 == 1)
			sqlite3_bind_text(r, 10, "2025-05-01", -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 11, i % 5 == 2 ? "revoked" : "valid", -1, SQLITE_STATIC);
		if (i % 5 == 2) {
			sqlite3_bind_text(r, 12, "QĐ 7/\x7f", -1, SQLITE_STATIC);
			sqlite3_bind_int64(r, 13, 1741939300);
		}
		ok = sqlite3_step(p) == SQLITE_DONE && sqlite3_step(r) == SQLITE_DONE;
	}
	sqlite3_finalize(p);
	sqlite3_finalize(r);
	return ok ? 0 : -1;
}

/* Both writers on q; 1 if their bytes are equal (printed if not). */
static int same(catalog *c, const catalog_query *q)
{
	catalog_lookup_event e1, e2;
	json_t *j = NULL;
	kho_buf b;
	char *t;
	int eq;

	kho_buf_init(&b, 1 << 20);
	if (catalog_lookup_read(c, q, "t", "000.00.20.H30", &j, &e1, NULL) != 0 ||
	    catalog_lookup_write(c, q, "t", "000.00.20.H30", NULL, &b, &e2, NULL) != 0) {
		json_decref(j);
		kho_buf_release(&b);
		return 0;
	}
	t = json_dumps(j, JSON_COMPACT);
	eq = t != NULL && b.data != NULL && strcmp(t, (const char *)b.data) == 0 &&
	     e1.found == e2.found && e1.reusable == e2.reusable &&
	     strcmp(e1.procedure, e2.procedure) == 0 && strcmp(e1.purpose, e2.purpose) == 0 &&
	     strcmp(e1.subject_mac_prefix, e2.subject_mac_prefix) == 0;
	if (!eq)
		fprintf(stderr, "tree: %s\ntext: %s\n", t ? t : "(null)",
		        b.data ? (char *)b.data : "");
	free(t);
	json_decref(j);
	kho_buf_release(&b);
	return eq;
}

static void t_text_is_the_tree(void)
{
	static const char *const titles[] = {
		"Bản sao chứng thực", "quote \" back \\ slash / tab\t nl\n cr\r bs\b ff\f",
		"ctl \x01\x1f del \x7f", "U+2028 \xe2\x80\xa8 emoji \xf0\x9f\x93\x84", "", NULL
	};
	catalog *c = NULL;
	catalog_query q;
	int i;

	wipe();
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	/* Six results of one subject: three share an issue date (their order
	 * is by result code), one has none; one without its key. */
	for (i = 0; i < 6; i++)
		REQUIRE(add(c, i + 1, mac1, i < 3 ? "2025-03-14" : i == 5 ? NULL : "2025-02-0" "1",
		            titles[i], i == 4 ? NULL : "certified-copy", i != 3) == 0);
	REQUIRE(add(c, 20, mac2, "2025-03-14", "other subject", "licence", 1) == 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac1, 32);
	q.purpose = "000.00.20.H30-250601-0001";
	q.valid_on = "2025-06-01";
	CHECK(same(c, &q));
	q.valid_on = "2024-12-01";   /* not yet valid */
	CHECK(same(c, &q));
	q.type = "certified-copy";
	CHECK(same(c, &q));
	q.type = NULL;
	q.procedure = "2.000815";
	q.agency = "000.00.20.H30";
	CHECK(same(c, &q));
	memcpy(q.subject_mac, mac2, 32);
	CHECK(same(c, &q));
	q.subject_mac[0] = 0x55;   /* nobody */
	CHECK(same(c, &q));
	catalog_close(c);
	wipe();
}

static int h_entry(void *arg, const char *code, kho_buf *out, kho_err *err)
{
	(void)arg;
	(void)err;
	return kho_buf_appendf(out, ",\"custody\":{\"of\":\"%s\"}", code) ? -1 : 0;
}

static int h_more(void *arg, kho_buf *out, int had, kho_err *err)
{
	(void)arg;
	(void)err;
	return kho_buf_appendf(out, "%s{\"status\":\"destroyed\"}", had ? "," : "") ? -1 : 1;
}

static int h_tail(void *arg, kho_buf *out, kho_err *err)
{
	(void)arg;
	(void)err;
	return kho_buf_appendf(out, ",\"destroyed\":1") ? -1 : 0;
}

static void t_hooks_and_bad_utf8(void)
{
	catalog_lookup_hooks h = { h_entry, h_more, h_tail, NULL };
	catalog_lookup_event ev;
	catalog *c = NULL;
	catalog_query q;
	json_t *j;
	kho_buf b;

	wipe();
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	REQUIRE(add(c, 1, mac1, "2025-03-14", "a", "certified-copy", 1) == 0);
	REQUIRE(add(c, 2, mac1, "2025-03-14", "b", "certified-copy", 0) == 0);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac1, 32);
	q.purpose = "000.00.20.H30-250601-0001";
	kho_buf_init(&b, 1 << 20);
	REQUIRE(catalog_lookup_write(c, &q, "t", "000.00.20.H30", &h, &b, &ev, NULL) == 0);
	j = json_loads((const char *)b.data, 0, NULL);
	REQUIRE(j != NULL);
	/* custody only on the entry that still has its key */
	CHECK_STR(json_string_value(json_object_get(json_object_get(
		json_array_get(json_object_get(j, "results"), 0), "custody"), "of")),
		"000.00.20.H30-250314-0001-KQ1");
	CHECK(json_object_get(json_array_get(json_object_get(j, "results"), 1), "custody") == NULL);
	CHECK_EQ_INT(json_array_size(json_object_get(j, "results")), 3);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "found")), 2);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "destroyed")), 1);
	CHECK(ev.at != 0);
	CHECK_EQ_INT(ev.found, 2);
	json_decref(j);
	/* not valid UTF-8: refused, the event still filled */
	REQUIRE(sqlite3_exec(catalog_db(c), "UPDATE results SET title = CAST(x'41ff42' AS TEXT)"
	                     " WHERE package_id LIKE '%2'", NULL, NULL, NULL) == SQLITE_OK);
	kho_buf_reset(&b);
	CHECK_EQ_INT(catalog_lookup_write(c, &q, "t", "000.00.20.H30", NULL, &b, &ev, NULL),
	             KHO_EFORMAT);
	CHECK(ev.at != 0);
	kho_buf_release(&b);
	catalog_close(c);
	wipe();
}

/* At most CATALOG_LOOKUP_MAX results: the newest, and among equal dates
 * the lowest codes (ORDER BY issue_date DESC, result_code, as with the
 * LIMIT the statement had before). */
static void t_at_most_max(void)
{
	catalog *c = NULL;
	catalog_query q;
	json_t *j = NULL, *a;
	int i;

	wipe();
	REQUIRE(catalog_open(&c, path, NULL) == 0);
	REQUIRE(sqlite3_exec(catalog_db(c), "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
	for (i = 1; i <= CATALOG_LOOKUP_MAX + 5; i++)
		REQUIRE(add(c, i, mac1, i == 7 ? "2025-04-01" : "2025-03-14", "t", "licence",
		            1) == 0);
	REQUIRE(sqlite3_exec(catalog_db(c), "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	memset(&q, 0, sizeof q);
	memcpy(q.subject_mac, mac1, 32);
	q.purpose = "000.00.20.H30-250601-0001";
	CHECK(same(c, &q));
	REQUIRE(catalog_lookup(c, &q, "t", "000.00.20.H30", &j, NULL) == 0);
	a = json_object_get(j, "results");
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "found")), CATALOG_LOOKUP_MAX);
	CHECK_EQ_INT(json_array_size(a), CATALOG_LOOKUP_MAX);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "result_code")),
	          "000.00.20.H30-250314-0007-KQ1");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 1), "result_code")),
	          "000.00.20.H30-250314-0001-KQ1");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, CATALOG_LOOKUP_MAX - 1),
	                                            "result_code")),
	          "000.00.20.H30-250314-0200-KQ1");
	json_decref(j);
	catalog_close(c);
	wipe();
}

TESTS(T(t_text_is_the_tree), T(t_hooks_and_bad_utf8), T(t_at_most_max))
