/*
 * test_rstore_signer.c: rstore_signer_check (retention/rstore.h), the check
 * that refuses to execute a destruction batch while a certificate of the
 * archive's signer, its chain or its TSA chain is out of its validity
 * period: each certificate of each group, both bounds, the sub-indication
 * named, and a long Vietnamese subject cut after a whole UTF-8 character
 * (the message goes into a JSON answer).
 */
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "retention/rstore.h"
#include "tests/unit/test.h"
#include "tests/unit/testpki.h"

#define YEAR (86400L * 365)

/* A copy of x whose notAfter is at (the signature no longer matches: the
 * check reads validity periods only). */
static X509 *expiring(X509 *x, time_t at)
{
	X509 *y = X509_dup(x);

	if (y != NULL && ASN1_TIME_set(X509_getm_notAfter(y), at) == NULL) {
		X509_free(y);
		return NULL;
	}
	return y;
}

static rstore_signer signer_of(X509 *cert, STACK_OF(X509) *chain, STACK_OF(X509) *tsa_chain)
{
	rstore_signer s;

	memset(&s, 0, sizeof s);
	s.key = P.rsa_key;
	s.cert = cert;
	s.chain = chain;
	s.tsa_chain = tsa_chain;
	return s;
}

static void t_bounds(void)
{
	time_t now = time(NULL);
	rstore_signer s;
	kho_err e;

	REQUIRE(tp_init());
	s = signer_of(P.rsa, NULL, P.tsa_chain);
	CHECK_EQ_INT(rstore_signer_check(&s, now, &e), 0);
	/* 40 years on, the signer (first checked) has expired */
	memset(&e, 0, sizeof e);
	CHECK_EQ_INT(rstore_signer_check(&s, now + 40 * YEAR, &e), KHO_ECONFLICT);
	CHECK(strstr(e.msg, "signing certificate \"CN = UBND xã Tân Phong\" expired on") != NULL);
	CHECK(strstr(e.msg, "(OUT_OF_BOUNDS_NO_POE)") != NULL);
	CHECK(strstr(e.msg, "nothing was destroyed by this execution") != NULL);
	/* 40 years before, it is not yet valid */
	memset(&e, 0, sizeof e);
	CHECK_EQ_INT(rstore_signer_check(&s, now - 40 * YEAR, &e), KHO_ECONFLICT);
	CHECK(strstr(e.msg, "is not valid until") != NULL);
	CHECK(strstr(e.msg, "(NOT_YET_VALID)") != NULL);
}

static void t_each_certificate(void)
{
	time_t now = time(NULL);
	STACK_OF(X509) *chain = sk_X509_new_null(), *tsa_chain = sk_X509_new_null();
	X509 *old_root = NULL, *old_tsa = NULL;
	rstore_signer s;
	kho_err e;

	REQUIRE(tp_init());
	REQUIRE(chain != NULL && tsa_chain != NULL);
	old_root = expiring(P.root, now - 86400);
	old_tsa = expiring(P.tsa, now - 86400);
	REQUIRE(old_root != NULL && old_tsa != NULL);
	/* the signer's chain: its CA expired yesterday */
	REQUIRE(sk_X509_push(chain, old_root) > 0);
	s = signer_of(P.rsa, chain, P.tsa_chain);
	memset(&e, 0, sizeof e);
	CHECK_EQ_INT(rstore_signer_check(&s, now, &e), KHO_ECONFLICT);
	CHECK(strstr(e.msg, "signing chain's certificate \"CN = Test Root\" expired") != NULL);
	/* the TSA's own certificate */
	REQUIRE(sk_X509_push(tsa_chain, old_tsa) > 0);
	REQUIRE(sk_X509_push(tsa_chain, P.root) > 0);
	s = signer_of(P.rsa, NULL, tsa_chain);
	memset(&e, 0, sizeof e);
	CHECK_EQ_INT(rstore_signer_check(&s, now, &e), KHO_ECONFLICT);
	CHECK(strstr(e.msg, "timestamping certificate \"CN = Test TSA\" expired") != NULL);
	/* the same groups, all valid: accepted */
	(void)sk_X509_set(chain, 0, P.root);
	(void)sk_X509_set(tsa_chain, 0, P.tsa);
	s = signer_of(P.rsa, chain, tsa_chain);
	CHECK_EQ_INT(rstore_signer_check(&s, now, &e), 0);
	sk_X509_free(chain);
	sk_X509_free(tsa_chain);
	X509_free(old_root);
	X509_free(old_tsa);
}

static void t_long_subject(void)
{
	static const char ou[] = "Ủy ban nhân dân tỉnh Thừa Thiên Huế - Sở Nội vụ";
	time_t now = time(NULL);
	X509_NAME *n = X509_NAME_new();
	X509 *x;
	rstore_signer s;
	json_t *j;
	kho_err e;
	int i, ok = n != NULL;

	REQUIRE(tp_init());
	/* a subject of 8 long Vietnamese OUs (about 560 bytes of multi-byte
	 * characters): over the message's room for it */
	for (i = 0; ok && i < 8; i++)
		ok = X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)ou,
		                                -1, -1, 0);
	x = X509_dup(P.rsa);
	REQUIRE(ok && x != NULL && X509_set_subject_name(x, n));
	s = signer_of(x, NULL, NULL);
	memset(&e, 0, sizeof e);
	CHECK_EQ_INT(rstore_signer_check(&s, now + 40 * YEAR, &e), KHO_ECONFLICT);
	/* whatever was cut, the message is valid UTF-8 (JSON takes it) and
	 * still ends with what it says */
	j = json_string(e.msg);
	CHECK(j != NULL);
	json_decref(j);
	CHECK(strstr(e.msg, "expired on") != NULL);
	CHECK(strstr(e.msg, "nothing was destroyed by this execution") != NULL);
	X509_NAME_free(n);
	X509_free(x);
}

static void t_err_cut_utf8(void)
{
	char big[2000];
	json_t *j;
	kho_err e;
	size_t i;

	/* kho_err_set cuts a long message after a whole character */
	for (i = 0; i + 3 < sizeof big; i += 3)
		memcpy(big + i, "\xe1\xbb\xa6", 3);   /* U+1EE6, 3 bytes */
	big[i] = '\0';
	kho_err_set(&e, KHO_EINVAL, "x%s", big);   /* 1 + 3k bytes: 767 would cut one */
	CHECK(strlen(e.msg) < sizeof e.msg);
	CHECK_EQ_INT((strlen(e.msg) - 1) % 3, 0);
	j = json_string(e.msg);
	CHECK(j != NULL);
	json_decref(j);
}

TESTS(T(t_bounds), T(t_each_certificate), T(t_long_subject), T(t_err_cut_utf8))
