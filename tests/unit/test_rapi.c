/*
 * test_rapi.c: the retention HTTP handlers (retention/api.h) on a fresh
 * data directory: roles, status codes, bodies, error mapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/audit.h"
#include "common/util.h"
#include "retention/api.h"
#include "tests/unit/test.h"

static const char *in_root(const char *rel)
{
	static char p[2][4096];
	static int k;
	const char *r = getenv("ROOT");
	k ^= 1;
	snprintf(p[k], sizeof p[k], "%s/%s", r && *r ? r : ".", rel);
	return p[k];
}

static rstore *open_tmp(void)
{
	static char t[64];
	rstore *r = NULL;
	snprintf(t, sizeof t, "/tmp/kho-rapi-XXXXXX");
	if (mkdtemp(t) == NULL || rstore_open(&r, t, NULL, NULL, NULL) != 0)
		return NULL;
	return r;
}

static int call(rstore *r, const char *m, const char *path, const char *query, const char *body,
                size_t blen, int role, rapi_response *resp)
{
	rapi_request q = { m, path, query, body, blen, "rm-lan", role };
	rapi_response_clear(resp);
	rapi_handle(r, NULL, &q, resp);
	return resp->status;
}

/* J(s): a literal JSON body and its length. */
#define J(s) (s), strlen(s)

static void t_schedules_holds_report(void)
{
	rstore *r = open_tmp();
	rapi_response resp = { 0 };
	kho_buf good, bad;
	const char *ev = "{\"kind\":\"dossier-closed\",\"date\":\"2025-01-01\"}";
	const char *hold = "{\"scope\":\"procedure\",\"target\":\"2.000815\",\"reason\":\"thanh tra\","
	                   "\"authority\":\"Thanh tra tỉnh\"}";

	REQUIRE(r != NULL);
	kho_buf_init(&good, SCHEDULE_MAX_SIZE);
	kho_buf_init(&bad, SCHEDULE_MAX_SIZE);
	REQUIRE(kho_read_file(&good, in_root("testdata/schedules/province-2025.xml"), NULL) == 0);
	REQUIRE(kho_read_file(&bad, in_root("testdata/schedules/invalid/duplicate-code.xml"), NULL) == 0);

	CHECK_EQ_INT(call(r, "PUT", "/v1/schedules", NULL, (char *)good.data, good.len, 1, &resp), 403);
	CHECK_EQ_INT(call(r, "PUT", "/v1/schedules", NULL, (char *)bad.data, bad.len, 2, &resp), 422);
	CHECK(resp.body && strstr(resp.body, "line ") != NULL);
	CHECK_EQ_INT(call(r, "PUT", "/v1/schedules", NULL, (char *)good.data, good.len, 2, &resp), 201);
	CHECK(resp.body && strstr(resp.body, "\"version\":\"2025.1\"") != NULL);
	CHECK_EQ_INT(call(r, "PUT", "/v1/schedules", NULL, (char *)good.data, good.len, 2, &resp), 409);
	CHECK_EQ_INT(call(r, "GET", "/v1/schedules", NULL, NULL, 0, 2, &resp), 405);
	CHECK(resp.allow != NULL && strcmp(resp.allow, "PUT") == 0);

	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL, hold, strlen(hold), 4, &resp), 403);
	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL, J("{bad"), 2, &resp), 400);
	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL, J("{\"scope\":\"record\"}"), 2, &resp), 400);
	/* A member the route does not take is refused, nothing placed (a
	 * misspelt member must not change what is done); one holding digits
	 * is not echoed (it could be a personal number; refusals are audited). */
	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL,
	                  J("{\"scope\":\"procedure\",\"target\":\"2.000815\",\"reasn\":\"x\","
	                    "\"reason\":\"kiện\",\"authority\":\"TAND\"}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "unknown member \\\"reasn\\\"") != NULL);
	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL,
	                  J("{\"051087012345\":1,\"scope\":\"procedure\",\"target\":\"2.000815\","
	                    "\"reason\":\"kiện\",\"authority\":\"TAND\"}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "051087012345") == NULL &&
	      strstr(resp.body, "does not take") != NULL);
	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL, hold, strlen(hold), 2, &resp), 201);
	CHECK_STR(resp.body, "{\"id\":\"H-1\"}");
	CHECK_EQ_INT(call(r, "GET", "/v1/holds", NULL, NULL, 0, 4, &resp), 200);
	CHECK(resp.body && strstr(resp.body, "\"target\":\"2.000815\"") != NULL);
	/* A release needs its reason; the hold stays in force without one. */
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-1", NULL, J("{}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "needs a reason") != NULL);
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-1", NULL, J("{\"reason\":\"\"}"), 2, &resp), 400);
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-1", NULL, NULL, 0, 2, &resp), 400);
	CHECK_EQ_INT(call(r, "GET", "/v1/holds", NULL, NULL, 0, 4, &resp), 200);
	CHECK(resp.body && strstr(resp.body, "released") == NULL);
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-1", NULL, J("{\"reason\":\"xong\"}"), 2, &resp), 200);
	CHECK_EQ_INT(call(r, "GET", "/v1/holds", NULL, NULL, 0, 4, &resp), 200);
	CHECK(resp.body && strstr(resp.body, "\"release_reason\":\"xong\"") != NULL);
	CHECK(resp.body && strstr(resp.body, "\"released_by\":\"rm-lan\"") != NULL);
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-1", NULL, J("{\"reason\":\"x\"}"), 2, &resp), 409);
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-9", NULL, J("{\"reason\":\"x\"}"), 2, &resp), 404);
	CHECK_EQ_INT(call(r, "DELETE", "/v1/holds/H-1/x", NULL, J("{\"reason\":\"x\"}"), 2, &resp), 404);
	/* A record hold on a code the archive does not hold protects nothing. */
	{
		const char *h = "{\"scope\":\"record\",\"target\":\"000.31.20.H55-250314-0999-KQ1\","
		                "\"reason\":\"kiện\",\"authority\":\"TAND\"}";
		CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL, h, strlen(h), 2, &resp), 404);
		CHECK(resp.body && strstr(resp.body, "no such record") != NULL);
	}

	CHECK_EQ_INT(call(r, "GET", "/v1/retention/report", NULL, NULL, 0, 1, &resp), 403);
	CHECK_EQ_INT(call(r, "GET", "/v1/retention/report", NULL, NULL, 0, 4, &resp), 200);
	CHECK(resp.body && strstr(resp.body, "\"overdue\":0") != NULL);
	CHECK_EQ_INT(call(r, "GET", "/v1/retention/report", "format=csv", NULL, 0, 4, &resp), 200);
	CHECK_STR(resp.content_type, "text/csv; charset=utf-8");
	CHECK(resp.body && strncmp(resp.body, "section,key,value\n", 18) == 0);

	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches", NULL, NULL, 0, 2, &resp), 404);
	CHECK(resp.body && strstr(resp.body, "no record is eligible") != NULL);
	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches/7/execute", NULL, NULL, 0, 2, &resp), 503);
	/* Execution takes no member: a "dry_run" is refused before anything
	 * else (it would have been a real execution). */
	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches/7/execute", NULL,
	                  J("{\"dry_run\":true}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "unknown member \\\"dry_run\\\"") != NULL);
	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches/1/approve", NULL,
	                  J("{\"decision\":\"1\",\"decision_date\":\"2025-02-03\",\"deadline_day\":3}"),
	                  2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "unknown member \\\"deadline_day\\\"") != NULL);
	/* An unknown sub-route is 404 whatever the method; a known one 405. */
	CHECK_EQ_INT(call(r, "GET", "/v1/disposition/batches/1/frobnicate", NULL, NULL, 0, 2, &resp),
	             404);
	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches/1/frobnicate", NULL, NULL, 0, 2, &resp),
	             404);
	CHECK_EQ_INT(call(r, "GET", "/v1/disposition/batches/1/approve", NULL, NULL, 0, 2, &resp), 405);
	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches/1/approve", NULL,
	                  J("{\"decision\":\"1/QĐ\",\"decision_date\":\"2025-02-30\"}"), 2, &resp),
	             400);
	CHECK(resp.body && strstr(resp.body, "'2025-02-30' is not a valid date") != NULL);
	CHECK_EQ_INT(call(r, "POST", "/v1/disposition/batches/1/approve", NULL,
	                  J("{\"decision\":\"1\",\"decision_date\":\"2025-02-03\","
	                    "\"deadline_days\":-5}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "deadline_days must be an integer") != NULL);
	CHECK_EQ_INT(call(r, "GET", "/v1/results/000.31.20.H55-250314-0007-KQ1/tombstone", NULL,
	                  NULL, 0, 1, &resp), 404);
	CHECK_EQ_INT(call(r, "POST", "/v1/results/000.31.20.H55-250314-0007-KQ1/events", NULL,
	                  ev, strlen(ev), 2, &resp), 404);
	CHECK_EQ_INT(call(r, "POST", "/v1/results/000.31.20.H55-250314-0007-KQ1/events", NULL,
	                  J("{\"kind\":\"dossier-closed\",\"date\":\"2025-02-30\"}"), 2, &resp),
	             400);
	CHECK(resp.body && strstr(resp.body, "date '2025-02-30' is not a valid date") != NULL);
	CHECK_EQ_INT(call(r, "POST", "/v1/results/000.31.20.H55-250314-0007-KQ1/review", NULL,
	                  J("{\"outcome\":\"keep\"}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "outcome must be destroy, keep-years or keep-permanent"));
	CHECK_EQ_INT(call(r, "POST", "/v1/results/000.31.20.H55-250314-0007-KQ1/review", NULL,
	                  J("{\"outcome\":\"keep-years\",\"years\":\"5\"}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "years must be an integer"));
	CHECK_EQ_INT(call(r, "GET", "/v1/elsewhere", NULL, NULL, 0, 2, &resp), 404);
	/* A personal number given as a record hold's target: refused without
	 * echoing it (the refusal goes into the permanent audit trail). */
	CHECK_EQ_INT(call(r, "POST", "/v1/holds", NULL,
	                  J("{\"scope\":\"record\",\"target\":\"001085012345\",\"reason\":\"x\","
	                    "\"authority\":\"y\"}"), 2, &resp), 400);
	CHECK(resp.body && strstr(resp.body, "001085012345") == NULL);
	/* Refusals are audited: the officer's PUT /v1/schedules as "denied"
	 * (403), the others as "retention-refused" with their status. */
	{
		json_t *a = NULL, *e;
		size_t i;
		int denied = 0, dup = 0, badjson = 0;
		CHECK_EQ_INT(audit_list_json(rstore_catalog(r), 0, 1000, &a, NULL), 0);
		json_array_foreach(a, i, e) {
			const char *act = json_string_value(json_object_get(e, "action"));
			const char *obj = json_string_value(json_object_get(e, "object"));
			const char *det = json_string_value(json_object_get(e, "detail"));
			json_int_t st = json_integer_value(json_object_get(e, "status"));
			if (act == NULL || obj == NULL || det == NULL)
				continue;
			if (strcmp(act, "denied") == 0 && st == 403 &&
			    strcmp(obj, "/v1/schedules") == 0 && strncmp(det, "PUT: ", 5) == 0)
				denied++;
			if (strcmp(act, "retention-refused") == 0 && st == 409 &&
			    strcmp(obj, "/v1/schedules") == 0)
				dup++;
			if (strcmp(act, "retention-refused") == 0 && st == 400 &&
			    strcmp(obj, "/v1/holds") == 0 && strstr(det, "malformed JSON") != NULL)
				badjson++;
		}
		{
			char *all = json_dumps(a, 0);
			CHECK(all != NULL && strstr(all, "001085012345") == NULL);   /* not in the trail */
			free(all);
		}
		CHECK_EQ_INT(denied, 1);
		CHECK_EQ_INT(dup, 1);
		CHECK_EQ_INT(badjson, 1);
		json_decref(a);
	}
	CHECK_EQ_INT(rapi_is_retention_path("/v1/results/X/events"), 1);
	CHECK_EQ_INT(rapi_is_retention_path("/v1/results/X"), 0);
	rapi_response_clear(&resp);
	kho_buf_free(&good);
	kho_buf_free(&bad);
	rstore_close(r);
}

TESTS(T(t_schedules_holds_report))
