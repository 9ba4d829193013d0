/*
 * test_perfpaths.c: the paths added to make sealing and verification fast
 * (docs/benchmarks.md, "Changes made for issue 2"): ZIPW_AUTO stores what
 * does not compress and deflates what does; kho_buf_reserve; the DER
 * primitives of common/der.h; the decoded-certificate (and CRL) cache
 * returns the same object for the same bytes and never for different bytes.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "archive/zipw.h"
#include "common/buf.h"
#include "common/der.h"
#include "common/util.h"
#include "verify/certcache.h"
#include "tests/unit/test.h"

/* Method field of the local header of the entry at offset off. */
static unsigned method_at(const kho_buf *b, size_t off)
{
	return (unsigned)b->data[off + 8] | ((unsigned)b->data[off + 9] << 8);
}

static void t_auto_method(void)
{
	static unsigned char rnd[50000], txt[50000];
	kho_buf out;
	kho_err err;
	zipw *w = NULL;
	size_t off2;

	REQUIRE(kho_random(rnd, sizeof rnd) == 0);
	for (size_t i = 0; i < sizeof txt; i++)
		txt[i] = (unsigned char)("<a>hello</a>\n"[i % 13]);
	kho_buf_init(&out, 1u << 24);
	REQUIRE(zipw_new(&w, &out, 0, &err) == 0);
	REQUIRE(zipw_add(w, "r.bin", rnd, sizeof rnd, ZIPW_AUTO, &err) == 0);
	off2 = out.len;
	REQUIRE(zipw_add(w, "t.xml", txt, sizeof txt, ZIPW_AUTO, &err) == 0);
	REQUIRE(zipw_add(w, "small.xml", txt, 100, ZIPW_AUTO, &err) == 0);
	REQUIRE(zipw_finish(w, &err) == 0);
	CHECK_EQ_INT(method_at(&out, 0), 0);      /* random: stored */
	CHECK_EQ_INT(method_at(&out, off2), 8);   /* text: deflated */
	CHECK(out.len < sizeof rnd + sizeof txt / 4);
	zipw_free(w);
	kho_buf_release(&out);
}

static void t_reserve(void)
{
	kho_buf b;

	kho_buf_init(&b, 100);
	CHECK_EQ_INT(kho_buf_reserve(&b, 60), 0);
	CHECK(b.cap >= 60);
	CHECK_EQ_INT(b.len, 0);
	CHECK_EQ_INT(kho_buf_reserve(&b, 101), KHO_ETOOBIG);
	CHECK_EQ_INT(kho_buf_append(&b, "abc", 3), 0);
	CHECK_STR((const char *)b.data, "abc");
	kho_buf_release(&b);
	CHECK(b.data == NULL);
}

static void t_der(void)
{
	static const unsigned char ok[] = { 0x30, 0x81, 0x02, 0x05, 0x00 };
	static const unsigned char indef[] = { 0x30, 0x80, 0x00, 0x00 };
	static const unsigned char overrun[] = { 0x04, 0x05, 0x01 };
	der_tlv t;
	kho_buf b;

	CHECK_EQ_INT(der_next(&t, ok, sizeof ok), 0);
	CHECK_EQ_INT(t.tag, 0x30);
	CHECK_EQ_INT(t.len, 2);
	CHECK_EQ_INT(t.total, 5);
	CHECK_EQ_INT(der_next(&t, indef, sizeof indef), -1);
	CHECK_EQ_INT(der_next(&t, overrun, sizeof overrun), -1);
	kho_buf_init(&b, 64);
	CHECK_EQ_INT(der_put_header(&b, 0xa0, 300), 0);
	CHECK_EQ_INT(b.len, der_header_len(300));
	CHECK(b.len == 4 && b.data[1] == 0x82 && b.data[2] == 0x01 && b.data[3] == 0x2c);
	kho_buf_release(&b);
}

/* A self-signed certificate as DER, with the given serial. */
static int make_cert(unsigned char **der, long serial)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	int n = -1;

	if (k != NULL && x != NULL && ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                               (const unsigned char *)"cache test", -1, -1, 0) &&
	    X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_set_pubkey(x, k) &&
	    X509_sign(x, k, EVP_sha256()) > 0)
		n = i2d_X509(x, der);
	X509_free(x);
	EVP_PKEY_free(k);
	return n;
}

static void t_certcache(void)
{
	unsigned char *a = NULL, *b = NULL;
	unsigned long h0, m0, h1, m1;
	int na = make_cert(&a, 1), nb = make_cert(&b, 2);
	X509 *x1, *x2, *y, *bad;

	REQUIRE(na > 0 && nb > 0);
	certcache_stats(&h0, &m0);
	x1 = certcache_get(a, (size_t)na);
	x2 = certcache_get(a, (size_t)na);
	y = certcache_get(b, (size_t)nb);
	certcache_stats(&h1, &m1);
	REQUIRE(x1 != NULL && x2 != NULL && y != NULL);
	CHECK(x1 == x2);                 /* same bytes: the same decoded object */
	CHECK(x1 != y);                  /* other bytes: never the cached one */
	CHECK_EQ_INT(ASN1_INTEGER_get(X509_get0_serialNumber(y)), 2);
	CHECK_EQ_INT(h1 - h0, 1);
	CHECK_EQ_INT(m1 - m0, 2);
	/* One byte changed in the signature: a different key, decoded afresh. */
	a[na - 1] ^= 1;
	bad = certcache_get(a, (size_t)na);
	CHECK(bad != x1);
	/* Truncated: not exactly one certificate. */
	CHECK(certcache_get(b, (size_t)nb - 1) == NULL);
	X509_free(x1);
	X509_free(x2);
	X509_free(y);
	X509_free(bad);
	OPENSSL_free(a);
	OPENSSL_free(b);
}

/* A CRL of a fresh key as DER, with one revoked serial. */
static int make_crl(unsigned char **der, long revoked)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509_CRL *c = X509_CRL_new();
	X509_REVOKED *r = X509_REVOKED_new();
	X509_NAME *n = X509_NAME_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1700000000);
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	int len = -1;

	if (k != NULL && c != NULL && r != NULL && n != NULL && t != NULL && sn != NULL &&
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"crl test",
	                               -1, -1, 0) &&
	    X509_CRL_set_version(c, 1) && X509_CRL_set_issuer_name(c, n) &&
	    X509_CRL_set1_lastUpdate(c, t) && ASN1_INTEGER_set(sn, revoked) &&
	    X509_REVOKED_set_serialNumber(r, sn) && X509_REVOKED_set_revocationDate(r, t) &&
	    X509_CRL_add0_revoked(c, r)) {
		r = NULL;
		if (X509_CRL_sort(c) && X509_CRL_sign(c, k, EVP_sha256()) > 0)
			len = i2d_X509_CRL(c, der);
	}
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	X509_NAME_free(n);
	X509_CRL_free(c);
	EVP_PKEY_free(k);
	return len;
}

/*
 * The CRL side of the cache: the same bytes give the same decoded object,
 * other bytes never do, and a CRL that is not exactly one CRL is refused.
 */
static void t_crlcache(void)
{
	unsigned char *a = NULL, *b = NULL;
	int na = make_crl(&a, 7), nb = make_crl(&b, 8);
	X509_CRL *c1, *c2, *d, *bad;

	REQUIRE(na > 0 && nb > 0);
	c1 = certcache_get_crl(a, (size_t)na);
	c2 = certcache_get_crl(a, (size_t)na);
	d = certcache_get_crl(b, (size_t)nb);
	REQUIRE(c1 != NULL && c2 != NULL && d != NULL);
	CHECK(c1 == c2);
	CHECK(c1 != d);
	CHECK_EQ_INT(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(d)), 1);
	CHECK_EQ_INT(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
	                 sk_X509_REVOKED_value(X509_CRL_get_REVOKED(d), 0))), 8);
	a[na - 1] ^= 1;                  /* one byte of the signature changed */
	bad = certcache_get_crl(a, (size_t)na);
	CHECK(bad != c1);
	CHECK(certcache_get_crl(b, (size_t)nb - 1) == NULL);
	X509_CRL_free(c1);
	X509_CRL_free(c2);
	X509_CRL_free(d);
	X509_CRL_free(bad);
	OPENSSL_free(a);
	OPENSSL_free(b);
}

TESTS(T(t_auto_method), T(t_reserve), T(t_der), T(t_certcache), T(t_crlcache))
