/*
 * fuzz_cms.c: libFuzzer harness for the CMS and timestamp path of
 * validation. The input is used three ways:
 *   - as a CAdES signature: vcms_parse, then every fact cms.c extracts
 *     (signing-certificate-v2, signing time, algorithms, the signature over
 *     a fixed manifest, the embedded timestamps, the DER walk for OCSP) and
 *     revocation_check with whatever CRLs/OCSP it carries;
 *   - as an RFC 3161 token: vcms_timestamp_check over fixed bytes;
 *   - as META-INF/signature001.p7s inside a small ASiC-E container built
 *     with zipw, through verify_package_mem and all three reports;
 *   - as the contents of CRLs and OCSP responses (as_revocation below) that
 *     the harness signs with a fixed CA's key (fuzz_pki.h), so that
 *     revocation_check's matching and time logic runs: the signer-as-its-own-
 *     issuer call above stops at the signature check for any real evidence;
 *   - as the choices of a package sealed with that PKI (as_sealed): times of
 *     signing, of the signature and archive timestamps and of validation,
 *     the revocation data embedded, the trust anchor; verified in full, so
 *     that accepted timestamps, container timestamps (ctst_check,
 *     ctst_accept), the chain and its revocation and verify_evidence_until
 *     run as they do for kho's own packages.
 * Any input must give a result or an error with a message, never a crash,
 * a leak or unbounded memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "archive/zipw.h"
#include "sign/lta.h"
#include "sign/seal.h"
#include "common/buf.h"
#include "verify/cms.h"
#include "verify/revocation.h"
#include "verify/verify.h"

#include "tests/fuzz/fuzz_pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char manifest_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\" "
	"xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
	"  <asic:SigReference URI=\"META-INF/signature001.p7s\" MimeType=\"application/pkcs7-signature\"/>\n"
	"  <asic:DataObjectReference URI=\"a.txt\" MimeType=\"text/plain\">\n"
	"    <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
	"    <ds:DigestValue>h0KPxSKAPTEGXnvOPPA/5HUJZjHl4Hu9eg/eYMTPJcc=</ds:DigestValue>\n"
	"  </asic:DataObjectReference>\n"
	"</asic:ASiCManifest>\n";

static void as_signature(const uint8_t *data, size_t size)
{
	vcms *v = NULL;
	kho_err err;
	kho_buf tok[VCMS_MAX_TOKENS];
	const unsigned char *sv;
	size_t n = 0, i, svlen;
	time_t t;
	int weak, bits;

	memset(&err, 0, sizeof err);
	if (vcms_parse(&v, data, size, &err) != 0) {
		if (v != NULL || err.msg[0] == '\0')
			abort(); /* a failure leaves nothing and explains itself */
		return;
	}
	(void)vcms_signing_time(v, &t);
	(void)vcms_digest_name(v, &weak);
	(void)vcms_sig_name(v);
	{
		const char *alg;
		int first, essv;

		(void)vcms_check_signing_cert(&essv, v, NULL, &err);
		(void)vcms_signing_cert_v2_weak(&alg, &first, v);
	}
	(void)vcms_verify_signature(v, manifest_xml, sizeof manifest_xml - 1, &err);
	if (v->signer != NULL) {
		revocation_result rr;
		(void)vcms_weak_key(X509_get0_pubkey(v->signer), &bits);
		/* the signer as its own issuer: exercises CRL and OCSP matching */
		(void)revocation_check(&rr, v->signer, v->signer, v->crls, v->ocsp, v->nocsp,
		                       1700000000, &err);
	}
	vcms_signature_value(v, &sv, &svlen);
	if (vcms_timestamp_tokens(v, tok, VCMS_MAX_TOKENS, &n, &err) == 0 || n > 0)
		for (i = 0; i < n; i++) {
			vcms_tst ts;
			(void)vcms_timestamp_check(&ts, tok[i].data, tok[i].len, sv, svlen, NULL,
			                           v->certs, 1700000000, &err);
			vcms_tst_clear(&ts);
		}
	for (i = 0; i < n; i++)
		kho_buf_free(&tok[i]);
	vcms_free(v);
}

static void as_token(const uint8_t *data, size_t size)
{
	vcms_tst ts;
	kho_err err;

	memset(&err, 0, sizeof err);
	(void)vcms_timestamp_check(&ts, data, size, "abc", 3, NULL, NULL, 1700000000, &err);
	vcms_tst_clear(&ts);
}

static void as_package(const uint8_t *data, size_t size)
{
	kho_buf zip, out;
	zipw *w = NULL;
	kho_err err;
	verify_report *r = NULL;
	verify_opts o;

	memset(&err, 0, sizeof err);
	memset(&o, 0, sizeof o);
	o.at = 1700000000;
	kho_buf_init(&zip, 8u << 20);
	kho_buf_init(&out, 16u << 20);
	if (zipw_new(&w, &zip, 1700000000, &err) != 0 ||
	    zipw_add(w, "mimetype", "application/vnd.etsi.asic-e+zip", 31, ZIPW_STORED, &err) != 0 ||
	    zipw_add(w, "a.txt", "a\n", 2, ZIPW_DEFLATED, &err) != 0 ||
	    zipw_add(w, "META-INF/ASiCManifest001.xml", manifest_xml, sizeof manifest_xml - 1,
	             ZIPW_DEFLATED, &err) != 0 ||
	    zipw_add(w, "META-INF/signature001.p7s", data, size, ZIPW_DEFLATED, &err) != 0 ||
	    zipw_finish(w, &err) != 0)
		goto out;
	if (verify_package_mem(&r, zip.data, zip.len, &o, &err) != 0) {
		if (err.code != KHO_ENOMEM)
			abort(); /* only allocation failure leaves no report */
		goto out;
	}
	if (r->nsigs != 1 || r->indication == VR_TOTAL_PASSED)
		abort(); /* no trust anchor: nothing may pass */
	(void)verify_evidence_until(r);
	if (verify_report_text(&out, r) != 0 || verify_report_json(&out, r) != 0 ||
	    verify_report_xml(&out, r) != 0)
		abort();
out:
	verify_report_free(r);
	zipw_free(w);
	kho_buf_free(&zip);
	kho_buf_free(&out);
}

/* ---- revocation evidence signed by a fixed CA ---------------------------- */

/* The fixed PKI (fuzz_pki.h), loaded once. */
static struct {
	X509 *ca, *ca_nocrl, *leaf, *resp, *resp_noeku, *tsa;
	EVP_PKEY *ca_key, *leaf_key, *resp_key, *tsa_key;
} pki;

static X509 *pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (x == NULL)
		abort();
	return x;
}

static EVP_PKEY *pem_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (k == NULL)
		abort();
	return k;
}

static void pki_load(void)
{
	if (pki.ca != NULL)
		return;
	pki.ca = pem_cert(FUZZ_PKI_CA_PEM);
	pki.ca_nocrl = pem_cert(FUZZ_PKI_CANOCRL_PEM);
	pki.leaf = pem_cert(FUZZ_PKI_LEAF_PEM);
	pki.resp = pem_cert(FUZZ_PKI_RESP_PEM);
	pki.resp_noeku = pem_cert(FUZZ_PKI_RESPNOEKU_PEM);
	pki.ca_key = pem_key(FUZZ_PKI_CA_KEY);
	pki.leaf_key = pem_key(FUZZ_PKI_LEAF_KEY);
	pki.resp_key = pem_key(FUZZ_PKI_RESP_KEY);
	pki.tsa = pem_cert(FUZZ_PKI_TSA_PEM);
	pki.tsa_key = pem_key(FUZZ_PKI_TSA_KEY);
}

/* A cursor over the input; past its end every byte reads as 0. */
struct cur {
	const uint8_t *p;
	size_t left;
};

static unsigned byte(struct cur *c)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++;
}

#define POE ((time_t)1700000000)

/* The time when() counts from: the POE, or in as_sealed a time within the
 * fixed certificates' validity. */
static time_t fz_base = POE;

/* A time near fz_base: a signed 16-bit count of 10 minutes (about +-227
 * days); 0 is fz_base itself, so the boundaries are one value away. */
static time_t when(struct cur *c)
{
	unsigned hi = byte(c), lo = byte(c);
	int v = (int)((hi << 8) | lo);

	if (v >= 32768)
		v -= 65536;
	return fz_base + (time_t)v * 600;
}

/* The serial an entry names: the subject's, another certificate's, the
 * subject's plus one, or one byte of the input. */
static ASN1_INTEGER *serial_of(struct cur *c, unsigned sel, X509 *subject)
{
	ASN1_INTEGER *s;

	switch (sel & 3) {
	case 0:
		return ASN1_INTEGER_dup(X509_get0_serialNumber(subject));
	case 1:
		return ASN1_INTEGER_dup(X509_get0_serialNumber(subject == pki.leaf ? pki.resp
		                                                                   : pki.leaf));
	case 2:
		s = ASN1_INTEGER_new();
		if (s != NULL && !ASN1_INTEGER_set(s, (long)ASN1_INTEGER_get(
		                                         X509_get0_serialNumber(subject)) + 1)) {
			ASN1_INTEGER_free(s);
			s = NULL;
		}
		return s;
	default:
		s = ASN1_INTEGER_new();
		if (s != NULL && !ASN1_INTEGER_set(s, (long)byte(c))) {
			ASN1_INTEGER_free(s);
			s = NULL;
		}
		return s;
	}
}

/*
 * One CRL. kind: bit 1-2 the signing key (CA, CA, the subject's own, the
 * OCSP responder's), bit 3 the issuer name (the CA's or the signer's), bit 4
 * nextUpdate present, bit 5 a deltaCRLIndicator. Then thisUpdate,
 * nextUpdate, a count of entries (0..3) and per entry: a selector (bits 0-1
 * the serial, bits 2-5 the CRLReason, 11..15 none) and the revocation date.
 * Signed, then written and read back as the verifier would read it (the
 * entries' reasons are set by the d2i callback).
 */
static X509_CRL *make_crl(struct cur *c, unsigned kind, X509 *subject)
{
	static EVP_PKEY **const keys[] = { &pki.ca_key, &pki.ca_key, &pki.leaf_key, &pki.resp_key };
	X509_CRL *crl = X509_CRL_new(), *back = NULL;
	ASN1_TIME *t = NULL;
	unsigned char *der = NULL;
	const unsigned char *q;
	unsigned n, i;
	int len;

	if (crl == NULL || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name((kind & 8) ? pki.leaf : pki.ca)) ||
	    (t = ASN1_TIME_set(NULL, when(c))) == NULL || !X509_CRL_set1_lastUpdate(crl, t))
		goto out;
	if (kind & 16) {
		if (ASN1_TIME_set(t, when(c)) == NULL || !X509_CRL_set1_nextUpdate(crl, t))
			goto out;
	} else
		(void)when(c);
	if (kind & 32) {
		ASN1_INTEGER *num = ASN1_INTEGER_new();
		int ok = num != NULL && ASN1_INTEGER_set(num, 1) &&
		         X509_CRL_add1_ext_i2d(crl, NID_delta_crl, num, 1, 0);
		ASN1_INTEGER_free(num);
		if (!ok)
			goto out;
	}
	n = byte(c) & 3;
	for (i = 0; i < n; i++) {
		unsigned sel = byte(c), reason = (sel >> 2) & 15;
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *serial = serial_of(c, sel, subject);
		int ok = r != NULL && serial != NULL && X509_REVOKED_set_serialNumber(r, serial) &&
		         ASN1_TIME_set(t, when(c)) != NULL && X509_REVOKED_set_revocationDate(r, t);

		if (ok && reason <= 10) {
			ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
			ok = e != NULL && ASN1_ENUMERATED_set(e, (long)reason) &&
			     X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
			ASN1_ENUMERATED_free(e);
		}
		ASN1_INTEGER_free(serial);
		if (!ok || !X509_CRL_add0_revoked(crl, r)) {
			X509_REVOKED_free(r);
			goto out;
		}
	}
	if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, *keys[(kind >> 1) & 3], EVP_sha256()) ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0)
		goto out;
	q = der;
	back = d2i_X509_CRL(NULL, &q, len);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return back;
}

/*
 * One OCSP response into out (DER). kind: bits 1-2 the signer (the CA, the
 * authorised responder, the subject itself, the responder without
 * id-kp-OCSPSigning), bit 3 the CertID's issuer name (the CA's or the
 * signer's), bit 4 nextUpdate present, bit 5 the responder id by key hash,
 * bit 6 no certificates in the response, bit 7 a responseStatus other than
 * successful. Then a selector for the CertID hash (SHA-1, SHA-256, SHA-384,
 * SHA-512), thisUpdate, nextUpdate and a count of single responses (0..3),
 * each a selector (bits 0-1 the serial, bits 2-5 the CRLReason, 11..15 none,
 * bits 6-7 good, revoked, unknown, revoked) and the revocation date.
 */
static int make_ocsp(kho_buf *out, struct cur *c, unsigned kind, X509 *subject)
{
	static const int mds[] = { NID_sha1, NID_sha256, NID_sha384, NID_sha512 };
	X509 *const signers[] = { pki.ca, pki.resp, subject, pki.resp_noeku };
	EVP_PKEY *const skeys[] = { pki.ca_key, pki.resp_key,
	                            subject == pki.leaf ? pki.leaf_key : pki.resp_key,
	                            pki.resp_key };
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	ASN1_TIME *tu = NULL, *nu = NULL, *rt = NULL;
	const EVP_MD *md = EVP_get_digestbynid(mds[byte(c) & 3]);
	X509 *idiss = (kind & 8) ? pki.leaf : pki.ca;
	unsigned char *der = NULL;
	unsigned n, i, s = (kind >> 1) & 3;
	int len, rc = -1;

	if (bs == NULL || md == NULL || (tu = ASN1_TIME_set(NULL, when(c))) == NULL ||
	    (nu = ASN1_TIME_set(NULL, when(c))) == NULL || (rt = ASN1_TIME_new()) == NULL)
		goto out;
	n = byte(c) & 3;
	for (i = 0; i < n; i++) {
		static const int st[] = { V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_REVOKED,
		                          V_OCSP_CERTSTATUS_UNKNOWN, V_OCSP_CERTSTATUS_REVOKED };
		unsigned sel = byte(c), reason = (sel >> 2) & 15;
		ASN1_INTEGER *serial = serial_of(c, sel, subject);
		OCSP_CERTID *id = serial == NULL ? NULL :
		                  OCSP_cert_id_new(md, X509_get_subject_name(idiss),
		                                   X509_get0_pubkey_bitstr(idiss), serial);
		int ok = id != NULL && ASN1_TIME_set(rt, when(c)) != NULL &&
		         OCSP_basic_add1_status(bs, id, st[sel >> 6],
		                                reason <= 10 ? (int)reason : OCSP_REVOKED_STATUS_NOSTATUS,
		                                rt, tu, (kind & 16) ? nu : NULL) != NULL;
		ASN1_INTEGER_free(serial);
		OCSP_CERTID_free(id);
		if (!ok)
			goto out;
	}
	if (!OCSP_basic_sign(bs, signers[s], skeys[s], EVP_sha256(), NULL,
	                     ((kind & 32) ? OCSP_RESPID_KEY : 0) | ((kind & 64) ? OCSP_NOCERTS : 0)) ||
	    (resp = OCSP_response_create((kind & 128) ? OCSP_RESPONSE_STATUS_TRYLATER
	                                              : OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(resp, &der)) <= 0 || kho_buf_append(out, der, (size_t)len) != 0)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return rc;
}

/*
 * The input as revocation evidence about a fixed certificate. First byte:
 * bit 0 the issuer given to revocation_check (the CA, or the CA's name and
 * key without cRLSign), bit 1 the subject (the signer, or the OCSP
 * responder). Then up to 4 pieces of evidence, each a kind byte (bit 0: CRL
 * or OCSP, the rest as make_crl and make_ocsp say) and its fields. The
 * harness only signs what the input says; every decision is the real code's.
 */
static void as_revocation(const uint8_t *data, size_t size)
{
	struct cur c = { data, size };
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	kho_buf ocsp[4];
	size_t nocsp = 0, k;
	unsigned h = byte(&c), i;
	X509 *issuer = (h & 1) ? pki.ca_nocrl : pki.ca, *subject = (h & 2) ? pki.resp : pki.leaf;
	revocation_result rr;
	revocation_memo memo;
	kho_err err;

	if (crls == NULL)
		return;
	for (i = 0; i < 4 && c.left > 0; i++) {
		unsigned kind = byte(&c);

		if ((kind & 1) == 0) {
			X509_CRL *crl = make_crl(&c, kind, subject);
			if (crl != NULL && !sk_X509_CRL_push(crls, crl))
				X509_CRL_free(crl);
		} else {
			kho_buf_init(&ocsp[nocsp], 1u << 16);
			if (make_ocsp(&ocsp[nocsp], &c, kind, subject) == 0)
				nocsp++;
			else
				kho_buf_free(&ocsp[nocsp]);
		}
	}
	memset(&err, 0, sizeof err);
	memset(&memo, 0, sizeof memo);
	/* Twice with one memo: the second finds the CRL signatures remembered
	 * and must come to the same answer. */
	if (revocation_check_memo(&rr, subject, issuer, crls, ocsp, nocsp, POE, &memo, &err) == 0) {
		revocation_result again;
		if (rr.note[0] == '\0' || (rr.status == REVOCATION_REVOKED && rr.revoked_at > POE))
			abort();
		if (revocation_check_memo(&again, subject, issuer, crls, ocsp, nocsp, POE, &memo,
		                          &err) != 0 ||
		    again.status != rr.status || again.revoked_at != rr.revoked_at ||
		    strcmp(again.note, rr.note) != 0)
			abort();
	}
	for (k = 0; k < nocsp; k++)
		kho_buf_free(&ocsp[k]);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
}


/* ---- a package sealed with the fixed PKI -------------------------------- */

static const char record_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<record xmlns=\"urn:kho:record:1\">\n"
	"  <resultCode>000.31.20.H55-250310-0012-KQ1</resultCode>\n"
	"  <dossierCode>000.31.20.H55-250310-0012</dossierCode>\n"
	"  <procedureCode>1.001193</procedureCode>\n"
	"  <agencyCode>000.31.20.H55</agencyCode>\n"
	"  <resultType>birth-registration</resultType>\n"
	"  <numberSymbol>45/2025/TLKS-BS</numberSymbol>\n"
	"  <subject kind=\"citizen\">\n"
	"    <id>055225001234</id>\n"
	"    <name>Trần Thị Bảo Ngọc</name>\n"
	"  </subject>\n"
	"  <title>Trích lục khai sinh (bản chính) của Trần Thị Bảo Ngọc</title>\n"
	"  <issueDate>2025-03-10</issueDate>\n"
	"  <signer>Nguyễn Văn Hùng, Phó Chủ tịch UBND xã Tịnh Khê</signer>\n"
	"  <validFrom>2025-03-10</validFrom>\n"
	"  <language>vi</language>\n"
	"</record>\n"
	;

/*
 * The input as the choices of a sealed package. First byte: bit 0 a
 * signature timestamp, bit 1 an archive timestamp (lta_add), bit 2 a second
 * archive timestamp, bit 3 the CA as trust anchor, bit 4 a CRL embedded,
 * bit 5 an OCSP response embedded, bit 6 the CRL also given as the
 * verifier's own. Then the signing time, the two (or three) genTimes and the
 * validation time (when(), from a year into the certificates' validity),
 * and the CRL's and the OCSP response's kinds and fields as in
 * as_revocation. A report must come, nothing may pass without the anchor,
 * and the reports must be written.
 */
static void as_sealed(const uint8_t *data, size_t size)
{
	static const char pdf[] = "%PDF-1.4 fuzz\n";
	seal_file f = { "ketqua.pdf", "application/pdf", pdf, sizeof pdf - 1 };
	struct cur c = { data, size };
	unsigned h = byte(&c);
	time_t signing, gen1, gen2, gen3, at;
	kho_buf za, zb, out, ocsp;
	STACK_OF(X509) *anchors = sk_X509_new_null(), *tsa_chain = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	X509_CRL *crl = NULL;
	tsa *t = NULL;
	seal_opts so;
	verify_opts o;
	verify_report *r = NULL;
	kho_err err;

	memset(&err, 0, sizeof err);
	memset(&so, 0, sizeof so);
	memset(&o, 0, sizeof o);
	kho_buf_init(&za, 1u << 20);
	kho_buf_init(&zb, 1u << 20);
	kho_buf_init(&out, 16u << 20);
	kho_buf_init(&ocsp, 1u << 16);
	if (anchors == NULL || tsa_chain == NULL || crls == NULL ||
	    !sk_X509_push(tsa_chain, pki.tsa) || !sk_X509_push(tsa_chain, pki.ca))
		goto out;
	{
		/* a year after the certificates begin */
		struct tm tm;
		if (ASN1_TIME_to_tm(X509_get0_notBefore(pki.leaf), &tm) != 1)
			abort();
		fz_base = timegm(&tm) + 365 * 86400;
	}
	signing = when(&c);
	gen1 = when(&c);
	gen2 = when(&c);
	gen3 = when(&c);
	at = when(&c);
	if ((h & 8) && !sk_X509_push(anchors, pki.ca))
		goto out;
	if (h & 16) {
		crl = make_crl(&c, byte(&c) & ~1u, pki.leaf);
		if (crl != NULL && !sk_X509_CRL_push(crls, crl)) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	if ((h & 32) && make_ocsp(&ocsp, &c, byte(&c) | 1u, pki.leaf) != 0)
		kho_buf_reset(&ocsp);
	so.signer.key = pki.leaf_key;
	so.signer.cert = pki.leaf;
	so.signer.signing_time = signing;
	so.tsa_chain = tsa_chain;
	so.crls = crls;
	so.ocsp = ocsp.len > 0 ? &ocsp : NULL;
	so.nocsp = ocsp.len > 0 ? 1 : 0;
	if (tsa_new_local(&t, pki.tsa_key, pki.tsa, NULL, NULL, &err) != 0)
		abort(); /* the fixed TSA certificate is fit */
	if ((h & 1) && tsa_set_time(t, gen1, &err) == 0)
		so.tsa = t;
	if (seal_package(&za, &f, 1, record_xml, sizeof record_xml - 1, &so, &err) != 0)
		goto out;
	if ((h & 2) && tsa_set_time(t, gen2, &err) == 0 &&
	    lta_add(&zb, za.data, za.len, t, &err) == 0) {
		kho_buf tmp = za;
		za = zb;
		zb = tmp;
		kho_buf_reset(&zb);
		if ((h & 4) && tsa_set_time(t, gen3, &err) == 0 &&
		    lta_add(&zb, za.data, za.len, t, &err) == 0) {
			tmp = za;
			za = zb;
			zb = tmp;
		}
	}
	o.anchors = anchors;
	o.at = at;
	o.at_set = 1;
	if ((h & 64) && crl != NULL)
		o.crls = crls;
	if (verify_package_mem(&r, za.data, za.len, &o, &err) != 0) {
		if (err.code != KHO_ENOMEM)
			abort();
		goto out;
	}
	if (!(h & 8) && r->indication == VR_TOTAL_PASSED)
		abort(); /* no trust anchor: nothing may pass */
	(void)verify_evidence_until(r);
	if (verify_report_text(&out, r) != 0 || verify_report_json(&out, r) != 0 ||
	    verify_report_xml(&out, r) != 0)
		abort();
out:
	ERR_clear_error();
	verify_report_free(r);
	tsa_free(t);
	sk_X509_free(anchors);
	sk_X509_free(tsa_chain);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	kho_buf_free(&za);
	kho_buf_free(&zb);
	kho_buf_free(&out);
	kho_buf_free(&ocsp);
	fz_base = POE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	pki_load();
	as_signature(data, size);
	as_token(data, size);
	as_package(data, size);
	as_revocation(data, size);
	as_sealed(data, size);
	return 0;
}
