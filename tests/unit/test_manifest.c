/*
 * test_manifest.c: the ASiCManifest writer and hardened parser
 * (archive/manifest.h): exact written bytes, round trips, the DSS manifests,
 * digest URIs, and the hostile manifests of testdata/hostile/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "archive/manifest.h"
#include "common/buf.h"
#include "common/util.h"
#include "tests/unit/test.h"

static const char *root(void)
{
	const char *r = getenv("ROOT");
	return r != NULL ? r : ".";
}

static int slurp(kho_buf *b, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root(), rel);
	kho_buf_init(b, 1u << 20);
	return kho_read_file(b, path, NULL);
}

/* The exact form of formats.md; SHA-256 of "abc" and of "". */
static void t_write_exact(void)
{
	static const char want[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\" "
		"xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
		"  <asic:SigReference URI=\"META-INF/signature001.p7s\" MimeType=\"application/pkcs7-signature\"/>\n"
		"  <asic:DataObjectReference URI=\"ketqua.pdf\" MimeType=\"application/pdf\">\n"
		"    <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
		"    <ds:DigestValue>ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=</ds:DigestValue>\n"
		"  </asic:DataObjectReference>\n"
		"  <asic:DataObjectReference URI=\"record.xml\" MimeType=\"text/xml\">\n"
		"    <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\n"
		"    <ds:DigestValue>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ds:DigestValue>\n"
		"  </asic:DataObjectReference>\n"
		"</asic:ASiCManifest>\n";
	manifest_item items[] = {
		{ "ketqua.pdf", "application/pdf", "abc", 3 },
		{ "record.xml", "text/xml", "", 0 },
	};
	kho_buf b;
	kho_err err = { 0 };

	kho_buf_init(&b, MANIFEST_MAX_SIZE);
	REQUIRE(manifest_write(&b, "META-INF/signature001.p7s", items, 2, &err) == 0);
	CHECK_STR((const char *)b.data, want);
	kho_buf_free(&b);
}

static void t_roundtrip(void)
{
	manifest_item items[] = {
		{ "Giấy khai sinh/bản sao #1.pdf", "application/pdf", "x", 1 },
		{ "a&b.txt", "text/plain; charset=\"utf-8\" & <more>", "y", 1 },
		{ "nomime.bin", NULL, "z", 1 },
	};
	unsigned char want[32];
	manifest *m = NULL;
	kho_buf b;
	kho_err err = { 0 };

	kho_buf_init(&b, MANIFEST_MAX_SIZE);
	REQUIRE(manifest_write(&b, "META-INF/signature001.p7s", items, 3, &err) == 0);
	/* names are percent-encoded in the URI attribute */
	CHECK(strstr((char *)b.data, "URI=\"Gi%E1%BA%A5y%20khai%20sinh/b%E1%BA%A3n%20sao%20%231.pdf\"") != NULL);
	CHECK(strstr((char *)b.data, "URI=\"a%26b.txt\"") != NULL);
	REQUIRE(manifest_parse(&m, b.data, b.len, &err) == 0);
	CHECK(!m->is_archive);
	CHECK_STR(m->sig_uri, "META-INF/signature001.p7s");
	CHECK_STR(m->sig_mime, "application/pkcs7-signature");
	REQUIRE(m->nrefs == 3);
	CHECK_STR(m->refs[0].uri, items[0].uri);
	CHECK_STR(m->refs[1].uri, "a&b.txt");
	CHECK_STR(m->refs[1].mime, items[1].mime);
	CHECK(m->refs[2].mime == NULL);
	CHECK(m->refs[0].md == EVP_sha256());
	CHECK_STR(m->refs[0].digest_alg, "http://www.w3.org/2001/04/xmlenc#sha256");
	CHECK_EQ_INT(m->refs[0].digest_len, 32);
	kho_sha256(want, "x", 1);
	CHECK(memcmp(m->refs[0].digest, want, 32) == 0);
	manifest_free(m);
	manifest_free(NULL);
	/* The archive manifest of a renewal (sign/lta.c): its own root, and a
	 * SigReference to a timestamp token. */
	b.len = 0;
	REQUIRE(manifest_write_archive(&b, "META-INF/timestamp001.tst", items, 3, &err) == 0);
	CHECK(strstr((char *)b.data, "<asic:ASiCArchiveManifest ") != NULL);
	CHECK(strstr((char *)b.data, "</asic:ASiCArchiveManifest>\n") != NULL);
	REQUIRE(manifest_parse(&m, b.data, b.len, &err) == 0);
	CHECK(m->is_archive);
	CHECK_STR(m->sig_uri, "META-INF/timestamp001.tst");
	CHECK_STR(m->sig_mime, "application/vnd.etsi.timestamp-token");
	CHECK_EQ_INT(m->nrefs, 3);
	manifest_free(m);
	kho_buf_free(&b);
}

static void t_write_refuses(void)
{
	manifest_item ok = { "a.txt", NULL, "x", 1 };
	manifest_item noname = { NULL, NULL, "x", 1 };
	manifest_item ctl = { "a.txt", "text/\001plain", "x", 1 };
	kho_buf b;
	kho_err err = { 0 };

	kho_buf_init(&b, MANIFEST_MAX_SIZE);
	CHECK_EQ_INT(manifest_write(&b, "s.p7s", &ok, 0, &err), KHO_EINVAL);
	CHECK_EQ_INT(manifest_write(&b, "", &ok, 1, &err), KHO_EINVAL);
	CHECK_EQ_INT(manifest_write(&b, "s.p7s", &noname, 1, &err), KHO_EINVAL);
	CHECK_EQ_INT(manifest_write(&b, "s.p7s", &ctl, 1, &err), KHO_EINVAL);
	CHECK(strstr(err.msg, "control character") != NULL);
	CHECK_EQ_INT(b.len, 0);
	kho_buf_free(&b);
	kho_buf_init(&b, 100); /* the caller's cap applies */
	CHECK_EQ_INT(manifest_write(&b, "s.p7s", &ok, 1, &err), KHO_ETOOBIG);
	CHECK_EQ_INT(b.len, 0);
	kho_buf_free(&b);
}

/* The DSS manifests: default-namespace xmldsig elements, archive manifest. */
static void t_dss_manifests(void)
{
	kho_buf b;
	kho_err err = { 0 };
	manifest *m = NULL;

	REQUIRE(slurp(&b, "tests/fuzz/corpus/manifest/dss-multifiles-ok-ASiCManifest.xml") == 0);
	REQUIRE(manifest_parse(&m, b.data, b.len, &err) == 0);
	CHECK_STR(m->sig_uri, "META-INF/signature001.p7s");
	CHECK_EQ_INT(m->nrefs, 2);
	CHECK_STR(m->refs[0].uri, "test.text");
	CHECK_STR(m->refs[1].uri, "test2.text");
	CHECK(m->refs[1].md == EVP_sha256());
	manifest_free(m);
	kho_buf_free(&b);

	REQUIRE(slurp(&b, "tests/fuzz/corpus/manifest/dss-dss1421-ASiCArchiveManifest.xml") == 0);
	REQUIRE(manifest_parse(&m, b.data, b.len, &err) == 0);
	CHECK_STR(m->sig_uri, "META-INF/timestamp001.tst");
	CHECK_STR(m->sig_mime, "application/vnd.etsi.timestamp-token");
	CHECK_EQ_INT(m->nrefs, 3);
	CHECK_STR(m->refs[2].uri, "META-INF/ASiCManifest.xml");
	manifest_free(m);
	kho_buf_free(&b);
}

static void t_md_uris(void)
{
	CHECK(manifest_md_from_uri("http://www.w3.org/2000/09/xmldsig#sha1") == EVP_sha1());
	CHECK(manifest_md_from_uri("http://www.w3.org/2001/04/xmldsig-more#sha224") == EVP_sha224());
	CHECK(manifest_md_from_uri("http://www.w3.org/2001/04/xmlenc#sha256") == EVP_sha256());
	CHECK(manifest_md_from_uri("http://www.w3.org/2001/04/xmldsig-more#sha384") == EVP_sha384());
	CHECK(manifest_md_from_uri("http://www.w3.org/2001/04/xmlenc#sha512") == EVP_sha512());
	CHECK(manifest_md_from_uri("http://www.w3.org/2007/05/xmldsig-more#sha3-256") == EVP_sha3_256());
	CHECK(manifest_md_from_uri("http://www.w3.org/2007/05/xmldsig-more#sha3-384") == EVP_sha3_384());
	CHECK(manifest_md_from_uri("http://www.w3.org/2007/05/xmldsig-more#sha3-512") == EVP_sha3_512());
	CHECK(manifest_md_from_uri("http://www.w3.org/2001/04/xmlenc#sha257") == NULL);
	CHECK(manifest_md_from_uri(NULL) == NULL);
}

static int parse_str(const char *xml, kho_err *err)
{
	manifest *m = NULL;
	int rc = manifest_parse(&m, xml, strlen(xml), err);
	manifest_free(m);
	return rc;
}

#define HEAD "<?xml version=\"1.0\"?>\n<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\" " \
	"xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
#define SIG "<asic:SigReference URI=\"META-INF/signature001.p7s\"/>\n"
#define REF(alg, val) "<asic:DataObjectReference URI=\"a.txt\"><ds:DigestMethod Algorithm=\"" alg \
	"\"/><ds:DigestValue>" val "</ds:DigestValue></asic:DataObjectReference>\n"
#define S256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define D32 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define TAIL "</asic:ASiCManifest>\n"

static void t_parse_checks(void)
{
	kho_err err = { 0 };
	manifest *m = NULL;
	const char *unk = HEAD SIG REF("urn:example:md", "AAAA") TAIL;
	const char *arch = "<asic:ASiCArchiveManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\" "
		"xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
		SIG REF(S256, D32) "</asic:ASiCArchiveManifest>";

	CHECK_EQ_INT(parse_str(HEAD SIG REF(S256, D32) TAIL, &err), 0);
	CHECK_EQ_INT(parse_str(HEAD REF(S256, D32) TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "missing SigReference") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "no DataObjectReference") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG SIG REF(S256, D32) TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "second SigReference") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG REF(S256, "!!notbase64!!") TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "base64") != NULL && strstr(err.msg, "a.txt") != NULL);
	/* 20 bytes where SHA-256 needs 32 */
	CHECK_EQ_INT(parse_str(HEAD SIG REF(S256, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=") TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "has 20 bytes") != NULL && strstr(err.msg, "needs 32") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG REF(S256, D32) REF(S256, D32) TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "referenced twice") != NULL);
	/* DigestMethod outside the xmldsig namespace */
	CHECK_EQ_INT(parse_str(HEAD SIG "<asic:DataObjectReference URI=\"a.txt\"><asic:DigestMethod "
	                       "Algorithm=\"" S256 "\"/><ds:DigestValue>" D32 "</ds:DigestValue>"
	                       "</asic:DataObjectReference>" TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "xmldsig") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG "<asic:DataObjectReference><ds:DigestMethod Algorithm=\"" S256
	                       "\"/><ds:DigestValue>" D32 "</ds:DigestValue></asic:DataObjectReference>"
	                       TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "without URI") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG "<asic:Surprise/>" REF(S256, D32) TAIL, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "Surprise") != NULL);
	CHECK_EQ_INT(parse_str("<ASiCManifest/>", &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "namespace") != NULL);
	CHECK_EQ_INT(parse_str("<html/>", &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "root element is html") != NULL);
	CHECK_EQ_INT(parse_str(HEAD SIG, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "not well-formed") != NULL);
	CHECK_EQ_INT(manifest_parse(&m, "", 0, &err), KHO_EFORMAT);
	/* %00 in a URI would cut the name short: refused */
	CHECK_EQ_INT(parse_str(HEAD "<asic:SigReference URI=\"a%00b\"/>" REF(S256, D32) TAIL, &err),
	             KHO_EFORMAT);
	CHECK(strstr(err.msg, "NUL") != NULL);

	/* unknown algorithm: parsed, md NULL, for the verifier to judge */
	REQUIRE(manifest_parse(&m, unk, strlen(unk), &err) == 0);
	CHECK(m->refs[0].md == NULL);
	CHECK_STR(m->refs[0].digest_alg, "urn:example:md");
	CHECK_EQ_INT(m->refs[0].digest_len, 3);
	manifest_free(m);
	m = NULL;
	REQUIRE(manifest_parse(&m, arch, strlen(arch), &err) == 0);
	CHECK(m->is_archive);
	manifest_free(m);
}

static void t_hostile_manifests(void)
{
	static const struct {
		const char *file;
		const char *why;
	} cases[] = {
		{ "manifest-xxe.xml", "DOCTYPE is not allowed" },
		{ "manifest-billion-laughs.xml", "DOCTYPE is not allowed" },
		{ "manifest-xxe-utf16.xml", "DOCTYPE is not allowed" },
		{ "manifest-wrong-ns.xml", "http://uri.etsi.org/02918/v1.1.1#" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char rel[256];
		kho_err err = { 0 };
		manifest *m = NULL;
		kho_buf b;

		snprintf(rel, sizeof rel, "testdata/hostile/%s", cases[i].file);
		REQUIRE(slurp(&b, rel) == 0);
		CHECK_EQ_INT(manifest_parse(&m, b.data, b.len, &err), KHO_EFORMAT);
		CHECK(m == NULL);
		if (strstr(err.msg, cases[i].why) == NULL) {
			fprintf(stderr, "  %s: \"%s\" lacks \"%s\"\n", cases[i].file, err.msg, cases[i].why);
			CHECK(0);
		}
		kho_buf_free(&b);
	}
}

/* manifest-oversized.xml.zlib: > 4 MiB once inflated: KHO_ETOOBIG. */
static void t_oversized(void)
{
	kho_buf z;
	uLongf n = 6u << 20;
	unsigned char *big = malloc(n);
	kho_err err = { 0 };
	manifest *m = NULL;

	REQUIRE(big != NULL);
	REQUIRE(slurp(&z, "testdata/hostile/manifest-oversized.xml.zlib") == 0);
	REQUIRE(uncompress(big, &n, z.data, z.len) == Z_OK);
	CHECK(n > MANIFEST_MAX_SIZE);
	CHECK_EQ_INT(manifest_parse(&m, big, n, &err), KHO_ETOOBIG);
	CHECK(strstr(err.msg, "more than the limit") != NULL);
	free(big);
	kho_buf_free(&z);
}

TESTS(T(t_write_exact), T(t_roundtrip), T(t_write_refuses), T(t_dss_manifests), T(t_md_uris),
      T(t_parse_checks), T(t_hostile_manifests), T(t_oversized))
