/*
 * test_util.c: the shared primitives of common/ (buffers with caps, times,
 * base64, durable files).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/utf8.h"
#include "common/util.h"
#include "tests/unit/test.h"

static void t_buf_cap(void)
{
	kho_buf b;

	kho_buf_init(&b, 8);
	CHECK_EQ_INT(kho_buf_append(&b, "12345", 5), 0);
	CHECK_EQ_INT(kho_buf_append(&b, "6789", 4), KHO_ETOOBIG);
	CHECK_EQ_INT(b.len, 5);            /* unchanged by the refused append */
	CHECK_STR((char *)b.data, "12345"); /* still NUL-terminated */
	CHECK_EQ_INT(kho_buf_appendf(&b, "%d", 678), 0);
	CHECK_STR((char *)b.data, "12345678");
	CHECK_EQ_INT(kho_buf_appendf(&b, "x"), KHO_ETOOBIG);
	kho_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0);
}

static void t_time_parse(void)
{
	time_t t;
	char s[32];

	CHECK_EQ_INT(kho_time_parse(&t, "2025-03-14T08:30:00Z"), 0);
	CHECK_EQ_INT(t, 1741941000);
	CHECK_EQ_INT(kho_time_parse(&t, "2025-03-14T15:30:00+07:00"), 0);
	CHECK_EQ_INT(t, 1741941000);
	CHECK_EQ_INT(kho_time_parse(&t, "2025-03-14T08:30:00.123Z"), 0);
	CHECK_EQ_INT(t, 1741941000);
	CHECK_EQ_INT(kho_time_parse(&t, "2024-02-29"), 0);
	CHECK_STR(kho_time_format(s, sizeof s, t), "2024-02-29T00:00:00Z");
	CHECK_EQ_INT(kho_time_parse(&t, "2025-02-29"), KHO_EFORMAT);
	CHECK_EQ_INT(kho_time_parse(&t, "2025-13-01"), KHO_EFORMAT);
	CHECK_EQ_INT(kho_time_parse(&t, "2025-03-14T08:30:00"), KHO_EFORMAT);
	CHECK_EQ_INT(kho_time_parse(&t, "2025-03-14T08:30:00Zjunk"), KHO_EFORMAT);
	CHECK_EQ_INT(kho_time_parse(&t, "yesterday"), KHO_EFORMAT);
}

static void t_now_env(void)
{
	setenv("KHO_NOW", "2030-01-02T03:04:05Z", 1);
	CHECK_EQ_INT(kho_now(), 1893553445);
	unsetenv("KHO_NOW");
	CHECK(kho_now() > 1893553445 - 200000000);
}

static void t_base64(void)
{
	kho_buf b;
	char *e = kho_base64_encode("kho lưu trữ", 14);

	REQUIRE(e != NULL);
	CHECK_STR(e, "a2hvIGzGsHUgdHLhu68=");
	kho_buf_init(&b, 64);
	CHECK_EQ_INT(kho_base64_decode(&b, e, strlen(e)), 0);
	CHECK_EQ_INT(b.len, 14);
	CHECK(memcmp(b.data, "kho lưu trữ", 14) == 0);
	kho_buf_reset(&b);
	CHECK_EQ_INT(kho_base64_decode(&b, "a2h*", 4), KHO_EFORMAT);
	kho_buf_reset(&b);
	CHECK_EQ_INT(kho_base64_decode(&b, "YQ==YQ==", 8), KHO_EFORMAT);
	kho_buf_free(&b);
	free(e);
}

static void t_files(void)
{
	char dir[] = "/tmp/kho-test-XXXXXX", path[256], link[256];
	kho_buf b;
	kho_err err;
	struct stat st;

	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/a/b/file", dir);
	snprintf(link, sizeof link, "%s/a/b/link", dir);
	{
		char sub[256];
		snprintf(sub, sizeof sub, "%s/a/b", dir);
		CHECK_EQ_INT(kho_mkdir_p(sub, 0700, &err), 0);
	}
	CHECK_EQ_INT(kho_write_file_durable(path, "hello", 5, 0600, &err), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	kho_buf_init(&b, 4);
	CHECK_EQ_INT(kho_read_file(&b, path, &err), KHO_ETOOBIG);
	kho_buf_free(&b);
	kho_buf_init(&b, 100);
	CHECK_EQ_INT(kho_read_file(&b, path, &err), 0);
	CHECK_STR((char *)b.data, "hello");
	kho_buf_free(&b);
	REQUIRE(symlink(path, link) == 0);
	kho_buf_init(&b, 100);
	CHECK_EQ_INT(kho_read_file(&b, link, &err), KHO_EUNSAFE);
	CHECK_EQ_INT(kho_read_file(&b, "/nonexistent/kho", &err), KHO_ENOTFOUND);
	kho_buf_free(&b);
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		CHECK_EQ_INT(system(cmd), 0);
	}
}

static void t_utf8(void)
{
	/* valid characters of 1 to 4 bytes are kept, everything else becomes '?':
	 * a stray continuation byte, 0xff, an overlong "/", a surrogate, a
	 * character above U+10FFFF, and a character cut at the end */
	char s[] = "a\xc3\xa2\xe1\xbb\xa6\xf0\x9f\x98\x80|\x80\xff\xc0\xaf\xed\xa0\x80"
	           "\xf4\x90\x80\x80\xe1\xbb";
	char c[] = "x\xe1\xbb\xa6\xe1\xbb";

	CHECK(!kho_utf8_valid(s, strlen(s)));
	CHECK(kho_utf8_valid(s, 10));   /* the four valid characters */
	kho_utf8_scrub(s);
	CHECK(kho_utf8_valid(s, strlen(s)));
	CHECK(strcmp(s, "a\xc3\xa2\xe1\xbb\xa6\xf0\x9f\x98\x80|?????????????") == 0);
	kho_utf8_cut(c, strlen(c));
	CHECK(strcmp(c, "x\xe1\xbb\xa6") == 0);
}

/* Personal numbers and enterprise codes (9+ digits as a whole word) out of
 * text bound for logs; result codes, dates and package ids stay. */
static void t_redact_numbers(void)
{
	static const struct { const char *in, *out; } c[] = {
		{ "/v1/lookup?subject=051087012345&purpose=000.31.20.H55-251120-0001",
		  "/v1/lookup?subject=[number]&purpose=000.31.20.H55-251120-0001" },
		{ "/verify/r/051087012345", "/verify/r/[number]" },
		{ "/v1/holds/123456789/x/12345678", "/v1/holds/[number]/x/12345678" },   /* 9, 8 */
		{ "0100000000", "[number]" },                                            /* a tax code */
		{ "/v1/packages/7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da4908123456",
		  "/v1/packages/7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da4908123456" },
		{ "/v1/results/000.31.20.H55-250314-0101-KQ1/status",
		  "/v1/results/000.31.20.H55-250314-0101-KQ1/status" },
		{ "a1234567890\xc3\xa2", "a[number]\xc3\xa2" },                   /* letters touch it */
		{ "\xc3\xa2" "123456789012", "\xc3\xa2[number]" },
		{ "/verify/r/CCCD001099001234", "/verify/r/CCCD[number]" },
		{ "/verify/r/001.099.001.234", "/verify/r/[number]" },
		{ "/verify/r/001 099 001 234x", "/verify/r/[number]x" },
		{ "/x/subject=001-099-001-234", "/x/subject=[number]" },
		{ "/r/\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x99\xef\xbc\x99"
		  "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94",
		  "/r/[number]" },                                                  /* fullwidth */
		{ "2025-03-14 12.34.56", "2025-03-14 12.34.56" },                   /* a date, a time */
		/* found by review: the separators the public page masks, groups
		 * of 4, Arabic-Indic digits */
		{ "/verify/r/051,087,012,345", "/verify/r/[number]" },
		{ "/verify/r/051_087_012_345 x", "/verify/r/[number] x" },
		{ "/verify/r/051/087/012/345", "/verify/r/[number]" },
		{ "n=051\xc2\xa0" "087\xc2\xa0" "012\xc2\xa0" "345", "n=[number]" },
		{ "/verify/r/0510 8701 2345", "/verify/r/[number]" },
		{ "/verify/r/051, 087, 012, 345", "/verify/r/[number]" },
		{ "/r/\xd9\xa0\xd9\xa5\xd9\xa1\xd9\xa0\xd9\xa8\xd9\xa7\xd9\xa0\xd9\xa1"
		  "\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5", "/r/[number]" },
		{ "250314-0101-0102", "250314-0101-0102" },                          /* 6-4-4 */
		/* found by the second review: any grouping of exactly 12 digits */
		{ "/verify/r/051087 012345", "/verify/r/[number]" },
		{ "/verify/r/0510-870-12345", "/verify/r/[number]" },
		{ "/r/05 10 87 01 23 45", "/r/[number]" },
		{ "/r/051+087+012+345", "/r/[number]" },
		{ "/r/051 - 087 - 012 - 345", "/r/[number]" },
		{ "/r/0 5 1 0 8 7 0 1 2 3 4 5", "/r/[number]" },
		{ "/r/051\xe2\x80\x93" "087\xe2\x80\x93" "012345", "/r/[number]" },      /* en dash */
		{ "/r/\xe0\xa7\xa6\xe0\xa7\xab\xe0\xa7\xa7\xe0\xa7\xa6\xe0\xa7\xae\xe0\xa7\xad"
		  "\xe0\xa7\xa6\xe0\xa7\xa7\xe0\xa7\xa8\xe0\xa7\xa9\xe0\xa7\xaa\xe0\xa7\xab", "/r/[number]" },
		{ "000.31.20.H55-250314-0101-KQ1", "000.31.20.H55-250314-0101-KQ1" },  /* after a letter */
		{ "2025-03-14T10:00:00Z", "2025-03-14T10:00:00Z" },
		{ "2025/0001/0002/0003", "2025/0001/0002/0003" },                     /* 16 digits */
		{ "12/03/2025 10:00", "12/03/2025 10:00" },
		{ "batch 12, 123456 bytes", "batch 12, 123456 bytes" },
		{ "", "" },
	};
	char b[200];

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		snprintf(b, sizeof b, "%s", c[i].in);
		kho_redact_numbers(b);
		CHECK_STR(b, c[i].out);
	}
}

/* The four-eyes rule compares names as people type them. */
static void t_same_name(void)
{
	CHECK(kho_utf8_same_name("rm-lan", "RM-LAN"));
	CHECK(kho_utf8_same_name("L\xc3\xa2n", "L\xc3\x82N"));               /* Lân, LÂN */
	CHECK(kho_utf8_same_name("L\xc3\xa2n", "La\xcc\x82n"));              /* decomposed */
	CHECK(kho_utf8_same_name("rm-lan", " rm-lan "));
	CHECK(!kho_utf8_same_name("rm-lan", "rm-hoa"));
	CHECK(!kho_utf8_same_name("L\xc3\xa2n", "Lan"));                      /* another name */
	CHECK(!kho_utf8_same_name(NULL, "x"));
}

static void t_text_clean(void)
{
	static const struct { const char *in; int nl; const char *out; } c[] = {
		{ "K\xe1\xba\xbft qu\xe1\xba\xa3.pdf\tok", 0, "K\xe1\xba\xbft qu\xe1\xba\xa3.pdf\tok" },
		{ "a\x1b[31mb\x7f", 0, "a?[31mb?" },             /* C0 ESC, DEL */
		{ "a\nb", 0, "a?b" }, { "a\nb", 1, "a\nb" },
		{ "x\xc2\x9b" "2J", 0, "x?2J" },                    /* U+009B, CSI */
		{ "x\x9b" "2J", 0, "x?2J" },                         /* a raw C1 byte */
		{ "ketqua\xe2\x80\xae" "fdp.exe", 0, "ketqua?fdp.exe" },   /* U+202E */
		{ "\xe2\x81\xa6" "a\xe2\x81\xa9", 0, "?a?" },   /* U+2066, U+2069 */
		{ "a\xef\xbf\xbe" "b\xef\xbf\xbf", 0, "a?b?" },  /* U+FFFE, U+FFFF */
		{ "\xe0\x80\xaf", 0, "???" },                   /* overlong */
		{ "\xf0\x9f\x93\x84", 0, "\xf0\x9f\x93\x84" }, /* U+1F4C4 kept */
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		char *o = kho_text_clean(c[i].in, c[i].nl);
		REQUIRE(o != NULL);
		CHECK_STR(o, c[i].out);
		free(o);
	}
}

static void t_local_day(void)
{
	char d[11];
	time_t t;

	/* 2026-12-31T20:00:00Z is 03:00 on 1 January 2027 in Vietnam */
	REQUIRE(kho_time_parse(&t, "2026-12-31T20:00:00Z") == 0);
	CHECK_STR(kho_local_date(d, t), "2027-01-01");
	CHECK_EQ_INT(kho_local_day(t), 20819);   /* 2027-01-01 */
	REQUIRE(kho_time_parse(&t, "2026-12-31T16:59:59Z") == 0);
	CHECK_STR(kho_local_date(d, t), "2026-12-31");
	REQUIRE(kho_time_parse(&t, "2026-12-31T17:00:00Z") == 0);
	CHECK_STR(kho_local_date(d, t), "2027-01-01");
	CHECK_STR(kho_local_date(d, 0), "1970-01-01");
	/* the start of a local day: its inverse, before 1970 too */
	REQUIRE(kho_time_parse(&t, "2026-12-31T17:00:00Z") == 0);
	CHECK(kho_local_day_start(20819) == t);
	CHECK_EQ_INT(kho_local_day(kho_local_day_start(-700)), -700);
	CHECK_EQ_INT(kho_local_day(kho_local_day_start(-700) - 1), -701);
}

/* kho_parse_uint: the whole string, digits only, in range (M2 of the CLI review). */
static void t_parse_uint(void)
{
	uint64_t v = 7;

	CHECK_EQ_INT(kho_parse_uint(&v, "0", 0, 10), 0);
	CHECK(v == 0);
	CHECK_EQ_INT(kho_parse_uint(&v, "10", 0, 10), 0);
	CHECK(v == 10);
	CHECK_EQ_INT(kho_parse_uint(&v, "18446744073709551615", 0, UINT64_MAX), 0);
	CHECK(v == UINT64_MAX);
	v = 7;
	CHECK_EQ_INT(kho_parse_uint(&v, "18446744073709551616", 0, UINT64_MAX), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "11", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "0", 1, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "-1", 0, UINT64_MAX), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "+1", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, " 1", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "2x", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "abc", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, NULL, 0, 10), KHO_EINVAL);
	CHECK(v == 7);                       /* untouched on error */
}

TESTS(T(t_buf_cap), T(t_time_parse), T(t_now_env), T(t_base64), T(t_files), T(t_utf8),
      T(t_redact_numbers), T(t_same_name), T(t_text_clean), T(t_local_day), T(t_parse_uint))
