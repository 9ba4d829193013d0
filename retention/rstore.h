/*
 * rstore.h: the retention state of the archive (issue 4, deliverables 2-4,
 * 6, 7, 9, 10) in the catalog's SQLite file, next to the daemon's tables.
 *
 * Tables (all prefixed ret_, created by rstore_open; docs/retention.md,
 * "Retention tables"):
 *   ret_schedules   every schedule version published: SHA-256, identifier,
 *                   version, effective date, the exact bytes, who and when
 *   ret_class       one row per result code: its class and the schedule
 *                   version (hash) it is classified under, or NULL class
 *                   for a record kept unclassified; state current /
 *                   destroyed / transferred
 *   ret_events      trigger events (dossier-closed, subject-ceased,
 *                   external-event with its name) with their dates
 *   ret_holds       holds on a record, a subject (HMAC of the personal
 *                   number, as the catalog stores it), a procedure or a
 *                   query; placed / released, by whom, reason, authority
 *   ret_reviews     review decisions (destroy, keep N years, keep permanently)
 *   ret_batches     disposition batches: proposer, approver, decision
 *                   number and date, deadline, hash, certificate; for a
 *                   rejected batch who rejected it, when, why and decision
 *   ret_items       the records of a batch and what happened to each
 *   ret_tombstones  what remains of a destroyed record: codes, the destroyed
 *                   package's hash, class, schedule version, batch,
 *                   decision, when and by whom, the result type, the
 *                   subject's keyed hash (the catalog's HMAC, for lookups)
 *                   and the hash of its QR verification key; no content, no
 *                   personal data
 *   ret_tombstone_packages  every package id a destroyed record had
 *   ret_tombstone_objects   the SHA-256 of every file it held (not record.xml)
 *   ret_certificates  destruction certificates kept in the store: batch,
 *                   package id, the package key wrapped under the master key
 *   ret_certificate_renewals  their renewals (archive timestamps added), in
 *                   order, each with its package id and wrapped key
 *
 * The daemon's tables are READ-ONLY to this module except for the rows a
 * destruction must remove: it reads results(result_code, dossier_code,
 * procedure, agency, result_type, subject_mac, status, status_at,
 * valid_until, package_id) and packages(id, result_code, ingested_at), and
 * a destruction deletes the destroyed record's rows of results and
 * packages. It never alters their schema. Every change is audited through
 * audit.h in the same transaction as the change.
 *
 * Thread safety: one rstore per thread or guarded by the caller; the
 * underlying catalog connection is serialised by the catalog's lock.
 */
#ifndef KHO_RSTORE_H
#define KHO_RSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "archive/audit.h"
#include "archive/catalog.h"
#include "archive/keystore.h"
#include "common/buf.h"
#include "common/err.h"
#include "retention/eligibility.h"
#include "retention/schedule.h"
#include "sign/tsa.h"

#define RSTORE_DEFAULT_DEADLINE_DAYS 15  /* Circular 06/2025/TT-BNV: execution within 15 days */
#define RSTORE_MAX_BATCH 100000          /* items of one batch */
#define RSTORE_REASON_MAX 512

typedef struct rstore rstore;

/* What to do with a record no class applies to (deliverable 3). */
enum rstore_unclassified {
	RSTORE_UNCLASSIFIED_REFUSE = 0, /* the default: the ingest is refused */
	RSTORE_UNCLASSIFIED_KEEP = 1,   /* kept with no class, listed for a decision */
};

/*
 * rstore_open: the retention state of data directory `data` (opens
 * DATA/catalog.db through catalog_open, so the daemon's schema exists, and
 * creates the ret_ tables), the key store `keys_dir` (NULL: the default
 * DATA.keys, keystore.h) and the master key file (NULL: DATA/keys/master.key;
 * it must be the daemon's `master_key_file`, since the key store and the
 * certificates' key copies are wrapped under it). *out owned by the caller
 * (rstore_close).
 */
int rstore_open(rstore **out, const char *data, const char *keys_dir,
                const char *master_key_file, kho_err *err);

/* rstore_close: NULL is a no-op. */
void rstore_close(rstore *r);

/* The catalog the store works on (borrowed). */
catalog *rstore_catalog(rstore *r);

/* ---- 2. publishing ---------------------------------------------------- */

#define RSTORE_CONFIRM_SHORTEN 1u /* apply a shortened period to records already classified */
#define RSTORE_NEW_IDENTIFIER 2u  /* the archive now follows a schedule of another identifier */

/*
 * rstore_publish: load one schedule version (schedule_parse: refused with
 * "line N: ..." as KHO_EFORMAT), keep it with its hash, and if it is in
 * force on `on` (its effective date is not after it) reclassify every
 * record under it. A record whose period would become shorter or end more
 * destructively (permanent to years, fewer years, an earlier due date by the
 * new counting, review or transfer to destroy, counted where it waited for
 * its trigger, or, with no due date yet, a new trigger or counting rule)
 * stays under its old version unless flags has RSTORE_CONFIRM_SHORTEN: the period
 * already running is never shortened silently. The same bytes again is
 * KHO_EEXIST; another file with a version label already published for the
 * identifier is KHO_ECONFLICT, and so is a schedule whose identifier is not
 * the one the archive follows, without RSTORE_NEW_IDENTIFIER. *report (may be NULL) gets
 *   {"identifier","version","sha256","effective","applied":bool,
 *    "changes":[{class, flags...}], "reclassified":n, "class_changed":[...],
 *    "period_changed":[...], "kept_on_old_version":[...]}
 * Audited ("retention-schedule").
 */
int rstore_publish(rstore *r, const void *xml, size_t len, const char *actor, int32_t on,
                   unsigned flags, json_t **report, kho_err *err);

/* rstore_apply_pending: apply versions published ahead of their effective
 * date that are in force on `on` (the sweep calls it). *napplied may be NULL. */
int rstore_apply_pending(rstore *r, const char *actor, int32_t on, int *napplied, kho_err *err);

/* ---- 3. classification ------------------------------------------------ */

/*
 * rstore_check_class: which class a record with this procedure and result
 * type would get on day `on` (the version in force), without writing:
 * for the ingest path to refuse before it stores anything. class_out and
 * hash_out (>= 65 bytes, may be NULL) get the class code ("" when none) and
 * the version's hash. 0 when a class applies; KHO_ENOTFOUND when none does
 * (no schedule in force, or no procedure nor result type), with a message
 * that says why.
 */
int rstore_check_class(rstore *r, const char *procedure, const char *result_type, int32_t on,
                       char *class_out, size_t nclass, char *hash_out, kho_err *err);

/*
 * rstore_classify_record: classify the catalog's result `result_code` under
 * the version in force on its ingest day and remember it. When no class
 * applies: KHO_ENOTFOUND under RSTORE_UNCLASSIFIED_REFUSE, or a row with no
 * class under RSTORE_UNCLASSIFIED_KEEP (listed by the report). Classifying
 * again is a no-op. Audited ("retention-classify").
 */
int rstore_classify_record(rstore *r, const char *result_code, enum rstore_unclassified policy,
                           const char *actor, kho_err *err);

/*
 * rstore_classify_in: the same, on cat: another connection to this
 * rstore's catalog, whose lock the caller holds and in whose transaction
 * (opened by the caller) the class row and its audit event are written;
 * nothing is committed or rolled back here. This rstore's own connection
 * and lock are not touched (the daemon classifies inside the ingest's group
 * transaction, archive/catalog.c). KHO_ENOTFOUND as above.
 */
int rstore_classify_in(rstore *r, catalog *cat, const char *result_code,
                       enum rstore_unclassified policy, const char *actor, kho_err *err);

/* rstore_classify_pending: rstore_classify_record for every result without
 * a row (records ingested before a schedule was published, or by a daemon
 * that does not call it yet). *n, *nrefused get the counts. */
int rstore_classify_pending(rstore *r, enum rstore_unclassified policy, const char *actor,
                            int64_t *n, int64_t *nunclassified, kho_err *err);

/* ---- 4. trigger events ------------------------------------------------ */

/*
 * rstore_add_event: record that `kind` ("dossier-closed", "subject-ceased",
 * "external-event" with name) happened to result_code on `date`. Validity
 * changes (expired, superseded, revoked) are read from the catalog's status
 * and need no event. KHO_ENOTFOUND for an unknown or destroyed record,
 * KHO_EINVAL for another kind or a missing name. Audited.
 */
int rstore_add_event(rstore *r, const char *result_code, const char *kind, int32_t date,
                     const char *name, const char *actor, kho_err *err);

/* ---- 6. holds --------------------------------------------------------- */

/*
 * rstore_hold_place: a hold of `scope` "record" (target: a result code),
 * "subject" (target: the personal number or enterprise code, turned into
 * its HMAC with the data directory's subject key and never stored in
 * clear; or "mac:" and 64 hex digits), "procedure" (a national procedure
 * code) or "query" (target: "key=value" pairs joined by ';' over class,
 * procedure, agency, type, dossier-year: every pair must match). reason and
 * authority are required. A record hold needs a record archived here
 * (classified or not): KHO_ENOTFOUND for an unknown result code,
 * KHO_ECONFLICT for a destroyed one. The new id ("H-n") into id_out
 * (>= 32 bytes). Audited.
 */
int rstore_hold_place(rstore *r, const char *scope, const char *target, const char *reason,
                      const char *authority, const char *actor, int32_t on, char *id_out,
                      size_t nid, kho_err *err);

/* rstore_hold_release: release hold id on day `on` for `reason` (required,
 * non-empty, at most 300 bytes: KHO_EINVAL). KHO_ENOTFOUND,
 * KHO_ECONFLICT if already released. Audited. */
int rstore_hold_release(rstore *r, const char *id, const char *reason, const char *actor,
                        int32_t on, kho_err *err);

/* rstore_holds_json: every hold {"holds":[...]}; a released one with
 * released, released_by and release_reason. */
int rstore_holds_json(rstore *r, json_t **out, kho_err *err);

/* ---- 5. evaluation, review ------------------------------------------- */

/*
 * rstore_evaluate: the eligibility of one record on day `on` (elig_evaluate
 * with the record's facts, its version, its holds). *out as elig_evaluate;
 * explain (may be NULL) gets elig_explain's sentence. KHO_ENOTFOUND for an
 * unknown, unclassified or destroyed record.
 */
int rstore_evaluate(rstore *r, const char *result_code, int32_t on, enum elig_outcome *out,
                    char *explain, size_t nexplain, kho_err *err);

/*
 * rstore_review: record a review decision on a record: "destroy",
 * "keep-years" (years 1..200) or "keep-permanent", dated `date`, with the
 * decision reference. Only on a record of a review class. Audited.
 */
int rstore_review(rstore *r, const char *result_code, const char *decision, int years,
                  int32_t date, const char *ref, const char *actor, kho_err *err);

/* ---- 10. sweep and report -------------------------------------------- */

typedef struct rstore_sweep_stats {
	int64_t records;                    /* classified, current records evaluated */
	int64_t by_outcome[8];              /* indexed by enum elig_outcome */
	int64_t unclassified;
	int64_t overdue;                    /* eligible with due before `on` */
} rstore_sweep_stats;

/*
 * rstore_sweep: evaluate every current record on day `on`. list (may be
 * NULL) gets one CSV line per record that is not "permanent" nor
 * "period-not-elapsed"/"awaiting-event" (result_code,class,outcome,due,
 * reason). Unless dry_run, versions pending their effective date are
 * applied first and the sweep is audited with its counts.
 */
int rstore_sweep(rstore *r, int32_t on, int dry_run, const char *actor, FILE *list,
                 rstore_sweep_stats *stats, kho_err *err);

/*
 * rstore_report: on day `on`: due in the next 12 months by class, overdue,
 * held, review-due, unclassified, destroyed and transferred per year with
 * their decisions. *out:
 *   {"date","due_next_12_months":{class:n},"overdue":n,"held":n,
 *    "review_due":n,"still_valid_past_period":n,"unclassified":n,"unclassified_records":[codes],
 *    "destroyed":[{"year","decision","batch","count"}],"transferred":[...]}
 */
int rstore_report(rstore *r, int32_t on, json_t **out, kho_err *err);

/* rstore_report_csv: the same as CSV lines "section,key,value" into f. */
int rstore_report_csv(const json_t *report, FILE *f);

/* ---- 7. disposition -------------------------------------------------- */

/* The archive's own signer, for destruction certificates. Borrowed. */
typedef struct rstore_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;       /* may be NULL */
	tsa *tsa;                    /* built-in or remote TSA (required) */
	STACK_OF(X509) *tsa_chain;   /* may be NULL */
	STACK_OF(X509_CRL) *crls;    /* may be NULL */
	const char *agency;          /* the archive's agency code, ddd.dd.dd.Ldd */
	const char *enterprise_code; /* its tax code, for the certificate's record.xml */
} rstore_signer;

/*
 * rstore_batch_propose: a destruction batch of every record eligible to
 * destroy on `on` (or, with kind "transfer", eligible to transfer or
 * permanent with a transfer due). Writes DATA/retention/batches/N/list.csv
 * and note.html (the list and explanatory note). With nonly > 0 the batch
 * holds only the records whose result codes are in only (the records
 * manager's selection, e.g. the permanent records chosen for a transfer);
 * a selected code that is not eligible is KHO_EINVAL naming it, and nothing
 * is proposed. A record is never in two open batches: an eligible record
 * already in a batch open on `on` (proposed; approved with its deadline not
 * passed; a transfer batch exported and not yet acknowledged) is left out,
 * and a selected one is KHO_EINVAL naming it and its batch. *id_out gets the
 * batch id; *skipped (may be NULL) the number of eligible records left out
 * for being in an open batch (0 with a selection). KHO_ENOTFOUND when
 * nothing is eligible, or when every eligible record is already in an open
 * batch (the message says so and names the batches). Audited.
 */
int rstore_batch_propose(rstore *r, const char *kind, const char *actor, int32_t on,
                         const char *const *only, size_t nonly, int64_t *id_out,
                         size_t *skipped, kho_err *err);

/*
 * rstore_batch_document: the list ("list.csv") or the explanatory note
 * ("note.html") written when batch id was proposed (item 7), read from
 * DATA/retention/batches/N/ into out (caller-initialised; its cap applies).
 * KHO_ENOTFOUND for an unknown batch, KHO_EINVAL for another name.
 */
int rstore_batch_document(rstore *r, int64_t id, const char *name, kho_buf *out, kho_err *err);

/*
 * rstore_batch_approve: approve batch id with the destruction decision
 * number and date. The approver must not be the proposer (KHO_EPERM: "the
 * proposer of a destruction is not its approver"). Sets the deadline to
 * decision_date + deadline_days (0: RSTORE_DEFAULT_DEADLINE_DAYS, also the
 * most allowed: execution within 15 days of the signed decision). The
 * decision may not be dated before the proposal nor after `on`, and its
 * days must not have passed by `on` (KHO_EINVAL). Audited.
 */
int rstore_batch_approve(rstore *r, int64_t id, const char *actor, const char *decision,
                         int32_t decision_date, int32_t on, int deadline_days, kho_err *err);

/*
 * rstore_batch_reject: refuse batch id while it is proposed or approved
 * (before its execution or export; an approved batch past its deadline
 * too). reason (1..300 bytes) is required, decision (the reference of the
 * decision refusing it, 1..95 bytes) is optional. The batch becomes
 * "rejected" (rejected_by, rejected_on, rejection_reason,
 * rejection_decision), its items "dropped" with the reason, and its records
 * can be proposed again. KHO_ENOTFOUND unknown batch; KHO_ECONFLICT a batch
 * executed, exported, transferred or already rejected, or an approved batch
 * an interrupted execution has already destroyed records of (execute it
 * again instead); KHO_EINVAL no reason. Audited (retention-reject).
 */
int rstore_batch_reject(rstore *r, int64_t id, const char *actor, const char *reason,
                        const char *decision, int32_t on, kho_err *err);

/*
 * rstore_batch_execute: execute approved batch id on `on` (not after its
 * deadline: KHO_EPERM). Each item is evaluated again; held, still-valid or
 * otherwise no longer eligible items are dropped with the reason. Each
 * remaining record is destroyed: its key (key store), its stored package
 * (DATA/store) and its catalog rows; a tombstone is written. Then the
 * destruction certificate (XML listing the items and the batch hash) is
 * sealed with signer as a kho package and kept as a permanent record: stored
 * encrypted in DATA/store under a key of its own, catalogued (a packages
 * row and a ret_certificates row, in the transaction that marks the batch
 * executed), read back with rstore_certificate_get.
 * *report (may be NULL): {"batch","destroyed":n,"dropped":[{code,reason}],
 * "certificate": "/v1/disposition/batches/N/certificate",
 * "certificate_sha256"}. Audited per record and batch.
 */
int rstore_batch_execute(rstore *r, int64_t id, const char *actor, int32_t on,
                         const rstore_signer *signer, json_t **report, kho_err *err);

/*
 * rstore_wal_retry: if a destruction's WAL truncation was kept busy by
 * readers (its answer said "wal_truncated": false), try it again
 * (catalog_wal_truncate): 0 done or nothing pending, 1 still pending. The
 * daemon calls it from its event writer, every half second.
 */
int rstore_wal_retry(rstore *r);
/*
 * rstore_signer_check: every certificate of the signer (its own and its
 * chain's) and of the TSA chain is valid at t; else KHO_ECONFLICT naming the
 * certificate and its bound. rstore_batch_execute runs it (at kho_now())
 * once the batch is known to be an approved destruction batch within its
 * deadline, before it destroys anything.
 */
int rstore_signer_check(const rstore_signer *sg, time_t t, kho_err *err);

/* rstore_batch_json: a batch and its items. KHO_ENOTFOUND. */
int rstore_batch_json(rstore *r, int64_t id, json_t **out, kho_err *err);

/* ---- 8. transfer ----------------------------------------------------- */

/*
 * rstore_transfer_execute: export approved transfer batch id (on or before
 * its deadline) as a BagIt bag (RFC 8493) written with libarchive (POSIX
 * tar) to bag_path: root "kho-transfer-batch-N/" with bagit.txt,
 * bag-info.txt, data/packages/<result code>.asice (the sealed packages,
 * byte for byte, checked against their ids on the way), data/metadata/
 * <result code>.json (catalog metadata, no personal number, plus class and
 * schedule), manifest-sha256.txt and tagmanifest-sha256.txt. Items no longer
 * due for transfer, or held, are dropped with the reason. The batch becomes
 * "exported". *report: {"batch","bag","exported":[codes],"dropped":[...]}.
 */
int rstore_transfer_execute(rstore *r, int64_t id, const char *actor, int32_t on,
                            const char *bag_path, const char *source_org, json_t **report,
                            kho_err *err);

/* rstore_bag_path: DATA/retention/transfers/batch-N.tar into buf (the
 * directory is created). For the HTTP handler. */
int rstore_bag_path(rstore *r, int64_t id, char *buf, size_t n, kho_err *err);

/*
 * rstore_transfer_ack: record the receiving archive's acknowledgment of
 * exported batch id (its receipt reference) and the custody pointer (where
 * the records now are, e.g. "Lưu trữ lịch sử tỉnh H55, hồ sơ nộp lưu
 * 12/2031"): every exported record becomes "transferred" with that pointer.
 * The local packages are kept (the copy at the historical archive is the
 * record of custody). Audited.
 */
int rstore_transfer_ack(rstore *r, int64_t id, const char *receipt, const char *custody,
                        const char *actor, int32_t on, kho_err *err);

/*
 * rstore_where_json: where a record is: its tombstone if destroyed, else
 * {"result_code","state":"current|transferred","custody","class"}.
 * KHO_ENOTFOUND if retention does not know it.
 */
int rstore_where_json(rstore *r, const char *result_code, json_t **out, kho_err *err);

/* ---- 9. after destruction -------------------------------------------- */

/*
 * rstore_tombstone_json: the tombstone of a destroyed record, or
 * KHO_ENOTFOUND. *out: {"result_code","dossier_code","state":"destroyed",
 * "package_sha256","class","schedule_version","schedule_sha256","batch",
 * "decision","decision_date","destroyed_at","destroyed_on","destroyed_by",
 * "agency","procedure","result_type","statement","statement_vi"}
 * (statement in English, statement_vi in Vietnamese).
 */
int rstore_tombstone_json(rstore *r, const char *result_code, json_t **out, kho_err *err);

/*
 * The read paths of item 9 take any catalog connection on the archive's
 * file (the daemon passes its own or a reader of its pool, so that a
 * public request never waits behind a sweep holding the rstore's lock).
 * The ret_ tables must exist (rstore_open created them).
 *
 * rstore_tombstone_by_package: the tombstone (as rstore_tombstone_json) of
 * the destroyed record one of whose packages had this id (the SHA-256 of
 * its bytes, 64 hex digits). KHO_ENOTFOUND.
 */
int rstore_tombstone_by_package(catalog *c, const char *package_id, json_t **out, kho_err *err);

/*
 * rstore_destroying: 1 if record result_code is being destroyed (an
 * execution of its batch began and may have shredded its keys already, not
 * yet finished), 0 if not, negative if the catalog cannot say. A package
 * whose key is gone otherwise was not destroyed by kho: an integrity alert.
 */
int rstore_destroying(catalog *c, const char *result_code, kho_err *err);

/*
 * rstore_tombstone_by_object: the result code of a destroyed record one of
 * whose packages held a file with this SHA-256 (its record.xml apart), on
 * catalog connection c; KHO_ENOTFOUND.
 */
int rstore_tombstone_by_object(catalog *c, const unsigned char sha256[32],
                               char code[CATALOG_CODE_MAX], kho_err *err);

/*
 * rstore_tombstone_key_hash: the stored hash of the QR verification key a
 * destroyed record had (so /verify/r/{code}?k= still checks its key).
 * KHO_ENOTFOUND for no tombstone, or one written before keys were kept.
 */
int rstore_tombstone_key_hash(catalog *c, const char *result_code, unsigned char hash[32],
                              kho_err *err);

/*
 * rstore_lookup_tombstones: the destroyed records of q's subject (by
 * q->subject_mac) that match q's filters (type, procedure, agency; NULL =
 * any), at most CATALOG_LOOKUP_MAX, appended to the "results" array of
 * answer (a catalog_lookup_read answer) as {"result_code","dossier_code",
 * "package_id","procedure","agency","result_type","status":"destroyed",
 * "destroyed":true,"reusable":false,"destroyed_on","decision",
 * "decision_date","batch","statement","statement_vi"}; answer also gets
 * "destroyed": their number. Returns that number (>= 0) or a negative
 * KHO_E* code.
 */
int rstore_lookup_tombstones(catalog *c, const catalog_query *q, json_t *answer, kho_err *err);

/*
 * rstore_custody_annotate: when the result `entry`'s "result_code" names
 * was transferred (issue 4 item 8), add to entry "custody":
 * {"state":"transferred","where","batch","on" (acknowledged, YYYY-MM-DD),
 * "decision","decision_date","receipt"}. 1 when added, 0 when the record is
 * not transferred, negative on error. Same connection rules as above.
 */
int rstore_custody_annotate(catalog *c, json_t *entry, kho_err *err);

/*
 * rstore_lookup_custody: rstore_custody_annotate on every live entry of a
 * lookup answer's "results"; sets answer's "transferred" to the count.
 * Returns that count, or negative on error.
 */
int rstore_lookup_custody(catalog *c, json_t *answer, kho_err *err);

/* ---- 7. the destruction certificate, a permanent record --------------- */

/*
 * rstore_certificate_get: the sealed destruction certificate of executed
 * destruction batch `batch` (its latest renewal, if the daemon renewed it:
 * rstore_certificate_renew), decrypted from the store (its key from the
 * key store, else the copy wrapped under the master key) and checked
 * against its id, into out (caller-initialised; its cap applies, the
 * certificate is at most a few MiB). sha_out gets its SHA-256. A
 * certificate of a data directory not yet migrated is read from
 * DATA/retention/certificates/batch-N.asice and checked against the hash
 * the batch recorded. KHO_ENOTFOUND (no such executed batch, or the file
 * is missing), KHO_ECRYPTO (altered).
 */
int rstore_certificate_get(rstore *r, int64_t batch, kho_buf *out, char sha_out[65],
                           kho_err *err);

/*
 * rstore_certificate_renew: store `data`, the destruction certificate's
 * current package old_id with an archive timestamp added (the daemon's
 * fixity run, before the certificate's evidence ends; verified by the
 * caller: indication), as its renewal: in the store under a key of its
 * own (as the certificate), then in one transaction a packages row
 * (current; old_id becomes "renewed", superseded_by the new one), a
 * ret_certificate_renewals row and the audit event "renew". From then on
 * rstore_certificate_get serves it; the earlier packages stay.
 * KHO_ECONFLICT, nothing stored: old_id is not the current package of a
 * destruction certificate (renewed meanwhile).
 */
int rstore_certificate_renew(rstore *r, const char *old_id, const void *data, size_t len,
                             const char *indication, const char *actor, kho_err *err);

/* What rstore_certificates_check found. */
typedef struct rstore_cert_check {
	int64_t checked, ok, missing, corrupt;
	int64_t not_in_store;       /* served from the legacy file (not migrated) */
	int64_t tombstones_bad;     /* a destroyed record back in the catalog, or a tombstone
	                               whose batch is no executed destruction with a certificate */
	int64_t lost;               /* a package the audit trail says was acknowledged (an
	                               ingest or renew event) neither in the catalog nor destroyed */
	char first_problem[512];
} rstore_cert_check;

/*
 * rstore_certificates_check: read back (rstore_certificate_get) the
 * certificate of every executed destruction batch, check every
 * tombstone against the catalog, and every package the audit trail says
 * was acknowledged against the catalog and the tombstones, for kho fsck. Problems are counted in
 * *out; returns negative only when the check cannot run.
 */
int rstore_certificates_check(rstore *r, rstore_cert_check *out, kho_err *err);

/*
 * rstore_certificate_heads: for every executed destruction batch, the audit
 * head its certificate recorded (<auditHead seq=N>HASH</auditHead>: the
 * trail as the destructions left it, signed and timestamped with the
 * certificate), passed to fn; certificates without one are skipped. A
 * certificate that cannot be read is an error (KHO_ENOTFOUND, KHO_ECRYPTO).
 * A non-zero return of fn stops and is returned.
 */
int rstore_certificate_heads(rstore *r, int (*fn)(int64_t batch, const audit_mark *m, void *arg),
                             void *arg, kho_err *err);

#endif
