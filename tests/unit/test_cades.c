/*
 * test_cades.c: CAdES-B-B/T/LT signatures (sign/cades.c): RSA PKCS#1 v1.5,
 * RSASSA-PSS and ECDSA signatures verify with CMS_verify over the exact
 * bytes; the signed attributes are those EN 319 122-1 wants (signing-time as
 * set, signing-certificate-v2, no SMIMECapabilities); the timestamp
 * attribute is where it belongs; the OCSP DER edit parses back.
 */
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "sign/cades.h"
#include "sign/tsa.h"
#include "tests/unit/test.h"

#include "tests/unit/testpki.h"

static const char manifest[] = "<asic:ASiCManifest>\r\nline ends stay as they are\n</asic:ASiCManifest>\n";

/* verify: CMS_verify over data (detached, binary) against P.store, any purpose. */
static int verify(CMS_ContentInfo *cms, const void *data, size_t len)
{
	X509_VERIFY_PARAM *vp = X509_STORE_get0_param(P.store);
	BIO *in = BIO_new_mem_buf(data, (int)len);
	int ok;

	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_ANY);
	ok = CMS_verify(cms, NULL, P.store, in, NULL, CMS_BINARY | CMS_DETACHED) == 1;
	BIO_free(in);
	ERR_clear_error();
	return ok;
}

/* reparse: i2d then d2i, so that checks see what a verifier would read. */
static CMS_ContentInfo *reparse(CMS_ContentInfo *cms)
{
	kho_buf b;
	const unsigned char *p;
	CMS_ContentInfo *r = NULL;

	kho_buf_init(&b, 1 << 24);
	if (cades_to_der(&b, cms, NULL, 0, NULL) == 0) {
		p = b.data;
		r = d2i_CMS_ContentInfo(NULL, &p, (long)b.len);
	}
	kho_buf_free(&b);
	return r;
}

static CMS_SignerInfo *signer0(CMS_ContentInfo *cms)
{
	return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
}

static int sig_nid(CMS_ContentInfo *cms)
{
	X509_ALGOR *alg = NULL;

	CMS_SignerInfo_get0_algs(signer0(cms), NULL, NULL, NULL, &alg);
	return alg != NULL ? OBJ_obj2nid(alg->algorithm) : NID_undef;
}

static time_t signing_time_of(CMS_ContentInfo *cms)
{
	CMS_SignerInfo *si = signer0(cms);
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a = i >= 0 ? CMS_signed_get_attr(si, i) : NULL;
	ASN1_TYPE *t = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	struct tm tm;

	if (t == NULL || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME) ||
	    !ASN1_TIME_to_tm(t->value.utctime, &tm))
		return 0;
	return timegm(&tm);
}

static void t_rsa_bb(void)
{
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL, *back;
	CMS_SignerInfo *si;
	time_t when;
	kho_err err;

	REQUIRE(tp_init());
	REQUIRE(kho_time_parse(&when, "2025-03-14T08:30:00Z") == 0);
	k.key = P.rsa_key;
	k.cert = P.rsa;
	k.signing_time = when;
	CHECK_EQ_INT(cades_sign(&cms, &k, manifest, strlen(manifest), &err), 0);
	REQUIRE(cms != NULL);
	back = reparse(cms);
	REQUIRE(back != NULL);
	CHECK(verify(back, manifest, strlen(manifest)));
	/* One changed byte (or rewritten line ends) must not verify. */
	{
		char m2[sizeof manifest];
		memcpy(m2, manifest, sizeof manifest);
		m2[20] ^= 1;
		CHECK(!verify(back, m2, strlen(m2)));
	}
	si = signer0(back);
	CHECK(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	CHECK(CMS_signed_get_attr_by_NID(si, NID_SMIMECapabilities, -1) < 0);
	CHECK(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) >= 0);
	CHECK(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
	CHECK_EQ_INT(signing_time_of(back), when);
	CHECK_EQ_INT(sig_nid(back), NID_rsaEncryption);
	/* Detached: no eContent. */
	CHECK(CMS_get0_content(back) == NULL || *CMS_get0_content(back) == NULL);
	CMS_ContentInfo_free(back);
	CMS_ContentInfo_free(cms);
}

static void t_pss(void)
{
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL, *back;
	kho_err err;

	REQUIRE(tp_init());
	k.key = P.rsa_key;
	k.cert = P.rsa;
	k.pss = 1;
	CHECK_EQ_INT(cades_sign(&cms, &k, manifest, strlen(manifest), &err), 0);
	REQUIRE(cms != NULL);
	back = reparse(cms);
	REQUIRE(back != NULL);
	CHECK(verify(back, manifest, strlen(manifest)));
	CHECK_EQ_INT(sig_nid(back), NID_rsassaPss);
	CMS_ContentInfo_free(back);
	CMS_ContentInfo_free(cms);
	/* PSS with an EC key is refused. */
	k.key = P.ec_key;
	k.cert = P.ec;
	CHECK_EQ_INT(cades_sign(&cms, &k, manifest, strlen(manifest), &err), KHO_EINVAL);
	CHECK(cms == NULL);
}

static void t_ecdsa(void)
{
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL, *back;
	kho_err err;

	REQUIRE(tp_init());
	k.key = P.ec_key;
	k.cert = P.ec;
	CHECK_EQ_INT(cades_sign(&cms, &k, manifest, strlen(manifest), &err), 0);
	REQUIRE(cms != NULL);
	back = reparse(cms);
	REQUIRE(back != NULL);
	CHECK(verify(back, manifest, strlen(manifest)));
	CHECK(sig_nid(back) == NID_ecdsa_with_SHA256 || sig_nid(back) == NID_X9_62_id_ecPublicKey);
	CHECK(CMS_signed_get_attr_by_NID(signer0(back), NID_id_smime_aa_signingCertificateV2, -1) >= 0);
	CMS_ContentInfo_free(back);
	CMS_ContentInfo_free(cms);
}

/* ESSCertIDv2 is there whatever the digest (OpenSSL writes v1 for SHA-1). */
static void t_digests_have_v2(void)
{
	const EVP_MD *mds[3];
	cades_key k = { 0 };
	kho_err err;
	int i;

	REQUIRE(tp_init());
	mds[0] = EVP_sha1();
	mds[1] = EVP_sha384();
	mds[2] = EVP_sha512();
	k.key = P.rsa_key;
	k.cert = P.rsa;
	for (i = 0; i < 3; i++) {
		CMS_ContentInfo *cms = NULL, *back;
		k.md = mds[i];
		CHECK_EQ_INT(cades_sign(&cms, &k, manifest, strlen(manifest), &err), 0);
		REQUIRE(cms != NULL);
		back = reparse(cms);
		REQUIRE(back != NULL);
		CHECK(CMS_signed_get_attr_by_NID(signer0(back), NID_id_smime_aa_signingCertificateV2, -1) >= 0);
		CHECK(verify(back, manifest, strlen(manifest)));
		CMS_ContentInfo_free(back);
		CMS_ContentInfo_free(cms);
	}
}

static void t_wrong_key(void)
{
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL;
	kho_err err;

	REQUIRE(tp_init());
	k.key = P.ec_key;
	k.cert = P.rsa;
	CHECK_EQ_INT(cades_sign(&cms, &k, manifest, strlen(manifest), &err), KHO_EINVAL);
	CHECK(cms == NULL);
	CHECK(strstr(err.msg, "does not match") != NULL);
}

static void t_timestamp_attr(void)
{
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL, *back = NULL;
	const unsigned char *sv;
	size_t svlen;
	kho_buf tok;
	tsa *t = NULL;
	kho_err err;
	ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113549.1.9.16.2.14", 1);
	int idx;

	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	k.key = P.rsa_key;
	k.cert = P.rsa;
	REQUIRE(cades_sign(&cms, &k, manifest, strlen(manifest), &err) == 0);
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, P.tsa_chain, NULL, &err) == 0);
	CHECK_EQ_INT(cades_signature_value(cms, &sv, &svlen, &err), 0);
	CHECK_EQ_INT(svlen, 256);
	CHECK_EQ_INT(tsa_stamp(t, sv, svlen, &tok, &err), 0);
	CHECK_EQ_INT(cades_add_timestamp(cms, tok.data, tok.len, &err), 0);
	/* Garbage is not a token. */
	CHECK_EQ_INT(cades_add_timestamp(cms, "\x30\x03\x02\x01\x01", 5, &err), KHO_EFORMAT);
	back = reparse(cms);
	REQUIRE(back != NULL);
	idx = CMS_unsigned_get_attr_by_OBJ(signer0(back), oid, -1);
	CHECK(idx >= 0);
	if (idx >= 0) {
		X509_ATTRIBUTE *a = CMS_unsigned_get_attr(signer0(back), idx);
		ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(a, 0);
		CHECK_EQ_INT(X509_ATTRIBUTE_count(a), 1);
		REQUIRE(v != NULL && v->type == V_ASN1_SEQUENCE);
		CHECK_EQ_INT(v->value.sequence->length, tok.len);
		CHECK(memcmp(v->value.sequence->data, tok.data, tok.len) == 0);
	}
	/* Unsigned attributes do not disturb the signature. */
	CHECK(verify(back, manifest, strlen(manifest)));
	ASN1_OBJECT_free(oid);
	CMS_ContentInfo_free(back);
	CMS_ContentInfo_free(cms);
	tsa_free(t);
	kho_buf_free(&tok);
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, time(NULL));

	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
	X509_CRL_set1_lastUpdate(crl, t);
	X509_CRL_set1_nextUpdate(crl, t);
	X509_CRL_sign(crl, key, EVP_sha256());
	ASN1_TIME_free(t);
	return crl;
}

static void t_add_lt_dedup(void)
{
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL, *back;
	STACK_OF(X509) *certs = sk_X509_new_null(), *got;
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null(), *gotc;
	X509_CRL *crl;
	kho_err err;

	REQUIRE(tp_init());
	crl = make_crl(P.root, P.root_key);
	REQUIRE(crl != NULL);
	k.key = P.rsa_key;
	k.cert = P.rsa;
	REQUIRE(cades_sign(&cms, &k, manifest, strlen(manifest), &err) == 0);
	sk_X509_push(certs, P.rsa);     /* already there as the signer */
	sk_X509_push(certs, P.root);
	sk_X509_push(certs, P.root);    /* twice */
	sk_X509_CRL_push(crls, crl);
	sk_X509_CRL_push(crls, crl);
	CHECK_EQ_INT(cades_add_lt(cms, certs, crls, &err), 0);
	CHECK_EQ_INT(cades_add_lt(cms, NULL, crls, &err), 0);   /* again: still one CRL */
	back = reparse(cms);
	REQUIRE(back != NULL);
	got = CMS_get1_certs(back);
	gotc = CMS_get1_crls(back);
	CHECK_EQ_INT(sk_X509_num(got), 2);
	CHECK_EQ_INT(sk_X509_CRL_num(gotc), 1);
	CHECK(verify(back, manifest, strlen(manifest)));
	sk_X509_pop_free(got, X509_free);
	sk_X509_CRL_pop_free(gotc, X509_CRL_free);
	sk_X509_free(certs);
	sk_X509_CRL_free(crls);
	X509_CRL_free(crl);
	CMS_ContentInfo_free(back);
	CMS_ContentInfo_free(cms);
}

/* An OCSPResponse (successful, basic, "good") for the signer, signed by the root. */
static int make_ocsp(kho_buf *out, X509 *subject)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, subject, P.root);
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	OCSP_RESPONSE *r = NULL;
	unsigned char *der = NULL;
	int n = -1;

	if (bs && id && now && OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, now, NULL) &&
	    OCSP_basic_sign(bs, P.root, P.root_key, EVP_sha256(), NULL, 0) &&
	    (r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) != NULL)
		n = i2d_OCSP_RESPONSE(r, &der);
	if (n > 0)
		kho_buf_append(out, der, (size_t)n);
	OPENSSL_free(der);
	OCSP_RESPONSE_free(r);
	ASN1_TIME_free(now);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	return n > 0;
}

static int contains(const kho_buf *b, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; b->len >= n && i <= b->len - n; i++)
		if (memcmp(b->data + i, needle, n) == 0)
			return 1;
	return 0;
}

static int count_ocsp_in_print(CMS_ContentInfo *cms)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int count = 0;
	const char *s;

	CMS_ContentInfo_print_ctx(b, cms, 0, NULL);
	n = BIO_get_mem_data(b, &p);
	if (n > 0) {
		kho_buf tmp;
		kho_buf_init(&tmp, (size_t)n + 1);
		kho_buf_append(&tmp, p, (size_t)n);
		for (s = (const char *)tmp.data; (s = strstr(s, "1.3.6.1.5.5.7.16.2")) != NULL; s++)
			count++;
		kho_buf_free(&tmp);
	}
	BIO_free(b);
	return count;
}

static void ocsp_case(int with_crl)
{
	static const unsigned char oid[] = { 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02 };
	cades_key k = { 0 };
	CMS_ContentInfo *cms = NULL, *back;
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null(), *gotc;
	X509_CRL *crl = NULL;
	kho_buf ocsp[2], der;
	const unsigned char *p;
	kho_err err;

	kho_buf_init(&ocsp[0], 1 << 20);
	kho_buf_init(&ocsp[1], 1 << 20);
	kho_buf_init(&der, 1 << 24);
	REQUIRE(tp_init());
	REQUIRE(make_ocsp(&ocsp[0], P.rsa));
	REQUIRE(make_ocsp(&ocsp[1], P.tsa));
	k.key = P.rsa_key;
	k.cert = P.rsa;
	REQUIRE(cades_sign(&cms, &k, manifest, strlen(manifest), &err) == 0);
	if (with_crl) {
		crl = make_crl(P.root, P.root_key);
		sk_X509_CRL_push(crls, crl);
		REQUIRE(cades_add_lt(cms, NULL, crls, &err) == 0);
	}
	CHECK_EQ_INT(cades_to_der(&der, cms, ocsp, 2, &err), 0);
	CHECK(contains(&der, oid, sizeof oid));
	CHECK(contains(&der, ocsp[0].data, ocsp[0].len));
	CHECK(contains(&der, ocsp[1].data, ocsp[1].len));
	p = der.data;
	back = d2i_CMS_ContentInfo(NULL, &p, (long)der.len);
	REQUIRE(back != NULL);
	CHECK(p == der.data + der.len);
	CHECK(verify(back, manifest, strlen(manifest)));
	CHECK_EQ_INT(count_ocsp_in_print(back), 2);
	gotc = CMS_get1_crls(back);
	/* NULL (no CRL at all) counts as 0: the `other` choices are not CRLs. */
	CHECK_EQ_INT(gotc != NULL ? sk_X509_CRL_num(gotc) : 0, with_crl ? 1 : 0);
	sk_X509_CRL_pop_free(gotc, X509_CRL_free);
	/* Re-encoding what was parsed gives the same bytes: the lengths are DER. */
	{
		unsigned char *again = NULL;
		int n = i2d_CMS_ContentInfo(back, &again);
		CHECK_EQ_INT(n, der.len);
		CHECK(n > 0 && memcmp(again, der.data, der.len) == 0);
		OPENSSL_free(again);
	}
	CMS_ContentInfo_free(back);
	/* Garbage is not an OCSP response. */
	kho_buf_reset(&der);
	kho_buf_reset(&ocsp[1]);
	kho_buf_append(&ocsp[1], "\x30\x03\x02\x01\x00", 5);   /* INTEGER, not ENUMERATED */
	CHECK_EQ_INT(cades_to_der(&der, cms, ocsp, 2, &err), KHO_EFORMAT);
	CHECK_EQ_INT(der.len, 0);
	sk_X509_CRL_free(crls);
	X509_CRL_free(crl);
	CMS_ContentInfo_free(cms);
	kho_buf_free(&ocsp[0]);
	kho_buf_free(&ocsp[1]);
	kho_buf_free(&der);
}

static void t_ocsp_no_crls(void) { ocsp_case(0); }
static void t_ocsp_with_crls(void) { ocsp_case(1); }

TESTS(T(t_rsa_bb), T(t_pss), T(t_ecdsa), T(t_digests_have_v2), T(t_wrong_key),
      T(t_timestamp_attr), T(t_add_lt_dedup), T(t_ocsp_no_crls), T(t_ocsp_with_crls))
