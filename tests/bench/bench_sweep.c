/*
 * bench_sweep.c: issue 4 deliverable 12. Fills a fresh data directory with
 * N records (default 1,000,000) classified under the test schedule, each
 * with a dossier-closed event, a few under holds, then measures in the same
 * run:
 *   scan   SQLite stepping through exactly the rows the sweep reads (the
 *          record join, the events, the reviews), every column fetched;
 *   sweep  rstore_sweep (dry run: no audit write) evaluating every record.
 * Prints "scan_seconds= sweep_seconds= ratio=" and exits 0 when
 * sweep <= 3 x scan.
 *
 * Usage: bench_sweep SCHEDULE.xml [N] [DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/util.h"
#include "retention/rstore.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fill(rstore *r, const char *sha, long n)
{
	sqlite3 *db = catalog_db(rstore_catalog(r));
	sqlite3_stmt *p = NULL, *res = NULL, *c = NULL, *e = NULL;
	static const char *types[][3] = {
		{ "2.000815", "certified-copy", "CT.01" },
		{ "1.001193", "birth-registration", "HT.01" },
		{ "2.000488", "judicial-record-certificate", "LLTP.01" },
		{ "2.000815", "refusal", "GEN.01" },
	};
	unsigned char mac[32];
	char id[65], code[112], dossier[96];
	long i;
	int rc = 0;

	memset(mac, 7, sizeof mac);
	catalog_lock(rstore_catalog(r));
	sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT INTO packages(id, result_code, agency, size, indication,"
	                           " sub, ingested_at, ingested_by) VALUES(?,?,?,1000,'TOTAL-PASSED',"
	                           "'',?, 'bench')", -1, &p, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO results(result_code, package_id, dossier_code,"
	                           " procedure, agency, result_type, subject_kind, subject_mac,"
	                           " status, valid_until) VALUES(?,?,?,?,?,?,'citizen',?,?,?)", -1,
	                       &res, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO ret_class(result_code, class_code, schedule_sha256,"
	                           " how, classified_at) VALUES(?,?,?,'procedure',0)", -1, &c,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO ret_events(result_code, kind, day, at, actor)"
	                           " VALUES(?, 'dossier-closed', ?, 0, 'bench')", -1, &e,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
		rc = 1;
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		int t = (int)(i % 4);
		int32_t day = 16000 + (int32_t)(i % 3000);
		snprintf(id, sizeof id, "%064lx", i);
		snprintf(dossier, sizeof dossier, "000.31.20.H55-250314-%04ld%04ld", i / 10000,
		         i % 10000);
		snprintf(code, sizeof code, "%s-KQ1", dossier);
		sqlite3_reset(p);
		sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 3, "000.31.20.H55", -1, SQLITE_STATIC);
		sqlite3_bind_int64(p, 4, 1700000000 + i);
		sqlite3_reset(res);
		sqlite3_bind_text(res, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(res, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(res, 3, dossier, -1, SQLITE_STATIC);
		sqlite3_bind_text(res, 4, types[t][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(res, 5, "000.31.20.H55", -1, SQLITE_STATIC);
		sqlite3_bind_text(res, 6, types[t][1], -1, SQLITE_STATIC);
		sqlite3_bind_blob(res, 7, mac, 32, SQLITE_STATIC);
		sqlite3_bind_text(res, 8, i % 5 == 0 ? "valid" : "expired", -1, SQLITE_STATIC);
		sqlite3_bind_text(res, 9, "2020-12-31", -1, SQLITE_STATIC);
		sqlite3_reset(c);
		sqlite3_bind_text(c, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 2, types[t][2], -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 3, sha, -1, SQLITE_STATIC);
		sqlite3_reset(e);
		sqlite3_bind_text(e, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(e, 2, day);
		if (sqlite3_step(p) != SQLITE_DONE || sqlite3_step(res) != SQLITE_DONE ||
		    sqlite3_step(c) != SQLITE_DONE || sqlite3_step(e) != SQLITE_DONE) {
			fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
			rc = 1;
		}
	}
	sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(p);
	sqlite3_finalize(res);
	sqlite3_finalize(c);
	sqlite3_finalize(e);
	catalog_unlock(rstore_catalog(r));
	return rc;
}

/* scan: the same three ordered reads the sweep makes, every column fetched. */
static long scan(rstore *r)
{
	static const char *q[] = {
		"SELECT c.result_code, c.class_code, c.schedule_sha256, r.procedure, r.result_type,"
		" r.agency, r.dossier_code, r.package_id, r.subject_mac, r.status, r.status_at,"
		" r.valid_until, p.ingested_at FROM ret_class c JOIN results r ON r.result_code ="
		" c.result_code JOIN packages p ON p.id = r.package_id WHERE c.state = 'current' AND"
		" c.class_code IS NOT NULL ORDER BY c.result_code",
		"SELECT result_code, kind, day, name FROM ret_events ORDER BY result_code, day, id",
		"SELECT result_code, decision, years, day, ref FROM ret_reviews"
		" ORDER BY result_code, day, id",
	};
	sqlite3 *db = catalog_db(rstore_catalog(r));
	long rows = 0, sum = 0;
	size_t k;

	catalog_lock(rstore_catalog(r));
	for (k = 0; k < 3; k++) {
		sqlite3_stmt *st = NULL;
		int i, nc;
		if (sqlite3_prepare_v2(db, q[k], -1, &st, NULL) != SQLITE_OK)
			continue;
		nc = sqlite3_column_count(st);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (i = 0; i < nc; i++)
				sum += sqlite3_column_bytes(st, i);
			rows++;
		}
		sqlite3_finalize(st);
	}
	catalog_unlock(rstore_catalog(r));
	return rows + (sum & 1);
}

int main(int argc, char **argv)
{
	const char *sched = argc > 1 ? argv[1] : NULL;
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	char dir[256], sha[65];
	rstore_sweep_stats st;
	double t0, t_scan, t_sweep, ratio;
	kho_err err = { 0, "" };
	json_t *rep = NULL;
	kho_buf b;
	rstore *r = NULL;
	int32_t on;
	char hid[32];

	if (sched == NULL || n < 1) {
		fprintf(stderr, "usage: bench_sweep SCHEDULE.xml [N] [DIR]\n");
		return 2;
	}
	if (argc > 3)
		snprintf(dir, sizeof dir, "%s", argv[3]);
	else
		snprintf(dir, sizeof dir, "/tmp/kho-bench-sweep.%ld", (long)getpid());
	kho_buf_init(&b, SCHEDULE_MAX_SIZE);
	due_parse(&on, "2026-01-01");
	if (rstore_open(&r, dir, NULL, NULL, &err) != 0 || kho_read_file(&b, sched, &err) != 0 ||
	    rstore_publish(r, b.data, b.len, "bench", on, 0, &rep, &err) != 0) {
		fprintf(stderr, "bench_sweep: %s\n", err.msg);
		return 1;
	}
	snprintf(sha, sizeof sha, "%s", json_string_value(json_object_get(rep, "sha256")));
	json_decref(rep);
	kho_buf_free(&b);
	t0 = now_s();
	if (fill(r, sha, n) != 0)
		return 1;
	printf("fill_seconds=%.2f records=%ld\n", now_s() - t0, n);
	/* A few holds of each scope, as a daemon would have. */
	rstore_hold_place(r, "procedure", "2.000488", "bench", "bench", "bench", on, hid, sizeof hid,
	                  &err);
	rstore_hold_place(r, "query", "class=GEN.01;dossier-year=2025", "bench", "bench", "bench", on,
	                  hid, sizeof hid, &err);
	rstore_hold_place(r, "record", "000.31.20.H55-250314-00000007-KQ1", "bench", "bench",
	                  "bench", on, hid, sizeof hid, &err);
	scan(r); /* warm the page cache for both measurements alike */
	t0 = now_s();
	scan(r);
	t_scan = now_s() - t0;
	t0 = now_s();
	if (rstore_sweep(r, on, 1, "bench", NULL, &st, &err) != 0) {
		fprintf(stderr, "bench_sweep: %s\n", err.msg);
		return 1;
	}
	t_sweep = now_s() - t0;
	ratio = t_sweep / (t_scan > 0 ? t_scan : 1e-9);
	printf("swept=%lld eligible_destroy=%lld held=%lld still_valid=%lld permanent=%lld\n",
	       (long long)st.records, (long long)st.by_outcome[ELIG_ELIGIBLE_DESTROY],
	       (long long)st.by_outcome[ELIG_HELD], (long long)st.by_outcome[ELIG_STILL_VALID],
	       (long long)st.by_outcome[ELIG_PERMANENT]);
	printf("scan_seconds=%.3f sweep_seconds=%.3f ratio=%.2f target<=3.00 %s\n", t_scan, t_sweep,
	       ratio, ratio <= 3.0 ? "MET" : "MISSED");
	rstore_close(r);
	return st.records == n && ratio <= 3.0 ? 0 : 1;
}
