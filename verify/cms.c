/*
 * cms.c: facts about a CAdES signature and its timestamp tokens, found with
 * OpenSSL's CMS API (see cms.h for the traps avoided). Every OpenSSL error
 * is converted into a kho_err (or a reason string) where it happens.
 */
#include "verify/cms.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/der.h"
#include "common/util.h"
#include "verify/certcache.h"

/* RFC 5940: id-ri-ocsp-response, the `other` RevocationInfoChoice format. */
static const unsigned char oid_ri_ocsp[] = {
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02
};
/* id-pkix-ocsp-basic: a BasicOCSPResponse as `other`, as DSS writes it
 * (EN 319 122-1 allows it for CAdES; dss1421.asice has one). */
static const unsigned char oid_ocsp_basic[] = {
	0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01
};

/* Keep one OCSPResponse (DER) in c->ocsp. */
static int keep_ocsp(vcms *c, const unsigned char *der, size_t len, kho_err *err)
{
	int rc;

	if (c->nocsp >= VCMS_MAX_OCSP)
		return kho_err_set(err, KHO_ETOOBIG, "more than %d OCSP responses in the signature",
		                   VCMS_MAX_OCSP);
	if (c->ocsp == NULL) {
		c->ocsp = calloc(VCMS_MAX_OCSP, sizeof *c->ocsp);
		if (c->ocsp == NULL)
			return kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
	kho_buf_init(&c->ocsp[c->nocsp], VCMS_MAX_SIZE);
	rc = kho_buf_append(&c->ocsp[c->nocsp], der, len);
	if (rc != 0)
		return kho_err_set(err, rc, "OCSP response too large");
	c->nocsp++;
	return 0;
}

/* A BasicOCSPResponse becomes a successful OCSPResponse, the one form
 * revocation.c reads. Undecodable ones are skipped (not evidence). */
static int keep_basic(vcms *c, const unsigned char *der, long len, kho_err *err)
{
	const unsigned char *p = der;
	OCSP_BASICRESP *bs = d2i_OCSP_BASICRESP(NULL, &p, len);
	OCSP_RESPONSE *resp = NULL;
	unsigned char *out = NULL;
	int l, rc = 0;

	if (bs == NULL) {
		ERR_clear_error();
		return 0;
	}
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	l = resp != NULL ? i2d_OCSP_RESPONSE(resp, &out) : -1;
	if (l > 0)
		rc = keep_ocsp(c, out, (size_t)l, err);
	else
		rc = kho_err_ssl(err, KHO_ENOMEM, "OCSP response");
	OPENSSL_free(out);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return rc;
}

void vcms_free(vcms *c)
{
	size_t i;

	if (c == NULL)
		return;
	CMS_ContentInfo_free(c->ci);
	sk_X509_pop_free(c->certs, X509_free);
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	for (i = 0; i < c->nocsp; i++)
		kho_buf_free(&c->ocsp[i]);
	free(c->ocsp);
	X509_free(c->signer);
	free(c);
}

/*
 * One DER TLV from a bounded cursor: the caller's (p, left) advance past
 * it. Indefinite lengths are refused (the walk below is over DER only).
 */
static int tlv(const unsigned char **p, long *left, int *tag, int *cls,
               int *constructed, const unsigned char **content, long *clen)
{
	const unsigned char *q = *p;
	long l = 0, hdr;
	int r;

	if (*left <= 0)
		return -1;
	r = ASN1_get_object(&q, &l, tag, cls, *left);
	if ((r & 0x80) != 0 || r == 0x21)
		return -1;
	hdr = (long)(q - *p);
	if (hdr < 0 || *left - hdr < l)
		return -1;
	*constructed = (r & V_ASN1_CONSTRUCTED) != 0;
	*content = q;
	*clen = l;
	*p = q + l;
	*left -= hdr + l;
	return 0;
}

/*
 * Walk ContentInfo -> [0] SignedData -> crls [1] and collect the
 * otherRevInfo of each `other` entry ([1] IMPLICIT OtherRevocationInfoFormat)
 * whose format is id-ri-ocsp-response (RFC 5940 section 2). OpenSSL parses
 * SignedData.crls but exposes only the CRLs. Anything unexpected simply ends
 * the walk: the signature itself was already decoded by d2i_CMS_ContentInfo.
 */
static int collect_ocsp(vcms *c, const unsigned char *der, size_t len, kho_err *err)
{
	const unsigned char *p = der, *ct, *sd, *q;
	long left, cl, sdl, ql;
	int tag, cls, cons, rc;

	if (len > LONG_MAX)
		return 0;
	left = (long)len;
	if (tlv(&p, &left, &tag, &cls, &cons, &ct, &cl) != 0 || tag != V_ASN1_SEQUENCE)
		return 0;
	p = ct, left = cl;
	if (tlv(&p, &left, &tag, &cls, &cons, &q, &ql) != 0 || tag != V_ASN1_OBJECT)
		return 0;
	if (tlv(&p, &left, &tag, &cls, &cons, &q, &ql) != 0 ||
	    cls != V_ASN1_CONTEXT_SPECIFIC || tag != 0)
		return 0;
	p = q, left = ql;
	if (tlv(&p, &left, &tag, &cls, &cons, &sd, &sdl) != 0 || tag != V_ASN1_SEQUENCE)
		return 0;
	p = sd, left = sdl;
	/* version, digestAlgorithms, encapContentInfo, then [0] certs, [1] crls */
	for (;;) {
		if (left <= 0 || tlv(&p, &left, &tag, &cls, &cons, &q, &ql) != 0)
			return 0; /* no crls field */
		if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 1 && cons)
			break;
	}
	/* q/ql: the RevocationInfoChoices */
	p = q, left = ql;
	while (left > 0) {
		const unsigned char *e, *r;
		long el, rl;
		int etag, ecls, econs;

		if (tlv(&p, &left, &etag, &ecls, &econs, &e, &el) != 0)
			return 0;
		if (ecls != V_ASN1_CONTEXT_SPECIFIC || etag != 1 || !econs)
			continue; /* a CertificateList: CMS_get1_crls has it */
		/* OtherRevocationInfoFormat: OID then the OCSPResponse */
		r = e, rl = el;
		{
			const unsigned char *start, *body;
			long bl;
			int t2, c2, k2, basic;

			if (rl >= (long)sizeof oid_ri_ocsp &&
			    memcmp(r, oid_ri_ocsp, sizeof oid_ri_ocsp) == 0) {
				basic = 0;
				r += sizeof oid_ri_ocsp;
				rl -= (long)sizeof oid_ri_ocsp;
			} else if (rl >= (long)sizeof oid_ocsp_basic &&
			           memcmp(r, oid_ocsp_basic, sizeof oid_ocsp_basic) == 0) {
				basic = 1;
				r += sizeof oid_ocsp_basic;
				rl -= (long)sizeof oid_ocsp_basic;
			} else {
				continue;
			}
			start = r;
			if (tlv(&r, &rl, &t2, &c2, &k2, &body, &bl) != 0 || t2 != V_ASN1_SEQUENCE)
				continue;
			rc = basic ? keep_basic(c, start, (long)(r - start), err)
			           : keep_ocsp(c, start, (size_t)(r - start), err);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* id-signedData, RFC 5652 5.1: 1.2.840.113549.1.7.2 (contents octets). */
static const unsigned char oid_signed_data[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
};

/* SignedData.certificates (.crls) taken out at most this many entries long. */
#define VCMS_MAX_CERTS 64
#define VCMS_MAX_CRLS 64

/*
 * decode_signed_data: d2i_CMS_ContentInfo of a ContentInfo, but with the
 * certificates of SignedData.certificates (and, when crls_out is given, the
 * CRLs of SignedData.crls) taken from the process-wide decoded-object cache
 * (certcache.h) instead of decoded again.
 *
 * The walk (DER, definite lengths) finds ContentInfo -> [0] -> SignedData
 * and its fields (RFC 5652 5.1): version, digestAlgorithms,
 * encapContentInfo, certificates [0] IMPLICIT CertificateSet OPTIONAL,
 * crls [1] IMPLICIT RevocationInfoChoices OPTIONAL, signerInfos. Each
 * member of certificates must be a plain Certificate (SEQUENCE); the crls
 * field is taken out only when every member is a plain CertificateList
 * (SEQUENCE), so a field that also holds `other` entries (RFC 5940 OCSP,
 * which collect_ocsp reads from the original DER) stays for CMS to decode.
 * Each object is looked up by the SHA-256 of its bytes. CMS then decodes a
 * copy of the DER with those fields left out, and the certificates (CRLs)
 * go to the caller in their original order: the certificates to be handed
 * to CMS_verify as its `certs` argument, the CRLs in place of
 * CMS_get1_crls.
 *
 * This does not change what is verified: the SignerInfo's signature covers
 * its signed attributes (RFC 5652 5.4), never SignedData.certificates or
 * .crls, the signer is still identified by issuer and serial number or
 * subject key identifier (5.3) among the same certificates, and a cached
 * CRL is only a decoded object: its signature is verified for every use
 * (revocation.c).
 *
 * Whenever the input is not in that shape (BER lengths, other
 * CertificateChoices, no certificates, a certificate or CRL that does not
 * decode, trailing bytes, too many of them), the original path runs
 * instead: d2i_CMS_ContentInfo of the whole input, CMS_get1_certs and
 * CMS_get1_crls, so every error and every result is OpenSSL's own, as
 * before. *consumed says how many bytes the ContentInfo took (len on the
 * fast path).
 */
static CMS_ContentInfo *decode_signed_data(const unsigned char *der, size_t len,
                                           STACK_OF(X509) **certs_out,
                                           STACK_OF(X509_CRL) **crls_out, size_t *consumed)
{
	der_tlv ci, oid, ex, sd, f, c = { 0 }, r = { 0 };
	const unsigned char *p, *keep_from[8];
	size_t keep_len[8], nkeep = 0;
	size_t left, nfields = 0, sd_len, ex_len, ci_len;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	CMS_ContentInfo *cms = NULL;
	kho_buf buf;
	int fast = 0, have_certs = 0, have_crls = 0;

	*certs_out = NULL;
	if (crls_out != NULL)
		*crls_out = NULL;
	kho_buf_init(&buf, VCMS_MAX_SIZE);
	if (der_next(&ci, der, len) != 0 || ci.tag != 0x30 || ci.total != len ||
	    der_next(&oid, ci.val, ci.len) != 0 || oid.tag != 0x06 ||
	    oid.len != sizeof oid_signed_data || memcmp(oid.val, oid_signed_data, oid.len) != 0 ||
	    der_next(&ex, ci.val + oid.total, ci.len - oid.total) != 0 || ex.tag != 0xa0 ||
	    oid.total + ex.total != ci.len ||
	    der_next(&sd, ex.val, ex.len) != 0 || sd.tag != 0x30 || sd.total != ex.len)
		goto slow;
	/* version, digestAlgorithms, encapContentInfo, [0] certificates?,
	 * [1] crls?, signerInfos: at most six fields. */
	sd_len = 0;
	for (p = sd.val, left = sd.len; left > 0; p += f.total, left -= f.total) {
		int take = 0;

		if (der_next(&f, p, left) != 0 || nfields == 3 + 1 + 1 + 1)
			goto slow;
		nfields++;
		if (nfields == 4 && f.tag == 0xa0) {
			have_certs = 1;
			c = f;
			take = 1;
		} else if (crls_out != NULL && (nfields == 4 || (nfields == 5 && have_certs)) &&
		           f.tag == 0xa1) {
			/* Only a crls field of plain CertificateLists is taken out. */
			const unsigned char *q;
			size_t ql;
			der_tlv m;

			take = 1;
			for (q = f.val, ql = f.len; take && ql > 0; q += m.total, ql -= m.total)
				take = der_next(&m, q, ql) == 0 && m.tag == 0x30;
			if (take) {
				have_crls = 1;
				r = f;
			}
		}
		if (!take) {
			keep_from[nkeep] = p;
			keep_len[nkeep++] = f.total;
			sd_len += f.total;
		}
	}
	if (!have_certs)
		goto slow;
	certs = sk_X509_new_null();
	if (certs == NULL)
		goto slow;
	for (p = c.val, left = c.len; left > 0; p += f.total, left -= f.total) {
		X509 *x;

		if (der_next(&f, p, left) != 0 || f.tag != 0x30 ||
		    sk_X509_num(certs) >= VCMS_MAX_CERTS)
			goto slow;
		x = certcache_get(p, f.total);
		if (x == NULL || !sk_X509_push(certs, x)) {
			X509_free(x);
			goto slow;
		}
	}
	if (have_crls) {
		crls = sk_X509_CRL_new_null();
		if (crls == NULL)
			goto slow;
		for (p = r.val, left = r.len; left > 0; p += f.total, left -= f.total) {
			X509_CRL *x;

			if (der_next(&f, p, left) != 0 || sk_X509_CRL_num(crls) >= VCMS_MAX_CRLS)
				goto slow;
			x = certcache_get_crl(p, f.total);
			if (x == NULL || !sk_X509_CRL_push(crls, x)) {
				X509_CRL_free(x);
				goto slow;
			}
		}
	}
	/* The same DER without the fields taken out, lengths recomputed. */
	ex_len = der_header_len(sd_len) + sd_len;
	ci_len = oid.total + der_header_len(ex_len) + ex_len;
	if (der_put_header(&buf, 0x30, ci_len) != 0 ||
	    kho_buf_append(&buf, oid.val - (oid.total - oid.len), oid.total) != 0 ||
	    der_put_header(&buf, 0xa0, ex_len) != 0 ||
	    der_put_header(&buf, 0x30, sd_len) != 0)
		goto slow;
	for (size_t i = 0; i < nkeep; i++)
		if (kho_buf_append(&buf, keep_from[i], keep_len[i]) != 0)
			goto slow;
	p = buf.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)buf.len);
	if (cms == NULL || p != buf.data + buf.len)
		goto slow;
	fast = 1;
slow:
	if (!fast) {
		CMS_ContentInfo_free(cms);
		sk_X509_pop_free(certs, X509_free);
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
		certs = NULL;
		crls = NULL;
		ERR_clear_error();
		p = der;
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
		*consumed = cms != NULL ? (size_t)(p - der) : 0;
		if (cms != NULL && OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed) {
			certs = CMS_get1_certs(cms);
			if (crls_out != NULL)
				crls = CMS_get1_crls(cms);
		}
	} else {
		*consumed = len;
		/* No crls field (or one left in place): CMS has whatever there is. */
		if (crls_out != NULL && !have_crls)
			crls = CMS_get1_crls(cms);
	}
	kho_buf_release(&buf);
	*certs_out = certs;
	if (crls_out != NULL)
		*crls_out = crls;
	return cms;
}

int vcms_parse(vcms **out, const void *der, size_t len, kho_err *err)
{
	size_t consumed = 0;
	STACK_OF(CMS_SignerInfo) *sis;
	ASN1_OCTET_STRING **pos;
	vcms *c;
	int rc = 0, i;

	*out = NULL;
	if (len == 0)
		return kho_err_set(err, KHO_EFORMAT, "empty signature");
	if (len > VCMS_MAX_SIZE || len > LONG_MAX)
		return kho_err_set(err, KHO_ETOOBIG, "signature larger than %u bytes", VCMS_MAX_SIZE);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	c->ci = decode_signed_data(der, len, &c->certs, &c->crls, &consumed);
	if (c->ci == NULL) {
		rc = kho_err_ssl(err, KHO_EFORMAT, "not a DER CMS ContentInfo");
		goto out;
	}
	if (consumed != len) {
		rc = kho_err_set(err, KHO_EFORMAT, "trailing bytes after the CMS ContentInfo");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(c->ci)) != NID_pkcs7_signed) {
		rc = kho_err_set(err, KHO_EFORMAT, "CMS content is not SignedData");
		goto out;
	}
	/* EN 319 162-1 4.4.2: the CAdES signature in ASiC-E is detached. */
	pos = CMS_get0_content(c->ci);
	if (pos != NULL && *pos != NULL) {
		rc = kho_err_set(err, KHO_EFORMAT, "SignedData is not detached (it carries eContent)");
		goto out;
	}
	sis = CMS_get0_SignerInfos(c->ci);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) < 1) {
		rc = kho_err_set(err, KHO_EFORMAT, "SignedData has no SignerInfo");
		goto out;
	}
	c->nsigners = (size_t)sk_CMS_SignerInfo_num(sis);
	c->si = sk_CMS_SignerInfo_value(sis, 0);
	if (c->certs == NULL)
		c->certs = sk_X509_new_null();
	if (c->crls == NULL)
		c->crls = sk_X509_CRL_new_null();
	if (c->certs == NULL || c->crls == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	ERR_clear_error();
	for (i = 0; i < sk_X509_num(c->certs); i++) {
		X509 *x = sk_X509_value(c->certs, i);
		if (CMS_SignerInfo_cert_cmp(c->si, x) == 0) {
			if (!X509_up_ref(x)) {
				rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
				goto out;
			}
			c->signer = x;
			break;
		}
	}
	rc = collect_ocsp(c, der, len, err);
out:
	if (rc != 0)
		vcms_free(c);
	else
		*out = c;
	return rc;
}

int vcms_verify_signature(vcms *c, const void *content, size_t len, kho_err *err)
{
	X509_STORE *store = NULL;
	BIO *bio = NULL;
	int rc = 0;

	if (c->signer == NULL)
		return kho_err_set(err, KHO_ECRYPTO, "the signer certificate is not in the signature");
	if (len > INT_MAX)
		return kho_err_set(err, KHO_ETOOBIG, "manifest too large");
	store = X509_STORE_new();
	bio = BIO_new_mem_buf(content, (int)len);
	if (store == NULL || bio == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	ERR_clear_error();
	/* CMS_BINARY: the manifest's bytes exactly as stored; the chain is
	 * built separately at the proof-of-existence time. */
	/* c->certs: SignedData.certificates, which decode_signed_data took
	 * out of c->ci; CMS_verify looks for the signer among them. */
	if (CMS_verify(c->ci, c->certs, store, bio, NULL,
	               CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1)
		rc = kho_err_ssl(err, KHO_ECRYPTO, "the CMS signature does not verify over the manifest");
out:
	BIO_free(bio);
	X509_STORE_free(store);
	return rc;
}

/*
 * The signing-certificate reference (EN 319 122-1 5.2.2.2 / 5.2.2.3): the
 * signing-certificate-v2 attribute (ESSCertIDv2, RFC 5035) or, when the
 * certificate hash is SHA-1, the v1 signing-certificate attribute
 * (ESSCertID, RFC 2634 5.4: certHash is always SHA-1). A CAdES signer uses
 * one or the other; DSS reads both. When both are present, v2 governs and
 * the v1 attribute is not read: v2 is the one EN 319 122-1 asks for, and a
 * v1 beside it is only there for old readers (a substituted certificate is
 * caught by v2 alone).
 */
int vcms_check_signing_cert(int *out_version, vcms *c, STACK_OF(X509) *anchors, kho_err *err)
{
	ASN1_STRING *s;
	ESS_SIGNING_CERT *ss1 = NULL;
	ESS_SIGNING_CERT_V2 *ss2 = NULL;
	STACK_OF(X509) *chain = NULL;
	const unsigned char *p;
	int i, r, rc = 0, version = 2;

	*out_version = 0;
	if (c->signer == NULL)
		return kho_err_set(err, KHO_ENOTFOUND, "the signer certificate is not in the signature");
	s = CMS_signed_get0_data_by_OBJ(c->si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2),
	                                -3, V_ASN1_SEQUENCE);
	if (s == NULL) {
		ERR_clear_error();
		version = 1;
		s = CMS_signed_get0_data_by_OBJ(c->si,
		                                OBJ_nid2obj(NID_id_smime_aa_signingCertificate),
		                                -3, V_ASN1_SEQUENCE);
	}
	if (s == NULL) {
		ERR_clear_error();
		return kho_err_set(err, KHO_ENOTFOUND,
		                   "neither the signing-certificate-v2 nor the signing-certificate "
		                   "attribute is present (EN 319 122-1 5.2.2.2, 5.2.2.3)");
	}
	*out_version = version;
	p = ASN1_STRING_get0_data(s);
	if (version == 2)
		ss2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(s));
	else
		ss1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(s));
	if (ss1 == NULL && ss2 == NULL) {
		rc = kho_err_ssl(err, KHO_EFORMAT, "undecodable signing-certificate%s attribute",
		                 version == 2 ? "-v2" : "");
		goto out;
	}
	/* The first ESSCertID(v2) must be the signer's; OpenSSL compares the
	 * hash over the certificate's DER (v2: as given, default SHA-256, RFC
	 * 5035 5.4.1.1; v1: SHA-1, RFC 2634 5.4.1) and issuerSerial if any. */
	chain = sk_X509_new_null();
	if (chain == NULL || !sk_X509_push(chain, c->signer)) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	/* OpenSSL wants every further ESSCertID (RFC 5035 5.4: they may name
	 * the certificates of the signer's path) among the certificates given:
	 * the SignedData's and the trust anchors, which a signer seldom embeds
	 * (found by review, 2026-12-07: a reference to the root not embedded
	 * was NO_SIGNING_CERTIFICATE_FOUND). */
	for (i = 0; i < sk_X509_num(c->certs); i++)
		if (X509_cmp(sk_X509_value(c->certs, i), c->signer) != 0 &&
		    !sk_X509_push(chain, sk_X509_value(c->certs, i))) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
	for (i = 0; anchors != NULL && i < sk_X509_num(anchors); i++)
		if (!sk_X509_push(chain, sk_X509_value(anchors, i))) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
	r = OSSL_ESS_check_signing_certs(ss1, ss2, chain, 1);
	if (r != 1)
		rc = kho_err_ssl(err, KHO_ECRYPTO, "signing-certificate%s does not identify the signer "
		                 "certificate", version == 2 ? "-v2" : " (v1)");
out:
	sk_X509_free(chain);
	ESS_SIGNING_CERT_free(ss1);
	ESS_SIGNING_CERT_V2_free(ss2);
	return rc;
}

static int md_is_weak(int nid)
{
	return nid == NID_sha1 || nid == NID_md5 || nid == NID_md4 || nid == NID_md2;
}

/*
 * The hash algorithm of each ESSCertIDv2 (RFC 5035 5.4.1.1):
 *   SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
 *                                       policies SEQUENCE OF PolicyInformation OPTIONAL }
 *   ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {id-sha256},
 *                              certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 * OpenSSL 3.0 keeps ESS_CERT_ID_V2 opaque, so the attribute's DER is read
 * here through a bounded cursor. Anything unexpected ends the walk with 0:
 * vcms_check_signing_cert decodes the attribute and reports it.
 */
int vcms_signing_cert_v2_weak(const char **out_alg, int *out_first, vcms *c)
{
	ASN1_STRING *s;
	der_tlv sc, certs, id, alg, o;
	const unsigned char *p;
	size_t left, k;

	*out_alg = NULL;
	*out_first = 0;
	s = CMS_signed_get0_data_by_OBJ(c->si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2),
	                                -3, V_ASN1_SEQUENCE);
	if (s == NULL) {
		ERR_clear_error();
		return 0;
	}
	if (ASN1_STRING_length(s) <= 0 ||
	    der_next(&sc, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s)) != 0 ||
	    sc.tag != 0x30 || der_next(&certs, sc.val, sc.len) != 0 || certs.tag != 0x30)
		return 0;
	for (p = certs.val, left = certs.len, k = 0; left > 0; p += id.total, left -= id.total, k++) {
		ASN1_OBJECT *obj;
		const unsigned char *q;
		int nid;

		if (der_next(&id, p, left) != 0 || id.tag != 0x30)
			return 0;
		/* No AlgorithmIdentifier first: the DEFAULT, SHA-256. */
		if (der_next(&alg, id.val, id.len) != 0 || alg.tag != 0x30)
			continue;
		if (der_next(&o, alg.val, alg.len) != 0 || o.tag != 0x06 || o.total > LONG_MAX)
			return 0;
		q = alg.val;
		obj = d2i_ASN1_OBJECT(NULL, &q, (long)o.total);
		if (obj == NULL) {
			ERR_clear_error();
			return 0;
		}
		nid = OBJ_obj2nid(obj);
		ASN1_OBJECT_free(obj);
		if (md_is_weak(nid)) {
			*out_alg = OBJ_nid2sn(nid);
			*out_first = k == 0;
			return 1;
		}
	}
	return 0;
}

int vcms_asn1_time(time_t *out, const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return KHO_EFORMAT;
	*out = timegm(&tm);
	return 0;
}

int vcms_signing_time(vcms *c, time_t *out)
{
	int loc = CMS_signed_get_attr_by_NID(c->si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *v;

	if (loc < 0)
		return KHO_ENOTFOUND;
	a = CMS_signed_get_attr(c->si, loc);
	v = X509_ATTRIBUTE_get0_type(a, 0);
	if (v == NULL)
		return KHO_EFORMAT;
	if (v->type == V_ASN1_UTCTIME || v->type == V_ASN1_GENERALIZEDTIME)
		return vcms_asn1_time(out, (const ASN1_TIME *)v->value.asn1_string);
	return KHO_EFORMAT;
}

const char *vcms_digest_name(vcms *c, int *weak_md)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	int nid, dnid = NID_undef, pknid = NID_undef;

	*weak_md = 0;
	CMS_SignerInfo_get0_algs(c->si, NULL, NULL, &dig, &sig);
	nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	if (md_is_weak(nid))
		*weak_md = 1;
	/* A combined algorithm (sha1WithRSAEncryption) names its own digest. */
	if (sig != NULL && OBJ_find_sigid_algs(OBJ_obj2nid(sig->algorithm), &dnid, &pknid) &&
	    md_is_weak(dnid))
		*weak_md = 1;
	switch (nid) {
	case NID_sha1: return "SHA1";
	case NID_md5: return "MD5";
	case NID_sha224: return "SHA224";
	case NID_sha256: return "SHA256";
	case NID_sha384: return "SHA384";
	case NID_sha512: return "SHA512";
	case NID_sha3_256: return "SHA3-256";
	case NID_sha3_384: return "SHA3-384";
	case NID_sha3_512: return "SHA3-512";
	default: return "unknown";
	}
}

const char *vcms_sig_name(vcms *c)
{
	X509_ALGOR *sig = NULL;
	int nid, dnid = NID_undef, pknid = NID_undef;

	CMS_SignerInfo_get0_algs(c->si, NULL, NULL, NULL, &sig);
	if (sig == NULL)
		return "unknown";
	nid = OBJ_obj2nid(sig->algorithm);
	if (nid == NID_rsassaPss)
		return "RSASSA-PSS";
	if (OBJ_find_sigid_algs(nid, &dnid, &pknid))
		nid = pknid;
	switch (nid) {
	case NID_rsaEncryption: return "RSA";
	case NID_X9_62_id_ecPublicKey: return "ECDSA";
	case NID_ED25519: return "Ed25519";
	case NID_dsa: return "DSA";
	default: return "unknown";
	}
}

int vcms_weak_key(EVP_PKEY *pkey, int *bits)
{
	int b = pkey != NULL ? EVP_PKEY_get_bits(pkey) : 0;

	*bits = b;
	if (pkey == NULL)
		return 1;
	if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS"))
		return b < 2048; /* Circular 15/2025: RSA at least 2048 bits */
	if (EVP_PKEY_is_a(pkey, "EC"))
		return b < 256;
	if (EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448"))
		return 0;
	return 1;
}

int vcms_cert_weak(X509 *x, int check_key, char *why, size_t n)
{
	int mdnid = NID_undef, pknid = NID_undef, bits;

	if (X509_get_signature_info(x, &mdnid, &pknid, NULL, NULL) && md_is_weak(mdnid)) {
		snprintf(why, n, "a certificate signed with %s", OBJ_nid2sn(mdnid));
		return 1;
	}
	if (check_key && vcms_weak_key(X509_get0_pubkey(x), &bits)) {
		snprintf(why, n, "a %d-bit certificate key", bits);
		return 1;
	}
	return 0;
}

static void weak(vcms_tst *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void weak(vcms_tst *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->weak) {
		va_start(ap, fmt);
		vsnprintf(t->weak_why, sizeof t->weak_why, fmt, ap);
		va_end(ap);
	}
	t->weak = 1;
}

void vcms_signature_value(vcms *c, const unsigned char **sig, size_t *len)
{
	ASN1_OCTET_STRING *s = CMS_SignerInfo_get0_signature(c->si);

	*sig = s != NULL ? ASN1_STRING_get0_data(s) : NULL;
	*len = s != NULL ? (size_t)ASN1_STRING_length(s) : 0;
}

/* The DER of each value of a timestamp attribute: the unsigned signature
 * timestamps, or the signed content timestamps. */
static int tokens_of(vcms *c, int content, kho_buf *tokens, size_t max, size_t *n, kho_err *err)
{
	int loc = -1, j, rc;
	X509_ATTRIBUTE *a;

	*n = 0;
	for (;;) {
		loc = content ? CMS_signed_get_attr_by_NID(c->si, NID_id_smime_aa_ets_contentTimestamp, loc)
		              : CMS_unsigned_get_attr_by_NID(c->si, NID_id_smime_aa_timeStampToken, loc);
		if (loc < 0)
			break;
		a = content ? CMS_signed_get_attr(c->si, loc) : CMS_unsigned_get_attr(c->si, loc);
		for (j = 0; j < X509_ATTRIBUTE_count(a); j++) {
			ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(a, j);
			unsigned char *der = NULL;
			int dl;

			if (v == NULL || v->type != V_ASN1_SEQUENCE)
				continue;
			if (*n >= max || *n >= VCMS_MAX_TOKENS)
				return kho_err_set(err, KHO_ETOOBIG, "more than %zu signature timestamps", max);
			/* The value is the token's own DER (a SEQUENCE). */
			dl = i2d_ASN1_TYPE(v, &der);
			if (dl <= 0)
				return kho_err_ssl(err, KHO_EFORMAT, "undecodable signature timestamp");
			kho_buf_init(&tokens[*n], VCMS_MAX_SIZE);
			rc = kho_buf_append(&tokens[*n], der, (size_t)dl);
			OPENSSL_free(der);
			(*n)++;
			if (rc != 0)
				return kho_err_set(err, rc, "signature timestamp too large");
		}
	}
	return 0;
}

int vcms_timestamp_tokens(vcms *c, kho_buf *tokens, size_t max, size_t *n, kho_err *err)
{
	return tokens_of(c, 0, tokens, max, n, err);
}

int vcms_content_timestamp_tokens(vcms *c, kho_buf *tokens, size_t max, size_t *n, kho_err *err)
{
	return tokens_of(c, 1, tokens, max, n, err);
}

char *vcms_name(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long l;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		l = BIO_get_mem_data(b, &p);
		if (l >= 0 && (out = malloc((size_t)l + 1)) != NULL) {
			memcpy(out, p, (size_t)l);
			out[l] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

char *vcms_serial_hex(const ASN1_INTEGER *i)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(i, NULL);
	char *h, *out = NULL;

	if (bn == NULL)
		return NULL;
	h = BN_bn2hex(bn);
	if (h != NULL)
		out = strdup(h);
	OPENSSL_free(h);
	BN_free(bn);
	return out;
}

void vcms_tst_clear(vcms_tst *t)
{
	if (t == NULL)
		return;
	sk_X509_pop_free(t->tsa_chain, X509_free);
	free(t->tsa_subject);
	free(t->serial);
	free(t->policy);
	memset(t, 0, sizeof *t);
}

static X509_STORE *anchor_store(STACK_OF(X509) *anchors, time_t at, int purpose, int check_time)
{
	X509_STORE *st = X509_STORE_new();
	X509_VERIFY_PARAM *vp;
	unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
	int i;

	if (st == NULL)
		return NULL;
	for (i = 0; anchors != NULL && i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(anchors, i))) {
			X509_STORE_free(st);
			return NULL;
		}
	vp = X509_STORE_get0_param(st);
	/* X509_VERIFY_PARAM_set_time sets X509_V_FLAG_USE_CHECK_TIME, which
	 * OpenSSL honours before X509_V_FLAG_NO_CHECK_TIME: set one or the other. */
	if (!check_time)
		flags |= X509_V_FLAG_NO_CHECK_TIME;
	else
		X509_VERIFY_PARAM_set_time(vp, at);
	X509_VERIFY_PARAM_set_flags(vp, flags);
	/* Set on the store's param: CMS_verify's "smime_sign" default only
	 * fills values left unset, so the purpose survives (formats.md). */
	X509_VERIFY_PARAM_set_purpose(vp, purpose);
	return st;
}

int vcms_build_chain(STACK_OF(X509) **out, X509 *leaf, STACK_OF(X509) *untrusted,
                     STACK_OF(X509) *anchors, time_t at, int purpose,
                     int check_time, int *verr, kho_err *err)
{
	X509_STORE *st;
	X509_STORE_CTX *ctx = NULL;
	int rc = 0;

	*out = NULL;
	if (verr != NULL)
		*verr = X509_V_OK;
	st = anchor_store(anchors, at, purpose, check_time);
	ctx = X509_STORE_CTX_new();
	if (st == NULL || ctx == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, st, leaf, untrusted)) {
		rc = kho_err_ssl(err, KHO_ENOMEM, "X509_STORE_CTX_init");
		goto out;
	}
	ERR_clear_error();
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		if (verr != NULL)
			*verr = e;
		if (e == X509_V_ERR_OUT_OF_MEM) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			ERR_clear_error();
			goto out;
		}
		rc = kho_err_set(err, KHO_ECRYPTO, "%s (depth %d)", X509_verify_cert_error_string(e),
		                 X509_STORE_CTX_get_error_depth(ctx));
		ERR_clear_error();
		goto out;
	}
	*out = X509_STORE_CTX_get1_chain(ctx);
	if (*out == NULL)
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

static void reason(vcms_tst *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(vcms_tst *t, const char *fmt, ...)
{
	va_list ap;

	if (t->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof t->reason, fmt, ap);
	va_end(ap);
}

static const char *ssl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_error();

	buf[0] = '\0';
	if (e != 0)
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

/* RFC 3161 2.3: the TSA certificate carries extendedKeyUsage with only
 * id-kp-timeStamping, and the extension is critical. */
static int tsa_eku_ok(X509 *x)
{
	int loc = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);

	if (loc < 0 || !X509_EXTENSION_get_critical(X509_get_ext(x, loc)))
		return 0;
	return (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) != 0 &&
	       X509_get_extended_key_usage(x) == XKU_TIMESTAMP;
}

int vcms_timestamp_check(vcms_tst *out, const void *der, size_t len,
                         const void *covered, size_t covered_len,
                         STACK_OF(X509) *anchors, STACK_OF(X509) *extra,
                         time_t at, kho_err *err)
{
	const unsigned char *p;
	CMS_ContentInfo *tok = NULL;
	size_t consumed = 0;
	ASN1_OCTET_STRING **pos;
	TS_TST_INFO *info = NULL;
	X509_STORE *empty = NULL;
	X509 *tsa = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *tokcerts = NULL, *chain = NULL, *allcerts = NULL;
	char sslbuf[256], obuf[128];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = 0, i, bits;

	memset(out, 0, sizeof *out);
	if (len == 0 || len > VCMS_MAX_SIZE || len > LONG_MAX) {
		reason(out, "timestamp token empty or too large");
		return kho_err_set(err, KHO_EFORMAT, "%s", out->reason);
	}
	/* Trailing bytes after the token were tolerated before (d2i stops at
	 * the end of the ContentInfo) and still are: only the slow path sees
	 * them, the fast path needs an exact fit. */
	tok = decode_signed_data(der, len, &tokcerts, NULL, &consumed);
	if (tok == NULL || OBJ_obj2nid(CMS_get0_type(tok)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(tok)) != NID_id_smime_ct_TSTInfo) {
		reason(out, "not an RFC 3161 timestamp token (SignedData of TSTInfo)");
		ERR_clear_error();
		rc = kho_err_set(err, KHO_EFORMAT, "%s", out->reason);
		goto out;
	}
	pos = CMS_get0_content(tok);
	if (pos == NULL || *pos == NULL) {
		reason(out, "timestamp token without TSTInfo");
		rc = kho_err_set(err, KHO_EFORMAT, "%s", out->reason);
		goto out;
	}
	p = ASN1_STRING_get0_data(*pos);
	info = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(*pos));
	if (info == NULL) {
		reason(out, "undecodable TSTInfo");
		ERR_clear_error();
		rc = kho_err_set(err, KHO_EFORMAT, "%s", out->reason);
		goto out;
	}
	if (vcms_asn1_time(&out->gen_time, TS_TST_INFO_get_time(info)) == 0)
		out->have_gen_time = 1;
	{
		const TS_ACCURACY *a = TS_TST_INFO_get_accuracy(info);
		long sec = a != NULL && TS_ACCURACY_get_seconds(a) != NULL
		               ? ASN1_INTEGER_get(TS_ACCURACY_get_seconds(a)) : 0;
		long ms = a != NULL && TS_ACCURACY_get_millis(a) != NULL
		              ? ASN1_INTEGER_get(TS_ACCURACY_get_millis(a)) : 0;
		long us = a != NULL && TS_ACCURACY_get_micros(a) != NULL
		              ? ASN1_INTEGER_get(TS_ACCURACY_get_micros(a)) : 0;
		/* Bounded: an absurd accuracy must not excuse any order. */
		if (sec >= 0 && sec <= 60 && ms >= 0 && us >= 0)
			out->accuracy = (unsigned)sec + (ms > 0 || us > 0 ? 1u : 0u);
	}
	out->serial = vcms_serial_hex(TS_TST_INFO_get_serial(info));
	if (TS_TST_INFO_get_policy_id(info) != NULL &&
	    OBJ_obj2txt(obuf, sizeof obuf, TS_TST_INFO_get_policy_id(info), 1) > 0)
		out->policy = strdup(obuf);

	/* RFC 3161 2.4.2: the imprint is the hash of what the token covers,
	 * with the algorithm the token names. */
	{
		TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(info);
		X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(mi);
		ASN1_OCTET_STRING *h = TS_MSG_IMPRINT_get_msg(mi);
		int mnid = OBJ_obj2nid(alg->algorithm);
		const EVP_MD *emd = EVP_get_digestbynid(mnid);

		if (md_is_weak(mnid))
			weak(out, "a %s imprint", OBJ_nid2sn(mnid));
		if (emd == NULL) {
			reason(out, "unknown imprint algorithm in the timestamp");
		} else if (!EVP_Digest(covered, covered_len, md, &mdlen, emd, NULL)) {
			rc = kho_err_ssl(err, KHO_ECRYPTO, "digest");
			goto out;
		} else if ((int)mdlen == ASN1_STRING_length(h) &&
		           CRYPTO_memcmp(md, ASN1_STRING_get0_data(h), mdlen) == 0) {
			out->imprint_ok = 1;
		} else {
			reason(out, "the timestamp's imprint does not match what it covers");
		}
	}

	/*
	 * The token's CMS signature, once: its certificates (tokcerts, taken
	 * out of tok by decode_signed_data) and the caller's extra ones are
	 * where CMS_verify looks for the TSA certificate. The chain is then
	 * built from the TSA certificate exactly as CMS_verify would with a
	 * store (untrusted = the token's own certificates, RFC 3161 2.4.1),
	 * without verifying the token's signature a second time.
	 */
	empty = X509_STORE_new();
	allcerts = sk_X509_new_null();
	if (empty == NULL || allcerts == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; tokcerts != NULL && i < sk_X509_num(tokcerts); i++)
		if (!sk_X509_push(allcerts, sk_X509_value(tokcerts, i))) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
	for (i = 0; extra != NULL && i < sk_X509_num(extra); i++)
		if (!sk_X509_push(allcerts, sk_X509_value(extra, i))) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
	ERR_clear_error();
	if (CMS_verify(tok, allcerts, empty, NULL, NULL,
	               CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1) {
		out->signature_ok = 1;
	} else {
		char buf[300];
		snprintf(buf, sizeof buf, "%s", ssl_reason(sslbuf, sizeof sslbuf));
		reason(out, "the timestamp token's signature does not verify: %s", buf);
	}
	sis = CMS_get0_SignerInfos(tok);
	if (sis != NULL && sk_CMS_SignerInfo_num(sis) == 1) {
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
		X509_ALGOR *dig = NULL, *sig = NULL;
		int dnid = NID_undef, pknid = NID_undef;

		CMS_SignerInfo_get0_algs(si, NULL, &tsa, &dig, &sig);
		/* The token's own signature: a SHA-1 one proves nothing today. */
		if (dig != NULL && md_is_weak(OBJ_obj2nid(dig->algorithm)))
			weak(out, "a token signed with %s", OBJ_nid2sn(OBJ_obj2nid(dig->algorithm)));
		else if (sig != NULL && OBJ_find_sigid_algs(OBJ_obj2nid(sig->algorithm), &dnid, &pknid) &&
		         md_is_weak(dnid))
			weak(out, "a token signed with %s", OBJ_nid2sn(dnid));
		for (i = 0; tsa == NULL && tokcerts != NULL && i < sk_X509_num(tokcerts); i++)
			if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(tokcerts, i)) == 0)
				tsa = sk_X509_value(tokcerts, i);
		for (i = 0; tsa == NULL && extra != NULL && i < sk_X509_num(extra); i++)
			if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(extra, i)) == 0)
				tsa = sk_X509_value(extra, i);
	} else {
		reason(out, "the timestamp token must have exactly one SignerInfo");
	}
	if (tsa == NULL) {
		reason(out, "the TSA certificate is not available");
	} else {
		out->tsa_subject = vcms_name(X509_get_subject_name(tsa));
		out->eku_ok = tsa_eku_ok(tsa);
		if (!out->eku_ok)
			reason(out, "the TSA certificate lacks a critical extendedKeyUsage timeStamping (RFC 3161 2.3)");
		if (vcms_weak_key(X509_get0_pubkey(tsa), &bits))
			weak(out, "a %d-bit TSA key", bits);
	}
	if (out->signature_ok && out->eku_ok && tsa != NULL) {
		kho_err e2;
		int verr = X509_V_OK;

		if (vcms_build_chain(&chain, tsa, tokcerts, anchors, at,
		                     X509_PURPOSE_TIMESTAMP_SIGN, 1, &verr, &e2) == 0) {
			char why[96];
			int k, n = sk_X509_num(chain);

			out->chain_ok = 1;
			/* Every certificate but the anchor: its signature, and the
			 * keys of the CAs between (the TSA's is checked above). */
			for (k = 0; k + 1 < n; k++)
				if (vcms_cert_weak(sk_X509_value(chain, k), k > 0, why, sizeof why))
					weak(out, "%s in the TSA's chain", why);
			out->tsa_chain = chain;
			chain = NULL;
		} else if (e2.code == KHO_ENOMEM) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		} else {
			char t1[32];

			sk_X509_pop_free(chain, X509_free);
			chain = NULL;
			/* Why, in X509 terms, from the check just made (found by
			 * review: the chain was built again with other
			 * certificates to say why, and a container token whose
			 * TSA's CA had expired read "unable to get local issuer
			 * certificate"). An expired or not yet valid certificate
			 * is not a missing chain. */
			switch (verr) {
			case X509_V_ERR_CERT_HAS_EXPIRED:
			case X509_V_ERR_CERT_NOT_YET_VALID:
				reason(out, "a certificate of the TSA's chain is not valid at %s: %s",
				       kho_time_format(t1, sizeof t1, at), e2.msg);
				break;
			case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
			case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
			case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
			case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
			case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
				reason(out, "the TSA certificate does not chain to a trust anchor: %s", e2.msg);
				break;
			default:
				reason(out, "the TSA certificate's chain to a trust anchor fails a "
				       "certificate check: %s", e2.msg);
			}
			ERR_clear_error();
		}
	}
out:
	sk_X509_pop_free(chain, X509_free);
	sk_X509_free(allcerts);
	sk_X509_pop_free(tokcerts, X509_free);
	X509_STORE_free(empty);
	TS_TST_INFO_free(info);
	CMS_ContentInfo_free(tok);
	return rc;
}
