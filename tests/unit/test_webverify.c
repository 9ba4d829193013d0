/*
 * test_webverify.c: the public verification module (archive/webverify.h)
 * with fake archive lookups: a valid package says Hợp lệ, a tampered one
 * Không hợp lệ, an unknown single file "not archived", an archived one is
 * found with its package's verification; the QR path with the right key
 * shows the record, and a wrong key, an unknown code, a missing key and a
 * malformed code give the byte-identical answer after the same lookups; no
 * answer (page, JSON, downloadable reports) holds the personal number, and
 * the name is masked; rate limit, routes, URL building and escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive/pkg.h"
#include "archive/qr.h"
#include "archive/webverify.h"
#include "archive/zipw.h"
#include "common/util.h"
#include "sign/seal.h"
#include "tests/unit/test.h"

#include "tests/unit/testpki.h"

#define PID "001099012345"
#define CODE "000.00.20.H30-250314-0007-KQ1"

static const char record_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<record xmlns=\"urn:kho:record:1\">\n"
	"  <resultCode>" CODE "</resultCode>\n"
	"  <dossierCode>000.00.20.H30-250314-0007</dossierCode>\n"
	"  <procedureCode>2.000815</procedureCode>\n"
	"  <agencyCode>000.00.20.H30</agencyCode>\n"
	"  <resultType>certified-copy</resultType>\n"
	"  <numberSymbol>123/CT</numberSymbol>\n"
	"  <subject kind=\"citizen\"><id>" PID "</id><name>Nguyễn Văn An</name></subject>\n"
	"  <title>Bản sao chứng thực của Nguyễn Văn An</title>\n"
	"  <issueDate>2025-03-14</issueDate>\n"
	"  <signer>Trần Thị B</signer>\n"
	"  <validFrom>2025-03-14</validFrom>\n"
	"  <language>vi</language>\n"
	"</record>\n";

static const char pdf[] = "%PDF-1.4\n% ket qua " PID "\n";   /* the number inside a file */

/* The fake archive: one result whose package is G.pkg. */
static struct {
	kho_buf pkg, tampered;
	unsigned char pkg_id[32], pdf_sha[32], key_hash[32];
	char key[QR_KEY_TEXT_LEN + 1];
	char status[32];
	int destroyed;
	int gone;          /* destroyed by retention: no catalog row, a tombstone */
	int legacy_decision; /* the decision number as typed in Windows-1258, not UTF-8 */
	int n_key_hash, n_report, n_status, n_audit, n_tomb;
	char audit_log[8192];
	kho_buf rezipped;  /* G.pkg unzipped and zipped again: the same files, other bytes */
	unsigned char rec_sha[32];
	int no_same_files; /* the archive cannot compare files (same_files says 0) */
} G;

static int fk_key_hash(void *arg, const char *code, unsigned char hash[32], kho_err *err)
{
	(void)arg;
	G.n_key_hash++;
	if (strcmp(code, CODE) != 0)
		return kho_err_set(err, KHO_ENOTFOUND, "unknown");
	memcpy(hash, G.key_hash, 32);
	return 0;
}

static int fk_report(void *arg, const char *code, verify_report **out, unsigned char id[32],
                     kho_err *err)
{
	verify_opts vo;

	(void)arg;
	G.n_report++;
	if (strcmp(code, CODE) != 0 || G.destroyed)
		return kho_err_set(err, KHO_ENOTFOUND, "no package");
	memset(&vo, 0, sizeof vo);
	vo.anchors = sk_X509_new_null();
	sk_X509_push(vo.anchors, P.root);
	memcpy(id, G.pkg_id, 32);
	{
		int rc = verify_package_mem(out, G.pkg.data, G.pkg.len, &vo, err);
		sk_X509_free(vo.anchors);
		return rc;
	}
}

static int fk_by_object(void *arg, const unsigned char sha[32], char code[WEBVERIFY_CODE_MAX],
                        kho_err *err)
{
	(void)arg;
	if (memcmp(sha, G.pdf_sha, 32) != 0)
		return kho_err_set(err, KHO_ENOTFOUND, "not archived");
	snprintf(code, WEBVERIFY_CODE_MAX, "%s", CODE);
	return 0;
}

static int fk_status(void *arg, const char *code, char status[WEBVERIFY_STATUS_MAX],
                     unsigned char id[32], kho_err *err)
{
	(void)arg;
	G.n_status++;
	if (strcmp(code, CODE) != 0 || G.gone)
		return kho_err_set(err, KHO_ENOTFOUND, "unknown");
	snprintf(status, WEBVERIFY_STATUS_MAX, "%s", G.status);
	memcpy(id, G.pkg_id, 32);
	return 0;
}

/* Exactly the files of G.pkg: ketqua.pdf and record.xml. */
static int fk_same_files(void *arg, const char *code, const webverify_object *objs, size_t n)
{
	size_t i, pdf_seen = 0, rec_seen = 0;

	(void)arg;
	if (G.no_same_files || strcmp(code, CODE) != 0 || G.gone || n != 2)
		return 0;
	for (i = 0; i < n; i++) {
		pdf_seen += strcmp(objs[i].name, "ketqua.pdf") == 0 &&
		            memcmp(objs[i].sha256, G.pdf_sha, 32) == 0;
		rec_seen += strcmp(objs[i].name, "record.xml") == 0 &&
		            memcmp(objs[i].sha256, G.rec_sha, 32) == 0;
	}
	return pdf_seen == 1 && rec_seen == 1;
}

/* The tombstone of CODE once G.gone: by code or by its package's SHA-256. */
static int fk_tombstone(void *arg, const char *code, const unsigned char sha[32],
                        webverify_tombstone *out, kho_err *err)
{
	(void)arg;
	G.n_tomb++;
	if (!G.gone || (code != NULL && strcmp(code, CODE) != 0) ||
	    (sha != NULL && memcmp(sha, G.pkg_id, 32) != 0))
		return kho_err_set(err, KHO_ENOTFOUND, "no tombstone");
	memset(out, 0, sizeof *out);
	snprintf(out->code, sizeof out->code, "%s", CODE);
	snprintf(out->destroyed_on, sizeof out->destroyed_on, "2031-01-02");
	snprintf(out->decision, sizeof out->decision, "%s",
	         G.legacy_decision ? "45/Q\xD0-SNV" : "45/QĐ-SNV");
	snprintf(out->decision_date, sizeof out->decision_date, "2031-01-01");
	out->batch = 3;
	return 0;
}

static void fk_audit(void *arg, const char *action, const char *object, int status,
                     const char *detail)
{
	size_t l = strlen(G.audit_log);

	(void)arg;
	G.n_audit++;
	snprintf(G.audit_log + l, sizeof G.audit_log - l, "%s %s %d %s\n", action, object, status,
	         detail);
}

static STACK_OF(X509) *anchors;

/* setup: the PKI, the sealed package, its tampered copy and the module. */
static webverify *setup(unsigned rate)
{
	static int done;
	seal_file f = { "ketqua.pdf", "application/pdf", pdf, sizeof pdf - 1 };
	seal_opts so;
	webverify_config cfg;
	webverify_archive ar;
	webverify *wv = NULL;
	kho_err err;

	if (!done) {
		pkg *p = NULL;
		zipw *w = NULL;
		size_t i;
		if (!tp_init())
			return NULL;
		memset(&so, 0, sizeof so);
		so.signer.key = P.rsa_key;
		so.signer.cert = P.rsa;
		kho_buf_init(&G.pkg, 64u << 20);
		if (seal_package(&G.pkg, &f, 1, record_xml, sizeof record_xml - 1, &so, &err) != 0) {
			fprintf(stderr, "seal: %s\n", err.msg);
			return NULL;
		}
		kho_sha256(G.pkg_id, G.pkg.data, G.pkg.len);
		kho_sha256(G.pdf_sha, pdf, sizeof pdf - 1);
		kho_sha256(G.rec_sha, record_xml, sizeof record_xml - 1);
		/* rezipped: the same entries, stored, at another time: other bytes */
		kho_buf_init(&G.rezipped, 64u << 20);
		if (pkg_read_mem(&p, G.pkg.data, G.pkg.len, NULL, &err) != 0 ||
		    zipw_new(&w, &G.rezipped, 1800000000, &err) != 0)
			return NULL;
		for (i = 0; i < p->nentries; i++)
			if (zipw_add(w, p->entries[i].name, p->entries[i].data, (size_t)p->entries[i].size,
			             ZIPW_STORED, &err) != 0)
				return NULL;
		if (zipw_finish(w, &err) != 0)
			return NULL;
		zipw_free(w);
		w = NULL;
		/* tampered: the same entries, ketqua.pdf with one byte changed */
		kho_buf_init(&G.tampered, 64u << 20);
		if (zipw_new(&w, &G.tampered, 1700000000, &err) != 0)
			return NULL;
		for (i = 0; i < p->nentries; i++) {
			pkg_entry *e = &p->entries[i];
			if (strcmp(e->name, "ketqua.pdf") == 0)
				e->data[10] ^= 1;
			if (zipw_add(w, e->name, e->data, (size_t)e->size,
			             i == 0 ? ZIPW_STORED : ZIPW_DEFLATED, &err) != 0)
				return NULL;
		}
		if (zipw_finish(w, &err) != 0)
			return NULL;
		zipw_free(w);
		pkg_free(p);
		anchors = sk_X509_new_null();
		sk_X509_push(anchors, P.root);
		done = 1;
	}
	if (qr_key_new(G.key, G.key_hash) != 0)
		return NULL;
	snprintf(G.status, sizeof G.status, "valid");
	G.destroyed = 0;
	G.gone = 0;
	G.no_same_files = 0;
	G.n_key_hash = G.n_report = G.n_status = G.n_audit = G.n_tomb = 0;
	G.audit_log[0] = '\0';
	memset(&cfg, 0, sizeof cfg);
	cfg.vopts.anchors = anchors;
	cfg.rate_per_minute = rate;
	cfg.rate_burst = rate ? 2 : 0;
	memset(&ar, 0, sizeof ar);
	ar.key_hash = fk_key_hash;
	ar.report_by_code = fk_report;
	ar.code_by_object = fk_by_object;
	ar.status_of = fk_status;
	ar.audit = fk_audit;
	ar.tombstone = fk_tombstone;
	ar.same_files = fk_same_files;
	if (webverify_new(&wv, &cfg, &ar, &err) != 0)
		return NULL;
	return wv;
}

/* ask: one request; the body as a C string (kho_buf keeps a NUL after it). */
static int ask(webverify *wv, enum webverify_kind kind, const void *data, size_t len,
               const char *code, const char *key, enum webverify_lang lang,
               webverify_response *res)
{
	webverify_request rq;
	kho_err err;

	memset(&rq, 0, sizeof rq);
	rq.kind = kind;
	rq.lang = lang;
	rq.data = data;
	rq.len = len;
	rq.have_file = data != NULL;
	rq.filename = "tệp <b>.asice";
	if (code != NULL)
		snprintf(rq.code, sizeof rq.code, "%s", code);
	rq.key = key;
	return webverify_handle(wv, &rq, res, &err);
}

#define BODY(r) ((const char *)((r).body.data != NULL ? (char *)(r).body.data : ""))

/* Neither the page b nor its downloadable reports (data: URLs, base64)
 * hold any of the words w (NULL-terminated). */
static void none_of(const char *b, const char *const *w)
{
	const char *p;
	size_t i;

	for (i = 0; w[i] != NULL; i++)
		CHECK(strstr(b, w[i]) == NULL);
	for (p = strstr(b, "base64,"); p != NULL; p = strstr(p + 1, "base64,")) {
		size_t n = strcspn(p + 7, "\"");
		kho_buf d;
		kho_buf_init(&d, 16u << 20);
		CHECK(kho_base64_decode(&d, p + 7, n) == 0);
		for (i = 0; w[i] != NULL; i++)
			CHECK(d.data != NULL && strstr((char *)d.data, w[i]) == NULL);
		kho_buf_free(&d);
	}
}

/* No answer may hold the personal number or the full name. */
static void private_ok(const webverify_response *r)
{
	static const char *const w[] = { PID, "Nguyễn Văn An", NULL };

	none_of(BODY(*r), w);
}

static void t_form(void)
{
	webverify *wv = setup(0);
	webverify_response r;

	REQUIRE(wv != NULL);
	CHECK_EQ_INT(ask(wv, WV_FORM, NULL, 0, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "<html lang=\"vi\">") != NULL);
	CHECK(strstr(BODY(r), "<label for=\"file\">") != NULL);
	CHECK(strstr(BODY(r), "enctype=\"multipart/form-data\"") != NULL);
	CHECK(strstr(BODY(r), "name=\"viewport\"") != NULL);
	CHECK(strstr(BODY(r), "<script") == NULL);
	CHECK(strstr(BODY(r), "href=\"/verify?lang=en\"") != NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_FORM, NULL, 0, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "<html lang=\"en\">") != NULL);
	CHECK(strstr(BODY(r), "Verify") != NULL);
	webverify_response_free(&r);
	webverify_free(wv);
}

static void t_valid_package(void)
{
	webverify *wv = setup(0);
	webverify_response r;

	REQUIRE(wv != NULL);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.pkg.data, G.pkg.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "data-answer=\"valid\"") != NULL);
	CHECK(strstr(BODY(r), "Hợp lệ") != NULL);
	CHECK(strstr(BODY(r), "Không hợp lệ") == NULL);
	CHECK(strstr(BODY(r), CODE) != NULL);
	CHECK(strstr(BODY(r), "UBND xã Tân Phong") != NULL);       /* signer (certificate) */
	CHECK(strstr(BODY(r), "ketqua.pdf – nguyên vẹn") != NULL);   /* covered files */
	CHECK(strstr(BODY(r), "data-status=\"valid\"") != NULL);     /* the archived package */
	CHECK(strstr(BODY(r), "Nguyễn V** A*") != NULL);            /* masked */
	CHECK(strstr(BODY(r), "Bản sao chứng thực của") == NULL);  /* no title: free text */
	/* the result type by its Vietnamese name, not the code certified-copy */
	CHECK(strstr(BODY(r), "<dt>Loại kết quả</dt><dd>Bản sao chứng thực</dd>") != NULL);
	CHECK(strstr(BODY(r), "tệp &lt;b&gt;.asice") != NULL);      /* the file name escaped */
	CHECK(strstr(BODY(r), "<details>") != NULL);
	CHECK(strstr(BODY(r), "download=\"bao-cao-kiem-tra.xml\"") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK(strstr(G.audit_log, "kind=upload-package answer=valid") != NULL);
	CHECK(strstr(G.audit_log, PID) == NULL);
	webverify_free(wv);
}

/* The subject's name in decomposed form (combining marks) in another field,
 * and the personal number spaced out and in fullwidth digits: masked all
 * the same (found by review: shown in clear), in the page and in its
 * downloadable reports. */
#define NAME_NFD "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An"
#define PID_FULLWIDTH "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x99\xef\xbc\x99" \
                      "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95"
static void t_mask_variants(void)
{
	static const char rec2[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<record xmlns=\"urn:kho:record:1\">\n"
		"  <resultCode>000.00.20.H30-250314-0008-KQ1</resultCode>\n"
		"  <dossierCode>000.00.20.H30-250314-0008</dossierCode>\n"
		"  <procedureCode>2.000815</procedureCode>\n"
		"  <agencyCode>000.00.20.H30</agencyCode>\n"
		"  <resultType>certified-copy</resultType>\n"
		"  <numberSymbol>45 001 099 012 345 / " PID_FULLWIDTH " / 001.099.012.345</numberSymbol>\n"
		"  <subject kind=\"citizen\"><id>" PID "</id><name>Nguyễn Văn An</name></subject>\n"
		"  <title>Bản sao chứng thực</title>\n"
		"  <issueDate>2025-03-14</issueDate>\n"
		"  <signer>Trần Thị B thay mặt " NAME_NFD " (001_099_012_345, 001  099  012  345)</signer>\n"
		"  <validFrom>2025-03-14</validFrom>\n"
		"  <language>vi</language>\n"
		"</record>\n";
	static const char *const variants[] = { NAME_NFD, "099 012 345", "099.012.345",
		                                        PID_FULLWIDTH, "099_012", "099  012", NULL };
	seal_file f = { "ketqua.pdf", "application/pdf", pdf, sizeof pdf - 1 };
	webverify *wv = setup(0);
	webverify_response r;
	seal_opts so;
	kho_buf pk;
	kho_err err;
	const char *b;

	REQUIRE(wv != NULL);
	memset(&so, 0, sizeof so);
	so.signer.key = P.rsa_key;
	so.signer.cert = P.rsa;
	kho_buf_init(&pk, 64u << 20);
	REQUIRE(seal_package(&pk, &f, 1, rec2, sizeof rec2 - 1, &so, &err) == 0);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, pk.data, pk.len, NULL, NULL, WV_LANG_VI, &r), 0);
	b = BODY(r);
	CHECK(strstr(b, "thay mặt Nguyễn V** A*") != NULL);   /* masked, in composed form */
	CHECK(strstr(b, "45 *** *** *** ***") != NULL);       /* the digits, not what is around */
	private_ok(&r);
	none_of(b, variants);
	webverify_response_free(&r);
	kho_buf_free(&pk);
	webverify_free(wv);
}

/* A branch's enterprise code holds a '-' ("0100109106-001"): masked where
 * it appears as it is (found by review: the separator rule made it shown in
 * clear in a file's name). */
static void t_mask_enterprise(void)
{
	static const char rec3[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<record xmlns=\"urn:kho:record:1\">\n"
		"  <resultCode>000.00.20.H30-250314-0009-KQ1</resultCode>\n"
		"  <dossierCode>000.00.20.H30-250314-0009</dossierCode>\n"
		"  <procedureCode>2.000815</procedureCode>\n"
		"  <agencyCode>000.00.20.H30</agencyCode>\n"
		"  <resultType>certified-copy</resultType>\n"
		"  <numberSymbol>9/CT</numberSymbol>\n"
		"  <subject kind=\"enterprise\"><id>0100109106-001</id><name>Chi nhánh Công ty X</name></subject>\n"
		"  <title>Bản sao chứng thực</title>\n"
		"  <issueDate>2025-03-14</issueDate>\n"
		"  <signer>Trần Thị B</signer>\n"
		"  <validFrom>2025-03-14</validFrom>\n"
		"  <language>vi</language>\n"
		"</record>\n";
	seal_file f = { "GCN 0100109106-001.pdf", "application/pdf", pdf, sizeof pdf - 1 };
	webverify *wv = setup(0);
	webverify_response r;
	seal_opts so;
	kho_buf pk;
	kho_err err;

	REQUIRE(wv != NULL);
	memset(&so, 0, sizeof so);
	so.signer.key = P.rsa_key;
	so.signer.cert = P.rsa;
	kho_buf_init(&pk, 64u << 20);
	REQUIRE(seal_package(&pk, &f, 1, rec3, sizeof rec3 - 1, &so, &err) == 0);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, pk.data, pk.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "0100109106") == NULL);
	CHECK(strstr(BODY(r), "GCN [number]") != NULL);   /* the file is listed, its code masked */
	webverify_response_free(&r);
	kho_buf_free(&pk);
	webverify_free(wv);
}

static void t_tampered_package(void)
{
	webverify *wv = setup(0);
	webverify_response r;

	REQUIRE(wv != NULL);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.tampered.data, G.tampered.len, NULL, NULL, WV_LANG_VI,
	                 &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "data-answer=\"invalid\"") != NULL);
	CHECK(strstr(BODY(r), "Không hợp lệ") != NULL);
	CHECK(strstr(BODY(r), "ketqua.pdf – <span class=\"bad\">ĐÃ BỊ THAY ĐỔI") != NULL);
	/* not the archived bytes: no status shown, and nothing said about the code */
	CHECK(strstr(BODY(r), "data-status=") == NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, G.tampered.data, G.tampered.len, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK_STR(r.content_type, "application/json");
	CHECK(strstr(BODY(r), "\"answer\":\"invalid\"") != NULL);
	CHECK(strstr(BODY(r), "\"sub_indication\":\"HASH_FAILURE\"") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	webverify_free(wv);
}

/*
 * A genuine package whose bytes are not the archived copy (unzipped and
 * zipped again): its seal still verifies, but a revoked result must not
 * read a green "Hợp lệ" (found by review), nor one that nothing shows in
 * force today; the page and the JSON say the same.
 */
static void t_other_copy(void)
{
	webverify *wv = setup(0);
	webverify_response r;
	const char *b;

	REQUIRE(wv != NULL);
	REQUIRE(G.rezipped.len != G.pkg.len || memcmp(G.rezipped.data, G.pkg.data, G.pkg.len) != 0);
	/* exactly the archived files, the result revoked: amber, with the status */
	snprintf(G.status, sizeof G.status, "revoked");
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_VI, &r), 0);
	b = BODY(r);
	CHECK(strstr(b, "class=\"verdict valid\"") == NULL);
	CHECK(strstr(b, "data-in-force=\"no\"><span class=\"word\">⚠ Không còn hiệu lực") != NULL);
	CHECK(strstr(b, "data-status=\"revoked\"") != NULL);
	CHECK(strstr(b, "data-same-files=\"1\"") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_VI, &r), 0);
	b = BODY(r);
	CHECK(strstr(b, "\"answer\":\"valid\"") != NULL);       /* the seal's */
	CHECK(strstr(b, "\"answer_text\":\"Không còn hiệu lực\"") != NULL);
	CHECK(strstr(b, "\"in_force\":false") != NULL);
	CHECK(strstr(b, "\"in_force_basis\":\"archived-files\"") != NULL);
	CHECK(strstr(b, "\"status\":\"revoked\"") != NULL);
	CHECK(strstr(b, "\"same_files\":true") != NULL);
	CHECK(strstr(b, "\"note\":") != NULL);
	webverify_response_free(&r);
	CHECK(strstr(G.audit_log, "archived=1 in-force=no") != NULL);
	/* the same files of a result in force: green, in force */
	snprintf(G.status, sizeof G.status, "valid");
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "class=\"verdict valid\"") != NULL);
	CHECK(strstr(BODY(r), "data-status=\"valid\"") != NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "\"in_force\":true") != NULL);
	CHECK(strstr(BODY(r), "\"answer_text\":\"Hợp lệ\"") != NULL);
	webverify_response_free(&r);
	/* files not comparable, but its PDF is archived as this result, revoked:
	 * no copy of it is in force */
	G.no_same_files = 1;
	snprintf(G.status, sizeof G.status, "revoked");
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "class=\"verdict valid\"") == NULL);
	CHECK(strstr(BODY(r), "data-in-force=\"no\"") != NULL);
	CHECK(strstr(BODY(r), "data-by-file=\"1\"") != NULL);
	CHECK(strstr(BODY(r), "Đã bị thu hồi") != NULL);
	webverify_response_free(&r);
	/* ... and the result valid: which version this copy is, is not known:
	 * neither green nor amber, in both languages */
	snprintf(G.status, sizeof G.status, "valid");
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "class=\"verdict valid\"") == NULL);
	CHECK(strstr(BODY(r), "data-in-force=\"unknown\"><span class=\"word\">? Chữ ký hợp lệ — chưa"
	                      " xác định được hiệu lực hôm nay") != NULL);
	CHECK(strstr(BODY(r), "data-status=") == NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "Seal valid — not established as in force today") != NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, G.rezipped.data, G.rezipped.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "\"answer\":\"valid\"") != NULL);
	CHECK(strstr(BODY(r), "\"answer_text\":\"Chữ ký hợp lệ — chưa xác định được hiệu lực hôm nay\"")
	      != NULL);
	CHECK(strstr(BODY(r), "\"in_force\":null") != NULL);
	webverify_response_free(&r);
	/* the archived bytes themselves still read green */
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.pkg.data, G.pkg.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "class=\"verdict valid\"") != NULL);
	webverify_response_free(&r);
	webverify_free(wv);
}

/* A genuine package of a result not archived here: its own sealed validity
 * dates against today (expired, not yet valid), else not established. */
static void t_own_dates(void)
{
	static const char tmpl[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<record xmlns=\"urn:kho:record:1\">\n"
		"  <resultCode>000.00.20.H30-250314-0010-KQ1</resultCode>\n"
		"  <dossierCode>000.00.20.H30-250314-0010</dossierCode>\n"
		"  <procedureCode>2.000815</procedureCode>\n"
		"  <agencyCode>000.00.20.H30</agencyCode>\n"
		"  <resultType>certified-copy</resultType>\n"
		"  <numberSymbol>10/CT</numberSymbol>\n"
		"  <subject kind=\"citizen\"><id>" PID "</id><name>Nguyễn Văn An</name></subject>\n"
		"  <title>Bản sao chứng thực</title>\n"
		"  <issueDate>2025-03-14</issueDate>\n"
		"  <signer>Trần Thị B</signer>\n"
		"  %s\n"
		"  <language>vi</language>\n"
		"</record>\n";
	static const char *const dates[] = {
		"<validFrom>2025-03-14</validFrom><validUntil>2025-03-31</validUntil>",
		"<validFrom>2999-01-01</validFrom>",
		"<validFrom>2025-03-14</validFrom>",
	};
	static const char *const want[] = {
		"data-in-force=\"no\"><span class=\"word\">⚠ Không còn hiệu lực",
		"data-in-force=\"no\"><span class=\"word\">⚠ Chưa có hiệu lực",
		"data-in-force=\"unknown\"",
	};
	static const char other_pdf[] = "%PDF-1.4\n% another result\n";
	seal_file f = { "ketqua.pdf", "application/pdf", other_pdf, sizeof other_pdf - 1 };
	webverify *wv = setup(0);
	webverify_response r;
	seal_opts so;
	char rec[2048];
	kho_buf pk;
	kho_err err;
	size_t i;

	REQUIRE(wv != NULL);
	memset(&so, 0, sizeof so);
	so.signer.key = P.rsa_key;
	so.signer.cert = P.rsa;
	for (i = 0; i < 3; i++) {
		int n = snprintf(rec, sizeof rec, tmpl, dates[i]);
		kho_buf_init(&pk, 64u << 20);
		REQUIRE(seal_package(&pk, &f, 1, rec, (size_t)n, &so, &err) == 0);
		CHECK_EQ_INT(ask(wv, WV_UPLOAD, pk.data, pk.len, NULL, NULL, WV_LANG_VI, &r), 0);
		CHECK(strstr(BODY(r), want[i]) != NULL);
		CHECK(strstr(BODY(r), "class=\"verdict valid\"") == NULL);
		if (i == 0)
			CHECK(strstr(BODY(r), "data-status=\"expired\" data-by-dates=\"1\"") != NULL);
		webverify_response_free(&r);
		CHECK_EQ_INT(ask(wv, WV_API, pk.data, pk.len, NULL, NULL, WV_LANG_EN, &r), 0);
		CHECK(strstr(BODY(r), i < 2 ? "\"in_force\":false" : "\"in_force\":null") != NULL);
		if (i < 2)
			CHECK(strstr(BODY(r), "\"in_force_basis\":\"record-dates\"") != NULL);
		CHECK(strstr(BODY(r), "\"archived\":false") != NULL);
		webverify_response_free(&r);
		kho_buf_free(&pk);
	}
	webverify_free(wv);
}

static void t_single_files(void)
{
	static const char other[] = "%PDF-1.4\n% something else\n";
	webverify *wv = setup(0);
	webverify_response r;

	REQUIRE(wv != NULL);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, other, sizeof other - 1, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "data-answer=\"not-archived\"") != NULL);
	CHECK(strstr(BODY(r), "Không có trong kho lưu trữ") != NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, other, sizeof other - 1, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "Not archived") != NULL);
	CHECK(strstr(BODY(r), "not archived") != NULL);
	webverify_response_free(&r);
	/* the archived PDF (which even holds the number): found, package verified */
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, pdf, sizeof pdf - 1, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "data-file-archived=\"1\"") != NULL);
	CHECK(strstr(BODY(r), "data-answer=\"valid\"") != NULL);
	CHECK(strstr(BODY(r), CODE) != NULL);
	CHECK(strstr(BODY(r), "data-status=\"valid\"") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, pdf, sizeof pdf - 1, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "\"file_archived\":true") != NULL);
	CHECK(strstr(BODY(r), "\"kind\":\"file\"") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	/* no file at all */
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, NULL, 0, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 400);
	CHECK(strstr(BODY(r), "Chưa có tệp") != NULL);
	webverify_response_free(&r);
	/* a file of 0 bytes: said so, not "no file" (found by review) */
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, "", 0, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 400);
	CHECK(strstr(BODY(r), "Tệp rỗng") != NULL);
	CHECK(strstr(BODY(r), "không có nội dung (0 byte)") != NULL);
	CHECK(strstr(BODY(r), "Chưa có tệp") == NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, "", 0, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK_EQ_INT(r.status, 400);
	CHECK(strstr(BODY(r), "\"error\":\"The file you chose is empty (0 bytes)") != NULL);
	webverify_response_free(&r);
	webverify_free(wv);
}

static void t_qr(void)
{
	webverify *wv = setup(0);
	webverify_response r;

	REQUIRE(wv != NULL);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "data-answer=\"valid\"") != NULL);
	CHECK(strstr(BODY(r), "Còn hiệu lực") != NULL);
	CHECK(strstr(BODY(r), "noindex") != NULL);
	/* reached from a paper: compare it with what is shown (found by review) */
	CHECK(strstr(BODY(r), "data-compare-paper=\"1\">Hãy đối chiếu số, ký hiệu, ngày cấp") != NULL);
	CHECK(strstr(BODY(r), "bản giấy đó không phải là kết quả này") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "data-compare-paper=\"1\">Compare the number and symbol") != NULL);
	CHECK(strstr(BODY(r), "that paper is not this result") != NULL);
	webverify_response_free(&r);
	/* an uploaded package has no paper to compare */
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.pkg.data, G.pkg.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "data-compare-paper") == NULL);
	webverify_response_free(&r);
	/* revoked today: the seal is genuine, the page says the result is revoked */
	snprintf(G.status, sizeof G.status, "revoked");
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "data-status=\"revoked\"") != NULL);
	CHECK(strstr(BODY(r), "Đã bị thu hồi") != NULL);
	webverify_response_free(&r);
	/* valid from a later day: said in Vietnamese, not as the raw status */
	snprintf(G.status, sizeof G.status, "not-yet-valid");
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "Chưa có hiệu lực") != NULL);
	webverify_response_free(&r);
	/* destroyed: no package any more */
	snprintf(G.status, sizeof G.status, "destroyed");
	G.destroyed = 1;
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "data-answer=\"indeterminate\"") != NULL);
	CHECK(strstr(BODY(r), "Destroyed at the end of its retention period") != NULL);
	webverify_response_free(&r);
	webverify_free(wv);
}

/* Issue 4 item 9: a record destroyed by retention (no catalog row, a tombstone). */
static void t_destroyed(void)
{
	webverify *wv = setup(0);
	webverify_response r, a, b;
	char wrong[QR_KEY_TEXT_LEN + 1];

	REQUIRE(wv != NULL);
	G.destroyed = 1;
	G.gone = 1;
	/* the QR path with the record's key: the statement, never content */
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "data-answer=\"destroyed\"") != NULL);
	CHECK(strstr(BODY(r), "đã được tiêu hủy ngày 02/01/2031 theo quyết định 45/QĐ-SNV"
	                      " ngày 01/01/2031") != NULL);
	CHECK(strstr(BODY(r), "Trần Thị B") == NULL && strstr(BODY(r), "ketqua.pdf") == NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "was destroyed on 2031-01-02 under decision 45/QĐ-SNV") != NULL);
	webverify_response_free(&r);
	/* a wrong key: exactly an unknown code, and the tombstone is not asked */
	G.n_tomb = 0;
	memcpy(wrong, G.key, sizeof wrong);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, wrong, WV_LANG_VI, &a), 0);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, "000.00.20.H30-250314-0008-KQ1", G.key, WV_LANG_VI, &b),
	             0);
	CHECK_EQ_INT(a.status, 404);
	CHECK(a.body.len == b.body.len && memcmp(a.body.data, b.body.data, a.body.len) == 0);
	CHECK(strstr(BODY(a), "tiêu hủy") == NULL);
	CHECK_EQ_INT(G.n_tomb, 0);
	webverify_response_free(&a);
	webverify_response_free(&b);
	/* the exact destroyed package uploaded: genuine seal, archived and destroyed */
	CHECK_EQ_INT(ask(wv, WV_API, G.pkg.data, G.pkg.len, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "\"answer\":\"valid\"") != NULL);
	CHECK(strstr(BODY(r), "\"status\":\"destroyed\"") != NULL);
	CHECK(strstr(BODY(r), "\"decision\":\"45/QĐ-SNV\"") != NULL);
	CHECK(strstr(BODY(r), "\"same_package\":true") != NULL);
	private_ok(&r);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_UPLOAD, G.pkg.data, G.pkg.len, NULL, NULL, WV_LANG_VI, &r), 0);
	CHECK(strstr(BODY(r), "data-status=\"destroyed\"") != NULL);
	CHECK(strstr(BODY(r), "data-destroyed=\"1\"") != NULL);
	webverify_response_free(&r);
	/* other bytes naming the same code learn nothing of the destruction */
	CHECK_EQ_INT(ask(wv, WV_API, G.tampered.data, G.tampered.len, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK(strstr(BODY(r), "destroyed") == NULL);
	webverify_response_free(&r);
	/* A decision number stored in another encoding (Windows-1258's Đ is
	 * 0xD0): the JSON answers say it with '?' (found by fuzz_webverify:
	 * the file lookup was a 500, the package's tombstone was left out). */
	G.legacy_decision = 1;
	CHECK_EQ_INT(ask(wv, WV_API, pdf, sizeof pdf - 1, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "\"answer\":\"destroyed\"") != NULL);
	CHECK(strstr(BODY(r), "\"decision\":\"45/Q?-SNV\"") != NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_API, G.pkg.data, G.pkg.len, NULL, NULL, WV_LANG_EN, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	CHECK(strstr(BODY(r), "\"decision\":\"45/Q?-SNV\"") != NULL);
	webverify_response_free(&r);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, G.key, WV_LANG_VI, &r), 0);
	CHECK_EQ_INT(r.status, 200);
	webverify_response_free(&r);
	G.legacy_decision = 0;
	webverify_free(wv);
}

static void t_enumeration(void)
{
	webverify *wv = setup(0);
	webverify_response a, b, c, d;
	char wrong[QR_KEY_TEXT_LEN + 1];

	REQUIRE(wv != NULL);
	memcpy(wrong, G.key, sizeof wrong);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, wrong, WV_LANG_VI, &a), 0);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, "000.00.20.H30-250314-0008-KQ1", G.key, WV_LANG_VI, &b), 0);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, CODE, NULL, WV_LANG_VI, &c), 0);
	CHECK_EQ_INT(ask(wv, WV_QR, NULL, 0, "<x>", G.key, WV_LANG_VI, &d), 0);
	CHECK_EQ_INT(a.status, 404);
	CHECK_EQ_INT(b.status, 404);
	CHECK(a.body.len == b.body.len && memcmp(a.body.data, b.body.data, a.body.len) == 0);
	CHECK(a.body.len == c.body.len && memcmp(a.body.data, c.body.data, a.body.len) == 0);
	CHECK(a.body.len == d.body.len && memcmp(a.body.data, d.body.data, a.body.len) == 0);
	CHECK(strstr(BODY(a), CODE) == NULL && strstr(BODY(a), G.key) == NULL);
	/* whoever holds that paper is told not to rely on it (found by review) */
	CHECK(strstr(BODY(a), "đừng dựa vào bản giấy đó") != NULL);
	/* the same work: a key lookup each; nothing else looked up before the key matched */
	CHECK_EQ_INT(G.n_key_hash, 4);
	CHECK_EQ_INT(G.n_report, 0);
	CHECK_EQ_INT(G.n_status, 0);
	webverify_response_free(&a);
	webverify_response_free(&b);
	webverify_response_free(&c);
	webverify_response_free(&d);
	webverify_free(wv);
}

static void t_mask(void)
{
	char o[64];

	webverify_mask_name(o, sizeof o, "Nguyễn Văn An");
	CHECK_STR(o, "Nguyễn V** A*");
	webverify_mask_name(o, sizeof o, "Trần Thị Bảo Ngọc");
	CHECK_STR(o, "Trần T** B** N***");
	webverify_mask_name(o, sizeof o, "  Lê   Ánh ");
	CHECK_STR(o, "Lê Á**");
	webverify_mask_name(o, sizeof o, "");
	CHECK_STR(o, "");
	webverify_mask_name(o, sizeof o, NULL);
	CHECK_STR(o, "");
	webverify_mask_name(o, 6, "Nguyễn Văn");   /* never cuts a UTF-8 sequence ("ễ" is 3 bytes) */
	CHECK_STR(o, "Nguy");
}

static void t_rate(void)
{
	webverify *wv = setup(60);
	unsigned ra = 0;

	REQUIRE(wv != NULL);
	CHECK(webverify_rate_take(wv, "192.0.2.1", &ra));
	CHECK(webverify_rate_take(wv, "192.0.2.1", &ra));
	CHECK(!webverify_rate_take(wv, "192.0.2.1", &ra));
	CHECK(ra >= 1 && ra <= 2);
	CHECK(webverify_rate_take(wv, "192.0.2.2", &ra));   /* another address has its own bucket */
	/* IPv6: one bucket per /64, however the rest of the address varies */
	CHECK(webverify_rate_take(wv, "2001:db8:1:2::1", &ra));
	CHECK(webverify_rate_take(wv, "2001:db8:1:2:aaaa::7", &ra));
	CHECK(!webverify_rate_take(wv, "2001:db8:1:2:ffff:ffff:ffff:fffe", &ra));
	CHECK(webverify_rate_take(wv, "2001:db8:1:3::1", &ra));   /* another /64 */
	webverify_free(wv);
	wv = setup(0);
	REQUIRE(wv != NULL);
	CHECK(webverify_rate_take(wv, "192.0.2.1", NULL) && webverify_rate_take(wv, "192.0.2.1", NULL) &&
	      webverify_rate_take(wv, "192.0.2.1", NULL));   /* 0 = unlimited */
	webverify_free(wv);
}

static void t_route_and_url(void)
{
	char code[WEBVERIFY_CODE_MAX], url[256];

	CHECK_EQ_INT(webverify_route("GET", "/verify", code), WV_FORM);
	CHECK_EQ_INT(webverify_route("POST", "/verify", code), WV_UPLOAD);
	CHECK_EQ_INT(webverify_route("POST", "/v1/verify", code), WV_API);
	CHECK_EQ_INT(webverify_route("GET", "/v1/verify", code), WV_API_BAD_METHOD);
	CHECK_EQ_INT(webverify_route("GET", "/verify/r/" CODE, code), WV_QR);
	CHECK_STR(code, CODE);
	CHECK_EQ_INT(webverify_route("DELETE", "/verify/r/" CODE, code), WV_BAD_METHOD);
	CHECK_EQ_INT(webverify_route("GET", "/v1/results", code), WV_NONE);
	CHECK_EQ_INT(webverify_lang_pick("en"), WV_LANG_EN);
	CHECK_EQ_INT(webverify_lang_pick(NULL), WV_LANG_VI);
	CHECK_EQ_INT(webverify_lang_pick("fr"), WV_LANG_VI);
	CHECK_EQ_INT(webverify_qr_url(url, sizeof url, "https://kho.example.gov.vn/", CODE,
	                              "_TlAt-ZKcgqhqHgRjcPMBg"), 0);
	CHECK_STR(url, "https://kho.example.gov.vn/verify/r/" CODE "?k=_TlAt-ZKcgqhqHgRjcPMBg");
	CHECK_EQ_INT(webverify_qr_url(url, sizeof url, "ftp://x", CODE, "_TlAt-ZKcgqhqHgRjcPMBg"),
	             KHO_EINVAL);
	CHECK_EQ_INT(webverify_qr_url(url, sizeof url, "https://x", "bad", "_TlAt-ZKcgqhqHgRjcPMBg"),
	             KHO_EINVAL);
	CHECK_EQ_INT(webverify_qr_url(url, sizeof url, "https://x", CODE, "bad"), KHO_EINVAL);
	CHECK_EQ_INT(webverify_qr_url(url, 20, "https://x", CODE, "_TlAt-ZKcgqhqHgRjcPMBg"),
	             KHO_ETOOBIG);
}

/* The client behind a trusted proxy is its last X-Forwarded-For element;
 * the header of anyone else, and anything a client wrote earlier in it,
 * is ignored. */
static void t_client_behind_proxy(void)
{
	char *const proxies[] = { "10.0.0.5", "::1" };
	webverify_config cfg;
	webverify_archive ar;
	webverify *wv = NULL;
	kho_err err;
	char out[64];

	memset(&cfg, 0, sizeof cfg);
	memset(&ar, 0, sizeof ar);
	cfg.trusted_proxies = proxies;
	cfg.ntrusted_proxies = 2;
	REQUIRE(webverify_new(&wv, &cfg, &ar, &err) == 0);
	CHECK_STR(webverify_client(wv, "10.0.0.5", "203.0.113.7", out, sizeof out), "203.0.113.7");
	CHECK_STR(webverify_client(wv, "10.0.0.5", "1.2.3.4, 203.0.113.7", out, sizeof out),
	          "203.0.113.7");
	CHECK_STR(webverify_client(wv, "::1", "1.2.3.4,2001:db8::7 ", out, sizeof out), "2001:db8::7");
	/* not a trusted proxy: its header is the client's own claim */
	CHECK_STR(webverify_client(wv, "198.51.100.9", "203.0.113.7", out, sizeof out),
	          "198.51.100.9");
	/* a trusted proxy without the header, or with garbage in it */
	CHECK_STR(webverify_client(wv, "10.0.0.5", NULL, out, sizeof out), "10.0.0.5");
	CHECK_STR(webverify_client(wv, "10.0.0.5", "203.0.113.7, evil", out, sizeof out), "10.0.0.5");
	CHECK_STR(webverify_client(wv, "10.0.0.5", "", out, sizeof out), "10.0.0.5");
	CHECK_STR(webverify_client(wv, "10.0.0.5", "203.0.113.7 1.1.1.1", out, sizeof out), "10.0.0.5");
	webverify_free(wv);
}

TESTS(T(t_form), T(t_valid_package), T(t_tampered_package), T(t_other_copy), T(t_own_dates), T(t_single_files), T(t_qr),
      T(t_destroyed), T(t_enumeration), T(t_mask), T(t_mask_variants), T(t_mask_enterprise), T(t_rate), T(t_route_and_url),
      T(t_client_behind_proxy))
