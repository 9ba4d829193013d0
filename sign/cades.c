/*
 * cades.c: CAdES baseline signatures (ETSI EN 319 122-1) over a detached
 * ASiC manifest, with OpenSSL 3.0's CMS API (see cades.h).
 *
 * The B-B signature is built in two steps, CMS_sign(...CMS_PARTIAL) and
 * CMS_add1_signer, so that the signed attributes can be set before the
 * signature is computed: the claimed signing-time (honouring KHO_NOW and
 * explicit backdating), the RSASSA-PSS parameters, and a
 * signing-certificate-v2 when OpenSSL would have written the SHA-1 v1
 * attribute. CMS_final then digests the manifest with CMS_BINARY so that no
 * line ending is ever rewritten.
 *
 * OCSP responses have no OpenSSL API into SignedData.crls, so cades_to_der
 * rewrites the DER: it appends RevocationInfoChoice `other` elements
 * (RFC 5940 2.2, format id-ri-ocsp-response) and re-encodes the lengths of
 * every enclosing structure.
 */
#include "sign/cades.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/rsa.h>

#include "common/der.h"
#include "common/util.h"

/* Hard caps on what cades_to_der produces and takes in. */
#define CADES_MAX_DER   (64u * 1024 * 1024)
#define CADES_MAX_OCSP  64

/* id-aa-signatureTimeStampToken, RFC 3161 appendix A / EN 319 122-1 5.3. */
#define OID_SIG_TST "1.2.840.113549.1.9.16.2.14"
/* id-ri-ocsp-response, RFC 5940 2.2.1. */
static const unsigned char OID_RI_OCSP_DER[] = {
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02
};

static CMS_SignerInfo *first_signer(CMS_ContentInfo *cms)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);

	if (sis == NULL || sk_CMS_SignerInfo_num(sis) < 1)
		return NULL;
	return sk_CMS_SignerInfo_value(sis, 0);
}

/*
 * add_signing_cert_v2: EN 319 122-1 5.2.2.3 wants ESSCertIDv2 in
 * signing-certificate-v2. OpenSSL's CMS_CADES writes the v1 attribute when
 * the digest is SHA-1; we add a v2 with a SHA-256 certificate hash as well
 * (SHA-1 signatures exist only as test material for constraint failures).
 */
static int add_signing_cert_v2(CMS_SignerInfo *si, X509 *cert, kho_err *err)
{
	ESS_SIGNING_CERT_V2 *sc = NULL;
	unsigned char *der = NULL;
	int len, rc = 0;

	if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0)
		return 0;
	sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), cert, NULL, 1);
	if (sc == NULL) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot build signing-certificate-v2");
		goto out;
	}
	len = i2d_ESS_SIGNING_CERT_V2(sc, &der);
	if (len <= 0 ||
	    !CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
	                                 V_ASN1_SEQUENCE, der, len)) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot add signing-certificate-v2");
		goto out;
	}
out:
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(sc);
	return rc;
}

/* has_cert: 1 if cms already carries a certificate equal to x. */
static int has_cert(CMS_ContentInfo *cms, X509 *x)
{
	STACK_OF(X509) *have = CMS_get1_certs(cms);
	int i, found = 0;

	for (i = 0; have != NULL && i < sk_X509_num(have); i++)
		if (X509_cmp(sk_X509_value(have, i), x) == 0)
			found = 1;
	sk_X509_pop_free(have, X509_free);
	return found;
}

static int add_certs(CMS_ContentInfo *cms, STACK_OF(X509) *certs, kho_err *err)
{
	int i;

	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (x == NULL || has_cert(cms, x))
			continue;
		if (!CMS_add1_cert(cms, x))
			return kho_err_ssl(err, KHO_ECRYPTO, "cannot add a certificate");
	}
	return 0;
}

int cades_sign(CMS_ContentInfo **out, const cades_key *k, const void *data,
               size_t len, kho_err *err)
{
	const unsigned int flags = CMS_BINARY | CMS_DETACHED | CMS_CADES |
	                           CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	const EVP_MD *md;
	ASN1_TIME *st = NULL;
	BIO *in = NULL;
	time_t when;
	int rc = 0, pss;

	*out = NULL;
	if (k == NULL || k->key == NULL || k->cert == NULL || (data == NULL && len > 0))
		return kho_err_set(err, KHO_EINVAL, "cades_sign: key, certificate and data are required");
	if (len > INT_MAX)
		return kho_err_set(err, KHO_ETOOBIG, "cades_sign: data too large");
	md = k->md != NULL ? k->md : EVP_sha256();
	pss = k->pss != 0;
	if (pss && !EVP_PKEY_is_a(k->key, "RSA") && !EVP_PKEY_is_a(k->key, "RSA-PSS"))
		return kho_err_set(err, KHO_EINVAL, "RSASSA-PSS needs an RSA key");
	if (X509_check_private_key(k->cert, k->key) != 1)
		return kho_err_ssl(err, KHO_EINVAL, "the private key does not match the certificate");

	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (cms == NULL) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "CMS_sign failed");
		goto out;
	}
	si = CMS_add1_signer(cms, k->cert, k->key, md, flags | (pss ? CMS_KEY_PARAM : 0));
	if (si == NULL) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "CMS_add1_signer failed");
		goto out;
	}
	if (pss) {
		/* RFC 4056 / EN 319 122-1: salt length = digest length, MGF1 with the same digest. */
		EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);
		if (pctx == NULL ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
			rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot set RSASSA-PSS parameters");
			goto out;
		}
	}
	/*
	 * Signing-time as a signed attribute before CMS_final, which would
	 * otherwise add the wall clock: RFC 5652 11.3 wants UTCTime for
	 * 1950..2049 and GeneralizedTime otherwise, which ASN1_TIME_set picks.
	 */
	when = k->signing_time != 0 ? k->signing_time : kho_now();
	st = ASN1_TIME_set(NULL, when);
	if (st == NULL ||
	    !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, st->type, st, -1)) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot add signing-time");
		goto out;
	}
	rc = add_signing_cert_v2(si, k->cert, err);
	if (rc != 0)
		goto out;
	rc = add_certs(cms, k->chain, err);
	if (rc != 0)
		goto out;
	in = BIO_new_mem_buf(data, (int)len);
	if (in == NULL) {
		rc = kho_err_ssl(err, KHO_ENOMEM, "BIO_new_mem_buf");
		goto out;
	}
	if (!CMS_final(cms, in, NULL, CMS_BINARY | CMS_DETACHED)) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "signing failed");
		goto out;
	}
	*out = cms;
	cms = NULL;
out:
	BIO_free(in);
	ASN1_TIME_free(st);
	CMS_ContentInfo_free(cms);
	return rc;
}

int cades_signature_value(CMS_ContentInfo *cms, const unsigned char **sig,
                          size_t *len, kho_err *err)
{
	CMS_SignerInfo *si = cms != NULL ? first_signer(cms) : NULL;
	ASN1_OCTET_STRING *os;

	if (si == NULL)
		return kho_err_set(err, KHO_EFORMAT, "the signature has no SignerInfo");
	os = CMS_SignerInfo_get0_signature(si);
	if (os == NULL || ASN1_STRING_length(os) <= 0)
		return kho_err_set(err, KHO_EFORMAT, "the SignerInfo has no signature value");
	*sig = ASN1_STRING_get0_data(os);
	*len = (size_t)ASN1_STRING_length(os);
	return 0;
}

/*
 * token_is_signeddata: the outer structure of a CMS ContentInfo carrying
 * SignedData, as DER with definite lengths: SEQUENCE { OBJECT IDENTIFIER
 * 1.2.840.113549.1.7.2, [0] constructed } with nothing after either.
 */
static int token_is_signeddata(const void *der, size_t len)
{
	static const unsigned char oid_signed_data[] = {
		0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
	};
	const unsigned char *p = der, *end, *seq_end;
	long l;
	int tag, cls, r;

	if (len > LONG_MAX)
		return 0;
	end = p + len;
	r = ASN1_get_object(&p, &l, &tag, &cls, (long)len);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL || l != end - p)
		return 0;
	seq_end = end;
	r = ASN1_get_object(&p, &l, &tag, &cls, seq_end - p);
	if ((r & 0x80) || r != 0 || tag != V_ASN1_OBJECT || cls != V_ASN1_UNIVERSAL ||
	    (size_t)l != sizeof oid_signed_data || memcmp(p, oid_signed_data, sizeof oid_signed_data) != 0)
		return 0;
	p += l;
	r = ASN1_get_object(&p, &l, &tag, &cls, seq_end - p);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != 0 || cls != V_ASN1_CONTEXT_SPECIFIC ||
	    l != seq_end - p)
		return 0;
	return 1;
}

int cades_add_timestamp(CMS_ContentInfo *cms, const void *token_der,
                        size_t len, kho_err *err)
{
	CMS_SignerInfo *si = cms != NULL ? first_signer(cms) : NULL;
	ASN1_OBJECT *obj = NULL;
	int rc = 0;

	if (si == NULL)
		return kho_err_set(err, KHO_EINVAL, "no SignerInfo to timestamp");
	if (token_der == NULL || len == 0 || len > INT_MAX)
		return kho_err_set(err, KHO_EINVAL, "empty or oversized timestamp token");
	/*
	 * Refuse anything that is not a SignedData ContentInfo before it enters
	 * a signature. A structural DER check is enough here (RFC 5652 3:
	 * SEQUENCE { OID id-signedData, [0] EXPLICIT content }, spanning exactly
	 * len bytes): the token comes from our own TSA client, which has already
	 * checked it against the request, and verification decodes and checks
	 * it in full. A full d2i_CMS_ContentInfo here decoded the TSA's
	 * certificates only to throw them away (about 240 us per seal).
	 */
	if (!token_is_signeddata(token_der, len))
		return kho_err_set(err, KHO_EFORMAT, "the timestamp token is not a DER ContentInfo");
	obj = OBJ_txt2obj(OID_SIG_TST, 1);
	if (obj == NULL) {
		rc = kho_err_ssl(err, KHO_ENOMEM, "OBJ_txt2obj");
		goto out;
	}
	/* The attribute value is the token itself: a SEQUENCE given as its DER. */
	if (!CMS_unsigned_add1_attr_by_OBJ(si, obj, V_ASN1_SEQUENCE, token_der, (int)len)) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot add the signature timestamp attribute");
		goto out;
	}
out:
	ASN1_OBJECT_free(obj);
	return rc;
}

int cades_add_lt(CMS_ContentInfo *cms, STACK_OF(X509) *certs,
                 STACK_OF(X509_CRL) *crls, kho_err *err)
{
	STACK_OF(X509_CRL) *have = NULL;
	int i, j, rc;

	if (cms == NULL)
		return kho_err_set(err, KHO_EINVAL, "cades_add_lt: no signature");
	rc = add_certs(cms, certs, err);
	if (rc != 0)
		return rc;
	for (i = 0; crls != NULL && i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *c = sk_X509_CRL_value(crls, i);
		int dup = 0;

		if (c == NULL)
			continue;
		have = CMS_get1_crls(cms);
		/* X509_CRL_match compares the whole encoding's digest (X509_CRL_cmp only the issuer). */
		for (j = 0; have != NULL && j < sk_X509_CRL_num(have); j++)
			if (X509_CRL_match(sk_X509_CRL_value(have, j), c) == 0)
				dup = 1;
		sk_X509_CRL_pop_free(have, X509_CRL_free);
		have = NULL;
		if (!dup && !CMS_add1_crl(cms, c))
			return kho_err_ssl(err, KHO_ECRYPTO, "cannot add a CRL");
	}
	return 0;
}

/* ---- DER editing for RFC 5940 `other` revocation info ---- */

/* der_next and der_put_header are in common/der.c, shared with verify/cms.c. */

static int der_wrap(kho_buf *out, unsigned char tag, const kho_buf *content)
{
	int rc = der_put_header(out, tag, content->len);

	if (rc == 0)
		rc = kho_buf_append(out, content->data, content->len);
	return rc;
}

/* DER SET OF order (X.690 11.6): compare encodings as octet strings, shorter padded with zeros. */
static int der_cmp(const void *a, const void *b)
{
	const kho_buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n > 0 ? memcmp(x->data, y->data, n) : 0;

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * add_ocsp_der: rebuild a ContentInfo{SignedData} in der with the OCSP
 * responses appended to SignedData.crls ([1] IMPLICIT SET OF
 * RevocationInfoChoice, RFC 5652 5.1), each as
 *   [1] IMPLICIT OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse }
 * and SignedData.version set to 5 as RFC 5652 5.1 requires when an `other`
 * revocation choice is present.
 */
static int add_ocsp_der(kho_buf *out, const unsigned char *der, size_t len,
                        const kho_buf *ocsp, size_t nocsp, kho_err *err)
{
	der_tlv ci, oid, ex, sd, e;
	kho_buf sdc, crls, tmp, *items = NULL;
	const unsigned char *p;
	size_t left, i, idx = 0;
	int rc = 0, crls_done = 0;

	kho_buf_init(&sdc, CADES_MAX_DER);
	kho_buf_init(&crls, CADES_MAX_DER);
	kho_buf_init(&tmp, CADES_MAX_DER);
	if (der_next(&ci, der, len) != 0 || ci.tag != 0x30 || ci.total != len ||
	    der_next(&oid, ci.val, ci.len) != 0 || oid.tag != 0x06 ||
	    der_next(&ex, ci.val + oid.total, ci.len - oid.total) != 0 || ex.tag != 0xa0 ||
	    der_next(&sd, ex.val, ex.len) != 0 || sd.tag != 0x30) {
		rc = kho_err_set(err, KHO_EFORMAT, "the signature is not a ContentInfo{SignedData}");
		goto out;
	}
	items = calloc(nocsp, sizeof *items);
	if (items == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nocsp; i++) {
		kho_buf inner;

		kho_buf_init(&items[i], CADES_MAX_DER);
		kho_buf_init(&inner, CADES_MAX_DER);
		rc = kho_buf_append(&inner, OID_RI_OCSP_DER, sizeof OID_RI_OCSP_DER);
		if (rc == 0)
			rc = kho_buf_append(&inner, ocsp[i].data, ocsp[i].len);
		if (rc == 0)
			rc = der_wrap(&items[i], 0xa1, &inner);
		kho_buf_free(&inner);
		if (rc != 0) {
			kho_err_set(err, rc, "OCSP responses too large");
			goto out;
		}
	}
	qsort(items, nocsp, sizeof *items, der_cmp);

	/* Walk SignedData's fields: version, digestAlgorithms, encapContentInfo,
	 * [0] certificates, [1] crls, signerInfos. */
	p = sd.val;
	left = sd.len;
	while (left > 0) {
		if (der_next(&e, p, left) != 0) {
			rc = kho_err_set(err, KHO_EFORMAT, "bad DER inside SignedData");
			goto out;
		}
		if (idx == 0) {
			/* version INTEGER: CMSVersion v5. */
			static const unsigned char v5[] = { 0x02, 0x01, 0x05 };
			if (e.tag != 0x02) {
				rc = kho_err_set(err, KHO_EFORMAT, "SignedData has no version");
				goto out;
			}
			rc = kho_buf_append(&sdc, v5, sizeof v5);
		} else if (e.tag == 0xa1) {
			/* Existing crls: keep its elements, ours sort after CRLs (0x30 < 0xa1). */
			rc = kho_buf_append(&crls, e.val, e.len);
			for (i = 0; rc == 0 && i < nocsp; i++)
				rc = kho_buf_append(&crls, items[i].data, items[i].len);
			if (rc == 0)
				rc = der_wrap(&sdc, 0xa1, &crls);
			crls_done = 1;
		} else if (e.tag == 0x31 && idx >= 3 && !crls_done) {
			/* signerInfos with no crls before it: insert the set here. */
			for (i = 0; rc == 0 && i < nocsp; i++)
				rc = kho_buf_append(&crls, items[i].data, items[i].len);
			if (rc == 0)
				rc = der_wrap(&sdc, 0xa1, &crls);
			crls_done = 1;
			if (rc == 0)
				rc = kho_buf_append(&sdc, p, e.total);
		} else {
			rc = kho_buf_append(&sdc, p, e.total);
		}
		if (rc != 0) {
			kho_err_set(err, rc, "signature too large");
			goto out;
		}
		p += e.total;
		left -= e.total;
		idx++;
	}
	if (!crls_done) {
		rc = kho_err_set(err, KHO_EFORMAT, "SignedData has no signerInfos");
		goto out;
	}
	/* Re-encode every enclosing length: SignedData, [0] EXPLICIT, ContentInfo. */
	rc = der_wrap(&tmp, 0x30, &sdc);
	kho_buf_reset(&sdc);
	if (rc == 0)
		rc = der_wrap(&sdc, 0xa0, &tmp);
	kho_buf_reset(&tmp);
	if (rc == 0)
		rc = kho_buf_append(&tmp, ci.val, oid.total);
	if (rc == 0)
		rc = kho_buf_append(&tmp, sdc.data, sdc.len);
	kho_buf_reset(&crls);
	if (rc == 0)
		rc = der_wrap(&crls, 0x30, &tmp);
	/* One append, so that out never holds half a signature. */
	if (rc == 0)
		rc = kho_buf_append(out, crls.data, crls.len);
	if (rc != 0)
		kho_err_set(err, rc, "signature too large");
out:
	for (i = 0; items != NULL && i < nocsp; i++)
		kho_buf_free(&items[i]);
	free(items);
	kho_buf_free(&sdc);
	kho_buf_free(&crls);
	kho_buf_free(&tmp);
	return rc;
}

int cades_to_der(kho_buf *out, CMS_ContentInfo *cms, const kho_buf *ocsp,
                 size_t nocsp, kho_err *err)
{
	unsigned char *der = NULL;
	size_t i;
	int len, rc = 0;

	if (cms == NULL || out == NULL || (nocsp > 0 && ocsp == NULL))
		return kho_err_set(err, KHO_EINVAL, "cades_to_der: bad arguments");
	if (nocsp > CADES_MAX_OCSP)
		return kho_err_set(err, KHO_ETOOBIG, "more than %d OCSP responses", CADES_MAX_OCSP);
	for (i = 0; i < nocsp; i++) {
		/* Only well-formed OCSPResponses go into a signature. */
		const unsigned char *p = ocsp[i].data;
		OCSP_RESPONSE *r;

		if (ocsp[i].len == 0 || ocsp[i].len > LONG_MAX)
			return kho_err_set(err, KHO_EFORMAT, "OCSP response %zu is empty", i + 1);
		r = d2i_OCSP_RESPONSE(NULL, &p, (long)ocsp[i].len);
		if (r == NULL || p != ocsp[i].data + ocsp[i].len) {
			OCSP_RESPONSE_free(r);
			return kho_err_ssl(err, KHO_EFORMAT, "OCSP response %zu is not DER OCSPResponse", i + 1);
		}
		OCSP_RESPONSE_free(r);
	}
	len = i2d_CMS_ContentInfo(cms, &der);
	if (len <= 0)
		return kho_err_ssl(err, KHO_ECRYPTO, "cannot encode the signature");
	if (nocsp == 0) {
		rc = kho_buf_append(out, der, (size_t)len);
		if (rc != 0)
			kho_err_set(err, rc, "signature does not fit the output buffer");
	} else {
		rc = add_ocsp_der(out, der, (size_t)len, ocsp, nocsp, err);
	}
	OPENSSL_free(der);
	return rc;
}
