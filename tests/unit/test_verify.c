/*
 * test_verify.c: verify_package_mem on containers built here, in memory,
 * from parts this test controls: certificates made with OpenSSL's APIs, the
 * manifest from manifest_write, a CMS signature from CMS_sign (with or
 * without signing-certificate-v2 or with one of another hash, with or
 * without the signer certificate),
 * a timestamp from the built-in TSA at a chosen time, a ZIP from zipw.
 * Each case asserts the indication, the sub-indication and the reason; then
 * the three report formats are parsed back (jansson, libxml2).
 */
#include <openssl/cms.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "archive/manifest.h"
#include "archive/zipw.h"
#include "common/util.h"
#include "sign/cades.h"
#include "sign/tsa.h"
#include "tests/unit/test.h"
#include "verify/verify.h"

#define DAY 86400L

static time_t now_;

/* ---- certificates -------------------------------------------------- */

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

static X509 *cert(const char *cn, long serial, EVP_PKEY *k, X509 *iss, EVP_PKEY *ik,
                  time_t nb, time_t na, const char *ku, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, iss != NULL ? X509_get_subject_name(iss) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, k);
	add_ext(x, iss != NULL ? iss : x, NID_basic_constraints,
	        iss == NULL || strstr(ku, "keyCertSign") != NULL ? "critical,CA:TRUE" : "CA:FALSE");
	add_ext(x, iss != NULL ? iss : x, NID_key_usage, ku);
	if (eku != NULL)
		add_ext(x, iss != NULL ? iss : x, NID_ext_key_usage, eku);
	add_ext(x, iss != NULL ? iss : x, NID_subject_key_identifier, "hash");
	X509_sign(x, ik != NULL ? ik : k, EVP_sha256());
	return x;
}

static EVP_PKEY *cakey, *otherkey, *signkey, *tsakey;
static X509 *ca, *other, *signer, *expired, *badku, *tsacert;
static STACK_OF(X509) *anchors, *other_anchors;

static void setup(void)
{
	if (ca != NULL)
		return;
	now_ = kho_now();
	cakey = EVP_EC_gen("P-256");
	otherkey = EVP_EC_gen("P-256");
	signkey = EVP_EC_gen("P-256");
	tsakey = EVP_EC_gen("P-256");
	ca = cert("Test CA", 1, cakey, NULL, NULL, now_ - 3650 * DAY, now_ + 3650 * DAY,
	          "critical,keyCertSign,cRLSign", NULL);
	other = cert("Other CA", 1, otherkey, NULL, NULL, now_ - 3650 * DAY, now_ + 3650 * DAY,
	             "critical,keyCertSign,cRLSign", NULL);
	signer = cert("Signer", 42, signkey, ca, cakey, now_ - 365 * DAY, now_ + 365 * DAY,
	              "critical,digitalSignature,nonRepudiation", NULL);
	expired = cert("Expired signer", 43, signkey, ca, cakey, now_ - 3 * 365 * DAY,
	               now_ - 365 * DAY, "critical,digitalSignature", NULL);
	badku = cert("Encryption only", 44, signkey, ca, cakey, now_ - 365 * DAY, now_ + 365 * DAY,
	             "critical,keyEncipherment", NULL);
	tsacert = cert("Test TSA", 45, tsakey, ca, cakey, now_ - 3650 * DAY, now_ + 3650 * DAY,
	               "critical,digitalSignature", "critical,timeStamping");
	anchors = sk_X509_new_null();
	sk_X509_push(anchors, ca);
	other_anchors = sk_X509_new_null();
	sk_X509_push(other_anchors, other);
}

/* ---- packages ------------------------------------------------------ */

struct obj { const char *name; const char *data; };

/*
 * NO_CADES: no signing-certificate-v2. ESS_SHA1, ESS_MD5: signing-certificate-v2
 * made by OpenSSL with that hash instead of the signer's; ESS_SHA256_EXPLICIT:
 * a SHA-256 ESSCertIDv2 whose hashAlgorithm is written out (OpenSSL leaves
 * the DEFAULT out).
 */
enum { NO_CADES = 1, NO_CERTS = 2, ESS_SHA1 = 4, ESS_MD5 = 8, ESS_SHA256_EXPLICIT = 16 };
#define ESS_OWN (ESS_SHA1 | ESS_MD5 | ESS_SHA256_EXPLICIT)

/* What build_ex adds beyond build: 0 = not set. */
struct more {
	time_t signing_time;  /* the claimed signing-time (else CMS_final's wall clock) */
	time_t archive_gen;   /* genTime of a container timestamp (ASiCArchiveManifest) over
	                         the signature file */
	time_t archive2_gen;  /* with archive_gen: genTime of a renewal over the signature
	                         file, the first archive manifest and its token */
	EVP_PKEY *tsa_key;    /* the TSA of both timestamps (else tsakey, tsacert), */
	X509 *tsa_cert;
	STACK_OF(X509) *tsa_chain;  /* with the chain its tokens carry */
};

/* The signing-certificate-v2 attribute of the ESS_* flags, on si. */
static void add_ess(CMS_SignerInfo *si, X509 *who, int flags)
{
	unsigned char *der = NULL, buf[64 + EVP_MAX_MD_SIZE];
	int len;

	if (flags & ESS_SHA256_EXPLICIT) {
		/* SigningCertificateV2 { certs { ESSCertIDv2 { hashAlgorithm
		 * {id-sha256, NULL}, certHash } } }, RFC 5035 5.4.1.1 */
		static const unsigned char head[] = {
			0x30, 0x35, 0x30, 0x33, 0x30, 0x31,
			0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
			0x05, 0x00, 0x04, 0x20
		};
		unsigned int mdlen = 0;

		memcpy(buf, head, sizeof head);
		X509_digest(who, EVP_sha256(), buf + sizeof head, &mdlen);
		CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
		                            buf, (int)(sizeof head + mdlen));
		return;
	}
	{
		ESS_SIGNING_CERT_V2 *sc = OSSL_ESS_signing_cert_v2_new_init(
			(flags & ESS_MD5) ? EVP_md5() : EVP_sha1(), who, NULL, 0);

		len = i2d_ESS_SIGNING_CERT_V2(sc, &der);
		CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
		                            der, len);
		OPENSSL_free(der);
		ESS_SIGNING_CERT_V2_free(sc);
	}
}

/*
 * Build a container: objects listed and signed; present[] says which are
 * put in the ZIP (and with what bytes: alt replaces the data when set);
 * extra entries are added unsigned. gen_time 0 = no timestamp.
 */
static void build_ex(kho_buf *zip, const struct obj *objs, size_t n, const char **alt,
                     const int *absent, const struct obj *extra, size_t nextra,
                     X509 *who, int flags, time_t gen_time, const struct more *more)
{
	manifest_item items[8];
	kho_buf man, sigbuf, tok, aman, atok;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	BIO *in;
	zipw *w = NULL;
	size_t i;
	unsigned char *der = NULL;
	int dl;

	for (i = 0; i < n; i++) {
		items[i].uri = objs[i].name;
		items[i].mime = "text/plain";
		items[i].data = objs[i].data;
		items[i].len = strlen(objs[i].data);
	}
	kho_buf_init(&man, 1 << 20);
	manifest_write(&man, "META-INF/signature001.p7s", items, n, NULL);
	in = BIO_new_mem_buf(man.data, (int)man.len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_DETACHED | CMS_PARTIAL);
	si = CMS_add1_signer(cms, who, signkey, EVP_sha256(),
	                     CMS_BINARY | ((flags & (NO_CADES | ESS_OWN)) ? 0 : CMS_CADES) |
	                     ((flags & NO_CERTS) ? CMS_NOCERTS : 0));
	if (flags & ESS_OWN)
		add_ess(si, who, flags);
	if (more != NULL && more->signing_time != 0) {
		ASN1_TIME *st = ASN1_TIME_set(NULL, more->signing_time);

		CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, st->type, st, -1);
		ASN1_TIME_free(st);
	}
	CMS_final(cms, in, NULL, CMS_BINARY | CMS_DETACHED);
	BIO_free(in);
	if (gen_time != 0) {
		tsa *t = NULL;
		const unsigned char *sv;
		size_t svlen;

		if (more != NULL && more->tsa_key != NULL)
			tsa_new_local(&t, more->tsa_key, more->tsa_cert, more->tsa_chain, NULL, NULL);
		else
			tsa_new_local(&t, tsakey, tsacert, NULL, NULL, NULL);
		tsa_set_time(t, gen_time, NULL);
		cades_signature_value(cms, &sv, &svlen, NULL);
		kho_buf_init(&tok, 1 << 20);
		tsa_stamp(t, sv, svlen, &tok, NULL);
		cades_add_timestamp(cms, tok.data, tok.len, NULL);
		kho_buf_free(&tok);
		tsa_free(t);
	}
	dl = i2d_CMS_ContentInfo(cms, &der);
	kho_buf_init(&sigbuf, 1 << 20);
	kho_buf_append(&sigbuf, der, (size_t)dl);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);

	kho_buf_init(zip, 8 << 20);
	zipw_new(&w, zip, now_, NULL);
	zipw_add(w, "mimetype", PKG_MIMETYPE, strlen(PKG_MIMETYPE), ZIPW_STORED, NULL);
	for (i = 0; i < n; i++) {
		const char *d = alt != NULL && alt[i] != NULL ? alt[i] : objs[i].data;
		if (absent == NULL || !absent[i])
			zipw_add(w, objs[i].name, d, strlen(d), ZIPW_DEFLATED, NULL);
	}
	for (i = 0; i < nextra; i++)
		zipw_add(w, extra[i].name, extra[i].data, strlen(extra[i].data), ZIPW_DEFLATED, NULL);
	zipw_add(w, "META-INF/ASiCManifest001.xml", man.data, man.len, ZIPW_DEFLATED, NULL);
	zipw_add(w, "META-INF/signature001.p7s", sigbuf.data, sigbuf.len, ZIPW_DEFLATED, NULL);
	if (more != NULL && more->archive_gen != 0) {
		/* B-LTA (EN 319 162-1 4.4.3): an ASiCArchiveManifest listing the
		 * signature file, and a token over that manifest's bytes. */
		manifest_item ai = { "META-INF/signature001.p7s", "application/pkcs7-signature",
		                     sigbuf.data, sigbuf.len };
		tsa *t = NULL;

		kho_buf_init(&aman, 1 << 20);
		manifest_write(&aman, "META-INF/timestamp001.tst", &ai, 1, NULL);
		if (more->tsa_key != NULL)
			tsa_new_local(&t, more->tsa_key, more->tsa_cert, more->tsa_chain, NULL, NULL);
		else
			tsa_new_local(&t, tsakey, tsacert, NULL, NULL, NULL);
		tsa_set_time(t, more->archive_gen, NULL);
		kho_buf_init(&atok, 1 << 20);
		tsa_stamp(t, aman.data, aman.len, &atok, NULL);
		tsa_free(t);
		/* A renewal (kho renew, docs/package.md) renames the first
		 * archive manifest and lists it with its token. */
		zipw_add(w, more->archive2_gen != 0 ? "META-INF/ASiCArchiveManifest001.xml"
		                                    : "META-INF/ASiCArchiveManifest.xml",
		         aman.data, aman.len, ZIPW_DEFLATED, NULL);
		zipw_add(w, "META-INF/timestamp001.tst", atok.data, atok.len, ZIPW_DEFLATED, NULL);
		if (more->archive2_gen != 0) {
			manifest_item a2[3] = {
				ai,
				{ "META-INF/ASiCArchiveManifest001.xml", "text/xml", aman.data, aman.len },
				{ "META-INF/timestamp001.tst", "application/vnd.etsi.timestamp-token",
				  atok.data, atok.len },
			};
			kho_buf aman2, atok2;

			kho_buf_init(&aman2, 1 << 20);
			manifest_write_archive(&aman2, "META-INF/timestamp002.tst", a2, 3, NULL);
			tsa_new_local(&t, tsakey, tsacert, NULL, NULL, NULL);
			tsa_set_time(t, more->archive2_gen, NULL);
			kho_buf_init(&atok2, 1 << 20);
			tsa_stamp(t, aman2.data, aman2.len, &atok2, NULL);
			tsa_free(t);
			zipw_add(w, "META-INF/ASiCArchiveManifest.xml", aman2.data, aman2.len,
			         ZIPW_DEFLATED, NULL);
			zipw_add(w, "META-INF/timestamp002.tst", atok2.data, atok2.len, ZIPW_DEFLATED,
			         NULL);
			kho_buf_free(&aman2);
			kho_buf_free(&atok2);
		}
		kho_buf_free(&aman);
		kho_buf_free(&atok);
	}
	zipw_finish(w, NULL);
	zipw_free(w);
	kho_buf_free(&man);
	kho_buf_free(&sigbuf);
}

static void build(kho_buf *zip, const struct obj *objs, size_t n, const char **alt,
                  const int *absent, const struct obj *extra, size_t nextra,
                  X509 *who, int flags, time_t gen_time)
{
	build_ex(zip, objs, n, alt, absent, extra, nextra, who, flags, gen_time, NULL);
}

static const struct obj ONE[] = { { "ketqua.pdf", "%PDF-1.4 result\n" } };
static const struct obj TWO[] = { { "a.txt", "first\n" }, { "b.txt", "second\n" } };

static verify_report *run(const kho_buf *zip, STACK_OF(X509) *anc, STACK_OF(X509_CRL) *crls,
                          time_t at)
{
	verify_opts o;
	verify_report *r = NULL;
	kho_err err = { 0, "" };

	memset(&o, 0, sizeof o);
	o.anchors = anc;
	o.crls = crls;
	o.at = at;
	if (verify_package_mem(&r, zip->data, zip->len, &o, &err) != 0) {
		fprintf(stderr, "  verify_package_mem: %s\n", err.msg);
		return NULL;
	}
	return r;
}

static int has_reason(const vr_signature *s, const char *needle)
{
	size_t i;

	for (i = 0; i < s->nreasons; i++)
		if (strstr(s->reasons[i], needle) != NULL)
			return 1;
	return 0;
}

/* ---- cases ---------------------------------------------------------- */

static void t_passes(void)
{
	kho_buf zip;
	verify_report *r;

	setup();
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	CHECK_EQ_INT(r->sub, VR_SUB_NONE);
	REQUIRE(r->nsigs == 1);
	CHECK_STR(r->sigs[0].id, "META-INF/signature001.p7s");
	CHECK_STR(r->sigs[0].manifest, "META-INF/ASiCManifest001.xml");
	CHECK_STR(r->sigs[0].level, "CAdES-BASELINE-B");
	CHECK_STR(r->sigs[0].sig_alg, "ECDSA");
	CHECK_STR(r->sigs[0].digest_alg, "SHA256");
	CHECK_EQ_INT(r->sigs[0].nobjects, 1);
	CHECK_EQ_INT(r->sigs[0].objects[0].state, VR_OBJ_OK);
	/* the SHA-256 the ingest indexes, handed back by the check */
	{
		unsigned char md[32];
		CHECK_EQ_INT(kho_sha256(md, ONE[0].data, strlen(ONE[0].data)), 0);
		CHECK_EQ_INT(r->sigs[0].objects[0].have_sha256, 1);
		CHECK(memcmp(r->sigs[0].objects[0].sha256, md, 32) == 0);
	}
	CHECK_EQ_INT(r->sigs[0].has_poe, 0);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, r->validation_time);
	/* no CRL anywhere: accepted with a warning (the documented policy) */
	CHECK(r->sigs[0].nwarnings >= 1 && strstr(r->sigs[0].warnings[0], "revocation") != NULL);
	CHECK_STR(r->container_type, "ASiC-E");
	CHECK_EQ_INT(r->have_package_sha256, 1);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_hash_failure(void)
{
	const char *alt[] = { "%PDF-1.4 forged\n" };
	kho_buf zip;
	verify_report *r;

	setup();
	build(&zip, ONE, 1, alt, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_FAILED);
	CHECK_EQ_INT(r->sub, VR_HASH_FAILURE);
	CHECK_EQ_INT(r->sigs[0].objects[0].state, VR_OBJ_HASH_FAILURE);
	CHECK_EQ_INT(r->sigs[0].objects[0].have_sha256, 0);
	CHECK_STR(r->sigs[0].reasons[0], "ketqua.pdf does not match its digest");
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_missing_beats_broken(void)
{
	const char *alt[] = { NULL, "changed\n" };
	const int absent[] = { 1, 0 };
	kho_buf zip;
	verify_report *r;

	setup();
	build(&zip, TWO, 2, alt, absent, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_SIGNED_DATA_NOT_FOUND);
	CHECK(strstr(r->sigs[0].reasons[0], "a.txt is listed") != NULL);
	CHECK(has_reason(&r->sigs[0], "b.txt does not match its digest"));
	CHECK_EQ_INT(r->sigs[0].objects[0].state, VR_OBJ_MISSING);
	CHECK_EQ_INT(r->sigs[0].objects[1].state, VR_OBJ_HASH_FAILURE);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_no_chain(void)
{
	kho_buf zip;
	verify_report *r;

	setup();
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, other_anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_NO_CERTIFICATE_CHAIN_FOUND);
	verify_report_free(r);
	r = run(&zip, NULL, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->sub, VR_NO_CERTIFICATE_CHAIN_FOUND);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_no_signing_certificate(void)
{
	kho_buf zip;
	verify_report *r;

	setup();
	/* no signing-certificate-v2 attribute */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, NO_CADES, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sub, VR_NO_SIGNING_CERTIFICATE_FOUND);
	CHECK(has_reason(&r->sigs[0], "signing-certificate-v2"));
	verify_report_free(r);
	kho_buf_free(&zip);
	/* the signer certificate is not in the signature */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, NO_CERTS, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_NO_SIGNING_CERTIFICATE_FOUND);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static X509_CRL *crl_revoking(long serial, time_t when)
{
	X509_CRL *c = X509_CRL_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(ca));
	ASN1_TIME_set(t, now_);
	X509_CRL_set1_lastUpdate(c, t);
	ASN1_TIME_set(t, now_ + 30 * DAY);
	X509_CRL_set1_nextUpdate(c, t);
	ASN1_INTEGER_set(s, serial);
	X509_REVOKED_set_serialNumber(rv, s);
	ASN1_TIME_set(t, when);
	X509_REVOKED_set_revocationDate(rv, t);
	X509_CRL_add0_revoked(c, rv);
	X509_CRL_sign(c, cakey, EVP_sha256());
	ASN1_INTEGER_free(s);
	ASN1_TIME_free(t);
	return c;
}

static void t_revocation_and_poe(void)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	kho_buf zip;
	verify_report *r;

	setup();
	sk_X509_CRL_push(crls, crl_revoking(42, now_ - 10 * DAY));
	/* no timestamp: the signature may predate the revocation */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, crls, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_REVOKED_NO_POE);
	verify_report_free(r);
	kho_buf_free(&zip);
	/* a timestamp after the revocation: TOTAL-FAILED/REVOKED */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, now_ - 60);
	r = run(&zip, anchors, crls, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_FAILED);
	CHECK_EQ_INT(r->sub, VR_REVOKED);
	CHECK_EQ_INT(r->sigs[0].has_poe, 1);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, now_ - 60);
	CHECK_STR(r->sigs[0].level, "CAdES-BASELINE-T");
	verify_report_free(r);
	kho_buf_free(&zip);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

static void t_expired_and_timestamps(void)
{
	kho_buf zip;
	verify_report *r;

	setup();
	/* no POE: expired now */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, expired, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sub, VR_OUT_OF_BOUNDS_NO_POE);
	verify_report_free(r);
	kho_buf_free(&zip);
	/* a timestamp while it was valid (and the claimed signing time, which
	 * CMS_sign sets to the wall clock, is after it: order failure) */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, expired, 0, now_ - 700 * DAY);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sigs[0].has_poe, 1);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, now_ - 700 * DAY);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	CHECK(r->sigs[0].ntimestamps == 1 && r->sigs[0].timestamps[0].imprint_ok &&
	      r->sigs[0].timestamps[0].signature_ok && r->sigs[0].timestamps[0].chain_ok);
	verify_report_free(r);
	/* with a TSA nobody trusts, the timestamp gives no POE */
	r = run(&zip, other_anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sigs[0].has_poe, 0);
	CHECK(r->sigs[0].ntimestamps == 1 && !r->sigs[0].timestamps[0].chain_ok);
	CHECK(has_reason(&r->sigs[0], "gives no proof of existence"));
	verify_report_free(r);
	kho_buf_free(&zip);
}

/*
 * The ESSCertIDv2 that binds the signer certificate is under the algorithm
 * constraints (EN 319 102-1 5.2.8), as the SignerInfo's digest is: SHA-1 or
 * MD5 there is INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE (found by review:
 * both were TOTAL-PASSED). SHA-256, left out as the DEFAULT (t_passes) or
 * written out, passes.
 */
static void t_signing_cert_v2_hash(void)
{
	static const struct { int flag; const char *alg; } weak[] = {
		{ ESS_SHA1, "SHA1" }, { ESS_MD5, "MD5" }
	};
	kho_buf zip;
	verify_report *r;
	size_t i;

	setup();
	for (i = 0; i < sizeof weak / sizeof weak[0]; i++) {
		char want[160];

		build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, weak[i].flag, 0);
		r = run(&zip, anchors, NULL, 0);
		REQUIRE(r != NULL && r->nsigs == 1);
		CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
		CHECK_EQ_INT(r->sub, VR_CRYPTO_CONSTRAINTS_FAILURE);
		CHECK_EQ_INT(r->sigs[0].sub, VR_CRYPTO_CONSTRAINTS_FAILURE);
		snprintf(want, sizeof want, "the signing-certificate-v2 attribute identifies the signer "
		         "certificate with the broken digest algorithm %s", weak[i].alg);
		CHECK(has_reason(&r->sigs[0], want));
		/* the reference itself is right: not a missing signing certificate */
		CHECK(!has_reason(&r->sigs[0], "does not identify the signer"));
		verify_report_free(r);
		kho_buf_free(&zip);
	}
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, ESS_SHA256_EXPLICIT, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	CHECK(!has_reason(&r->sigs[0], "signing-certificate-v2"));
	verify_report_free(r);
	kho_buf_free(&zip);
}

/*
 * A claimed signing time after the earliest timestamp that proves the
 * signature existed is TIMESTAMP_ORDER_FAILURE, also when that timestamp is
 * a container (archive) timestamp (found by review: only the signature
 * timestamp was compared, so these were TOTAL-PASSED).
 */
static void t_signing_time_after_container_timestamp(void)
{
	struct more m;
	kho_buf zip;
	verify_report *r;
	char want[200], a[32], b[32];

	setup();
	/* no signature timestamp; the container timestamp 10 days ago is the
	 * POE, the claimed signing time (CMS_final's: now) after it */
	memset(&m, 0, sizeof m);
	m.archive_gen = now_ - 10 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, 0, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_STR(r->sigs[0].level, "CAdES-BASELINE-LTA");
	CHECK_EQ_INT(r->sigs[0].has_poe, 1);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, now_ - 10 * DAY);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	CHECK(r->sigs[0].has_signing_time);
	snprintf(want, sizeof want, "the claimed signing time %s is after the container timestamp "
	         "META-INF/timestamp001.tst, which proves the signature existed at %s",
	         kho_time_format(a, sizeof a, r->sigs[0].signing_time),
	         kho_time_format(b, sizeof b, now_ - 10 * DAY));
	CHECK(has_reason(&r->sigs[0], want));
	verify_report_free(r);
	kho_buf_free(&zip);

	/* the claimed signing time before both timestamps: passes, POE from
	 * the signature timestamp (a container timestamp over the signature
	 * file is later, coherently: t_container_timestamp_order) */
	m.signing_time = now_ - 20 * DAY;
	m.archive_gen = now_ - 1 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, now_ - 5 * DAY, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, now_ - 5 * DAY);
	CHECK_STR(r->sigs[0].level, "CAdES-BASELINE-LTA");
	verify_report_free(r);
	kho_buf_free(&zip);

	/* the signature timestamp is still the one named when it is the POE */
	m.signing_time = now_ - 3 * DAY;
	m.archive_gen = now_ - 1 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, now_ - 5 * DAY, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, now_ - 5 * DAY);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	CHECK(has_reason(&r->sigs[0], "is after the signature timestamp"));
	verify_report_free(r);
	kho_buf_free(&zip);
}

/*
 * EN 319 102-1 time-stamp coherence order: a container timestamp over the
 * signature file covers its signature timestamp, and an archive renewal
 * covers the earlier archive timestamp, so neither can be earlier than what
 * it covers beyond the two tokens' accuracy (1 second each from the
 * built-in TSA). Incoherent, the signature is
 * INDETERMINATE/TIMESTAMP_ORDER_FAILURE and the too-early time gives no
 * proof of existence (found by review: these passed, the earlier container
 * timestamp even as the best signature time).
 */
static void t_container_timestamp_order(void)
{
	struct more m;
	kho_buf zip;
	verify_report *r;
	char want[400], a[32], b[32];
	time_t ts;

	setup();
	ts = now_ - 5 * DAY;
	/* the container timestamp 10 days ago, the signature timestamp it
	 * covers 5 days ago, the claimed signing time before both */
	memset(&m, 0, sizeof m);
	m.signing_time = now_ - 20 * DAY;
	m.archive_gen = now_ - 10 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	CHECK_EQ_INT(r->sigs[0].sub, VR_TIMESTAMP_ORDER_FAILURE);
	snprintf(want, sizeof want, "the container timestamp META-INF/timestamp001.tst (%s) is "
	         "earlier than the signature timestamp (%s) in the signature file it covers",
	         kho_time_format(a, sizeof a, now_ - 10 * DAY), kho_time_format(b, sizeof b, ts));
	CHECK(has_reason(&r->sigs[0], want));
	CHECK_EQ_INT(r->sigs[0].best_signature_time, ts);
	CHECK(!has_reason(&r->sigs[0], "proof of existence at"));
	CHECK_STR(r->sigs[0].level, "CAdES-BASELINE-LTA");
	verify_report_free(r);
	kho_buf_free(&zip);

	/* the claimed signing time between them: after the container
	 * timestamp's time, which is not used, so only the incoherence */
	m.signing_time = now_ - 7 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	CHECK(has_reason(&r->sigs[0], want));
	CHECK(!has_reason(&r->sigs[0], "is after the container timestamp"));
	verify_report_free(r);
	kho_buf_free(&zip);

	/* within the two tokens' accuracy: coherent; beyond it: not */
	m.signing_time = now_ - 20 * DAY;
	m.archive_gen = ts - 2;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	verify_report_free(r);
	kho_buf_free(&zip);
	m.archive_gen = ts - 3;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	verify_report_free(r);
	kho_buf_free(&zip);

	/* a renewal earlier than the archive timestamp it covers */
	m.archive_gen = now_ - 3 * DAY;
	m.archive2_gen = now_ - 4 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->ntimestamps, 2);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	snprintf(want, sizeof want, "the container timestamp META-INF/timestamp002.tst (%s) is "
	         "earlier than the container timestamp META-INF/timestamp001.tst (%s) it covers",
	         kho_time_format(a, sizeof a, now_ - 4 * DAY),
	         kho_time_format(b, sizeof b, now_ - 3 * DAY));
	CHECK(has_reason(&r->sigs[0], want));
	verify_report_free(r);
	kho_buf_free(&zip);

	/* the same without a signature timestamp: the renewal's time is not
	 * the best signature time, the one it covers is */
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, 0, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->sub, VR_TIMESTAMP_ORDER_FAILURE);
	CHECK(has_reason(&r->sigs[0], want));
	CHECK_EQ_INT(r->sigs[0].best_signature_time, now_ - 3 * DAY);
	verify_report_free(r);
	kho_buf_free(&zip);

	/* a coherent renewal, and one within the accuracy: pass */
	m.archive2_gen = now_ - 1 * DAY;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	CHECK_EQ_INT(r->ntimestamps, 2);
	CHECK(r->ntimestamps == 2 && r->timestamps[0].accepted && r->timestamps[1].accepted);
	CHECK_EQ_INT(r->sigs[0].best_signature_time, ts);
	verify_report_free(r);
	kho_buf_free(&zip);
	m.archive2_gen = m.archive_gen - 2;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, ts, &m);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static int has_warning(char **w, size_t n, const char *needle)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(w[i], needle) != NULL)
			return 1;
	return 0;
}

/*
 * A TSA chain that no usable revocation data covers at the time it is
 * checked (the validation time) is accepted with a warning naming the token
 * and the certificate, as the signer's chain is (verification.md section 4;
 * found by review, 2026-12-08: TOTAL-PASSED with no warning at all, the
 * only CRL long expired). The indication does not change.
 */
static void t_tsa_without_revocation_data(void)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	struct more m;
	kho_buf zip;
	verify_report *r;

	setup();
	/* the CA's CRL (it lists another certificate), current until now+30d */
	sk_X509_CRL_push(crls, crl_revoking(999, now_ - 10 * DAY));
	memset(&m, 0, sizeof m);
	m.signing_time = now_ - 120;
	m.archive_gen = now_ - 30;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, now_ - 60, &m);
	/* while the CRL is current: no warning */
	r = run(&zip, anchors, crls, now_);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	CHECK_EQ_INT((long)r->sigs[0].nwarnings, 0);
	CHECK_EQ_INT((long)r->nwarnings, 0);
	verify_report_free(r);
	/* 60 days on, the CRL has expired: the signer is still covered at its
	 * POE (the CRL was issued after it), the TSA's chain at the validation
	 * time is not */
	r = run(&zip, anchors, crls, now_ + 60 * DAY);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	CHECK_EQ_INT((long)r->sigs[0].nwarnings, 1);
	CHECK(has_warning(r->sigs[0].warnings, r->sigs[0].nwarnings,
	                  "no usable revocation data for the signature timestamp's TSA chain: the "
	                  "TSA certificate CN=Test TSA ("));
	CHECK(has_warning(r->sigs[0].warnings, r->sigs[0].nwarnings,
	                  "kho accepts this with a warning"));
	CHECK_EQ_INT((long)r->nwarnings, 1);
	CHECK(has_warning(r->warnings, r->nwarnings, "no usable revocation data for the TSA chain of "
	                  "the container timestamp META-INF/timestamp001.tst: the TSA certificate "
	                  "CN=Test TSA ("));
	verify_report_free(r);
	kho_buf_free(&zip);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

/*
 * A token whose TSA's CA (a certificate the token carries, not an anchor)
 * has expired at the validation time says so: "certificate has expired
 * (depth 1)", from the check that refused it, not "unable to get local
 * issuer certificate" from a chain built again without the token's
 * certificates, nor "does not chain to a trust anchor" (found by review,
 * 2026-12-08); and each token's own JSON entry carries the reason.
 */
static void t_tsa_chain_expired_reason(void)
{
	EVP_PKEY *ik = EVP_EC_gen("P-256"), *k = EVP_EC_gen("P-256");
	X509 *ica = cert("TSA CA", 60, ik, ca, cakey, now_ - 365 * DAY, now_ + 100 * DAY,
	                 "critical,keyCertSign,cRLSign", NULL);
	X509 *t2;
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct more m;
	kho_buf zip, js;
	verify_report *r;
	size_t i;

	setup();
	t2 = cert("Short TSA", 61, k, ica, ik, now_ - 365 * DAY, now_ + 1000 * DAY,
	          "critical,digitalSignature", "critical,timeStamping");
	sk_X509_push(chain, ica);
	memset(&m, 0, sizeof m);
	m.signing_time = now_ - 120;
	m.archive_gen = now_ - 30;
	m.tsa_key = k;
	m.tsa_cert = t2;
	m.tsa_chain = chain;
	build_ex(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, now_ - 60, &m);
	/* control: both tokens stand today, no reason */
	r = run(&zip, anchors, NULL, now_);
	REQUIRE(r != NULL && r->nsigs == 1 && r->ntimestamps == 1 && r->sigs[0].ntimestamps == 1);
	CHECK(r->timestamps[0].accepted && r->timestamps[0].reason == NULL);
	CHECK(r->sigs[0].timestamps[0].accepted && r->sigs[0].timestamps[0].reason == NULL);
	verify_report_free(r);
	/* 200 days on, the TSA's CA has expired */
	r = run(&zip, anchors, NULL, now_ + 200 * DAY);
	REQUIRE(r != NULL && r->nsigs == 1 && r->ntimestamps == 1 && r->sigs[0].ntimestamps == 1);
	CHECK(!r->timestamps[0].accepted && !r->sigs[0].timestamps[0].accepted);
	for (i = 0; i < r->nreasons; i++)
		if (strstr(r->reasons[i], "META-INF/timestamp001.tst over") != NULL)
			break;
	REQUIRE(i < r->nreasons);
	CHECK(strstr(r->reasons[i], "certificate has expired (depth 1)") != NULL);
	CHECK(strstr(r->reasons[i], "unable to get local issuer") == NULL);
	CHECK(has_reason(&r->sigs[0], "the signature timestamp is not accepted (a certificate of "
	                 "the TSA's chain is not valid at"));
	CHECK(has_reason(&r->sigs[0], "certificate has expired (depth 1)"));
	CHECK(!has_reason(&r->sigs[0], "does not chain to a trust anchor"));
	/* each token's entry says why too */
	REQUIRE(r->timestamps[0].reason != NULL && r->sigs[0].timestamps[0].reason != NULL);
	CHECK(strstr(r->timestamps[0].reason, "certificate has expired (depth 1)") != NULL);
	CHECK(strstr(r->sigs[0].timestamps[0].reason, "certificate has expired (depth 1)") != NULL);
	kho_buf_init(&js, 1 << 20);
	CHECK(verify_report_json(&js, r) == 0);
	CHECK(js.data != NULL && strstr((const char *)js.data, "\"reason\": \"a certificate of "
	                                "the TSA's chain is not valid at") != NULL);
	kho_buf_free(&js);
	verify_report_free(r);
	kho_buf_free(&zip);
	sk_X509_free(chain);
	X509_free(t2);
	X509_free(ica);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ik);
}

static void t_key_usage_and_time(void)
{
	kho_buf zip;
	verify_report *r;

	setup();
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, badku, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_INDETERMINATE);
	CHECK_EQ_INT(r->sub, VR_CHAIN_CONSTRAINTS_FAILURE);
	verify_report_free(r);
	kho_buf_free(&zip);
	/* validated before the signer's certificate existed */
	build(&zip, ONE, 1, NULL, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, NULL, now_ - 400 * DAY);
	REQUIRE(r != NULL && r->nsigs == 1);
	CHECK_EQ_INT(r->indication, VR_TOTAL_FAILED);
	CHECK_EQ_INT(r->sub, VR_NOT_YET_VALID);
	CHECK_EQ_INT(r->validation_time, now_ - 400 * DAY);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_unsigned_extra(void)
{
	const struct obj extra[] = { { "notes.txt", "added later\n" } };
	kho_buf zip;
	verify_report *r;

	setup();
	build(&zip, ONE, 1, NULL, NULL, extra, 1, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->indication, VR_TOTAL_PASSED);
	REQUIRE(r->nunsigned == 1);
	CHECK_STR(r->unsigned_objects[0].name, "notes.txt");
	CHECK_EQ_INT(r->unsigned_objects[0].state, VR_OBJ_UNSIGNED);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_record(void)
{
	const struct obj bad[] = { { "ketqua.pdf", "%PDF\n" },
	                           { "record.xml", "<record xmlns=\"urn:kho:record:1\"/>" } };
	const struct obj extra[] = { { "record.xml", "<record xmlns=\"urn:kho:record:1\"/>" } };
	kho_buf zip;
	verify_report *r;

	setup();
	/* signed but invalid */
	build(&zip, bad, 2, NULL, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->indication, VR_TOTAL_FAILED);
	CHECK_EQ_INT(r->sub, VR_FORMAT_FAILURE);
	CHECK(r->record == NULL);
	CHECK(r->nreasons >= 1 && strncmp(r->reasons[0], "record.xml: ", 12) == 0);
	verify_report_free(r);
	kho_buf_free(&zip);
	/* present but unsigned */
	build(&zip, ONE, 1, NULL, NULL, extra, 1, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->sub, VR_FORMAT_FAILURE);
	CHECK(r->nreasons >= 1 && strstr(r->reasons[0], "not covered") != NULL);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_not_a_package(void)
{
	kho_buf zip;
	zipw *w = NULL;
	verify_report *r;

	setup();
	kho_buf_init(&zip, 1 << 20);
	kho_buf_append(&zip, "this is not a zip file at all", 29);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->indication, VR_TOTAL_FAILED);
	CHECK_EQ_INT(r->sub, VR_FORMAT_FAILURE);
	CHECK(r->nreasons == 1 && strstr(r->reasons[0], "refused") != NULL);
	CHECK_EQ_INT(r->nsigs, 0);
	verify_report_free(r);
	kho_buf_free(&zip);

	kho_buf_init(&zip, 1 << 20);
	zipw_new(&w, &zip, now_, NULL);
	zipw_add(w, "mimetype", PKG_MIMETYPE, strlen(PKG_MIMETYPE), ZIPW_STORED, NULL);
	zipw_add(w, "ketqua.pdf", "%PDF\n", 5, ZIPW_DEFLATED, NULL);
	zipw_finish(w, NULL);
	zipw_free(w);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL);
	CHECK_EQ_INT(r->indication, VR_TOTAL_FAILED);
	CHECK_EQ_INT(r->sub, VR_FORMAT_FAILURE);
	CHECK(r->nreasons >= 1 && strstr(r->reasons[0], "no signature") != NULL);
	CHECK_EQ_INT(r->nunsigned, 1);
	verify_report_free(r);
	kho_buf_free(&zip);
}

static void t_reports_parse_back(void)
{
	const char *alt[] = { "%PDF-1.4 forged\n" };
	kho_buf zip, out;
	verify_report *r;
	json_t *j, *s;
	json_error_t je;
	xmlDocPtr doc;
	xmlNodePtr root;

	setup();
	build(&zip, ONE, 1, alt, NULL, NULL, 0, signer, 0, 0);
	r = run(&zip, anchors, NULL, 0);
	REQUIRE(r != NULL && r->nsigs == 1);

	kho_buf_init(&out, 1 << 20);
	REQUIRE(verify_report_json(&out, r) == 0);
	j = json_loadb((const char *)out.data, out.len, 0, &je);
	REQUIRE(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "indication")), "TOTAL-FAILED");
	CHECK_STR(json_string_value(json_object_get(j, "sub_indication")), "HASH_FAILURE");
	s = json_array_get(json_object_get(j, "signatures"), 0);
	CHECK_STR(json_string_value(json_object_get(s, "sub_indication")), "HASH_FAILURE");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(s, "objects"), 0),
	                                            "state")), "hash-failure");
	CHECK_STR(json_string_value(json_object_get(json_object_get(s, "signer"), "subject")), "CN=Signer");
	json_decref(j);

	kho_buf_reset(&out);
	REQUIRE(verify_report_xml(&out, r) == 0);
	doc = xmlReadMemory((const char *)out.data, (int)out.len, "r.xml", NULL, XML_PARSE_NONET);
	REQUIRE(doc != NULL);
	root = xmlDocGetRootElement(doc);
	CHECK_STR((const char *)root->name, "ValidationReport");
	CHECK(root->ns != NULL && strcmp((const char *)root->ns->href, "http://uri.etsi.org/19102/v1.4.1#") == 0);
	CHECK(strstr((const char *)out.data, "<vr:SubIndication>urn:etsi:019102:subindication:HASH_FAILURE</vr:SubIndication>") != NULL);
	CHECK(strstr((const char *)out.data, "urn:etsi:019102:mainindication:total-failed") != NULL);
	xmlFreeDoc(doc);

	kho_buf_reset(&out);
	REQUIRE(verify_report_text(&out, r) == 0);
	CHECK(strstr((const char *)out.data, "Result:           TOTAL-FAILED/HASH_FAILURE") != NULL);
	kho_buf_free(&out);
	verify_report_free(r);
	kho_buf_free(&zip);
}

/* Hostile names (controls, invalid UTF-8) must not break any format. */
static void t_reports_hostile_names(void)
{
	verify_report r;
	vr_object o;
	char *reason = (char *)"evil \x1b[31m name \xff\xfe -- end";
	kho_buf out;
	json_t *j;
	xmlDocPtr doc;

	memset(&r, 0, sizeof r);
	memset(&o, 0, sizeof o);
	o.name = reason;
	o.state = VR_OBJ_UNSIGNED;
	r.unsigned_objects = &o;
	r.nunsigned = 1;
	r.reasons = &reason;
	r.nreasons = 1;
	r.indication = VR_TOTAL_FAILED;
	r.sub = VR_FORMAT_FAILURE;
	kho_buf_init(&out, 1 << 20);
	REQUIRE(verify_report_text(&out, &r) == 0);
	CHECK(memchr(out.data, 0x1b, out.len) == NULL);
	kho_buf_reset(&out);
	REQUIRE(verify_report_json(&out, &r) == 0);
	j = json_loadb((const char *)out.data, out.len, 0, NULL);
	CHECK(j != NULL);
	json_decref(j);
	kho_buf_reset(&out);
	REQUIRE(verify_report_xml(&out, &r) == 0);
	doc = xmlReadMemory((const char *)out.data, (int)out.len, "r.xml", NULL, XML_PARSE_NONET);
	CHECK(doc != NULL);
	xmlFreeDoc(doc);
	kho_buf_free(&out);
}

static void t_names(void)
{
	CHECK_STR(vr_indication_name(VR_TOTAL_PASSED), "TOTAL-PASSED");
	CHECK_STR(vr_indication_name(VR_INDETERMINATE), "INDETERMINATE");
	CHECK_STR(vr_sub_name(VR_HASH_FAILURE), "HASH_FAILURE");
	CHECK_STR(vr_sub_name(VR_OUT_OF_BOUNDS_NO_POE), "OUT_OF_BOUNDS_NO_POE");
	CHECK_STR(vr_sub_name(VR_SUB_NONE), "");
	verify_report_free(NULL);
}

/* verify_evidence_until: per signature the latest accepted token covering
 * it, the earliest over signatures (found by review: with two signatures
 * stamped by different TSAs the package was judged due only when the later
 * TSA ended, after it had already stopped verifying). */
static void t_evidence_until(void)
{
	vr_timestamp s1[1] = { { .accepted = 1, .tsa_not_after = 2000 } };
	vr_timestamp s2[2] = { { .accepted = 1, .tsa_not_after = 5000 },
	                       { .accepted = 0, .tsa_not_after = 9000 } };
	vr_timestamp arch[1] = { { .accepted = 1, .tsa_not_after = 3000 } };
	vr_signature sigs[2];
	verify_report r;

	memset(&r, 0, sizeof r);
	memset(sigs, 0, sizeof sigs);
	sigs[0].timestamps = s1;
	sigs[0].ntimestamps = 1;
	sigs[1].timestamps = s2;
	sigs[1].ntimestamps = 2;
	r.sigs = sigs;
	r.nsigs = 2;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 2000);   /* the first signature lapses first */
	r.timestamps = arch;
	r.ntimestamps = 1;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 3000);   /* an archive timestamp covers both */
	arch[0].tsa_not_after = 7000;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 7000);
	arch[0].accepted = 0;                                    /* not standing: not counted */
	CHECK_EQ_INT((long)verify_evidence_until(&r), 2000);
	r.nsigs = 1;
	sigs[0].ntimestamps = 0;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 0);       /* no evidence at all */
	/* a signature without a timestamp holds until its signer's
	 * certificate ends; one with a token, until the token's TSA
	 * certificate ends, even when the signer's lasts longer (found by
	 * review, 2026-12-08: past its TSA's end the token proves nothing,
	 * and a later revocation of the signer left it INDETERMINATE) */
	sigs[0].signer_not_after = 4000;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 4000);
	sigs[0].ntimestamps = 1;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 2000);    /* s1 ends at 2000, the signer at 4000 */
	s1[0].tsa_not_after = 6000;
	CHECK_EQ_INT((long)verify_evidence_until(&r), 6000);
	s1[0].accepted = 0;                                      /* a token that does not stand */
	CHECK_EQ_INT((long)verify_evidence_until(&r), 4000);
}

TESTS(T(t_evidence_until), T(t_passes), T(t_hash_failure), T(t_missing_beats_broken), T(t_no_chain),
      T(t_no_signing_certificate), T(t_revocation_and_poe), T(t_expired_and_timestamps),
      T(t_signing_cert_v2_hash), T(t_signing_time_after_container_timestamp),
      T(t_container_timestamp_order), T(t_tsa_without_revocation_data),
      T(t_tsa_chain_expired_reason),
      T(t_key_usage_and_time), T(t_unsigned_extra), T(t_record), T(t_not_a_package),
      T(t_reports_parse_back), T(t_reports_hostile_names), T(t_names))
