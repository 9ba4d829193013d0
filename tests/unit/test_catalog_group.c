/*
 * test_catalog_group.c: the group commit of ingests (catalog_ingest_full,
 * docs/daemon-benchmarks.md): ingests that wait while another group is being
 * committed share one transaction and one commit; a conflict inside a group
 * undoes only that ingest; every call returns only once its group is
 * committed; the group's hooks (catalog_set_group_sync: once per group
 * before its transaction, its failure fails the group; catalog_set_after_ingest:
 * in the transaction, its failure undoes only its own rows and leaves an
 * alert); and the start-up migration's keyset query
 * (catalog_results_without_key_after) pages through the results.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/audit.h"
#include "archive/catalog.h"
#include "tests/unit/test.h"

static char path[256];

static void wipe(void)
{
	char cmd[1024];

	snprintf(path, sizeof path, "/tmp/kho-test-catgroup-%d.db", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
	if (system(cmd) != 0)
		abort();
}

/* One ingest on its own thread. */
struct job {
	catalog *c;
	int n;               /* package id digit and dossier number */
	const char *code;    /* result code (two jobs may share one: a conflict) */
	int rc;
	int committed_seen;  /* commits counted when the call returned */
	pthread_t th;
};

static int commits;      /* counted by the commit hook (under the catalog lock) */

static int on_commit(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&commits, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	static const unsigned char mac[32] = { 9, 9, 9 };
	char dossier[64];
	catalog_package p;
	record r;

	memset(&p, 0, sizeof p);
	snprintf(p.id, sizeof p.id, "%064x", j->n);
	p.size = 10;
	strcpy(p.indication, "TOTAL-PASSED");
	p.ingested_at = 1741939200;
	snprintf(dossier, sizeof dossier, "000.00.20.H30-250314-%04d", j->n);
	memset(&r, 0, sizeof r);
	r.result_code = (char *)j->code;
	r.dossier_code = dossier;
	r.procedure_national = (char *)"2.000815";
	r.agency_code = (char *)"000.00.20.H30";
	r.result_type = (char *)"certified-copy";
	r.subject_kind = (char *)"citizen";
	r.issue_date = (char *)"2025-03-14";
	j->rc = catalog_ingest(j->c, &p, &r, mac, "t", NULL, NULL);
	j->committed_seen = __atomic_load_n(&commits, __ATOMIC_SEQ_CST);
	return NULL;
}

static long count(catalog *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_prepare_v2(catalog_db(c), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * While the catalog lock is held (a commit in progress), nine ingests queue;
 * the first takes the lead alone, the other eight must then be committed
 * together: two commits in all, not nine. Two of the eight claim the same
 * result code: one is stored, the other is a conflict, and the rest of its
 * group is stored all the same.
 */
static void t_group_shares_one_commit(void)
{
	static char codes[9][64];
	struct job jobs[9];
	catalog *c = NULL;
	audit_check ac;
	kho_err err;
	int i, ok = 0, conflict = 0;

	wipe();
	REQUIRE(catalog_open(&c, path, &err) == 0);
	sqlite3_commit_hook(catalog_db(c), on_commit, NULL);
	commits = 0;
	for (i = 0; i < 9; i++) {
		snprintf(codes[i], sizeof codes[i], "000.00.20.H30-250314-%04d-KQ1", i == 8 ? 7 : i);
		jobs[i].c = c;
		jobs[i].n = i + 1;
		jobs[i].code = codes[i];
		jobs[i].rc = 99;
	}
	catalog_lock(c);
	REQUIRE(pthread_create(&jobs[0].th, NULL, run_job, &jobs[0]) == 0);
	usleep(200000);          /* job 0 leads and waits for the lock */
	for (i = 1; i < 9; i++)
		REQUIRE(pthread_create(&jobs[i].th, NULL, run_job, &jobs[i]) == 0);
	usleep(300000);          /* jobs 1..8 queue behind it */
	CHECK_EQ_INT(commits, 0);
	catalog_unlock(c);
	for (i = 0; i < 9; i++)
		pthread_join(jobs[i].th, NULL);
	for (i = 0; i < 9; i++) {
		if (jobs[i].rc == 0)
			ok++;
		else if (jobs[i].rc == KHO_ECONFLICT)
			conflict++;
		/* returned only after a commit that includes it */
		CHECK(jobs[i].committed_seen >= 1);
	}
	CHECK_EQ_INT(ok, 8);
	CHECK_EQ_INT(conflict, 1);
	CHECK_EQ_INT(commits, 2);
	CHECK_EQ_INT(jobs[0].rc, 0);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM packages"), 8);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM results"), 8);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM audit WHERE action = 'ingest'"), 8);
	memset(&ac, 0, sizeof ac);
	CHECK_EQ_INT(audit_verify(c, &ac, &err), 0);
	CHECK_EQ_INT(ac.first_bad, 0);
	catalog_close(c);
	wipe();
}

/* Many concurrent ingests, no lock games: all stored, chain intact. */
static void t_group_many(void)
{
	static char codes[32][64];
	struct job jobs[32];
	catalog *c = NULL;
	audit_check ac;
	kho_err err;
	int i, ok = 0;

	wipe();
	REQUIRE(catalog_open(&c, path, &err) == 0);
	for (i = 0; i < 32; i++) {
		snprintf(codes[i], sizeof codes[i], "000.00.20.H30-250315-%04d-KQ1", i);
		jobs[i].c = c;
		jobs[i].n = 100 + i;
		jobs[i].code = codes[i];
		jobs[i].rc = 99;
		REQUIRE(pthread_create(&jobs[i].th, NULL, run_job, &jobs[i]) == 0);
	}
	for (i = 0; i < 32; i++) {
		pthread_join(jobs[i].th, NULL);
		ok += jobs[i].rc == 0;
	}
	CHECK_EQ_INT(ok, 32);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM results"), 32);
	memset(&ac, 0, sizeof ac);
	CHECK_EQ_INT(audit_verify(c, &ac, &err), 0);
	CHECK_EQ_INT(ac.events, count(c, "SELECT count(*) FROM audit"));
	CHECK_EQ_INT(ac.first_bad, 0);
	catalog_close(c);
	wipe();
}

/* The hooks: sync before each group's transaction; after in it. */
static int syncs, sync_fail, after_fail;

static int on_sync(void *arg, kho_err *err)
{
	(void)arg;
	__atomic_add_fetch(&syncs, 1, __ATOMIC_SEQ_CST);
	/* the sync runs before the group's transaction: nothing committed yet */
	if (sync_fail)
		return kho_err_set(err, KHO_EIO, "sync failed (test)");
	return 0;
}

static int on_after(void *arg, catalog *c, const char *code, const char *actor, kho_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	(void)arg;
	/* a row written on the caller's connection, in its transaction */
	if (sqlite3_prepare_v2(catalog_db(c), "INSERT INTO after_rows(code, actor) VALUES(?, ?)", -1,
	                       &st, NULL) != SQLITE_OK)
		return kho_err_set(err, KHO_EIO, "prepare");
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : KHO_EIO;
	sqlite3_finalize(st);
	if (rc == 0 && after_fail)
		rc = kho_err_set(err, KHO_ENOTFOUND, "no class (test)");
	return rc;
}

static void t_group_hooks(void)
{
	static char codes[3][64];
	struct job jobs[3];
	catalog *c = NULL;
	audit_check ac;
	kho_err err;
	int i;

	wipe();
	REQUIRE(catalog_open(&c, path, &err) == 0);
	REQUIRE(sqlite3_exec(catalog_db(c), "CREATE TABLE after_rows(code TEXT, actor TEXT)", NULL,
	                     NULL, NULL) == SQLITE_OK);
	catalog_set_group_sync(c, on_sync, NULL);
	catalog_set_after_ingest(c, on_after, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(codes[i], sizeof codes[i], "000.00.20.H30-250317-%04d-KQ1", i);
		jobs[i].c = c;
		jobs[i].n = 300 + i;
		jobs[i].code = codes[i];
	}
	syncs = sync_fail = after_fail = 0;
	run_job(&jobs[0]);
	CHECK_EQ_INT(jobs[0].rc, 0);
	CHECK_EQ_INT(syncs, 1);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM after_rows WHERE actor = 't'"), 1);
	/* the sync fails: the group fails, nothing of it is stored */
	sync_fail = 1;
	run_job(&jobs[1]);
	CHECK_EQ_INT(jobs[1].rc, KHO_EIO);
	CHECK_EQ_INT(syncs, 2);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM packages"), 1);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM after_rows"), 1);
	/* the after hook fails: its row undone, the ingest stands, an alert says why */
	sync_fail = 0;
	after_fail = 1;
	run_job(&jobs[2]);
	CHECK_EQ_INT(jobs[2].rc, 0);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM packages"), 2);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM after_rows"), 1);
	CHECK_EQ_INT(count(c, "SELECT count(*) FROM audit WHERE action = 'alert'"
	                      " AND detail = 'no class (test)'"), 1);
	memset(&ac, 0, sizeof ac);
	CHECK_EQ_INT(audit_verify(c, &ac, &err), 0);
	CHECK_EQ_INT(ac.first_bad, 0);
	catalog_close(c);
	wipe();
}

/* The migration's pages: each starts after the last code of the previous one. */
static void t_without_key_after(void)
{
	static char codes[5][64];
	char (*got)[CATALOG_CODE_MAX] = calloc(4, CATALOG_CODE_MAX);
	struct job jobs[5];
	catalog *c = NULL;
	kho_err err;
	size_t n = 0;
	int i;

	REQUIRE(got != NULL);
	wipe();
	REQUIRE(catalog_open(&c, path, &err) == 0);
	for (i = 0; i < 5; i++) {
		snprintf(codes[i], sizeof codes[i], "000.00.20.H30-250316-%04d-KQ1", i);
		jobs[i].c = c;
		jobs[i].n = 200 + i;
		jobs[i].code = codes[i];
		run_job(&jobs[i]);
		CHECK_EQ_INT(jobs[i].rc, 0);
	}
	/* catalog_ingest (no verification data) gives no key: all five lack one */
	CHECK_EQ_INT(catalog_results_without_key_after(c, "", got, 2, &n, &err), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_STR(got[0], codes[0]);
	CHECK_STR(got[1], codes[1]);
	CHECK_EQ_INT(catalog_results_without_key_after(c, codes[1], got, 2, &n, &err), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_STR(got[0], codes[2]);
	CHECK_STR(got[1], codes[3]);
	CHECK_EQ_INT(catalog_results_without_key_after(c, codes[3], got, 2, &n, &err), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_STR(got[0], codes[4]);
	CHECK_EQ_INT(catalog_results_without_key_after(c, codes[4], got, 2, &n, &err), 0);
	CHECK_EQ_INT(n, 0);
	free(got);
	catalog_close(c);
	wipe();
}

TESTS(T(t_group_shares_one_commit), T(t_group_many), T(t_group_hooks), T(t_without_key_after))
