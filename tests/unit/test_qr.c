/*
 * test_qr.c: QR codes and verification keys (archive/qr.h). The PNG is
 * decoded by a reader nobody here wrote (zbarimg from zbar-tools, installed
 * by tools/install-deps) and must give back the URL; the SVG must be
 * well-formed XML with the same modules; keys round-trip through the wrap,
 * and checking refuses wrong, malformed and altered ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "archive/qr.h"
#include "common/util.h"
#include "tests/unit/test.h"

static const char url[] =
	"https://kho.example.gov.vn/verify/r/000.31.20.H55-250310-0012-KQ1?k=_TlAt-ZKcgqhqHgRjcPMBg";

/* zbar: decode an image file with zbarimg; the text (without newline) into out. */
static int zbar(const char *path, char *out, size_t n)
{
	char cmd[600];
	FILE *p;
	size_t got;

	snprintf(cmd, sizeof cmd, "zbarimg -q --raw '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	got = fread(out, 1, n - 1, p);
	out[got] = '\0';
	while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == '\r'))
		out[--got] = '\0';
	return pclose(p) == 0 ? 0 : -1;
}

static void t_png_decodes(void)
{
	char path[] = "/tmp/kho-test-qr-XXXXXX", text[1024];
	kho_buf b;
	kho_err err;
	unsigned scale;
	int fd;

	for (scale = 2; scale <= 8; scale += 3) {
		kho_buf_init(&b, 8u << 20);
		REQUIRE(qr_png(&b, url, scale, &err) == 0);
		CHECK(b.len > 8 && memcmp(b.data, "\x89PNG\r\n\x1a\n", 8) == 0);
		CHECK(memcmp(b.data + 12, "IHDR", 4) == 0);
		/* width = (modules + 2 * quiet zone) * scale */
		{
			unsigned w = (unsigned)b.data[16] << 24 | (unsigned)b.data[17] << 16 |
			             (unsigned)b.data[18] << 8 | b.data[19];
			CHECK(w % scale == 0 && (w / scale - 2 * QR_QUIET_ZONE - 17) % 4 == 0);
		}
		CHECK(memcmp(b.data + b.len - 8, "IEND", 4) == 0);
		fd = mkstemp(path);
		REQUIRE(fd >= 0);
		CHECK(write(fd, b.data, b.len) == (ssize_t)b.len);
		close(fd);
		CHECK(zbar(path, text, sizeof text) == 0);
		CHECK_STR(text, url);
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		kho_buf_free(&b);
	}
}

static void t_svg_wellformed(void)
{
	kho_buf b;
	kho_err err;
	xmlDocPtr d;

	kho_buf_init(&b, 8u << 20);
	REQUIRE(qr_svg(&b, url, 4, &err) == 0);
	CHECK(strstr((char *)b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	CHECK(strstr((char *)b.data, "shape-rendering=\"crispEdges\"") != NULL);
	/* the three finder patterns: a module at (4,4) is dark (quiet zone 4) */
	CHECK(strstr((char *)b.data, "M4 4h1v1h-1z") != NULL);
	CHECK(strstr((char *)b.data, "M0 0h1") == NULL);   /* the quiet zone stays white */
	d = xmlReadMemory((const char *)b.data, (int)b.len, "qr.svg", NULL, XML_PARSE_NONET);
	CHECK(d != NULL);
	xmlFreeDoc(d);
	kho_buf_free(&b);
}

static void t_bad_input(void)
{
	char big[QR_TEXT_MAX + 2];
	kho_buf b;
	kho_err err;

	kho_buf_init(&b, 1u << 20);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(qr_png(&b, "", 4, &err), KHO_EINVAL);
	CHECK_EQ_INT(qr_png(&b, NULL, 4, &err), KHO_EINVAL);
	CHECK_EQ_INT(qr_svg(&b, big, 4, &err), KHO_EINVAL);
	CHECK_EQ_INT(qr_png(&b, url, 0, &err), KHO_EINVAL);
	CHECK_EQ_INT(qr_png(&b, url, QR_SCALE_MAX + 1, &err), KHO_EINVAL);
	CHECK_EQ_INT((int)b.len, 0);
	/* a buffer cap that is too small: KHO_ETOOBIG, never a partial success */
	kho_buf_free(&b);
	kho_buf_init(&b, 100);
	CHECK_EQ_INT(qr_png(&b, url, 8, &err), KHO_ETOOBIG);
	kho_buf_free(&b);
}

static void t_keys(void)
{
	char k1[QR_KEY_TEXT_LEN + 1], k2[QR_KEY_TEXT_LEN + 1], bad[QR_KEY_TEXT_LEN + 1];
	unsigned char h1[32], h2[32], h[32];

	REQUIRE(qr_key_new(k1, h1) == 0);
	REQUIRE(qr_key_new(k2, h2) == 0);
	CHECK_EQ_INT((int)strlen(k1), QR_KEY_TEXT_LEN);
	CHECK(qr_key_is_wellformed(k1) && qr_key_is_wellformed(k2));
	CHECK(strcmp(k1, k2) != 0);
	CHECK(strspn(k1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	      QR_KEY_TEXT_LEN);
	/* stored form: SHA-256 of the text */
	CHECK(kho_sha256(h, k1, strlen(k1)) == 0 && memcmp(h, h1, 32) == 0);
	CHECK_EQ_INT(qr_key_check(k1, h1), 0);
	CHECK_EQ_INT(qr_key_check(k2, h2), 0);
	CHECK_EQ_INT(qr_key_check(k2, h1), KHO_EAUTH);
	CHECK_EQ_INT(qr_key_check(NULL, h1), KHO_EAUTH);
	CHECK_EQ_INT(qr_key_check("", h1), KHO_EAUTH);
	CHECK_EQ_INT(qr_key_check(k1, qr_key_dummy_hash()), KHO_EAUTH);
	memcpy(bad, k1, sizeof bad);
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(qr_key_check(bad, h1), KHO_EAUTH);
	CHECK(!qr_key_is_wellformed("short"));
	CHECK(!qr_key_is_wellformed("AAAAAAAAAAAAAAAAAAAAA+"));   /* not base64url */
	CHECK(!qr_key_is_wellformed("AAAAAAAAAAAAAAAAAAAAAB"));   /* non-canonical last char */
	CHECK(qr_key_is_wellformed("AAAAAAAAAAAAAAAAAAAAAA"));
}

static void t_wrap(void)
{
	unsigned char master[QR_MASTER_LEN], other[QR_MASTER_LEN], w[QR_KEY_WRAPPED_LEN], h[32];
	char k[QR_KEY_TEXT_LEN + 1], back[QR_KEY_TEXT_LEN + 1];
	kho_err err;

	memset(master, 7, sizeof master);
	memset(other, 8, sizeof other);
	REQUIRE(qr_key_new(k, h) == 0);
	REQUIRE(qr_key_wrap(w, master, k, &err) == 0);
	CHECK(memmem(w, sizeof w, k, 8) == NULL);
	CHECK_EQ_INT(qr_key_unwrap(back, master, w, &err), 0);
	CHECK_STR(back, k);
	CHECK_EQ_INT(qr_key_check(back, h), 0);
	CHECK_EQ_INT(qr_key_unwrap(back, other, w, &err), KHO_ECRYPTO);
	w[5] ^= 1;
	CHECK_EQ_INT(qr_key_unwrap(back, master, w, &err), KHO_ECRYPTO);
	CHECK_EQ_INT(qr_key_wrap(w, master, "not a key", &err), KHO_EINVAL);
}

TESTS(T(t_png_decodes), T(t_svg_wellformed), T(t_bad_input), T(t_keys), T(t_wrap))
