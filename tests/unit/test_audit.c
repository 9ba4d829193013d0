/*
 * test_audit.c: the hash chain holds over appends; an altered, deleted or
 * relinked event is named by audit_verify; UPDATE and DELETE are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/audit.h"
#include "archive/catalog.h"
#include "tests/unit/test.h"

static char path[256];

static catalog *fresh(int events)
{
	char cmd[1024], obj[32];
	catalog *c = NULL;
	int i;

	snprintf(path, sizeof path, "/tmp/kho-test-audit-%d.db", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
	if (system(cmd) != 0)
		abort();
	if (catalog_open(&c, path, NULL) != 0)
		return NULL;
	for (i = 0; i < events; i++) {
		audit_event ev = { "tester", "retrieve", obj, 200, "detail" };
		snprintf(obj, sizeof obj, "object-%d", i);
		if (audit_append(c, &ev, NULL) != 0)
			return NULL;
	}
	return c;
}

/* Run SQL behind the triggers' back, as an attacker with file access would. */
static int raw(catalog *c, const char *sql)
{
	int rc;

	catalog_lock(c);
	rc = sqlite3_exec(catalog_db(c), sql, NULL, NULL, NULL);
	catalog_unlock(c);
	return rc;
}

static void t_chain_holds(void)
{
	catalog *c = fresh(1500);   /* more than one page of the verifier */
	audit_check chk;

	REQUIRE(c != NULL);
	CHECK_EQ_INT(audit_verify(c, &chk, NULL), 0);
	CHECK_EQ_INT(chk.events, 1500);
	CHECK_EQ_INT(chk.first_bad, 0);
	catalog_close(c);
}

static void t_append_only(void)
{
	catalog *c = fresh(3);

	REQUIRE(c != NULL);
	CHECK(raw(c, "UPDATE audit SET detail = 'x' WHERE seq = 2") != SQLITE_OK);
	CHECK(raw(c, "DELETE FROM audit WHERE seq = 2") != SQLITE_OK);
	catalog_close(c);
}

static void t_altered_event_named(void)
{
	catalog *c = fresh(10);
	audit_check chk;
	kho_err err;

	REQUIRE(c != NULL);
	REQUIRE(raw(c, "DROP TRIGGER audit_no_update") == SQLITE_OK);
	REQUIRE(raw(c, "UPDATE audit SET actor = 'mallory' WHERE seq = 7") == SQLITE_OK);
	CHECK_EQ_INT(audit_verify(c, &chk, &err), KHO_ECONFLICT);
	CHECK_EQ_INT(chk.first_bad, 7);
	CHECK(strstr(err.msg, "event 7") != NULL);
	catalog_close(c);
}

static void t_deleted_event_named(void)
{
	catalog *c = fresh(10);
	audit_check chk;

	REQUIRE(c != NULL);
	REQUIRE(raw(c, "DROP TRIGGER audit_no_delete") == SQLITE_OK);
	REQUIRE(raw(c, "DELETE FROM audit WHERE seq = 4") == SQLITE_OK);
	CHECK_EQ_INT(audit_verify(c, &chk, NULL), KHO_ECONFLICT);
	CHECK_EQ_INT(chk.first_bad, 4);
	catalog_close(c);
}

static void t_rehashed_event_breaks_next(void)
{
	/* An attacker who alters event 3 and recomputes its hash still breaks
	 * the link of event 4. */
	catalog *c = fresh(6);
	audit_check chk;

	REQUIRE(c != NULL);
	REQUIRE(raw(c, "DROP TRIGGER audit_no_update") == SQLITE_OK);
	REQUIRE(raw(c, "UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = 1) WHERE seq = 3")
	        == SQLITE_OK);
	CHECK_EQ_INT(audit_verify(c, &chk, NULL), KHO_ECONFLICT);
	CHECK_EQ_INT(chk.first_bad, 3);
	catalog_close(c);
}

static void t_list(void)
{
	catalog *c = fresh(5);
	json_t *a = NULL;

	REQUIRE(c != NULL);
	CHECK_EQ_INT(audit_list_json(c, 2, 10, &a, NULL), 0);
	CHECK_EQ_INT(json_array_size(a), 3);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(a, 0), "seq")), 3);
	json_decref(a);
	catalog_close(c);
}

static void t_not_utf8(void)
{
	/* An object quoting raw URL bytes (a denied request for
	 * "/v1/holds/%ff%fe") is recorded with them replaced, the chain holds,
	 * and the event is listed: it used to vanish from the listing. */
	catalog *c = fresh(2);
	audit_event ev = { "anonymous", "denied", "/v1/holds/\xff\xfe", 401, "cut \xe1\xba" };
	audit_check chk;
	json_t *a = NULL, *e;

	REQUIRE(c != NULL);
	CHECK_EQ_INT(audit_append(c, &ev, NULL), 0);
	CHECK_EQ_INT(audit_verify(c, &chk, NULL), 0);
	CHECK_EQ_INT(audit_list_json(c, 0, 10, &a, NULL), 0);
	CHECK_EQ_INT(json_array_size(a), 3);
	e = json_array_get(a, 2);
	CHECK_EQ_INT(json_integer_value(json_object_get(e, "seq")), 3);
	CHECK_STR(json_string_value(json_object_get(e, "object")), "/v1/holds/??");
	CHECK_STR(json_string_value(json_object_get(e, "detail")), "cut ??");
	json_decref(a);

	/* An event stored before the scrubbing (written behind the API) is
	 * listed with its bytes replaced, not left out. */
	REQUIRE(raw(c, "DROP TRIGGER audit_no_update") == SQLITE_OK);
	REQUIRE(raw(c, "UPDATE audit SET object = CAST(X'2f76312fff' AS TEXT) WHERE seq = 1") == SQLITE_OK);
	CHECK_EQ_INT(audit_list_json(c, 0, 10, &a, NULL), 0);
	CHECK_EQ_INT(json_array_size(a), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "object")), "/v1/?");
	json_decref(a);
	catalog_close(c);
}

TESTS(T(t_chain_holds), T(t_append_only), T(t_altered_event_named), T(t_deleted_event_named),
      T(t_rehashed_event_breaks_next), T(t_list), T(t_not_utf8))
