/*
 * cms.h: the CMS side of validation: a CAdES SignedData (its signer, its
 * signed attributes, the signature over the detached manifest), RFC 3161
 * timestamp tokens checked as plain CMS, and chain building as of a chosen
 * time. Used by verify.c; nothing here decides an indication, it only finds
 * facts and says what failed in words.
 *
 * The prefix is vcms_ ("verify cms") because CMS_ belongs to OpenSSL.
 *
 * OpenSSL traps handled here (formats.md):
 *  - CMS_verify with CMS_BINARY, else line ends of the manifest are rewritten;
 *  - CMS_verify checks the S/MIME purpose: the document signer is verified
 *    with CMS_NO_SIGNER_CERT_VERIFY and its chain built separately;
 *  - the TS_ API cannot verify RSASSA-PSS tokens: tokens are verified with
 *    CMS_verify and the TSTInfo decoded by hand;
 *  - CMS_get1_crls ignores RFC 5940 `other` revocation entries (OCSP): the
 *    DER of SignedData.crls is walked here to find them.
 */
#ifndef KHO_VCMS_H
#define KHO_VCMS_H

#include <stddef.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

/* Caps on what a signature may carry. */
#define VCMS_MAX_SIZE      (4u * 1024 * 1024)  /* a .p7s or .tst (same as META-INF cap) */
#define VCMS_MAX_OCSP      64                  /* OCSP responses in SignedData.crls */
#define VCMS_MAX_TOKENS    16                  /* signature timestamps per signer */

/* A parsed CAdES signature; only the first SignerInfo is validated. */
typedef struct vcms {
	CMS_ContentInfo *ci;
	CMS_SignerInfo *si;            /* borrowed from ci */
	STACK_OF(X509) *certs;         /* SignedData.certificates (owned, may be empty) */
	STACK_OF(X509_CRL) *crls;      /* SignedData.crls CRL entries (owned, may be empty) */
	kho_buf *ocsp;                 /* DER OCSPResponse from RFC 5940 `other` entries */
	size_t nocsp;
	X509 *signer;                  /* the SignerInfo's certificate, or NULL (owned ref) */
	size_t nsigners;               /* SignerInfos present (only the first is validated) */
} vcms;

/*
 * vcms_parse: decode DER SignedData that must be detached (no eContent) and
 * carry at least one SignerInfo. KHO_EFORMAT with the reason. *out owned by
 * the caller (vcms_free).
 */
int vcms_parse(vcms **out, const void *der, size_t len, kho_err *err);

/*
 * vcms_verify_signature: the SignerInfo's signature (and message-digest
 * attribute) over content, with the signer certificate found in the
 * SignedData. 0, or KHO_ECRYPTO with the reason. Does not touch the chain.
 */
int vcms_verify_signature(vcms *c, const void *content, size_t len, kho_err *err);

/*
 * vcms_check_signing_cert: the signing-certificate reference must be
 * present and its first certificate hash (and issuerSerial, if any) must
 * be those of c->signer: the signing-certificate-v2 signed attribute
 * (ESSCertIDv2, RFC 5035) or, only when it is absent, the v1
 * signing-certificate attribute (ESSCertID, SHA-1, RFC 2634). *out_version
 * gets the attribute read (2 or 1; 0 when neither is there, or no signer),
 * also when it does not match. Further ESSCertIDs (the signer's path) are
 * looked up among the SignedData's certificates and anchors (may be NULL).
 * KHO_ENOTFOUND (absent), KHO_ECRYPTO (does not match), KHO_EFORMAT
 * (undecodable), KHO_ENOMEM.
 */
int vcms_check_signing_cert(int *out_version, vcms *c, STACK_OF(X509) *anchors, kho_err *err);

/*
 * vcms_signing_cert_v2_weak: 1 if an ESSCertIDv2 of the signing-certificate-v2
 * attribute hashes its certificate with a broken digest (SHA-1, MD5, as for
 * vcms_digest_name; an absent hashAlgorithm is SHA-256), else 0, also when
 * the attribute is absent or malformed (vcms_check_signing_cert says so).
 * *out_alg gets the algorithm's short name (static, e.g. "SHA1"), *out_first
 * 1 when that ESSCertIDv2 is the first, the signer certificate's.
 */
int vcms_signing_cert_v2_weak(const char **out_alg, int *out_first, vcms *c);

/* vcms_signing_time: the claimed signing-time signed attribute. KHO_ENOTFOUND. */
int vcms_signing_time(vcms *c, time_t *out);

/* vcms_digest_name / vcms_sig_name: "SHA256", "RSA", "RSASSA-PSS", "ECDSA"
 * (static strings). *weak_md is set to 1 if the SignerInfo's digest (or the
 * digest of a combined signature algorithm) is SHA-1 or MD5. */
const char *vcms_digest_name(vcms *c, int *weak_md);
const char *vcms_sig_name(vcms *c);

/*
 * vcms_weak_key: 1 if pkey is under the algorithm constraints (RSA < 2048
 * bits, EC < 256 bits, DSA at all), else 0. bits gets the size.
 */
int vcms_weak_key(EVP_PKEY *pkey, int *bits);

/*
 * vcms_cert_weak: 1 if certificate x is signed with a broken digest (SHA-1,
 * MD5; RSASSA-PSS by its hash parameter) or, when check_key, holds a key
 * under the constraints of vcms_weak_key; why (n bytes) says which.
 */
int vcms_cert_weak(X509 *x, int check_key, char *why, size_t n);

/*
 * vcms_signature_value: the SignerInfo's signature value, which a signature
 * timestamp's imprint covers. Borrowed from c.
 */
void vcms_signature_value(vcms *c, const unsigned char **sig, size_t *len);

/*
 * vcms_timestamp_tokens: the DER of each id-aa-signatureTimeStampToken
 * unsigned attribute value (up to VCMS_MAX_TOKENS). tokens[] is caller-owned
 * storage; each kho_buf is initialised here and freed by the caller.
 */
int vcms_timestamp_tokens(vcms *c, kho_buf *tokens, size_t max, size_t *n, kho_err *err);
/* vcms_content_timestamp_tokens: the same for the signed attribute
 * id-aa-ets-contentTimestamp (EN 319 122-1 5.2.8: over the signed content). */
int vcms_content_timestamp_tokens(vcms *c, kho_buf *tokens, size_t max, size_t *n, kho_err *err);

/* The findings on one RFC 3161 token. */
typedef struct vcms_tst {
	time_t gen_time;
	int have_gen_time;
	unsigned accuracy;             /* the token's accuracy (RFC 3161 2.4.2), whole seconds
	                                  rounded up; 0 if it gives none */
	char *tsa_subject;             /* RFC 2253 of the token's signer cert, may be NULL */
	char *serial;                  /* hex */
	char *policy;                  /* dotted OID */
	int imprint_ok, signature_ok, chain_ok, eku_ok;
	int weak;                      /* a broken algorithm: imprint, token signature, TSA chain */
	char weak_why[192];            /* ... which one, in words */
	char reason[384];              /* first problem in words, "" if none */
	STACK_OF(X509) *tsa_chain;     /* when chain_ok: TSA certificate ... anchor (for its
	                                  validity and revocation, verify.c) */
} vcms_tst;

/*
 * vcms_timestamp_check: check a token over covered (the bytes whose digest
 * the imprint must hold, hashed with the token's own imprint algorithm):
 * CMS signature with CMS_verify and purpose timestamp-sign set in the
 * store's X509_VERIFY_PARAM, TSA certificate with critical EKU timeStamping
 * chaining (at time at) to an anchor, TSTInfo decoded from the eContent.
 * extra: further untrusted certificates (e.g. the signature's), may be NULL.
 * Returns 0 whenever *out was filled (read the flags); KHO_EFORMAT if the
 * token is not a timestamp token at all (reason in out->reason and err).
 * Free the strings with vcms_tst_clear.
 */
int vcms_timestamp_check(vcms_tst *out, const void *der, size_t len,
                         const void *covered, size_t covered_len,
                         STACK_OF(X509) *anchors, STACK_OF(X509) *extra,
                         time_t at, kho_err *err);
void vcms_tst_clear(vcms_tst *t);

/*
 * vcms_build_chain: build the chain of leaf to one of anchors (an
 * intermediate may be an anchor: X509_V_FLAG_PARTIAL_CHAIN) with the
 * untrusted certificates, as of time at, with the given X509_PURPOSE_*.
 * check_time 0 sets X509_V_FLAG_NO_CHECK_TIME (validity is then the
 * caller's business). No CRL flags: revocation is revocation.c's.
 * *out (leaf first, anchor last) is owned by the caller. KHO_ECRYPTO with
 * OpenSSL's verify error in err, and its X509_V_ERR_* code in *verr (may
 * be NULL; X509_V_OK on success), so that a caller can tell "no chain"
 * from "a chain that fails a check"; KHO_ENOMEM.
 */
int vcms_build_chain(STACK_OF(X509) **out, X509 *leaf, STACK_OF(X509) *untrusted,
                     STACK_OF(X509) *anchors, time_t at, int purpose,
                     int check_time, int *verr, kho_err *err);

/* vcms_asn1_time: ASN1_TIME to time_t. 0 or KHO_EFORMAT. */
int vcms_asn1_time(time_t *out, const ASN1_TIME *t);

/* vcms_name: RFC 2253 text of a name, malloc'd (NULL on failure). */
char *vcms_name(const X509_NAME *n);

/* vcms_serial_hex: hex of a certificate serial, malloc'd (NULL on failure). */
char *vcms_serial_hex(const ASN1_INTEGER *i);

void vcms_free(vcms *c);

#endif
