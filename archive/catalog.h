/*
 * catalog.h: the archive's SQLite catalog (DIR/catalog.db).
 *
 * WAL journal, synchronous=FULL (a commit is on disk when it returns: the
 * ingest contract acknowledges only after the commit), foreign keys on, SQL
 * only through prepared statements with bound parameters (cached per
 * connection). One connection per catalog object, serialised by a mutex, so
 * a catalog may be shared by the daemon's threads.
 *
 * Tables: packages (one row per stored file: id = SHA-256 of the bytes, the
 * wrapped package key, the verification result at ingest and at the last
 * check), results (one row per result code: the current package, the record
 * metadata needed for lookup, the validity status; the personal number only
 * as HMAC-SHA256 under the server secret), reuse (one row per lookup, its
 * purpose and whether a reusable result was found), tokens (token.h) and
 * audit (audit.h).
 *
 * Functions that read return JSON (jansson) where the daemon serves it, so
 * that the catalog is the one place that knows the columns.
 */
#ifndef KHO_CATALOG_H
#define KHO_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "archive/keystore.h"
#include "archive/record.h"
#include "common/buf.h"
#include "common/err.h"

#define CATALOG_CODE_MAX 96      /* result codes and other codes, with NUL */
#define CATALOG_NAME_MAX 128     /* actor names, indications */
#define CATALOG_LOOKUP_MAX 200   /* results returned by one lookup */

typedef struct catalog catalog;

/* One stored package file. */
typedef struct catalog_package {
	char id[65];                          /* SHA-256 hex of the package bytes */
	char result_code[CATALOG_CODE_MAX];
	char agency[CATALOG_CODE_MAX];
	uint64_t size;
	unsigned char wrapped_key[40];        /* store.h STORE_WRAPPED_LEN */
	int has_key;                          /* 0 once the key was destroyed */
	char indication[32];                  /* at ingest: "TOTAL-PASSED" or "INDETERMINATE" */
	char sub[48];                         /* sub-indication name or "" */
	int marked;                           /* stored INDETERMINATE under the acceptance policy */
	char state[16];                       /* "current", "superseded" */
	char superseded_by[65];               /* package id or "" */
	int64_t ingested_at;
	char ingested_by[CATALOG_NAME_MAX];
	char last_check[32];                  /* indication of the last re-verification or "" */
	int64_t last_check_at;
	/* At ingest only: the id of the result's current package that this one
	 * renews (the same package with archive timestamps added, checked by
	 * ingest.c), or "". The result row, its status and its verification key
	 * stay; the old package becomes state "renewed", superseded_by this one. */
	char renews[65];
} catalog_package;

/* Catalog counts for /metrics. */
typedef struct catalog_counts {
	int64_t packages, results, results_valid, lookups, lookups_reusable, audit_events, tokens;
	int64_t stored_bytes;
} catalog_counts;

/*
 * catalog_open: open or create the catalog at path (WAL, schema created if
 * absent). *out owned by the caller (catalog_close). KHO_EIO.
 */
int catalog_open(catalog **out, const char *path, kho_err *err);
/* catalog_open_existing: catalog_open that never creates the file:
 * KHO_ENOTFOUND if path does not exist (the tools, on a data directory the
 * daemon made). The schema of an existing catalog is still brought up to
 * date. */
int catalog_open_existing(catalog **out, const char *path, kho_err *err);

/*
 * catalog_key_check: the key named name ("master", "subject") is the one
 * this catalog was written with. Its check value (HMAC-SHA256 of a fixed
 * text under the key: it reveals nothing of the key) is recorded on first
 * use and compared at every open after. KHO_ECONFLICT, naming path, when it
 * differs: a missing key file silently re-created, or a wrong path in the
 * configuration, would make every package unreadable (the master key) or
 * every lookup find nothing (the subject key).
 */
int catalog_key_check(catalog *c, const char *name, const unsigned char key[32], const char *path,
                      kho_err *err);

/*
 * catalog_set_keystore: where package keys live (keystore.h, borrowed; it
 * must outlive the catalog). A package "has its key" when its key file is
 * there (or, for a data directory not yet migrated, a wrapped key is in its
 * row); without a key store only the legacy wrapped keys count.
 */
void catalog_set_keystore(catalog *c, keystore *ks);

/* catalog_close: finalize statements and close. NULL is a no-op. */
void catalog_close(catalog *c);

/*
 * For audit.c and token.c: the raw connection, and the mutex that every use
 * of it must hold. catalog_stmt returns the cached prepared statement for
 * sql (prepared on first use; reset and unbound), or NULL with err set.
 * Only while holding the lock.
 */
void catalog_lock(catalog *c);
void catalog_unlock(catalog *c);
/* catalog_yield: the lock held once (not by a caller up the stack too), a
 * long task between two steps lets the threads waiting for it in first,
 * then holds it again. Nothing read under the lock before stays true. */
void catalog_yield(catalog *c);
sqlite3 *catalog_db(catalog *c);
sqlite3_stmt *catalog_stmt(catalog *c, const char *sql, kho_err *err);

/* Transactions, with the lock held. begin is BEGIN IMMEDIATE. */
int catalog_begin(catalog *c, kho_err *err);
int catalog_commit(catalog *c, kho_err *err);
void catalog_rollback(catalog *c);

/*
 * A read transaction (BEGIN DEFERRED): catalog_read_begin takes the lock
 * and keeps it, and the snapshot, until catalog_read_end, so that several
 * reads on this connection (token check, lookup, tombstones, custody) share
 * one snapshot and take the WAL read lock once. The lock is recursive:
 * the catalog_* and token_* functions can be called in between.
 */
int catalog_read_begin(catalog *c, kho_err *err);
void catalog_read_end(catalog *c);

/* catalog_get_package: the package row of id. KHO_ENOTFOUND. */
int catalog_get_package(catalog *c, const char *id, catalog_package *out, kho_err *err);

/*
 * catalog_result_differs: whether the catalog's record of r->result_code
 * (the results row: its current package, codes, dates, title, first
 * subject's keyed hash mac) differs from r, the record.xml of its current
 * package package_id: 0 the same, 1 different (why says what), else an
 * error. For kho fsck: a row edited by hand shows.
 */
int catalog_result_differs(catalog *c, const record *r, const char *package_id,
                           const unsigned char mac[32], char *why, size_t n, kho_err *err);

/*
 * catalog_results_misfiled: fn(code) for each result whose catalog record
 * names a package that is not there or is filed under another result code
 * (a row added or edited by hand to borrow a genuine package). fn's
 * non-zero return stops the walk and is returned.
 */
int catalog_results_misfiled(catalog *c, int (*fn)(const char *code, void *arg), void *arg,
                             kho_err *err);

/*
 * catalog_status_trail_check: whether each result's validity decisions
 * (its result_status history and the status of its results row) are the
 * ones the audit trail recorded since the ingest that created the row
 * (status events, and supersession by a later ingest): fn(code, why) for
 * each result that differs (a status edited by hand, a decision added,
 * changed or dropped without its event). *checked: the results compared.
 * fn's non-zero return stops the walk and is returned. One read
 * transaction; the decisions are held in memory (two per decision).
 */
int catalog_status_trail_check(catalog *c, int (*fn)(const char *code, const char *why, void *arg),
                               void *arg, int64_t *checked, kho_err *err);

/*
 * catalog_wal_truncate: checkpoint the WAL into catalog.db and truncate it,
 * so that no page as it was before (a destroyed record's rows) stays in it.
 * Waits at most about 500 ms for readers (writers wait meanwhile): 0, or
 * KHO_ECONFLICT if readers kept it busy (the WAL then keeps its frames until a
 * later truncation).
 */
int catalog_wal_truncate(catalog *c);

/* catalog_key_recorded: 1 if a check value of key `name` ("master",
 * "subject") is recorded (catalog_key_check ran: its file must exist), or
 * the catalog cannot say; 0 if none (the first start may make the file). */
int catalog_key_recorded(catalog *c, const char *name);

/* catalog_keystore_used: 1 if some package's key is in the key store (not
 * wrapped in the catalog, as before the key store), or the catalog cannot
 * say; 0 for none. */
int catalog_keystore_used(catalog *c);

/*
 * catalog_acknowledged: the audit event (*seq) that acknowledged package id
 * (its ingest or renew, committed with its rows), KHO_ENOTFOUND if none.
 * A scan of the trail: for recovery, not for a request.
 */
int catalog_acknowledged(catalog *c, const char *id, int64_t *seq, kho_err *err);

/* catalog_result_package: the current package of a result code. KHO_ENOTFOUND. */
/*
 * catalog_supersession: for result_code as the catalog has it now,
 * *superseded 1 if the result its record declares replaced is marked
 * superseded by it, and superseded_by (CATALOG_CODE_MAX bytes) the result
 * that marked it superseded, else "". For the answer to a package sent
 * again, which says what the first answer said (not which package a
 * renewal renewed: packages has no index to find that by).
 */
int catalog_supersession(catalog *c, const char *result_code, int *superseded,
                         char superseded_by[CATALOG_CODE_MAX], kho_err *err);

int catalog_result_package(catalog *c, const char *result_code, catalog_package *out,
                           kho_err *err);

/*
 * catalog_check_ingest: would an ingest of package id for record r conflict?
 * 0 if it can go ahead, KHO_EEXIST if the package is already stored (then
 * *existing gets its row), KHO_ECONFLICT if r's result code is held by other
 * bytes and r does not declare that it supersedes it.
 */
int catalog_check_ingest(catalog *c, const char *id, const record *r,
                         catalog_package *existing, kho_err *err);

/*
 * catalog_ingest: in one transaction: insert the package row, insert or
 * (when superseding) update the result row, mark the superseded package and
 * result, and append the audit event "ingest" by actor. Same returns as
 * catalog_check_ingest (the check is repeated inside the transaction).
 * *superseded (may be NULL): what became of the record's <supersedes>
 * (CATALOG_SUP_*): an older result superseded (DONE: a result of the same
 * agency about one of the same subjects, or the same result code), or
 * nothing marked because it names no result archived here (UNKNOWN), a
 * result of another agency (OTHER_AGENCY) or one about other persons
 * (OTHER_SUBJECTS), or one that supersedes this result already, directly or
 * through others (CYCLE). A result an earlier record declared superseded is
 * marked so as it arrives, under the same rules (audited "status").
 * subject_macs: the keyed hash of each subject of r (ingest_subject_mac),
 * 32 bytes each, the first subject's first, then r->others in order.
 */
enum {
	CATALOG_SUP_NONE = 0,
	CATALOG_SUP_DONE = 1,
	CATALOG_SUP_UNKNOWN = 2,
	CATALOG_SUP_OTHER_AGENCY = 3,
	CATALOG_SUP_OTHER_SUBJECTS = 4,
	CATALOG_SUP_CYCLE = 5,       /* the result named supersedes this one already */
};
int catalog_ingest(catalog *c, const catalog_package *p, const record *r,
                   const unsigned char *subject_macs, const char *actor,
                   int *superseded, kho_err *err);

/* What an ingest adds for the public verification page (docs/verify-page.md). */
typedef struct catalog_object {
	unsigned char sha256[32];             /* SHA-256 of a data object's bytes */
	const char *name;                     /* its name in the container (borrowed) */
} catalog_object;

/* The current package of a result, in brief (catalog_same_package). */
typedef struct catalog_pkg_brief {
	char id[65];
	char indication[32];
	char sub[48];
	int marked;
} catalog_pkg_brief;

/*
 * catalog_same_package: 0, with the current package of result_code in
 * *out, when that package's data objects are exactly objs[0..n) (the same
 * names with the same SHA-256, none more, none less); KHO_ENOTFOUND when
 * there is no such result or its objects differ. For POST /v1/results: the
 * same record and files sent again are the result already archived (a
 * retry after a lost answer), though sealing them again would make other
 * bytes (a new signing time and timestamp).
 */
int catalog_same_package(catalog *c, const char *result_code, const catalog_object *objs, size_t n,
                         catalog_pkg_brief *out, kho_err *err);

typedef struct catalog_verify_data {
	unsigned char key_hash[32];           /* qr_key_new: SHA-256 of the key text */
	unsigned char key_wrapped[24];        /* qr_key_wrap under the master key */
	const catalog_object *objects;        /* data objects (not META-INF/, not mimetype) */
	size_t nobjects;
} catalog_verify_data;

/*
 * catalog_ingest_full: catalog_ingest, and in the same transaction the
 * result's verification key (replacing any earlier one) and the package's
 * data objects (vd may be NULL: nothing of the kind is stored).
 * superseded_by, if not NULL (CATALOG_CODE_MAX bytes), receives the result
 * code that marked this result superseded as it arrived (an earlier
 * archived record declares it replaced), else "".
 *
 * Group commit: concurrent calls share one transaction (each ingest in its
 * own savepoint, so a conflict undoes only that one) and one commit, so one
 * WAL fsync serves every ingest waiting at that moment. Each call returns
 * only after the commit that includes it (0: durable), or with an error
 * when its part or the group's commit failed (then nothing of it is
 * stored). The caller must not hold the catalog lock.
 */
int catalog_ingest_full(catalog *c, const catalog_package *p, const record *r,
                        const unsigned char *subject_macs, const char *actor,
                        const catalog_verify_data *vd, int *superseded, char *superseded_by,
                        kho_err *err);

/*
 * Hooks of the group commit (the daemon's; NULL: none, as in tests and
 * tools). Set once, before any ingest.
 *
 * sync: run once per group by its leader BEFORE the group's transaction;
 * it makes the files the group's ingests wrote (store and key files,
 * written without their own fsyncs) durable. If it fails, the whole group
 * fails: nothing is committed, every caller gets the error.
 *
 * after: run for each ingest inside the group's transaction, right after
 * its rows, on c (lock held), in a savepoint of its own: result_code and
 * actor are the ingest's. If it fails, its own changes are undone, an
 * "alert" audit event (actor "daemon", status 500) says why, and the
 * ingest stands (the daemon's retention classification: a record left
 * unclassified is classified by the next sweep).
 */
typedef int (*catalog_sync_fn)(void *arg, kho_err *err);
typedef int (*catalog_after_fn)(void *arg, catalog *c, const char *result_code,
                                const char *actor, kho_err *err);
void catalog_set_group_sync(catalog *c, catalog_sync_fn fn, void *arg);
void catalog_set_after_ingest(catalog *c, catalog_after_fn fn, void *arg);

/*
 * catalog_verify_key: the stored hash and wrapped form of result_code's
 * verification key (either output may be NULL). KHO_ENOTFOUND.
 * catalog_set_verify_key: issue (or re-issue) it. KHO_ENOTFOUND if the
 * result is unknown.
 */
int catalog_verify_key(catalog *c, const char *result_code, unsigned char hash[32],
                       unsigned char wrapped[24], kho_err *err);
int catalog_set_verify_key(catalog *c, const char *result_code, const unsigned char hash[32],
                           const unsigned char wrapped[24], kho_err *err);

/* catalog_results_without_key_after: up to max result codes that have no
 * key yet (archived before the table existed), into codes, *n their number;
 * only codes sorting after `after` ("" for the first batch): the
 * migration's next batch starts at
 * the last code of the previous one, so it never rescans the results it
 * has already keyed (linear instead of quadratic in the catalog size). */
int catalog_results_without_key_after(catalog *c, const char *after,
                                      char (*codes)[CATALOG_CODE_MAX], size_t max, size_t *n,
                                      kho_err *err);

/* catalog_code_by_object: the result code of the newest package holding a data
 * object with this SHA-256, its record.xml apart (it holds the personal
 * number: no oracle for a guessed one). KHO_ENOTFOUND; KHO_ECONFLICT (code
 * "") when packages of several results hold it. */
int catalog_code_by_object(catalog *c, const unsigned char sha256[32],
                           char code[CATALOG_CODE_MAX], kho_err *err);

/*
 * catalog_result_status: the validity status today of result_code ("valid",
 * "expired", "not-yet-valid", "superseded", "revoked", ...; "destroyed" once
 * its package key is gone) and its current package id. KHO_ENOTFOUND.
 */
int catalog_result_status(catalog *c, const char *result_code, char status[32],
                          char package_id[65], kho_err *err);

/* catalog_set_check: remember the outcome of a re-verification of package id. */
int catalog_set_check(catalog *c, const char *id, const char *indication, time_t at,
                      kho_err *err);

/*
 * catalog_result_json: the metadata and validity status of a result, as
 * served by GET /v1/results/{code}. KHO_ENOTFOUND.
 */
int catalog_result_json(catalog *c, const char *result_code, const char *valid_on,
                        json_t **out, kho_err *err);

/*
 * catalog_set_status: change a result's validity status ("valid", "revoked",
 * "suspended", "superseded", "expired", "annulled") with the decision
 * reference; superseded_by is required for "superseded". effective: the day
 * (YYYY-MM-DD, Vietnam's) the decision takes effect, not before the
 * result's issue date, possibly ahead; NULL = now. Before that day the
 * result is what the decisions recorded earlier made it (result_status).
 * Audited (action "status") in the same transaction. KHO_ENOTFOUND,
 * KHO_EINVAL; KHO_EEXIST (nothing recorded) if it repeats the last decision
 * recorded (status, decision, superseded_by and effective day).
 */
int catalog_set_status(catalog *c, const char *result_code, const char *status,
                       const char *decision, const char *superseded_by, const char *effective,
                       const char *actor, kho_err *err);

/*
 * catalog_status_on: the recorded validity status of result_code in force on
 * `on` (YYYY-MM-DD): the last decision recorded that took effect by then,
 * else "valid" as ingested; *at its effective instant (0: as ingested).
 * KHO_ENOTFOUND, KHO_EIO.
 */
int catalog_status_on(catalog *c, const char *result_code, const char *on, char status[16],
                      int64_t *at, kho_err *err);

/* Lookup criteria (GET /v1/lookup). NULL strings are "any". */
typedef struct catalog_query {
	unsigned char subject_mac[32];
	const char *type;        /* result_type */
	const char *procedure;   /* national procedure code */
	const char *agency;      /* issuing agency */
	const char *valid_on;    /* YYYY-MM-DD; NULL = today */
	const char *purpose;     /* the new dossier's code (required) */
} catalog_query;

/*
 * catalog_lookup: results of the subject with validity on valid_on and a
 * reusable flag (status valid on that date, last verification TOTAL-PASSED,
 * key not destroyed); records the reuse event and the audit event "lookup"
 * in the same transaction. *out is {"results":[...], "reusable": n}.
 */
int catalog_lookup(catalog *c, const catalog_query *q, const char *actor,
                   const char *actor_agency, json_t **out, kho_err *err);

/* One lookup to record: the reuse event and its audit event. */
typedef struct catalog_lookup_event {
	int64_t at;
	char month[8];                       /* YYYY-MM */
	char procedure[CATALOG_CODE_MAX];    /* asked, else of the first result, else "(any)" */
	char purpose[CATALOG_CODE_MAX];
	char agency[CATALOG_CODE_MAX];       /* the officer's agency */
	char actor[CATALOG_NAME_MAX];
	char subject_mac_prefix[17];         /* hex of the first 8 bytes of the HMAC */
	int found, reusable;
	int for_today;                       /* no valid_on, or valid_on the day of the lookup */
} catalog_lookup_event;

/*
 * catalog_lookup_read: the read half of catalog_lookup: *out as there, and
 * ev filled for catalog_record_lookups (q->purpose checked). Any catalog
 * handle on the same file may serve it (the daemon keeps a pool of reader
 * connections; WAL lets them read while the writer writes).
 */
int catalog_lookup_read(catalog *c, const catalog_query *q, const char *actor,
                        const char *actor_agency, json_t **out, catalog_lookup_event *ev,
                        kho_err *err);

/*
 * catalog_lookup_write: catalog_lookup_read with the answer appended to out
 * as text: the bytes json_dumps(JSON_COMPACT) writes for catalog_lookup_read's
 * tree, without building it. The hooks (h may be NULL, any member may be
 * NULL; each returns < 0 with err set on failure) add to it: entry before
 * the closing brace of each live entry that still has its key (members,
 * each written as ,"key":value), more after the live entries inside
 * "results" (entries, each preceded by a comma when had_entries or an
 * earlier one was written; returns how many), tail before the closing
 * brace of the answer (members). KHO_EFORMAT if a text of the catalog is
 * not valid UTF-8 (which json_string refuses): then use catalog_lookup_read.
 * On failure out holds a partial text; ev is filled (ev->at != 0) whenever
 * the catalog was read, even if a hook failed after.
 */
typedef struct catalog_lookup_hooks {
	int (*entry)(void *arg, const char *result_code, kho_buf *out, kho_err *err);
	int (*more)(void *arg, kho_buf *out, int had_entries, kho_err *err);
	int (*tail)(void *arg, kho_buf *out, kho_err *err);
	void *arg;
} catalog_lookup_hooks;

int catalog_lookup_write(catalog *c, const catalog_query *q, const char *actor,
                         const char *actor_agency, const catalog_lookup_hooks *h, kho_buf *out,
                         catalog_lookup_event *ev, kho_err *err);

/*
 * catalog_record_lookups: the write half: insert n reuse events and their
 * audit events in one transaction (group commit: one fsync for the batch).
 */
int catalog_record_lookups(catalog *c, const catalog_lookup_event *ev, size_t n, kho_err *err);

/* catalog_reuse_stats: per procedure and month, lookups (every one; those
 * that found a reusable result, any result) and new dossiers (purposes, each
 * once, among lookups judged for today; those for which one found a
 * reusable result: the once-only indicator): {"stats":[{"month",
 * "procedure","lookups","found_reusable","found_any","dossiers",
 * "dossiers_reusable"}]}. */
int catalog_reuse_stats(catalog *c, json_t **out, kho_err *err);

int catalog_counts_get(catalog *c, catalog_counts *out, kho_err *err);

/*
 * catalog_each_package: call fn for every package row (ordered by id) whose
 * id is after `after` (NULL: every row); a non-zero return stops and is
 * returned. The lock is not held during fn, so fn may use the catalog.
 */
int catalog_each_package(catalog *c, const char *after,
                         int (*fn)(const catalog_package *p, void *arg), void *arg, kho_err *err);

#endif
