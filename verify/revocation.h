/*
 * revocation.h: the status of one certificate at a past time (the proof of
 * existence, POE), from CRLs and OCSP responses, by kho's own logic.
 *
 * OpenSSL cannot do this (formats.md): with X509_V_FLAG_CRL_CHECK and a
 * verification time in the past, a CRL issued after that time (the normal
 * evidence for a past signature) is rejected as "not yet valid", and
 * OCSP_check_validity compares with the wall clock. So, per EN 319 102-1
 * 5.2.5 (revocation freshness) and 5.2.6, kho:
 *   - uses only evidence signed by the certificate's issuer in the built
 *     chain (CRL: issuer name equal and X509_CRL_verify with the issuer's
 *     key, cRLSign key usage if the issuer has a key usage; OCSP: signed by
 *     the issuer or by a responder the issuer certified for OCSPSigning);
 *     other evidence for the same issuer name is ignored and counted;
 *   - REVOKED when some evidence lists the serial with a revocation date at
 *     or before the POE (removeFromCRL entries do not count);
 *   - GOOD when the serial is listed as revoked only after the POE (it was
 *     good at that time: the note says so), or when evidence issued at or
 *     after the POE, or valid at the POE (thisUpdate <= POE <= nextUpdate),
 *     does not list it;
 *   - UNKNOWN when no usable evidence covers the POE (the caller decides the
 *     policy: kho makes it a warning, see docs/verification.md).
 */
#ifndef KHO_REVOCATION_H
#define KHO_REVOCATION_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

enum revocation_status {
	REVOCATION_GOOD = 0,
	REVOCATION_REVOKED = 1,
	REVOCATION_UNKNOWN = 2,
};

typedef struct revocation_result {
	enum revocation_status status;
	int revoked_after_poe;     /* GOOD, but listed as revoked after the POE */
	time_t revoked_at;         /* when listed as revoked (REVOKED or revoked_after_poe) */
	int reason_code;           /* CRLReason, -1 if none given */
	const char *source;        /* "CRL", "OCSP" or NULL: static */
	size_t nused;              /* pieces of evidence that applied (right issuer, valid signature) */
	size_t nignored;           /* evidence for this issuer name that was rejected */
	char note[384];            /* in words: what decided, or why nothing did */
} revocation_result;

/*
 * CRL signatures already verified within one validation (the signer's and
 * the TSA's chains often share their CRLs): pairs of the CRL and the key
 * that verified it. The caller owns it, zeroed, for as long as the CRLs and
 * the keys live; a full memo just stops remembering.
 */
#define REVOCATION_MEMO_MAX 16
typedef struct revocation_memo {
	const X509_CRL *crl[REVOCATION_MEMO_MAX];
	const EVP_PKEY *key[REVOCATION_MEMO_MAX];
	size_t n;
} revocation_memo;

/*
 * revocation_check: status of cert (issued by issuer) at time poe from crls
 * (may be NULL) and DER OCSPResponses ocsp[0..nocsp) (may be NULL/0).
 * Returns 0 when *out was filled (whatever the status), negative on
 * allocation failure.
 */
int revocation_check(revocation_result *out, X509 *cert, X509 *issuer,
                     STACK_OF(X509_CRL) *crls, const kho_buf *ocsp, size_t nocsp,
                     time_t poe, kho_err *err);

/* revocation_check_memo: the same, with memo (may be NULL). */
int revocation_check_memo(revocation_result *out, X509 *cert, X509 *issuer,
                          STACK_OF(X509_CRL) *crls, const kho_buf *ocsp, size_t nocsp,
                          time_t poe, revocation_memo *memo, kho_err *err);

/* revocation_reason_name: "keyCompromise"... for a CRLReason code, or "unspecified". */
const char *revocation_reason_name(int code);

#endif
