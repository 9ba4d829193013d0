/*
 * cades.h: CAdES baseline signatures (ETSI EN 319 122-1) over a detached
 * manifest, with OpenSSL's CMS API.
 *
 * B-B: SignedData, detached, CMS_BINARY (so no line ending is ever rewritten),
 *      SHA-256 (or another digest), signed attributes content-type,
 *      message-digest, signing-time and signing-certificate-v2 (CMS_CADES),
 *      no SMIMECapabilities. Keys: RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA P-256.
 * B-T: plus id-aa-signatureTimeStampToken (1.2.840.113549.1.9.16.2.14) as an
 *      unsigned attribute, a token over the SignerInfo's signature value.
 * B-LT: plus the certificates and revocation data (CRLs in SignedData.crls;
 *      OCSP responses as RevocationInfoChoice `other`, format
 *      1.3.6.1.5.5.7.16.2, RFC 5940) needed to validate later.
 */
#ifndef KHO_CADES_H
#define KHO_CADES_H

#include <stddef.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

/* What signs: borrowed pointers, valid for the duration of the call. */
typedef struct cades_key {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;    /* intermediates to embed, may be NULL */
	int pss;                  /* RSA only: 1 = RSASSA-PSS, 0 = PKCS#1 v1.5 */
	const EVP_MD *md;         /* NULL = SHA-256 */
	time_t signing_time;      /* 0 = now (kho_now()) */
} cades_key;

/* cades_sign: a CAdES-B-B SignedData over data (detached). *out owned by caller. */
int cades_sign(CMS_ContentInfo **out, const cades_key *k, const void *data,
               size_t len, kho_err *err);

/*
 * cades_signature_value: the (first) SignerInfo's signature value, which a
 * signature timestamp's imprint covers. Borrowed from cms.
 */
int cades_signature_value(CMS_ContentInfo *cms, const unsigned char **sig,
                          size_t *len, kho_err *err);

/* cades_add_timestamp: add a timestamp token (DER ContentInfo) as the
 * signature-time-stamp unsigned attribute of the first SignerInfo. */
int cades_add_timestamp(CMS_ContentInfo *cms, const void *token_der,
                        size_t len, kho_err *err);

/*
 * cades_add_lt: add certificates (deduplicated against those present) and
 * CRLs to SignedData. Either stack may be NULL.
 */
int cades_add_lt(CMS_ContentInfo *cms, STACK_OF(X509) *certs,
                 STACK_OF(X509_CRL) *crls, kho_err *err);

/*
 * cades_to_der: serialise cms into out. ocsp (DER OCSPResponse blobs, may be
 * NULL/0) are inserted into SignedData.crls as RevocationInfoChoice `other`
 * (RFC 5940), which no OpenSSL API can do, by editing the DER.
 */
int cades_to_der(kho_buf *out, CMS_ContentInfo *cms, const kho_buf *ocsp,
                 size_t nocsp, kho_err *err);

#endif
