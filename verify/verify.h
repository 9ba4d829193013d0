/*
 * verify.h: full validation of an ASiC-E/CAdES package at a chosen time, in
 * the vocabulary of ETSI EN 319 102-1 (the EU reference validator's).
 *
 * Per signature (META-INF/signature*.p7s with the ASiCManifest whose
 * SigReference names it):
 *   1. container safety and format (pkg.h refuses hostile ZIPs);
 *   2. every data object covered by a signed manifest, unsigned extras
 *      reported; each reference's digest (HASH_FAILURE), presence
 *      (SIGNED_DATA_NOT_FOUND);
 *   3. CMS cryptography over the manifest's exact bytes (SIG_CRYPTO_FAILURE),
 *      signing-certificate-v2 binding (NO_SIGNING_CERTIFICATE_FOUND);
 *   4. the signature timestamp: imprint over the signature value, TSA chain,
 *      critical timeStamping EKU, verified as CMS (so RSASSA-PSS tokens work);
 *      its genTime is the best signature time (proof of existence, POE);
 *   5. chain to the trust anchors (an intermediate may be an anchor) as of
 *      the POE (NO_CERTIFICATE_CHAIN_FOUND), key usage;
 *   6. certificate validity at the POE (OUT_OF_BOUNDS_NO_POE, NOT_YET_VALID);
 *   7. revocation at the POE from embedded or supplied CRLs/OCSP, by kho's
 *      own logic (REVOKED, REVOKED_NO_POE);
 *   8. signing-time not after the timestamp (TIMESTAMP_ORDER_FAILURE);
 *   9. algorithm constraints: no SHA-1, no RSA under 2048 bits
 *      (CRYPTO_CONSTRAINTS_FAILURE).
 * Also: timestamp tokens over (archive) manifests (META-INF/<name>.tst) are
 * checked for their imprint and signature and listed.
 */
#ifndef KHO_VERIFY_H
#define KHO_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "archive/pkg.h"
#include "archive/record.h"
#include "common/buf.h"
#include "common/err.h"

/* Main indications (ETSI EN 319 102-1, 5.1.3). */
enum vr_indication {
	VR_TOTAL_PASSED = 0,
	VR_TOTAL_FAILED = 1,
	VR_INDETERMINATE = 2,
};

/* Sub-indications; VR_SUB_NONE with TOTAL-PASSED. */
enum vr_sub {
	VR_SUB_NONE = 0,
	VR_FORMAT_FAILURE, VR_HASH_FAILURE, VR_SIG_CRYPTO_FAILURE, VR_REVOKED,
	VR_NOT_YET_VALID,
	VR_NO_CERTIFICATE_CHAIN_FOUND, VR_NO_SIGNING_CERTIFICATE_FOUND,
	VR_SIGNED_DATA_NOT_FOUND, VR_OUT_OF_BOUNDS_NO_POE, VR_REVOKED_NO_POE,
	VR_TIMESTAMP_ORDER_FAILURE, VR_CRYPTO_CONSTRAINTS_FAILURE, VR_EXPIRED,
	VR_TRY_LATER, VR_CHAIN_CONSTRAINTS_FAILURE, VR_SIG_CONSTRAINTS_FAILURE,
};

/* State of one data object as seen from one signature (or the container). */
enum vr_object_state {
	VR_OBJ_OK = 0,      /* present, digest matches */
	VR_OBJ_HASH_FAILURE,/* present, digest differs */
	VR_OBJ_MISSING,     /* listed in the manifest, absent from the container */
	VR_OBJ_UNSIGNED,    /* present in the container, covered by no manifest */
	VR_OBJ_UNSUPPORTED, /* digest algorithm unknown */
};

typedef struct vr_object {
	char *name;
	enum vr_object_state state;
	char *digest_alg;          /* URI from the manifest, may be NULL */
	/* The SHA-256 of the entry named `name`, as computed here from its
	 * bytes, when the manifest digests it with SHA-256 and it matched
	 * (VR_OBJ_OK): the ingest indexes these without hashing again. */
	int have_sha256;
	unsigned char sha256[32];
} vr_object;

typedef struct vr_timestamp {
	char *where;               /* "signature-timestamp" or the .tst entry name */
	time_t gen_time;
	char *tsa_subject;         /* may be NULL */
	int imprint_ok;            /* the imprint matches what it covers */
	int signature_ok;          /* the token's CMS signature verifies */
	int chain_ok;              /* the TSA chains to a trust anchor */
	time_t tsa_not_after;      /* the end of the TSA's validity: the earliest notAfter of
	                              its chain, TSA certificate to trust anchor (the token
	                              proves nothing past any of them); 0 if unknown */
	int accepted;              /* it stands as a proof of existence (valid now or
	                              through an archive timestamp, TSA acceptable,
	                              no broken algorithm, its manifest's digests hold) */
	char *serial;              /* hex, may be NULL */
	char *policy;              /* OID text, may be NULL */
	char *reason;              /* why it is not accepted, NULL when it is */
} vr_timestamp;

typedef struct vr_signature {
	char *id;                  /* the signature entry, e.g. META-INF/signature001.p7s */
	char *manifest;            /* the manifest entry that it signs, may be NULL */
	enum vr_indication indication;
	enum vr_sub sub;
	char *level;               /* "CAdES-BASELINE-B", "-T", "-LT" (as found) */
	char *signer_subject;      /* RFC 2253, may be NULL */
	char *signer_issuer;
	char *signer_serial;       /* hex */
	time_t signer_not_before, signer_not_after;
	char *digest_alg;          /* e.g. "SHA256" */
	char *sig_alg;             /* e.g. "RSA", "RSASSA-PSS", "ECDSA" */
	int has_signing_time;
	time_t signing_time;       /* claimed, signed attribute */
	int has_poe;
	time_t best_signature_time;/* POE: timestamp genTime, else validation time */
	vr_timestamp *timestamps;  /* the signature timestamp(s) */
	size_t ntimestamps;
	vr_object *objects;        /* per data object of its manifest */
	size_t nobjects;
	char **reasons;            /* in words, most important first */
	size_t nreasons;
	char **warnings;
	size_t nwarnings;
} vr_signature;

typedef struct verify_report {
	time_t validation_time;
	enum vr_indication indication;  /* worst over signatures (FAILED > INDETERMINATE > PASSED) */
	enum vr_sub sub;                /* of the first signature with that indication */
	char *container_type;           /* "ASiC-E" or "ZIP" */
	char **deviations;              /* container deviations (from pkg) */
	size_t ndeviations;
	char **reasons;                 /* container-level reasons (e.g. no signature) */
	size_t nreasons;
	char **warnings;                /* container-level warnings (a container timestamp's
	                                   TSA chain without revocation data) */
	size_t nwarnings;
	vr_signature *sigs;
	size_t nsigs;
	vr_timestamp *timestamps;       /* container-level tokens (META-INF/<name>.tst) */
	size_t ntimestamps;
	vr_object *unsigned_objects;    /* entries covered by no signed manifest */
	size_t nunsigned;
	record *record;                 /* parsed record.xml if present and valid, else NULL */
	unsigned char package_sha256[32];
	int have_package_sha256;
	/* The container was refused for a size limit of the reader (KHO_ETOOBIG:
	 * larger than the limits given, verify_opts.limits), not for its form:
	 * the public page says it cannot check it, not that it is invalid. */
	int over_limits;
} verify_report;

/*
 * verify_evidence_until: until when the report's evidence holds: for each
 * signature, the latest tsa_not_after (the earliest end in the TSA's
 * certificate chain) of the accepted tokens covering it (its own
 * timestamps and the container's archive timestamps, those that stand as
 * proofs of existence), or its signer certificate's end when no such token
 * covers it (a signature without a timestamp); the earliest of these over
 * the signatures (the package lapses with its first signature to lapse).
 * 0 if it has none. Before that time an archive timestamp must be added
 * (kho renew), or the package stops verifying.
 */
time_t verify_evidence_until(const verify_report *r);

typedef struct verify_opts {
	STACK_OF(X509) *anchors;        /* trust anchors (roots or intermediates) */
	STACK_OF(X509_CRL) *crls;       /* extra revocation data, may be NULL */
	time_t at;                      /* validation time; 0 = kho_now() unless at_set */
	int at_set;                     /* 1: at is the validation time even when 0
	                                 * (1970-01-01T00:00:00Z, a date like any other) */
	const pkg_limits *limits;       /* NULL = pkg_limits_default() */
	/* The SHA-256 of the package bytes when the caller has it already (the
	 * ingest computes it first, for its id): used as is instead of hashing
	 * the package again. NULL: computed here. */
	const unsigned char *package_sha256;
	/* Not NULL: when the container could be read, the parsed package is
	 * handed over in *keep_pkg (the caller pkg_free's it) instead of being
	 * freed, so that the ingest does not read it a second time. A package
	 * from verify_package_mem borrows the caller's bytes (PKG_READ_BORROW). */
	pkg **keep_pkg;
} verify_opts;

/*
 * verify_package_mem / verify_package_file: validate a package. Returns 0
 * whenever a report was produced, including for TOTAL-FAILED (an unreadable
 * or hostile container is TOTAL-FAILED / FORMAT_FAILURE with the reason).
 * Negative only when no report can be made (KHO_ENOTFOUND, KHO_EIO for the
 * file, KHO_ENOMEM). *out is owned by the caller.
 */
int verify_package_mem(verify_report **out, const void *data, size_t len,
                       const verify_opts *opts, kho_err *err);
int verify_package_file(verify_report **out, const char *path,
                        const verify_opts *opts, kho_err *err);

/* Report output, appended to out. */
int verify_report_text(kho_buf *out, const verify_report *r);
int verify_report_json(kho_buf *out, const verify_report *r);   /* jansson */
int verify_report_xml(kho_buf *out, const verify_report *r);    /* ETSI TS 119 102-2 */

/*
 * verify_timestamp_why: why the container token named where (a .tst entry)
 * is not accepted: its own reason (vr_timestamp.reason), else as the
 * report's reasons give it ("<where> over <manifest>: not accepted: <why>",
 * verify.c): a pointer inside r, or NULL if the report gives none. For messages that must name the real
 * cause (a revoked TSA, one the trust anchors do not know...).
 */
const char *verify_timestamp_why(const verify_report *r, const char *where);

/* Names: "TOTAL-PASSED", "HASH_FAILURE"; URIs per ETSI TS 119 102-2. */
const char *vr_indication_name(enum vr_indication i);
const char *vr_sub_name(enum vr_sub s);

void verify_report_free(verify_report *r);

/* Helpers for loading PEM material (certificates, CRLs) from files. */
int verify_load_certs(STACK_OF(X509) **out, const char *path, kho_err *err);
int verify_load_crls(STACK_OF(X509_CRL) **out, const char *path, kho_err *err);

#endif
