/*
 * test_token.c: tokens are shown once, stored hashed, resolve to their role
 * and agency, and stop working when revoked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/catalog.h"
#include "archive/token.h"
#include "tests/unit/test.h"

static catalog *fresh(void)
{
	char path[256], cmd[1024];
	catalog *c = NULL;

	snprintf(path, sizeof path, "/tmp/kho-test-token-%d.db", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
	if (system(cmd) != 0)
		abort();
	if (catalog_open(&c, path, NULL) != 0)
		return NULL;
	return c;
}

static void t_add_check_revoke(void)
{
	catalog *c = fresh();
	char tok[TOKEN_LEN + 1], tok2[TOKEN_LEN + 1];
	token_info ti;

	REQUIRE(c != NULL);
	CHECK_EQ_INT(token_add(c, "counter-1", TOKEN_OFFICER, "000.00.20.H30", "cli", tok, NULL), 0);
	CHECK_EQ_INT(strlen(tok), TOKEN_LEN);
	CHECK(strncmp(tok, "kho_", 4) == 0);
	CHECK_EQ_INT(token_check(c, tok, &ti, NULL), 0);
	CHECK_STR(ti.name, "counter-1");
	CHECK_EQ_INT(ti.role, TOKEN_OFFICER);
	CHECK_STR(ti.agency, "000.00.20.H30");
	CHECK_EQ_INT(token_add(c, "auditor", TOKEN_AUDITOR, NULL, "cli", tok2, NULL), 0);
	CHECK(strcmp(tok, tok2) != 0);
	/* duplicate name, officer without agency, bad name */
	CHECK_EQ_INT(token_add(c, "counter-1", TOKEN_ADMIN, NULL, "cli", tok2, NULL), KHO_EEXIST);
	/* Only the case differs: the audit trail would not tell them apart. */
	CHECK_EQ_INT(token_add(c, "Counter-1", TOKEN_ADMIN, NULL, "cli", tok2, NULL), KHO_EEXIST);
	CHECK_EQ_INT(token_add(c, "AUDITOR", TOKEN_AUDITOR, NULL, "cli", tok2, NULL), KHO_EEXIST);
	CHECK_EQ_INT(token_add(c, "c2", TOKEN_OFFICER, NULL, "cli", tok2, NULL), KHO_EINVAL);
	CHECK_EQ_INT(token_add(c, "bad name", TOKEN_ADMIN, NULL, "cli", tok2, NULL), KHO_EINVAL);
	CHECK_EQ_INT(token_add(c, "c3", TOKEN_OFFICER, "H30", "cli", tok2, NULL), KHO_EINVAL);
	/* --agency is for officers only (an admin's agency was taken and ignored) */
	CHECK_EQ_INT(token_add(c, "a3", TOKEN_ADMIN, "000.00.20.H30", "cli", tok2, NULL), KHO_EINVAL);
	/* a changed character, a truncated token, garbage */
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	CHECK_EQ_INT(token_check(c, tok, &ti, NULL), KHO_EAUTH);
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	CHECK_EQ_INT(token_check(c, "kho_1234", &ti, NULL), KHO_EAUTH);
	CHECK_EQ_INT(token_check(c, NULL, &ti, NULL), KHO_EAUTH);
	CHECK_EQ_INT(token_revoke(c, "counter-1", "cli", NULL), 0);
	CHECK_EQ_INT(token_check(c, tok, &ti, NULL), KHO_EAUTH);
	CHECK_EQ_INT(token_revoke(c, "counter-1", "cli", NULL), KHO_ENOTFOUND);
	catalog_close(c);
}

static void t_stored_hashed(void)
{
	catalog *c = fresh();
	char tok[TOKEN_LEN + 1];
	sqlite3_stmt *st;
	json_t *l = NULL;

	REQUIRE(c != NULL);
	REQUIRE(token_add(c, "admin", TOKEN_ADMIN, NULL, "cli", tok, NULL) == 0);
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT COUNT(*) FROM tokens WHERE instr(CAST(hash AS TEXT), ?) > 0"
	                     " OR instr(name, ?) > 0", NULL);
	REQUIRE(st != NULL);
	sqlite3_bind_text(st, 1, tok + 4, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tok + 4, -1, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_EQ_INT(sqlite3_column_int(st, 0), 0);
	sqlite3_reset(st);
	catalog_unlock(c);
	CHECK_EQ_INT(token_list_json(c, &l, NULL), 0);
	CHECK_EQ_INT(json_array_size(l), 1);
	{
		char *d = json_dumps(l, 0);
		CHECK(d != NULL && strstr(d, tok + 4) == NULL);
		free(d);
	}
	json_decref(l);
	CHECK_EQ_INT(token_role_parse("records_manager"), TOKEN_RECORDS_MANAGER);
	CHECK_EQ_INT(token_role_parse("root"), 0);
	catalog_close(c);
}

TESTS(T(t_add_check_revoke), T(t_stored_hashed))
