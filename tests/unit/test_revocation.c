/*
 * test_revocation.c: revocation at a past time (verify/revocation.c) with
 * certificates, CRLs and OCSP responses made here with OpenSSL's APIs:
 * revoked before and after the proof of existence, stale and fresh CRLs,
 * evidence signed by the wrong key, serial and issuer matching.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tests/unit/test.h"
#include "verify/revocation.h"

#define DAY 86400L
static const time_t NOW = 1750000000; /* 2025-06-15 */

static EVP_PKEY *key(void)
{
	return EVP_EC_gen("P-256");
}

static void add_ext(X509 *x, X509 *iss, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, iss, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	if (e != NULL) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
}

/* A certificate for k named cn, issued by (iss, ik), or self-signed. */
static X509 *cert(const char *cn, long serial, EVP_PKEY *k, X509 *iss, EVP_PKEY *ik, int ca,
                  const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, iss != NULL ? X509_get_subject_name(iss) : n);
	X509_NAME_free(n);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){ NOW - 365 * DAY });
	X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &(time_t){ NOW + 365 * DAY });
	X509_set_pubkey(x, k);
	add_ext(x, iss != NULL ? iss : x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	add_ext(x, iss != NULL ? iss : x, NID_key_usage,
	        ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
	if (eku != NULL)
		add_ext(x, iss != NULL ? iss : x, NID_ext_key_usage, eku);
	X509_sign(x, ik != NULL ? ik : k, EVP_sha256());
	return x;
}

/* A CRL named after iss, signed with sk, listing serial (if > 0) revoked at rev. */
static X509_CRL *crl(X509 *iss, EVP_PKEY *sk, long serial, time_t rev, time_t this_upd,
                     time_t next_upd)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(iss));
	ASN1_TIME_set(t, this_upd);
	X509_CRL_set1_lastUpdate(c, t);
	ASN1_TIME_set(t, next_upd);
	X509_CRL_set1_nextUpdate(c, t);
	if (serial > 0) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		ASN1_TIME *rt = ASN1_TIME_new();
		ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();

		ASN1_INTEGER_set(s, serial);
		X509_REVOKED_set_serialNumber(r, s);
		ASN1_TIME_set(rt, rev);
		X509_REVOKED_set_revocationDate(r, rt);
		ASN1_ENUMERATED_set(reason, 1); /* keyCompromise */
		X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0);
		X509_CRL_add0_revoked(c, r);
		ASN1_INTEGER_free(s);
		ASN1_TIME_free(rt);
		ASN1_ENUMERATED_free(reason);
	}
	X509_CRL_sort(c);
	X509_CRL_sign(c, sk, EVP_sha256());
	ASN1_TIME_free(t);
	return c;
}

/* The fixture: a CA, a signer (serial 42), a second CA key with the same name. */
static EVP_PKEY *cakey, *signkey, *otherkey;
static X509 *ca, *signer;

static void setup(void)
{
	if (ca != NULL)
		return;
	cakey = key();
	signkey = key();
	otherkey = key();
	ca = cert("Test CA", 1, cakey, NULL, NULL, 1, NULL);
	signer = cert("Signer", 42, signkey, ca, cakey, 0, NULL);
}

static int check1(revocation_result *r, X509_CRL *c, time_t poe)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
	int rc;

	sk_X509_CRL_push(sk, c);
	rc = revocation_check(r, signer, ca, sk, NULL, 0, poe, NULL);
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	return rc;
}

static void t_revoked_before_poe(void)
{
	revocation_result r;

	setup();
	REQUIRE(check1(&r, crl(ca, cakey, 42, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW - DAY) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_REVOKED);
	CHECK_EQ_INT(r.revoked_at, NOW - 10 * DAY);
	CHECK_EQ_INT(r.reason_code, 1);
	CHECK_STR(r.source, "CRL");
	CHECK(strstr(r.note, "keyCompromise") != NULL);
}

static void t_revoked_at_poe_counts(void)
{
	revocation_result r;

	setup();
	REQUIRE(check1(&r, crl(ca, cakey, 42, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW - 10 * DAY) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_REVOKED);
}

static void t_revoked_after_poe_is_good(void)
{
	revocation_result r;

	setup();
	REQUIRE(check1(&r, crl(ca, cakey, 42, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW - 20 * DAY) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
	CHECK_EQ_INT(r.revoked_after_poe, 1);
	CHECK_EQ_INT(r.revoked_at, NOW - 10 * DAY);
	CHECK(strstr(r.note, "good at that time") != NULL);
}

static void t_not_listed_fresh_crl(void)
{
	revocation_result r;

	setup();
	REQUIRE(check1(&r, crl(ca, cakey, 0, 0, NOW, NOW + 30 * DAY), NOW - 5 * DAY) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
	CHECK_EQ_INT(r.revoked_after_poe, 0);
	CHECK_EQ_INT(r.nused, 1);
}

static void t_not_listed_crl_valid_at_poe(void)
{
	revocation_result r;

	setup();
	/* issued before the POE, but announced valid until after it */
	REQUIRE(check1(&r, crl(ca, cakey, 0, 0, NOW - 2 * DAY, NOW + 5 * DAY), NOW) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
}

static void t_stale_crl_is_unknown(void)
{
	revocation_result r;

	setup();
	REQUIRE(check1(&r, crl(ca, cakey, 0, 0, NOW - 40 * DAY, NOW - 10 * DAY), NOW) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	CHECK(strstr(r.note, "does not cover") != NULL);
}

static void t_wrong_key_ignored(void)
{
	revocation_result r;

	setup();
	/* Same issuer name, listing the serial, but signed by another key. */
	REQUIRE(check1(&r, crl(ca, otherkey, 42, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	CHECK_EQ_INT(r.nignored, 1);
	CHECK_EQ_INT(r.nused, 0);
	CHECK(strstr(r.note, "not signed by the issuer") != NULL);
}

static void t_wrong_key_does_not_mask_good_crl(void)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
	revocation_result r;

	setup();
	sk_X509_CRL_push(sk, crl(ca, otherkey, 0, 0, NOW, NOW + 30 * DAY));
	sk_X509_CRL_push(sk, crl(ca, cakey, 42, NOW - 3 * DAY, NOW, NOW + 30 * DAY));
	REQUIRE(revocation_check(&r, signer, ca, sk, NULL, 0, NOW, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_REVOKED);
	CHECK_EQ_INT(r.nignored, 1);
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
}

static void t_serial_matching(void)
{
	revocation_result r;

	setup();
	/* 43 and 420 are other certificates */
	REQUIRE(check1(&r, crl(ca, cakey, 43, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
	REQUIRE(check1(&r, crl(ca, cakey, 420, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
}

static void t_other_issuer_not_evidence(void)
{
	EVP_PKEY *k2 = key();
	X509 *ca2 = cert("Other CA", 7, k2, NULL, NULL, 1, NULL);
	revocation_result r;

	setup();
	/* A CRL of another CA listing serial 42 says nothing about our signer. */
	REQUIRE(check1(&r, crl(ca2, k2, 42, NOW - 10 * DAY, NOW, NOW + 30 * DAY), NOW) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	CHECK_EQ_INT(r.nignored, 0);
	X509_free(ca2);
	EVP_PKEY_free(k2);
}

static void t_no_data(void)
{
	revocation_result r;

	setup();
	REQUIRE(revocation_check(&r, signer, ca, NULL, NULL, 0, NOW, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	CHECK(strstr(r.note, "no revocation data") != NULL);
	CHECK(revocation_check(&r, NULL, ca, NULL, NULL, 0, NOW, NULL) == KHO_EINVAL);
}

/* An OCSP response about signer, signed by (rcert, rkey). */
static kho_buf ocsp_f(X509 *rcert, EVP_PKEY *rkey, int status, time_t rev, time_t this_upd,
                      unsigned long flags)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), signer, ca);
	ASN1_TIME *rt = ASN1_TIME_new(), *tu = ASN1_TIME_new(), *nu = ASN1_TIME_new();
	OCSP_RESPONSE *resp;
	unsigned char *der = NULL;
	int len;
	kho_buf b;

	ASN1_GENERALIZEDTIME_set(rt, rev);
	ASN1_GENERALIZEDTIME_set(tu, this_upd);
	ASN1_GENERALIZEDTIME_set(nu, this_upd + 7 * DAY);
	OCSP_basic_add1_status(bs, id, status, status == V_OCSP_CERTSTATUS_REVOKED ? 1 : -1,
	                       status == V_OCSP_CERTSTATUS_REVOKED ? rt : NULL, tu, nu);
	OCSP_basic_sign(bs, rcert, rkey, EVP_sha256(), NULL, flags);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	len = i2d_OCSP_RESPONSE(resp, &der);
	kho_buf_init(&b, 1 << 20);
	kho_buf_append(&b, der, (size_t)len);
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(rt);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	return b;
}

static kho_buf ocsp(X509 *rcert, EVP_PKEY *rkey, int status, time_t rev, time_t this_upd)
{
	return ocsp_f(rcert, rkey, status, rev, this_upd, 0);
}

static void t_ocsp_revoked_before_and_after(void)
{
	revocation_result r;
	kho_buf b;

	setup();
	b = ocsp(ca, cakey, V_OCSP_CERTSTATUS_REVOKED, NOW - 10 * DAY, NOW);
	REQUIRE(revocation_check(&r, signer, ca, NULL, &b, 1, NOW - DAY, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_REVOKED);
	CHECK_STR(r.source, "OCSP");
	REQUIRE(revocation_check(&r, signer, ca, NULL, &b, 1, NOW - 20 * DAY, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
	CHECK_EQ_INT(r.revoked_after_poe, 1);
	kho_buf_free(&b);
}

static void t_ocsp_good_and_delegated(void)
{
	EVP_PKEY *rk = key();
	X509 *resp = cert("OCSP responder", 99, rk, ca, cakey, 0, "OCSPSigning");
	X509 *bad = cert("Not a responder", 98, rk, ca, cakey, 0, NULL);
	revocation_result r;
	kho_buf b;

	setup();
	b = ocsp(resp, rk, V_OCSP_CERTSTATUS_GOOD, 0, NOW);
	REQUIRE(revocation_check(&r, signer, ca, NULL, &b, 1, NOW - DAY, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_GOOD);
	CHECK_EQ_INT(r.nused, 1);
	kho_buf_free(&b);
	/* a certificate without id-kp-OCSPSigning cannot answer for the CA */
	b = ocsp(bad, rk, V_OCSP_CERTSTATUS_REVOKED, NOW - 10 * DAY, NOW);
	REQUIRE(revocation_check(&r, signer, ca, NULL, &b, 1, NOW, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	CHECK_EQ_INT(r.nignored, 1);
	kho_buf_free(&b);
	X509_free(resp);
	X509_free(bad);
	EVP_PKEY_free(rk);
}

static void t_ocsp_wrong_key(void)
{
	revocation_result r;
	kho_buf b;
	X509 *fake;

	setup();
	/* signed with another key while naming the CA as responder (a
	 * look-alike certificate with the CA's name, not included) */
	fake = cert("Test CA", 1, otherkey, NULL, NULL, 1, NULL);
	b = ocsp_f(fake, otherkey, V_OCSP_CERTSTATUS_REVOKED, NOW - 10 * DAY, NOW, OCSP_NOCERTS);
	X509_free(fake);
	REQUIRE(b.len > 0);
	REQUIRE(revocation_check(&r, signer, ca, NULL, &b, 1, NOW, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	CHECK_EQ_INT(r.nignored, 1);
	kho_buf_free(&b);
	/* garbage is not evidence and does not crash */
	kho_buf_init(&b, 100);
	kho_buf_append(&b, "\x30\x03\x0a\x01\x00", 5);
	REQUIRE(revocation_check(&r, signer, ca, NULL, &b, 1, NOW, NULL) == 0);
	CHECK_EQ_INT(r.status, REVOCATION_UNKNOWN);
	kho_buf_free(&b);
}

static void t_reason_names(void)
{
	CHECK_STR(revocation_reason_name(1), "keyCompromise");
	CHECK_STR(revocation_reason_name(-1), "unspecified");
	CHECK_STR(revocation_reason_name(99), "unspecified");
}

TESTS(T(t_revoked_before_poe), T(t_revoked_at_poe_counts), T(t_revoked_after_poe_is_good),
      T(t_not_listed_fresh_crl), T(t_not_listed_crl_valid_at_poe), T(t_stale_crl_is_unknown),
      T(t_wrong_key_ignored), T(t_wrong_key_does_not_mask_good_crl), T(t_serial_matching),
      T(t_other_issuer_not_evidence), T(t_no_data), T(t_ocsp_revoked_before_and_after),
      T(t_ocsp_good_and_delegated), T(t_ocsp_wrong_key), T(t_reason_names))
