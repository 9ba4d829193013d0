/*
 * bench_fill.c DATA N: fill the catalog of DATA with N synthetic results
 * (one package row each, subjects 001000000000 + i) for the lookup
 * benchmark, in transactions of 50,000 rows. Keys are created as the daemon
 * would (DATA/keys), so the daemon's lookups find these subjects. The rows
 * have no store file: they exist only to make the catalog large.
 *
 * The rows look like what today's daemon writes: no wrapped key in the
 * package row (package keys live in the key store; there is no key file
 * here, so a lookup still asks the key store, as it does for a real
 * package, and reports the record as destroyed), and a verification key per
 * result made by ingest_issue_key, as an ingest makes it. Without those keys
 * a daemon started on this catalog would first issue a million of them (its
 * start-up migration for catalogs older than verification keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/catalog.h"
#include "archive/config.h"
#include "archive/ingest.h"
#include "common/util.h"

int main(int argc, char **argv)
{
	config cfg;
	ingest_ctx *ic = NULL;
	kho_err err;
	long n, i;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench_fill DATA N\n");
		return 2;
	}
	config_defaults(&cfg);
	if (ingest_open(&ic, &cfg, argv[1], 0, &err) != 0) {
		fprintf(stderr, "bench_fill: %s\n", err.msg);
		return 1;
	}
	catalog *c = ic->cat;
	catalog_lock(c);
	sqlite3_exec(catalog_db(c), "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	catalog_unlock(c);
	for (i = 0; i < n; i++) {
		unsigned char d[32], mac[32];
		char id[65], code[64], subj[32], num[32];
		sqlite3_stmt *p, *r;

		if (i % 50000 == 0 && catalog_begin(c, &err) != 0)
			goto fail;
		snprintf(num, sizeof num, "%ld", i);
		kho_sha256(d, num, strlen(num));
		kho_hex(id, d, 32);
		/* 10,000 dossiers a day from 2020-01-01: result codes stay unique */
		snprintf(code, sizeof code, "000.31.20.H55-%02ld%02ld%02ld-%04ld-KQ1",
		         20 + (i / 10000) / 336, 1 + ((i / 10000) % 336) / 28, 1 + (i / 10000) % 28,
		         i % 10000);
		snprintf(subj, sizeof subj, "001%09ld", i);
		ingest_subject_mac(ic, subj, mac);
		catalog_lock(c);
		p = catalog_stmt(c, "INSERT INTO packages(id, result_code, agency, size, wrapped_key,"
		                    " indication, sub, ingested_at, ingested_by, last_check, last_check_at)"
		                    " VALUES(?,?,'000.31.20.H55',100000,NULL,'TOTAL-PASSED','',1735689600,"
		                    "'bench','TOTAL-PASSED',1735689600)", &err);
		r = catalog_stmt(c, "INSERT INTO results(result_code, package_id, dossier_code, procedure,"
		                    " agency, result_type, number_symbol, subject_kind, subject_mac, title,"
		                    " issue_date, valid_from, status) VALUES(?,?,substr(?,1,25),'2.000815',"
		                    "'000.31.20.H55','certified-copy','1/2025/SCT','citizen',?,"
		                    "'Bản sao chứng thực','2025-01-01','2025-01-01','valid')", &err);
		if (p == NULL || r == NULL) {
			catalog_unlock(c);
			goto fail;
		}
		sqlite3_bind_text(p, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(p, 2, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 1, code, -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(r, 3, code, -1, SQLITE_STATIC);
		sqlite3_bind_blob(r, 4, mac, 32, SQLITE_STATIC);
		if (sqlite3_step(p) != SQLITE_DONE || sqlite3_step(r) != SQLITE_DONE) {
			fprintf(stderr, "bench_fill: %s\n", sqlite3_errmsg(catalog_db(c)));
			catalog_unlock(c);
			goto fail_quiet;
		}
		sqlite3_reset(p);
		sqlite3_reset(r);
		catalog_unlock(c);
		/* The verification key, in the same transaction (it takes the lock). */
		if (ingest_issue_key(ic, code, NULL, &err) != 0)
			goto fail;
		if ((i % 50000 == 49999 || i == n - 1) && catalog_commit(c, &err) != 0)
			goto fail;
	}
	catalog_lock(c);
	sqlite3_exec(catalog_db(c), "PRAGMA synchronous=FULL; PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	             NULL, NULL);
	catalog_unlock(c);
	ingest_close(ic);
	printf("filled %ld results\n", n);
	return 0;
fail:
	fprintf(stderr, "bench_fill: %s\n", err.msg);
fail_quiet:
	ingest_close(ic);
	return 1;
}
