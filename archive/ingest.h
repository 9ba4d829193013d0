/*
 * ingest.h: the archive's core operations on top of store, catalog and
 * verify, shared by the daemon (kho serve) and the tools (kho fsck):
 *
 *   ingest     full verification, the acceptance policy, then the durable
 *              write order of the ingest contract: store file and key file
 *              (written and renamed), made durable once per group commit
 *              (syncfs of their file systems, catalog_set_group_sync), and
 *              only then the catalog commit;
 *   reverify   decrypt a stored package, check it against its id, and
 *              validate it at the current time with its stored evidence;
 *   fixity     catalog against store: missing, corrupt, orphan and stray
 *              files, and re-verification, rate-limited;
 *   recover    at startup: remove leftovers of a crash (temporary files,
 *              store files and keys never committed to the catalog, which
 *              were therefore never acknowledged).
 *
 * Ingests of the same package are serialised by a striped lock on the id,
 * so two uploads of the same bytes never race on the store file.
 */
#ifndef KHO_INGEST_H
#define KHO_INGEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "archive/catalog.h"
#include "archive/config.h"
#include "archive/keystore.h"
#include "archive/qr.h"
#include "archive/store.h"
#include "common/err.h"
#include "verify/verify.h"

#define INGEST_STRIPES 64

struct tsa;

typedef struct ingest_ctx {
	const config *cfg;                 /* borrowed */
	atomic_int stop;                   /* ingest_stop: a fixity run ends early */
	char data[4096];                   /* data directory */
	store *st;
	keystore *ks;                      /* package keys, outside the data directory */
	catalog *cat;
	STACK_OF(X509) *anchors;           /* NULL if no trust configured */
	STACK_OF(X509_CRL) *crls;          /* may be NULL */
	unsigned char subject_key[32];     /* HMAC key for personal numbers */
	EVP_MAC_CTX *subject_mac;          /* HMAC-SHA256 keyed with it, not updated (ingest_subject_mac) */
	unsigned char master_key[STORE_KEY_LEN]; /* for qr_key_wrap (verification keys) */
	pthread_mutex_t stripes[INGEST_STRIPES];
	/*
	 * Retention at ingest (docs/retention.md, "Classification at ingest"),
	 * set by the daemon, NULL elsewhere. class_check runs before anything
	 * is stored: 0 accept, 1 refuse (422, why in why[n]), 2 refuse a record
	 * destroyed under a disposition decision (410). The daemon
	 * classifies inside the ingest's group transaction
	 * (catalog_set_after_ingest).
	 */
	int (*class_check)(void *arg, const record *r, char *why, size_t n);
	void *class_arg;
	/* Renewal in the fixity run (set by the daemon; 0 and NULL elsewhere,
	 * kho fsck included): a current package whose evidence ends before now
	 * + renew_margin seconds gets an archive timestamp from renew_tsa
	 * (sign/lta.h) and is ingested again as its renewal; with a margin but
	 * no renew_tsa (no tsa configured), each such package is a problem
	 * (renew_failed) saying so. */
	struct tsa *renew_tsa;
	int64_t renew_margin;
	/* The end of renew_tsa's validity: the earliest end of its certificate
	 * chain up to the anchor, as verify.h's tsa_not_after (0 unknown: an
	 * external TSA until its first renewal tells). A TSA that ends within
	 * the margin itself would renew the same packages on every run. */
	time_t renew_tsa_until;
	/* The renewal of a package of no result (a destruction certificate,
	 * retention/rstore.h), set by the daemon: renew_other stores `data`,
	 * package `old` with an archive timestamp added and verified (rep), as
	 * the renewal of `old`. KHO_ECONFLICT: `old` is no longer the current
	 * package of anything it renews (nothing stored). NULL: such packages
	 * are not renewed. */
	int (*renew_other)(void *arg, const catalog_package *old, const void *data, size_t len,
	                   const verify_report *rep, kho_err *err);
	void *renew_other_arg;
	/* Directories open for the group's durability step (syncfs): the
	 * store's, and the key store's if on another file system, else -1. */
	int sync_fd[2];
} ingest_ctx;

/*
 * ingest_open: open the data directory (creates it, 0700), its store (master
 * key created on first start), catalog and subject key, and load the trust
 * anchors and CRLs named by cfg. need_trust = 1 makes missing anchors an
 * error (the daemon); fsck can run without (it then only re-hashes).
 */
int ingest_open(ingest_ctx **out, const config *cfg, const char *data_dir, int need_trust,
                kho_err *err);
/*
 * ingest_open_existing: ingest_open for the tools (kho fsck), creating
 * nothing: DATA/catalog.db must exist (else KHO_ENOTFOUND "DATA is not a
 * kho data directory"), and so must the store's directories, the master and
 * subject key files and the key store (KHO_ENOTFOUND naming the missing
 * path). Only the daemon's first start makes a data directory: a mistyped
 * path must not become a new empty archive, and a lost key must not be
 * replaced by a new one. Legacy key-store files are not migrated.
 */
int ingest_open_existing(ingest_ctx **out, const config *cfg, const char *data_dir,
                         int need_trust, kho_err *err);
void ingest_close(ingest_ctx *c);

/*
 * ingest_dated_after_poe: 1 (reason set, n bytes) if the record of rep has
 * an issueDate, digitizedOn or dossier receipt date after the day (Vietnam's)
 * of the earliest proof of existence of a signature over record.xml, or
 * without one of rep's validation time (the ingest), plus one day of
 * tolerance for time zones; else 0. The ingest refuses such a package (422).
 */
int ingest_dated_after_poe(const verify_report *rep, char *reason, size_t n);

/* ingest_subject_mac: HMAC-SHA256(subject key, personal number or enterprise code). */
int ingest_subject_mac(const ingest_ctx *c, const char *subject_id, unsigned char out[32]);

/* The outcome of an ingest, mapped to HTTP by the daemon. */
typedef struct ingest_result {
	int http;                     /* 201, 200, 403, 409, 410, 422 */
	char id[65];
	char result_code[CATALOG_CODE_MAX];
	char indication[32];
	char sub[48];
	int marked;                   /* stored INDETERMINATE under the policy */
	int superseded;               /* an earlier result was superseded */
	char superseded_by[CATALOG_CODE_MAX]; /* this result was marked superseded as it
	                                 arrived, by that result (archived before it), else "" */
	char renews[65];              /* a renewal (archive timestamps added): the id of
	                                 the package it replaces as the current one, else "" */
	char supersedes_warning[400]; /* the record's <supersedes> marked nothing, and
	                                 why (stored all the same), else "" */
	int repaired;                 /* 200: the archived copy was missing or altered and
	                                 was stored again from these bytes (audited) */
	int key_gone;                 /* the same bytes are archived but their key is not
	                                 in the key store: the copy cannot be read (http 0;
	                                 the caller answers, destroyed or an alert) */
	verify_report *report;        /* the validation report (owned; may be NULL) */
	char reason[512];             /* why, for 403/409/422 */
	double verify_seconds;        /* time spent in verification */
} ingest_result;

/*
 * ingest_file: ingest the package bytes in path (a temporary file the caller
 * removes afterwards). actor names the token; agency, if not NULL, is the
 * agency an officer acts for (the record's agency must match: 403).
 * Returns 0 whenever out->http says what happened; negative only on an
 * internal failure (I/O, memory), which is a 500 with nothing acknowledged.
 */
int ingest_file(ingest_ctx *c, const char *path, const char *actor, const char *agency,
                ingest_result *out, kho_err *err);
/* ingest_mem: ingest_file for package bytes the caller holds in memory
 * (borrowed for the call; a small upload that needs no temporary file). */
int ingest_mem(ingest_ctx *c, const void *data, size_t len, const char *actor,
               const char *agency, ingest_result *out, kho_err *err);
void ingest_result_clear(ingest_result *r);

/*
 * ingest_reverify: decrypt package p into a temporary file (its path into
 * tmp, >= 4096 bytes; the caller unlinks it), check it against its id and
 * validate it now. 0 with *rep set (whatever the indication); KHO_ECRYPTO,
 * KHO_EFORMAT or KHO_ENOTFOUND when the stored file is altered or missing
 * (then tmp is empty and nothing is left behind). Records the outcome as the
 * package's last check.
 */
int ingest_reverify(ingest_ctx *c, const catalog_package *p, char *tmp, size_t n,
                    verify_report **rep, kho_err *err);

/*
 * ingest_issue_key: give result_code a new random verification key (qr.h),
 * stored hashed and wrapped; the clear key into key_out if not NULL (wipe
 * it). Replaces an earlier key: a stolen paper copy stops working.
 */
int ingest_issue_key(ingest_ctx *c, const char *result_code,
                     char key_out[QR_KEY_TEXT_LEN + 1], kho_err *err);

/*
 * ingest_qr_key: the clear verification key of result_code, unwrapped with
 * the master key (for printing the QR code again). KHO_ENOTFOUND.
 */
int ingest_qr_key(ingest_ctx *c, const char *result_code, char key_out[QR_KEY_TEXT_LEN + 1],
                  kho_err *err);

/* ingest_acceptable: 1 if rep passes the acceptance policy (TOTAL-PASSED, or
 * INDETERMINATE with a sub-indication the policy accepts). */
int ingest_acceptable(const ingest_ctx *c, const verify_report *rep);

typedef struct fixity_summary {
	int64_t packages;         /* catalog rows checked */
	int64_t ok;
	int64_t missing;          /* in the catalog, no file */
	int64_t corrupt;          /* file fails its tag or digest */
	int64_t failed;           /* decrypts but does not pass verification now */
	int64_t orphans;          /* a store file the catalog does not know */
	int64_t strays;           /* other files in the store */
	int64_t skipped;          /* no trust to re-verify */
	int64_t missing_keys;     /* a catalog row whose key is not in the key store */
	int64_t mismatched;       /* a current package whose record.xml differs from the
	                             catalog's record of its result (or a package row that
	                             names another result) */
	int64_t renewed;          /* given an archive timestamp (ingest_ctx.renew_tsa) */
	int64_t renew_failed;     /* due for one, but the renewal failed */
	int renew_tsa_failed;     /* the TSA failed once: no more renewals this run */
	char last_id[65];         /* the last package checked (a resumable cursor) */
	uint64_t bytes;
	char first_problem[512];
	/* ingest_fixity's on_problem: called with each problem as it is
	 * found, if set (kho fsck lists them); the summary keeps the first. */
	void (*on_problem)(const char *id, const char *why, void *arg);
	void *problem_arg;
} fixity_summary;

/*
 * ingest_fixity: check every package whose id is after `after` (NULL: every
 * one; a run interrupted after sum->last_id resumes there), progress(done,
 * total, arg) after each (may be NULL; sum->last_id is then the package just
 * checked), re-verify if reverify and anchors are present, then walk the
 * store for orphans (files younger than grace seconds are skipped: an ingest
 * may be between its store write and its commit). bps > 0 limits the read
 * rate. Problems are reported through the summary; returns negative only
 * when the check itself could not run.
 */
/* ingest_stop: a fixity run in progress ends at the next package (or
 * throttled chunk) with KHO_EPERM "stopped"; for the daemon's shutdown. */
void ingest_stop(ingest_ctx *c);

int ingest_fixity(ingest_ctx *c, const char *after, int reverify, uint64_t bps, unsigned grace,
                  void (*progress)(int64_t done, int64_t total, void *arg),
                  void (*on_problem)(const char *id, const char *why, void *arg), void *arg,
                  fixity_summary *sum, kho_err *err);

/* fixity_problems: the number of problems in a summary. */
int64_t fixity_problems(const fixity_summary *s);

/*
 * ingest_recover: at daemon start: clear temporary files and remove store
 * files that no catalog row references (never acknowledged), and those of
 * packages destroyed(id, arg) says were destroyed (may be NULL: none); a
 * file the audit trail acknowledged is kept, with an alert. *removed gets
 * their number; each is audited.
 */
int ingest_recover(ingest_ctx *c, int (*destroyed)(const char *id, void *arg), void *arg,
                   int *removed, kho_err *err);

#endif
