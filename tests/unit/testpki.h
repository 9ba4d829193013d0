/*
 * testpki.h: a small test PKI made in memory for the unit tests of sign/
 * and the verification page (a root, an RSA and an ECDSA signer, a TSA with
 * a critical timeStamping EKU), generated once per test program because RSA
 * key generation is slow. Unit tests link only libkho.a, so this lives in a
 * header included by each test that needs it.
 */
#ifndef KHO_TESTPKI_H
#define KHO_TESTPKI_H

#include <time.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
enum { EKU_NONE, EKU_TS_CRITICAL, EKU_TS_NONCRITICAL };

static int tp_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ok = e != NULL && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* tp_cert: a certificate for key named cn, issued by issuer/ikey (NULL: self-signed). */
static X509 *tp_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int ca, int eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	static long serial = 1000;
	time_t now = time(NULL);
	int ok;

	ok = x && n && X509_set_version(x, X509_VERSION_3) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
	     X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_subject_name(x, n) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), now - 86400L * 365 * 30) &&
	     ASN1_TIME_set(X509_getm_notAfter(x), now + 86400L * 365 * 30) &&
	     X509_set_pubkey(x, key) &&
	     tp_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
	     tp_ext(x, issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	                                         "critical,digitalSignature,nonRepudiation") &&
	     tp_ext(x, issuer, NID_subject_key_identifier, "hash") &&
	     (eku != EKU_TS_CRITICAL || tp_ext(x, issuer, NID_ext_key_usage, "critical,timeStamping")) &&
	     (eku != EKU_TS_NONCRITICAL || tp_ext(x, issuer, NID_ext_key_usage, "timeStamping")) &&
	     X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0;
	X509_NAME_free(n);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The shared PKI: generated once per test program (RSA key generation is slow). */
static struct {
	EVP_PKEY *root_key, *rsa_key, *ec_key, *tsa_key;
	X509 *root, *rsa, *ec, *tsa;
	STACK_OF(X509) *tsa_chain;   /* tsa, root */
	X509_STORE *store;
} P;

static int tp_init(void)
{
	if (P.root != NULL)
		return 1;
	P.root_key = EVP_RSA_gen(2048);
	P.rsa_key = EVP_RSA_gen(2048);
	P.ec_key = EVP_EC_gen("P-256");
	P.tsa_key = EVP_RSA_gen(2048);
	if (!P.root_key || !P.rsa_key || !P.ec_key || !P.tsa_key)
		return 0;
	P.root = tp_cert("Test Root", P.root_key, NULL, NULL, 1, EKU_NONE);
	P.rsa = tp_cert("UBND xã Tân Phong", P.rsa_key, P.root, P.root_key, 0, EKU_NONE);
	P.ec = tp_cert("UBND xã Tân Phong (ECDSA)", P.ec_key, P.root, P.root_key, 0, EKU_NONE);
	P.tsa = tp_cert("Test TSA", P.tsa_key, P.root, P.root_key, 0, EKU_TS_CRITICAL);
	P.store = X509_STORE_new();
	P.tsa_chain = sk_X509_new_null();
	if (!P.root || !P.rsa || !P.ec || !P.tsa || !P.store || !P.tsa_chain ||
	    !X509_STORE_add_cert(P.store, P.root) ||
	    !sk_X509_push(P.tsa_chain, P.tsa) || !X509_up_ref(P.tsa) ||
	    !sk_X509_push(P.tsa_chain, P.root) || !X509_up_ref(P.root))
		return 0;
	return 1;
}

#endif
