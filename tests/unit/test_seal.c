/*
 * test_seal.c: sealing a result into an ASiC-E package (sign/seal.c): the
 * exact entry order with `mimetype` stored at byte 30, the manifest listing
 * every data object and record.xml, a signature that verifies over the
 * manifest's bytes, the timestamp when a TSA is given; bad records and bad
 * names are refused and leave the output untouched. The package is read
 * back with libarchive, not with kho's own reader.
 */
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "archive/manifest.h"
#include "common/util.h"
#include "sign/seal.h"
#include "tests/unit/test.h"

#include "tests/unit/testpki.h"

static const char record_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<record xmlns=\"urn:kho:record:1\">\n"
	"  <resultCode>000.00.20.H30-250314-0007-KQ1</resultCode>\n"
	"  <dossierCode>000.00.20.H30-250314-0007</dossierCode>\n"
	"  <procedureCode>2.000815</procedureCode>\n"
	"  <agencyCode>000.00.20.H30</agencyCode>\n"
	"  <resultType>certified-copy</resultType>\n"
	"  <numberSymbol>123/CT</numberSymbol>\n"
	"  <subject kind=\"citizen\"><id>001099012345</id><name>Nguyễn Văn A</name></subject>\n"
	"  <title>Bản sao chứng thực từ bản chính</title>\n"
	"  <issueDate>2025-03-14</issueDate>\n"
	"  <signer>Trần Thị B</signer>\n"
	"  <validFrom>2025-03-14</validFrom>\n"
	"  <language>vi</language>\n"
	"</record>\n";

/* Entries read back: names and bytes in archive order. */
struct entries {
	char names[16][256];
	kho_buf data[16];
	size_t n;
};

static int read_zip(struct entries *e, const kho_buf *pkgbuf)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char buf[8192];
	la_ssize_t n;
	int ok = 1;

	memset(e, 0, sizeof *e);
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_memory(a, pkgbuf->data, pkgbuf->len) != ARCHIVE_OK) {
		archive_read_free(a);
		return 0;
	}
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK && e->n < 16) {
		snprintf(e->names[e->n], sizeof e->names[e->n], "%s", archive_entry_pathname(ae));
		kho_buf_init(&e->data[e->n], 1 << 24);
		while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
			kho_buf_append(&e->data[e->n], buf, (size_t)n);
		if (n < 0)
			ok = 0;
		e->n++;
	}
	archive_read_free(a);
	return ok;
}

static void entries_free(struct entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		kho_buf_free(&e->data[i]);
}

static void opts_init(seal_opts *o)
{
	memset(o, 0, sizeof *o);
	o->signer.key = P.rsa_key;
	o->signer.cert = P.rsa;
}

static void t_entry_order(void)
{
	seal_file files[2] = {
		{ "ketqua.pdf", NULL, "%PDF-1.7 result", 15 },
		{ "scans/trang 1.png", NULL, "\x89PNG....", 8 },
	};
	static const char *want[] = {
		"mimetype", "ketqua.pdf", "scans/trang 1.png", "record.xml",
		"META-INF/ASiCManifest001.xml", "META-INF/signature001.p7s",
	};
	seal_opts o;
	kho_buf out;
	kho_err err;
	struct entries e;
	manifest *m = NULL;
	tsa *t = NULL;
	size_t i;

	kho_buf_init(&out, 1 << 26);
	REQUIRE(tp_init());
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, P.tsa_chain, NULL, &err) == 0);
	opts_init(&o);
	o.tsa = t;
	o.tsa_chain = P.tsa_chain;
	CHECK_EQ_INT(seal_package(&out, files, 2, record_xml, strlen(record_xml), &o, &err), 0);
	REQUIRE(out.len > 100);
	/* EN 319 162-1 A.1: "mimetype" at byte 30, its stored content at byte 38. */
	CHECK(memcmp(out.data + 30, "mimetype", 8) == 0);
	CHECK(memcmp(out.data + 38, "application/vnd.etsi.asic-e+zip", 31) == 0);
	CHECK(out.data[8] == 0 && out.data[9] == 0);   /* method 0: stored */
	REQUIRE(read_zip(&e, &out));
	CHECK_EQ_INT(e.n, 6);
	for (i = 0; i < 6 && i < e.n; i++)
		CHECK_STR(e.names[i], want[i]);
	REQUIRE(e.n == 6);
	CHECK(e.data[1].len == 15 && memcmp(e.data[1].data, "%PDF-1.7 result", 15) == 0);
	CHECK(e.data[3].len == strlen(record_xml) && memcmp(e.data[3].data, record_xml, e.data[3].len) == 0);
	/* The manifest covers every data object, record.xml included, with guessed MIME types. */
	CHECK_EQ_INT(manifest_parse(&m, e.data[4].data, e.data[4].len, &err), 0);
	if (m != NULL) {
		CHECK_STR(m->sig_uri, "META-INF/signature001.p7s");
		CHECK_EQ_INT(m->nrefs, 3);
		if (m->nrefs == 3) {
			CHECK_STR(m->refs[0].uri, "ketqua.pdf");
			CHECK_STR(m->refs[0].mime, "application/pdf");
			CHECK_STR(m->refs[1].uri, "scans/trang 1.png");
			CHECK_STR(m->refs[1].mime, "image/png");
			CHECK_STR(m->refs[2].uri, "record.xml");
		}
	}
	manifest_free(m);
	/* The signature verifies over the manifest's exact bytes and carries the timestamp. */
	{
		const unsigned char *p = e.data[5].data;
		CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)e.data[5].len);
		BIO *in = BIO_new_mem_buf(e.data[4].data, (int)e.data[4].len);
		ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113549.1.9.16.2.14", 1);
		STACK_OF(X509) *certs;

		REQUIRE(cms != NULL);
		X509_VERIFY_PARAM_set_purpose(X509_STORE_get0_param(P.store), X509_PURPOSE_ANY);
		CHECK(CMS_verify(cms, NULL, P.store, in, NULL, CMS_BINARY | CMS_DETACHED) == 1);
		ERR_clear_error();
		CHECK(CMS_unsigned_get_attr_by_OBJ(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0),
		                                   oid, -1) >= 0);
		certs = CMS_get1_certs(cms);
		CHECK_EQ_INT(sk_X509_num(certs), 3);   /* signer, TSA, root */
		sk_X509_pop_free(certs, X509_free);
		ASN1_OBJECT_free(oid);
		BIO_free(in);
		CMS_ContentInfo_free(cms);
	}
	entries_free(&e);
	tsa_free(t);
	kho_buf_free(&out);
}

static void t_no_timestamp(void)
{
	seal_file f = { "ketqua.xml", "application/xml", "<a/>", 4 };
	seal_opts o;
	kho_buf out;
	kho_err err;
	struct entries e;

	kho_buf_init(&out, 1 << 26);
	REQUIRE(tp_init());
	opts_init(&o);
	o.signer.key = P.ec_key;
	o.signer.cert = P.ec;
	CHECK_EQ_INT(seal_package(&out, &f, 1, record_xml, strlen(record_xml), &o, &err), 0);
	REQUIRE(read_zip(&e, &out));
	CHECK_EQ_INT(e.n, 5);
	if (e.n == 5) {
		const unsigned char *p = e.data[4].data;
		CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)e.data[4].len);
		REQUIRE(cms != NULL);
		CHECK_EQ_INT(CMS_unsigned_get_attr_count(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0)), -1);
		CMS_ContentInfo_free(cms);
	}
	entries_free(&e);
	kho_buf_free(&out);
}

static void t_bad_record(void)
{
	static const char *bad[] = {
		"<record xmlns=\"urn:kho:record:1\"/>",
		"not xml at all",
		"",
	};
	seal_file f = { "ketqua.pdf", NULL, "%PDF", 4 };
	seal_opts o;
	kho_buf out;
	kho_err err;
	size_t i;

	kho_buf_init(&out, 1 << 26);
	REQUIRE(tp_init());
	opts_init(&o);
	kho_buf_append(&out, "keep", 4);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ_INT(seal_package(&out, &f, 1, bad[i], strlen(bad[i]), &o, &err), KHO_EFORMAT);
		CHECK_EQ_INT(out.len, 4);
	}
	/* A record whose codes disagree (result code not extending the dossier code). */
	{
		kho_buf r;
		char *p;
		kho_buf_init(&r, 1 << 20);
		kho_buf_append(&r, record_xml, strlen(record_xml));
		p = strstr((char *)r.data, "250314-0007-KQ1");
		REQUIRE(p != NULL);
		memcpy(p, "250314-0008", 11);
		CHECK_EQ_INT(seal_package(&out, &f, 1, r.data, r.len, &o, &err), KHO_EFORMAT);
		CHECK_EQ_INT(out.len, 4);
		kho_buf_free(&r);
	}
	kho_buf_free(&out);
}

static void t_bad_names(void)
{
	static const char *bad[] = {
		"", "/etc/passwd", "../x.pdf", "a/../b.pdf", "a//b.pdf", "./a.pdf", "a/", "dir\\x.pdf",
		"META-INF/x.xml", "meta-inf/signature001.p7s", "mimetype", "record.xml", "a\nb.pdf",
	};
	seal_file f[2] = { { NULL, NULL, "x", 1 }, { "b.pdf", NULL, "y", 1 } };
	seal_opts o;
	kho_buf out;
	kho_err err;
	size_t i;

	kho_buf_init(&out, 1 << 26);
	REQUIRE(tp_init());
	opts_init(&o);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f[0].name = bad[i];
		CHECK_EQ_INT(seal_package(&out, f, 2, record_xml, strlen(record_xml), &o, &err), KHO_EFORMAT);
		CHECK_EQ_INT(out.len, 0);
	}
	f[0].name = "b.pdf";   /* the same name twice */
	CHECK_EQ_INT(seal_package(&out, f, 2, record_xml, strlen(record_xml), &o, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "twice") != NULL);
	CHECK_EQ_INT(seal_package(&out, f, 0, record_xml, strlen(record_xml), &o, &err), KHO_EINVAL);
	CHECK_EQ_INT(out.len, 0);
	/* And a good nested name passes. */
	f[0].name = "phu-luc/a.pdf";
	CHECK_EQ_INT(seal_package(&out, f, 2, record_xml, strlen(record_xml), &o, &err), 0);
	CHECK(out.len > 0);
	kho_buf_free(&out);
}

static void t_signing_time_and_now(void)
{
	seal_file f = { "ketqua.pdf", NULL, "%PDF", 4 };
	seal_opts o;
	kho_buf out;
	kho_err err;
	struct entries e;
	time_t st;

	kho_buf_init(&out, 1 << 26);
	REQUIRE(tp_init());
	opts_init(&o);
	REQUIRE(kho_time_parse(&st, "2025-03-14T08:00:00Z") == 0);
	o.signer.signing_time = st;
	setenv("KHO_NOW", "2025-03-14T09:30:00Z", 1);
	CHECK_EQ_INT(seal_package(&out, &f, 1, record_xml, strlen(record_xml), &o, &err), 0);
	unsetenv("KHO_NOW");
	/* The ZIP time of the entries comes from kho_now(): DOS date 2025-03-14. */
	REQUIRE(out.len > 14);
	CHECK_EQ_INT(out.data[12] | out.data[13] << 8, (2025 - 1980) << 9 | 3 << 5 | 14);
	REQUIRE(read_zip(&e, &out));
	REQUIRE(e.n == 5);
	{
		const unsigned char *p = e.data[4].data;
		CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)e.data[4].len);
		CMS_SignerInfo *si;
		X509_ATTRIBUTE *a;
		ASN1_TYPE *v;
		struct tm tm;

		REQUIRE(cms != NULL);
		si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
		a = CMS_signed_get_attr(si, CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1));
		v = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
		REQUIRE(v != NULL && ASN1_TIME_to_tm(v->value.utctime, &tm));
		CHECK_EQ_INT(timegm(&tm), st);
		CMS_ContentInfo_free(cms);
	}
	entries_free(&e);
	kho_buf_free(&out);
}

/* record_xml with its dossier date (YYMMDD), issueDate and digitizedOn (or NULL). */
static void dated_record(kho_buf *b, const char *yymmdd, const char *issue, const char *digitized)
{
	kho_buf_reset(b);
	kho_buf_appendf(b,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<record xmlns=\"urn:kho:record:1\">\n"
		"  <resultCode>000.00.20.H30-%s-0007-KQ1</resultCode>\n"
		"  <dossierCode>000.00.20.H30-%s-0007</dossierCode>\n"
		"  <procedureCode>2.000815</procedureCode>\n"
		"  <agencyCode>000.00.20.H30</agencyCode>\n"
		"  <resultType>certified-copy</resultType>\n"
		"  <numberSymbol>123/CT</numberSymbol>\n"
		"  <subject kind=\"citizen\"><id>001099012345</id><name>Nguyễn Văn A</name></subject>\n"
		"  <title>Bản sao chứng thực từ bản chính</title>\n"
		"  <issueDate>%s</issueDate>\n%s%s%s"
		"  <signer>Trần Thị B</signer>\n"
		"  <validFrom>%s</validFrom>\n"
		"  <language>vi</language>\n"
		"</record>\n", yymmdd, yymmdd, issue, digitized ? "  <digitizedOn>" : "",
		digitized ? digitized : "", digitized ? "</digitizedOn>\n" : "", issue);
}

/*
 * A record issued, digitized or received after the sealing day (Vietnam's
 * day, KHO_NOW honoured) is refused (found by review: a record issued
 * 2099-12-31, dossier 991231, was sealed and timestamped on 2026-12-08).
 */
static void t_future_dates(void)
{
	seal_file f = { "ketqua.pdf", NULL, "%PDF", 4 };
	seal_opts o;
	kho_buf out, r;
	kho_err err;

	kho_buf_init(&out, 1 << 26);
	kho_buf_init(&r, 1 << 20);
	REQUIRE(tp_init());
	opts_init(&o);
	/* 17:30 UTC on 13 March is 00:30 on 14 March in Vietnam: issued today */
	setenv("KHO_NOW", "2025-03-13T17:30:00Z", 1);
	dated_record(&r, "250314", "2025-03-14", NULL);
	CHECK_EQ_INT(seal_package(&out, &f, 1, r.data, r.len, &o, &err), 0);
	kho_buf_reset(&out);
	/* an hour earlier it is still the 13th in Vietnam */
	setenv("KHO_NOW", "2025-03-13T16:30:00Z", 1);
	CHECK_EQ_INT(seal_package(&out, &f, 1, r.data, r.len, &o, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "issueDate 2025-03-14 is after the sealing day 2025-03-13") != NULL);
	CHECK_EQ_INT(out.len, 0);
	/* the review's record */
	setenv("KHO_NOW", "2026-12-08T02:00:00Z", 1);
	dated_record(&r, "991231", "2099-12-31", NULL);
	CHECK_EQ_INT(seal_package(&out, &f, 1, r.data, r.len, &o, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "issueDate 2099-12-31") != NULL);
	/* a paper result digitized in 2090 */
	dated_record(&r, "250314", "1992-05-04", "2090-01-01");
	CHECK_EQ_INT(seal_package(&out, &f, 1, r.data, r.len, &o, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "digitizedOn 2090-01-01") != NULL);
	/* digitized today, received yesterday, issued on paper long ago: sealed */
	dated_record(&r, "261207", "1992-05-04", "2026-12-08");
	CHECK_EQ_INT(seal_package(&out, &f, 1, r.data, r.len, &o, &err), 0);
	CHECK(out.len > 0);
	unsetenv("KHO_NOW");
	kho_buf_free(&r);
	kho_buf_free(&out);
}

TESTS(T(t_entry_order), T(t_no_timestamp), T(t_bad_record), T(t_bad_names),
      T(t_signing_time_and_now), T(t_future_dates))
