/*
 * test_http_util.c: routing (404/405/400 distinctions), bearer tokens, and
 * the JSON bodies of the status and results endpoints, with the negative
 * cases each parser must refuse.
 */
#include <string.h>

#include "archive/http_util.h"
#include "archive/config.h"
#include "common/util.h"
#include "tests/unit/test.h"

#define ID "ee1a6f180f3dd5fa9ff449a6544b80e2634bb1378a74e7f03800b413287b3ccc"

static void t_routes(void)
{
	http_match m;

	CHECK_EQ_INT(http_route_parse("GET", "/healthz", &m), 0);
	CHECK_EQ_INT(m.route, HTTP_R_HEALTHZ);
	CHECK_EQ_INT(http_route_parse("HEAD", "/healthz", &m), 0);   /* monitoring probes */
	CHECK_EQ_INT(m.route, HTTP_R_HEALTHZ);
	CHECK_EQ_INT(http_route_parse("HEAD", "/metrics", &m), KHO_EINVAL);
	CHECK_EQ_INT(http_route_parse("POST", "/v1/packages", &m), 0);
	CHECK_EQ_INT(m.route, HTTP_R_PACKAGES_POST);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/packages/" ID, &m), 0);
	CHECK_EQ_INT(m.route, HTTP_R_PACKAGE_GET);
	CHECK_STR(m.arg, ID);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/packages/" ID "/report", &m), 0);
	CHECK_EQ_INT(m.route, HTTP_R_PACKAGE_REPORT);
	CHECK_EQ_INT(http_route_parse("POST", "/v1/results/000.00.20.H30-250314-0007-KQ1/status", &m), 0);
	CHECK_EQ_INT(m.route, HTTP_R_RESULT_STATUS);
	CHECK_STR(m.arg, "000.00.20.H30-250314-0007-KQ1");
	CHECK_EQ_INT(http_route_parse("GET", "/v1/lookup", &m), 0);
	CHECK_EQ_INT(http_route_roles(m.route), TOKEN_OFFICER);
	CHECK_EQ_INT(http_route_roles(HTTP_R_HEALTHZ), 0);
	/* negatives */
	CHECK_EQ_INT(http_route_parse("DELETE", "/v1/packages/" ID, &m), KHO_EINVAL);
	CHECK_STR(m.allow, "GET");   /* the 405's Allow header */
	CHECK_EQ_INT(http_route_parse("GET", "/v1/packages", &m), KHO_EINVAL);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/packages/abc", &m), KHO_EFORMAT);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/packages/" ID "/x", &m), KHO_ENOTFOUND);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/packages//report", &m), KHO_ENOTFOUND);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/results/../../etc", &m), KHO_ENOTFOUND);
	CHECK_EQ_INT(http_route_parse("GET", "/v1/results/x", &m), KHO_EFORMAT);
	CHECK_EQ_INT(http_route_parse("GET", "/", &m), KHO_ENOTFOUND);
	CHECK_EQ_INT(http_route_parse(NULL, "/", &m), KHO_EINVAL);
	{
		char longp[400];
		memset(longp, 'a', sizeof longp);
		memcpy(longp, "/v1/results/", 12);
		longp[sizeof longp - 1] = '\0';
		CHECK_EQ_INT(http_route_parse("GET", longp, &m), KHO_ENOTFOUND);
	}
}

static void t_bearer(void)
{
	char tok[TOKEN_LEN + 1];
	const char *good = "Bearer kho_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	CHECK_EQ_INT(http_bearer(good, tok), 0);
	CHECK_STR(tok, good + 7);
	CHECK_EQ_INT(http_bearer("bearer  kho_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ", tok), 0);
	CHECK_EQ_INT(http_bearer(NULL, tok), KHO_EAUTH);
	CHECK_EQ_INT(http_bearer("Basic abc", tok), KHO_EAUTH);
	CHECK_EQ_INT(http_bearer("Bearer kho_short", tok), KHO_EAUTH);
	CHECK_EQ_INT(http_bearer("Bearer ", tok), KHO_EAUTH);
}

static void t_status_body(void)
{
	http_status_req r;
	kho_err err;
	const char *ok = "{\"status\":\"superseded\",\"decision\":\"QĐ 5\","
	                 "\"superseded_by\":\"000.00.20.H30-250314-0008-KQ1\"}";

	CHECK_EQ_INT(http_parse_status_body(&r, ok, strlen(ok), NULL), 0);
	CHECK_STR(r.status, "superseded");
	CHECK_STR(r.superseded_by, "000.00.20.H30-250314-0008-KQ1");
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"status\":", 10, &err), KHO_EFORMAT);
	CHECK_EQ_INT(http_parse_status_body(&r, "[]", 2, NULL), KHO_EFORMAT);
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"status\":1,\"decision\":\"x\"}", 27, NULL), KHO_EFORMAT);
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"decision\":\"x\"}", 16, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "status") != NULL);
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"status\":\"a\",\"decision\":\"x\",\"evil\":1}", 37, NULL),
	             KHO_EFORMAT);
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"status\":\"a\",\"status\":\"b\",\"decision\":\"x\"}", 41,
	                                    NULL), KHO_EFORMAT);   /* duplicate key */
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"status\":\"a\\u0000b\",\"decision\":\"x\"}", 36, NULL),
	             KHO_EFORMAT);   /* embedded NUL */
	CHECK_EQ_INT(http_parse_status_body(&r, "{\"status\":\"revoked\",\"decision\":\"x\","
	                                    "\"superseded_by\":\"nope\"}", 57, NULL), KHO_EFORMAT);
	/* effective: a real date, optional ("" when absent) */
	{
		const char *e1 = "{\"status\":\"revoked\",\"decision\":\"x\",\"effective\":\"2025-09-01\"}";
		const char *e2 = "{\"status\":\"revoked\",\"decision\":\"x\",\"effective\":\"2025-02-30\"}";
		const char *e3 = "{\"status\":\"revoked\",\"decision\":\"x\",\"effective\":20250901}";
		CHECK_EQ_INT(http_parse_status_body(&r, e1, strlen(e1), NULL), 0);
		CHECK_STR(r.effective, "2025-09-01");
		CHECK_EQ_INT(http_parse_status_body(&r, e2, strlen(e2), &err), KHO_EFORMAT);
		CHECK(strstr(err.msg, "effective must be a date") != NULL);
		CHECK_EQ_INT(http_parse_status_body(&r, e3, strlen(e3), NULL), KHO_EFORMAT);
		CHECK_EQ_INT(http_parse_status_body(&r, ok, strlen(ok), NULL), 0);
		CHECK_STR(r.effective, "");
	}
}

static void t_results_body(void)
{
	http_results_req r;
	const char *ok = "{\"record_xml\":\"PHJlY29yZC8+\",\"files\":[{\"name\":\"a.pdf\","
	                 "\"mime\":\"application/pdf\",\"data\":\"JVBERg==\"}]}";
	const char *big = "{\"record_xml\":\"PHJlY29yZC8+\",\"files\":[{\"name\":\"a.pdf\","
	                  "\"data\":\"AAAAAAAAAAAA\"}]}";

	CHECK_EQ_INT(http_parse_results_body(&r, ok, strlen(ok), 1024, NULL), 0);
	CHECK_EQ_INT(r.nfiles, 1);
	CHECK_EQ_INT(r.record_xml.len, 9);
	CHECK(memcmp(r.record_xml.data, "<record/>", 9) == 0);
	CHECK_STR(r.files[0].name, "a.pdf");
	CHECK_EQ_INT(r.files[0].data.len, 4);
	http_results_req_free(&r);
	CHECK_EQ_INT(http_parse_results_body(&r, big, strlen(big), 8, NULL), KHO_EFORMAT); /* over cap */
	http_results_req_free(&r);
	CHECK_EQ_INT(http_parse_results_body(&r, "{\"record_xml\":\"!!\",\"files\":[]}", 30, 64, NULL),
	             KHO_EFORMAT);
	http_results_req_free(&r);
	CHECK_EQ_INT(http_parse_results_body(&r, "{\"record_xml\":\"AA==\",\"files\":[]}", 32, 64, NULL),
	             KHO_EFORMAT);
	http_results_req_free(&r);
	CHECK_EQ_INT(http_parse_results_body(&r, "{\"record_xml\":\"AA==\",\"files\":[{\"name\":3}]}", 42,
	                                     64, NULL), KHO_EFORMAT);
	http_results_req_free(&r);
	{
		/* unknown members, top level and in a file: refused, named */
		const char *typo = "{\"record_xml\":\"PHJlY29yZC8+\",\"fiels\":[],\"files\":[{\"name\":"
		                   "\"a.pdf\",\"data\":\"JVBERg==\"}]}";
		const char *ftypo = "{\"record_xml\":\"PHJlY29yZC8+\",\"files\":[{\"name\":\"a.pdf\","
		                    "\"dta\":\"JVBERg==\",\"data\":\"JVBERg==\"}]}";
		kho_err e;
		CHECK_EQ_INT(http_parse_results_body(&r, typo, strlen(typo), 1024, &e), KHO_EFORMAT);
		CHECK_STR(e.msg, "unknown member \"fiels\"");
		http_results_req_free(&r);
		CHECK_EQ_INT(http_parse_results_body(&r, ftypo, strlen(ftypo), 1024, &e), KHO_EFORMAT);
		CHECK_STR(e.msg, "unknown member \"files[0].dta\"");
		http_results_req_free(&r);
	}
	CHECK_EQ_INT(http_is_date("2025-02-29"), 0);
	CHECK_EQ_INT(http_is_date("2024-02-29"), 1);
	CHECK_EQ_INT(http_is_date("2024-02-29T00:00:00Z"), 0);
}

static void t_config(void)
{
	const char *path = "/tmp/kho-test-config.json";
	config c;
	kho_err err;
	FILE *f;

	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("{\"listen\":\"127.0.0.1:9\",\"trust\":[\"t.pem\",\"/abs/u.pem\"],\"max_upload\":1000,"
	      "\"accept_indeterminate\":[\"TRY_LATER\"],\"agencies\":[{\"code\":\"000.00.20.H30\","
	      "\"key\":\"k.pem\",\"cert\":\"c.pem\",\"pss\":true}],\"_note\":\"x\"}", f);
	fclose(f);
	config_defaults(&c);
	CHECK_EQ_INT(config_load(&c, path, &err), 0);
	CHECK_STR(c.listen, "127.0.0.1:9");
	CHECK_EQ_INT(c.ntrust, 2);
	CHECK_STR(c.trust[0], "/tmp/t.pem");
	CHECK_STR(c.trust[1], "/abs/u.pem");
	CHECK_EQ_INT(c.max_upload, 1000);
	CHECK(config_accepts(&c, "TRY_LATER"));
	CHECK(!config_accepts(&c, "HASH_FAILURE"));
	CHECK_EQ_INT(c.nagencies, 1);
	CHECK_EQ_INT(c.agencies[0].pss, 1);
	CHECK_STR(c.agencies[0].key, "/tmp/k.pem");
	config_free(&c);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("{\"max_uplaod\":1000}", f);
	fclose(f);
	config_defaults(&c);
	CHECK_EQ_INT(config_load(&c, path, &err), KHO_EFORMAT);
	CHECK(strstr(err.msg, "max_uplaod") != NULL);
	config_free(&c);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("{\"threads\": -1}", f);
	fclose(f);
	config_defaults(&c);
	CHECK_EQ_INT(config_load(&c, path, &err), KHO_EFORMAT);
	config_free(&c);
	/* 0 refused where it would disable the daemon (found by review) */
	{
		static const char *const zero[] = { "max_connections", "connection_timeout", "max_upload",
		                                    "max_json" };
		size_t k;
		for (k = 0; k < sizeof zero / sizeof *zero; k++) {
			f = fopen(path, "w");
			REQUIRE(f != NULL);
			fprintf(f, "{\"%s\": 0}", zero[k]);
			fclose(f);
			config_defaults(&c);
			CHECK_EQ_INT(config_load(&c, path, &err), KHO_EFORMAT);
			CHECK(strstr(err.msg, "at least 1") != NULL);
			config_free(&c);
		}
	}
	remove(path);
}

/* Query arguments (audit after/limit, qr scale) are read with kho_parse_uint. */
static void t_uint_arg(void)
{
	uint64_t v = 7;

	CHECK_EQ_INT(kho_parse_uint(&v, "0", 0, 10), 0);
	CHECK(v == 0);
	CHECK_EQ_INT(kho_parse_uint(&v, "1000", 1, 1000), 0);
	CHECK(v == 1000);
	CHECK_EQ_INT(kho_parse_uint(&v, "9223372036854775807", 0, INT64_MAX), 0);
	/* refused: empty, signs, spaces, a unit, out of range, too long */
	CHECK_EQ_INT(kho_parse_uint(&v, "", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, NULL, 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, " 5", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "-0", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "+5", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "5x", 0, 10), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "1001", 1, 1000), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "0", 1, 1000), KHO_EINVAL);
	CHECK_EQ_INT(kho_parse_uint(&v, "18446744073709551616", 0, UINT64_MAX), KHO_EINVAL);
	CHECK(v == 9223372036854775807ull);   /* untouched on refusal */
}

TESTS(T(t_uint_arg), T(t_routes), T(t_bearer), T(t_status_body), T(t_results_body), T(t_config))
