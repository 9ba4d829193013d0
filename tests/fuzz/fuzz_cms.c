/*
 * fuzz_cms.c: libFuzzer harness for the CMS and timestamp path of
 * validation. The input is used three ways:
 *   - as a CAdES signature: vcms_parse, then every fact cms.c extracts
 *     (signing-certificate-v2, signing time, algorithms, the signature over
 *     a fixed manifest, the embedded timestamps, the DER walk for OCSP) and
 *     revocation_check with whatever CRLs/OCSP it carries;
 *   - as an RFC 3161 token: vcms_timestamp_check over fixed bytes;
 *   - as META-INF/signature001.p7s inside a small ASiC-E container built
 *     with zipw, through verify_package_mem and all three reports.
 * Any input must give a result or an error with a message, never a crash,
 * a leak or unbounded memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/zipw.h"
#include "common/buf.h"
#include "verify/cms.h"
#include "verify/revocation.h"
#include "verify/verify.h"

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
	if (verify_report_text(&out, r) != 0 || verify_report_json(&out, r) != 0 ||
	    verify_report_xml(&out, r) != 0)
		abort();
out:
	verify_report_free(r);
	zipw_free(w);
	kho_buf_free(&zip);
	kho_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	as_signature(data, size);
	as_token(data, size);
	as_package(data, size);
	return 0;
}
