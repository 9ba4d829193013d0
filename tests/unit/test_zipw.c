/*
 * test_zipw.c: the strict ZIP writer (archive/zipw.h): the ETSI byte
 * offsets of `mimetype`, header fields, name refusals, acceptance by Info-ZIP
 * `unzip -t`, and a round trip through the reader (archive/pkg.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/pkg.h"
#include "archive/zipw.h"
#include "common/buf.h"
#include "common/util.h"
#include "tests/unit/test.h"

/* 2025-03-14T08:30:00Z */
#define MTIME ((time_t)1741941000)

static unsigned get16(const unsigned char *p) { return p[0] | (p[1] << 8); }
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static const char pdf[] = "%PDF-1.7\n% kết quả giải quyết thủ tục hành chính\n";

/* A package: mimetype, ketqua.pdf, a Vietnamese name, record.xml. */
static int build(kho_buf *out, kho_err *err)
{
	static char big[20000];
	zipw *w = NULL;
	int rc;

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 7);
	kho_buf_init(out, 1u << 20);
	rc = zipw_new(&w, out, MTIME, err);
	if (rc == 0)
		rc = zipw_add(w, "mimetype", PKG_MIMETYPE, strlen(PKG_MIMETYPE), ZIPW_STORED, err);
	if (rc == 0)
		rc = zipw_add(w, "ketqua.pdf", pdf, strlen(pdf), ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_add(w, "Giấy khai sinh/bản sao.txt", big, sizeof big, ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_add(w, "empty.txt", NULL, 0, ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_finish(w, err);
	zipw_free(w);
	return rc;
}

static void t_mimetype_offsets(void)
{
	kho_buf b;
	kho_err err = { 0 };

	REQUIRE(build(&b, &err) == 0);
	REQUIRE(b.len > 100);
	CHECK(memcmp(b.data, "PK\003\004", 4) == 0);
	CHECK_EQ_INT(get16(b.data + 8), 0);            /* STORED */
	CHECK_EQ_INT(get16(b.data + 6) & 0x0008, 0);   /* no data descriptor */
	CHECK_EQ_INT(get16(b.data + 6) & 0x0800, 0x0800); /* UTF-8 names */
	CHECK_EQ_INT(get16(b.data + 26), 8);           /* name length */
	CHECK_EQ_INT(get16(b.data + 28), 0);           /* no extra field */
	CHECK(memcmp(b.data + 30, "mimetype", 8) == 0);
	CHECK(memcmp(b.data + 38, PKG_MIMETYPE, strlen(PKG_MIMETYPE)) == 0);
	CHECK_EQ_INT(get32(b.data + 18), strlen(PKG_MIMETYPE)); /* compressed size */
	CHECK_EQ_INT(get32(b.data + 22), strlen(PKG_MIMETYPE));
	/* DOS time 08:30:00, date 2025-03-14 (APPNOTE 4.4.6) */
	CHECK_EQ_INT(get16(b.data + 10), (8 << 11) | (30 << 5));
	CHECK_EQ_INT(get16(b.data + 12), ((2025 - 1980) << 9) | (3 << 5) | 14);
	/* second local header follows immediately, deflated */
	{
		const unsigned char *h = b.data + 38 + strlen(PKG_MIMETYPE);
		CHECK(memcmp(h, "PK\003\004", 4) == 0);
		CHECK_EQ_INT(get16(h + 8), 8);
		CHECK_EQ_INT(get16(h + 28), 0);
		CHECK(memcmp(h + 30, "ketqua.pdf", 10) == 0);
	}
	/* end record: 4 entries */
	{
		const unsigned char *e = b.data + b.len - 22;
		CHECK(memcmp(e, "PK\005\006", 4) == 0);
		CHECK_EQ_INT(get16(e + 8), 4);
		CHECK_EQ_INT(get16(e + 10), 4);
		CHECK_EQ_INT(get32(e + 16) + get32(e + 12) + 22, b.len);
	}
	kho_buf_free(&b);
}

static int have_unzip(void)
{
	return system("command -v unzip >/dev/null 2>&1") == 0;
}

static void t_unzip_accepts(void)
{
	char path[] = "/tmp/kho-test-zipw-XXXXXX";
	char cmd[256], line[512];
	kho_buf b;
	kho_err err = { 0 };
	FILE *f;
	int fd, ok = 0, st;

	REQUIRE(build(&b, &err) == 0);
	if (!have_unzip()) {
		fprintf(stderr, "  unzip not installed: skipping the Info-ZIP check\n");
		CHECK(b.len > 0);
		kho_buf_free(&b);
		return;
	}
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, b.data, b.len) == (ssize_t)b.len);
	close(fd);
	snprintf(cmd, sizeof cmd, "unzip -t %s 2>&1", path);
	f = popen(cmd, "r");
	REQUIRE(f != NULL);
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, "No errors detected") != NULL)
			ok = 1;
	st = pclose(f);
	CHECK(ok);
	CHECK_EQ_INT(st, 0);
	/* unzip reports mimetype first and stored, content exact */
	snprintf(cmd, sizeof cmd, "unzip -p %s mimetype", path);
	f = popen(cmd, "r");
	REQUIRE(f != NULL);
	memset(line, 0, sizeof line);
	CHECK(fgets(line, sizeof line, f) != NULL);
	pclose(f);
	CHECK_STR(line, PKG_MIMETYPE);
	unlink(path);
	kho_buf_free(&b);
}

static void t_roundtrip_pkg(void)
{
	kho_buf b;
	kho_err err = { 0 };
	pkg *p = NULL;
	const pkg_entry *e;

	REQUIRE(build(&b, &err) == 0);
	REQUIRE(pkg_read_mem(&p, b.data, b.len, NULL, &err) == 0);
	CHECK_EQ_INT(p->nentries, 4);
	CHECK(p->is_asice);
	CHECK_EQ_INT(p->ndeviations, 0);
	CHECK_STR(p->entries[0].name, "mimetype");
	CHECK_EQ_INT(p->entries[0].compressed, 0);
	e = pkg_find(p, "ketqua.pdf");
	REQUIRE(e != NULL);
	CHECK_EQ_INT(e->compressed, 1);
	CHECK(e->size == strlen(pdf) && memcmp(e->data, pdf, e->size) == 0);
	e = pkg_find(p, "Giấy khai sinh/bản sao.txt");
	REQUIRE(e != NULL);
	CHECK_EQ_INT(e->size, 20000);
	CHECK(e->data[0] == 'a' && e->data[19999] == (char)('a' + 19999 % 7));
	e = pkg_find(p, "empty.txt");
	REQUIRE(e != NULL);
	CHECK_EQ_INT(e->size, 0);
	CHECK(e->data != NULL);
	pkg_free(p);
	kho_buf_free(&b);
}

static void t_refuses_names(void)
{
	static const struct {
		const char *name;
		int code;
		const char *why;
	} bad[] = {
		{ "", KHO_EUNSAFE, "empty" },
		{ "/etc/passwd", KHO_EUNSAFE, "absolute" },
		{ "../evil", KHO_EUNSAFE, ".." },
		{ "a/../../evil", KHO_EUNSAFE, ".." },
		{ "a/..", KHO_EUNSAFE, ".." },
		{ "./a", KHO_EUNSAFE, "\".\"" },
		{ "a\\b", KHO_EUNSAFE, "backslash" },
		{ "a//b", KHO_EUNSAFE, "empty path segment" },
		{ "dir/", KHO_EUNSAFE, "empty path segment" },
		{ "tab\tname", KHO_EUNSAFE, "control" },
		{ "bad\xff" "utf8", KHO_EINVAL, "UTF-8" },
		{ "overlong\xc0\xaf", KHO_EINVAL, "UTF-8" },
	};
	kho_buf b;
	kho_err err = { 0 };
	zipw *w = NULL;

	kho_buf_init(&b, 1u << 20);
	REQUIRE(zipw_new(&w, &b, MTIME, &err) == 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = zipw_add(w, bad[i].name, "x", 1, ZIPW_DEFLATED, &err);
		CHECK_EQ_INT(rc, bad[i].code);
		if (strstr(err.msg, bad[i].why) == NULL) {
			fprintf(stderr, "  name %zu: \"%s\" lacks \"%s\"\n", i, err.msg, bad[i].why);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(b.len, 0); /* nothing written by refused adds */
	CHECK_EQ_INT(zipw_add(w, "a.txt", "x", 1, ZIPW_STORED, &err), 0);
	CHECK_EQ_INT(zipw_add(w, "a.txt", "y", 1, ZIPW_DEFLATED, &err), KHO_EEXIST);
	CHECK(strstr(err.msg, "a.txt") != NULL);
	/* the same name in NFC and NFD: the reader would refuse the pair */
	CHECK_EQ_INT(zipw_add(w, "Vi\xe1\xbb\x87t.txt", "x", 1, ZIPW_STORED, &err), 0);
	CHECK_EQ_INT(zipw_add(w, "Vie\xcc\xa3\xcc\x82t.txt", "x", 1, ZIPW_STORED, &err), KHO_EEXIST);
	CHECK(strstr(err.msg, "NFC") != NULL);
	CHECK_EQ_INT(zipw_add(w, "C:evil.txt", "x", 1, ZIPW_STORED, &err), KHO_EUNSAFE);
	CHECK_EQ_INT(zipw_add(w, "b.txt", "y", 1, (enum zipw_method)12, &err), KHO_EINVAL);
	CHECK_EQ_INT(zipw_finish(w, &err), 0);
	CHECK_EQ_INT(zipw_add(w, "c.txt", "y", 1, ZIPW_STORED, &err), KHO_EINVAL);
	CHECK_EQ_INT(zipw_finish(w, &err), KHO_EINVAL);
	zipw_free(w);
	zipw_free(NULL);
	kho_buf_free(&b);
}

/* The output buffer's cap applies, and a failed add leaves it as it was. */
static void t_output_cap(void)
{
	static char data[4096];
	kho_buf b;
	kho_err err = { 0 };
	zipw *w = NULL;
	size_t before;

	kho_buf_init(&b, 2000);
	REQUIRE(zipw_new(&w, &b, MTIME, &err) == 0);
	CHECK_EQ_INT(zipw_add(w, "mimetype", PKG_MIMETYPE, strlen(PKG_MIMETYPE), ZIPW_STORED, &err), 0);
	before = b.len;
	CHECK_EQ_INT(zipw_add(w, "scan.bin", data, sizeof data, ZIPW_STORED, &err), KHO_ETOOBIG);
	CHECK_EQ_INT(b.len, before);
	/* the failed entry left no trace in the central directory either */
	CHECK_EQ_INT(zipw_finish(w, &err), 0);
	CHECK_EQ_INT(get16(b.data + b.len - 22 + 8), 1);
	zipw_free(w);
	kho_buf_free(&b);
}

/* Times before 1980 clamp to 1980-01-01 (the DOS epoch). */
static void t_dos_epoch(void)
{
	kho_buf b;
	kho_err err = { 0 };
	zipw *w = NULL;

	kho_buf_init(&b, 4096);
	REQUIRE(zipw_new(&w, &b, (time_t)0, &err) == 0);
	CHECK_EQ_INT(zipw_add(w, "a", "x", 1, ZIPW_STORED, &err), 0);
	CHECK_EQ_INT(get16(b.data + 12), (0 << 9) | (1 << 5) | 1);
	CHECK_EQ_INT(zipw_new(NULL, &b, 0, &err), KHO_EINVAL);
	zipw_free(w);
	kho_buf_free(&b);
}

/* Deterministic: the same input gives the same bytes. */
static void t_deterministic(void)
{
	kho_buf a, c;
	kho_err err = { 0 };

	REQUIRE(build(&a, &err) == 0);
	REQUIRE(build(&c, &err) == 0);
	CHECK(a.len == c.len && memcmp(a.data, c.data, a.len) == 0);
	kho_buf_free(&a);
	kho_buf_free(&c);
}

/* The method ZIPW_AUTO chose for a one-entry archive (local header, byte 8). */
static int auto_choice(const unsigned char *d, size_t n)
{
	kho_err err = { 0 };
	zipw *w = NULL;
	kho_buf b;
	int m = -1;

	kho_buf_init(&b, 1u << 20);
	if (zipw_new(&w, &b, 0, &err) == 0 && zipw_add(w, "x.bin", d, n, ZIPW_AUTO, &err) == 0 &&
	    zipw_finish(w, &err) == 0 && b.len >= 30)
		m = (int)get16(b.data + 8);
	zipw_free(w);
	kho_buf_free(&b);
	return m;
}

/*
 * ZIPW_AUTO: random bytes (a stand-in for PDF streams, JPEG, ZIP) are
 * stored, text and XML are deflated, whether the entry is judged from a
 * sample (over 4 KiB) or deflated whole (up to 4 KiB).
 */
static void t_auto_method(void)
{
	static unsigned char rnd[20000], txt[20000];
	static const char line[] = "<ketQua><soKyHieu>123/QD-UBND</soKyHieu></ketQua>\n";

	REQUIRE(kho_random(rnd, sizeof rnd) == 0);
	for (size_t i = 0; i < sizeof txt; i++)
		txt[i] = (unsigned char)line[i % (sizeof line - 1)];
	CHECK_EQ_INT(auto_choice(rnd, sizeof rnd), ZIPW_STORED);
	CHECK_EQ_INT(auto_choice(txt, sizeof txt), ZIPW_DEFLATED);
	CHECK_EQ_INT(auto_choice(rnd, 1000), ZIPW_STORED);
	CHECK_EQ_INT(auto_choice(txt, 1000), ZIPW_DEFLATED);
	/* text after a random first sample: judged by the sample, stored */
	memcpy(txt, rnd, 4096);
	CHECK_EQ_INT(auto_choice(txt, sizeof txt), ZIPW_STORED);
	/* a sample of one repeated byte value compresses */
	memset(rnd, 'x', 4096);
	CHECK_EQ_INT(auto_choice(rnd, sizeof rnd), ZIPW_DEFLATED);
}

TESTS(T(t_mimetype_offsets), T(t_unzip_accepts), T(t_roundtrip_pkg), T(t_refuses_names),
      T(t_output_cap), T(t_dos_epoch), T(t_deterministic), T(t_auto_method))
