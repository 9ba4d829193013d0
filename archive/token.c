/*
 * token.c: bearer tokens stored hashed (see token.h).
 */
#include "archive/token.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "archive/audit.h"
#include "archive/record.h"
#include "common/util.h"

const char token_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS tokens("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL,"
	" agency TEXT NOT NULL DEFAULT '',"
	" hash BLOB NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL,"
	" revoked_at INTEGER);";

static const struct {
	int role;
	const char *name;
} roles[] = {
	{ TOKEN_OFFICER, "officer" },
	{ TOKEN_RECORDS_MANAGER, "records_manager" },
	{ TOKEN_AUDITOR, "auditor" },
	{ TOKEN_ADMIN, "admin" },
};

int token_role_parse(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(s, roles[i].name) == 0)
			return roles[i].role;
	return 0;
}

const char *token_role_name(int role)
{
	size_t i;

	for (i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "unknown";
}

static int good_name(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > TOKEN_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '@' || ch == '-'))
			return 0;
	}
	return 1;
}

/* The head of a token's add event, "token added: role R[, agency A]": what
 * token_add writes (then "; hash H") and token_trail_check expects. */
static void added_head(char *out, size_t n, const char *role, const char *agency)
{
	snprintf(out, n, "token added: role %s%s%s", role, agency && *agency ? ", agency " : "",
	         agency ? agency : "");
}

int token_add(catalog *c, const char *name, int role, const char *agency, const char *actor,
              char out[TOKEN_LEN + 1], kho_err *err)
{
	unsigned char rnd[32], hash[32];
	char detail[256];
	sqlite3_stmt *st;
	audit_event ev;
	int rc, s;

	if (!good_name(name))
		return kho_err_set(err, KHO_EINVAL, "a token name is 1 to 64 of A-Z a-z 0-9 . _ @ -");
	if (token_role_name(role)[0] == 'u')
		return kho_err_set(err, KHO_EINVAL, "unknown role");
	if (agency != NULL && agency[0] == '\0')
		agency = NULL;
	if (role == TOKEN_OFFICER && agency == NULL)
		return kho_err_set(err, KHO_EINVAL, "an officer's token needs --agency CODE");
	if (role != TOKEN_OFFICER && agency != NULL)
		return kho_err_set(err, KHO_EINVAL, "--agency is for officers only: the other roles act"
		                   " for no agency");
	if (agency != NULL && !record_is_agency_code(agency))
		return kho_err_set(err, KHO_EINVAL, "%s is not an agency code (ddd.dd.dd.Ldd)", agency);
	if (kho_random(rnd, sizeof rnd) != 0)
		return kho_err_ssl(err, KHO_ECRYPTO, "no randomness for a token");
	memcpy(out, TOKEN_PREFIX, 4);
	kho_hex(out + 4, rnd, sizeof rnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	kho_sha256(hash, out, TOKEN_LEN);

	catalog_lock(c);
	if ((rc = catalog_begin(c, err)) != 0)
		goto unlock;
	/* Names that differ only in case read as one in the audit trail and in
	 * `kho token list` (counter1 acting, Counter1 revoked): refused. */
	st = catalog_stmt(c, "SELECT name FROM tokens WHERE name = ?1 COLLATE NOCASE AND name <> ?1",
	                  err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto rollback;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		rc = kho_err_set(err, KHO_EEXIST, "a token named %.64s already exists: names that differ"
		                 " only in case are not told apart in the audit trail; choose another",
		                 (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		goto rollback;
	}
	sqlite3_reset(st);
	st = catalog_stmt(c, "INSERT INTO tokens(name, role, agency, hash, created_at)"
	                     " VALUES(?,?,?,?,?)", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto rollback;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, agency ? agency : "", -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, hash, sizeof hash, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)kho_now());
	s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s == SQLITE_CONSTRAINT) {
		/* A revoked token keeps its name (its events name it): say so, or
		 * an operator reissuing a leaked token is left guessing. */
		sqlite3_stmt *q = catalog_stmt(c, "SELECT revoked_at FROM tokens WHERE name = ?", NULL);
		int revoked = 0;
		char t[32] = "";
		if (q != NULL) {
			sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
				revoked = 1;
				kho_time_format(t, sizeof t, (time_t)sqlite3_column_int64(q, 0));
			}
			sqlite3_reset(q);
		}
		if (revoked)
			rc = kho_err_set(err, KHO_EEXIST, "a token named %s was revoked at %s: token names"
			                 " are never reused (the audit trail names them); choose another",
			                 name, t);
		else
			rc = kho_err_set(err, KHO_EEXIST, "a token named %s already exists (if its token"
			                 " was never shown, revoke it and choose another name)", name);
		goto rollback;
	}
	if (s != SQLITE_DONE) {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(catalog_db(c)));
		goto rollback;
	}
	{
		/* The stored hash in the event too (a hash of a 256-bit secret:
		 * nothing to log in with): kho fsck compares the tokens table
		 * with these events (found by review: a row's hash swapped for
		 * one's own token acted under another's name, with no trace). */
		size_t hl;
		added_head(detail, sizeof detail, token_role_name(role), agency);
		hl = strlen(detail);
		snprintf(detail + hl, sizeof detail - hl, "; hash ");
		kho_hex(detail + hl + 7, hash, sizeof hash);
	}
	ev.actor = actor;
	ev.action = "config";
	ev.object = name;
	ev.status = 0;
	ev.detail = detail;
	if ((rc = audit_append_locked(c, &ev, err)) != 0)
		goto rollback;
	rc = catalog_commit(c, err);
	goto unlock;
rollback:
	catalog_rollback(c);
unlock:
	catalog_unlock(c);
	if (rc != 0)
		OPENSSL_cleanse(out, TOKEN_LEN + 1);
	return rc;
}

/*
 * token_change: one statement on the tokens row `name` (sql: its only
 * parameter besides an optional time, bound first when at_now), in a
 * transaction with the audit event of the change. KHO_ENOTFOUND with
 * `missing` when no row changed.
 */
static int token_change(catalog *c, const char *sql, int at_now, const char *name,
                        const char *actor, const char *detail, const char *missing,
                        kho_err *err)
{
	sqlite3_stmt *st;
	audit_event ev;
	int rc, s;

	catalog_lock(c);
	if ((rc = catalog_begin(c, err)) != 0)
		goto unlock;
	st = catalog_stmt(c, sql, err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto rollback;
	}
	if (at_now)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)kho_now());
	sqlite3_bind_text(st, at_now ? 2 : 1, name, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	sqlite3_reset(st);
	if (s != SQLITE_DONE) {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(catalog_db(c)));
		goto rollback;
	}
	if (sqlite3_changes(catalog_db(c)) == 0) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "%s %s", missing, name);
		goto rollback;
	}
	ev.actor = actor;
	ev.action = "config";
	ev.object = name;
	ev.status = 0;
	ev.detail = detail;
	if ((rc = audit_append_locked(c, &ev, err)) != 0)
		goto rollback;
	rc = catalog_commit(c, err);
	goto unlock;
rollback:
	catalog_rollback(c);
unlock:
	catalog_unlock(c);
	return rc;
}

int token_revoke(catalog *c, const char *name, const char *actor, kho_err *err)
{
	return token_change(c, "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
	                    1, name, actor, "token revoked", "no active token named", err);
}

int token_withdraw(catalog *c, const char *name, const char *actor, const char *why,
                   kho_err *err)
{
	char detail[256];

	snprintf(detail, sizeof detail, "token withdrawn: %s", why);
	return token_change(c, "DELETE FROM tokens WHERE name = ?", 0, name, actor, detail,
	                    "no token named", err);
}

int token_check(catalog *c, const char *token, token_info *out, kho_err *err)
{
	unsigned char hash[32];
	sqlite3_stmt *st;
	size_t i;
	int s, rc = 0;

	memset(out, 0, sizeof *out);
	if (token == NULL || strlen(token) != TOKEN_LEN || strncmp(token, TOKEN_PREFIX, 4) != 0)
		return kho_err_set(err, KHO_EAUTH, "invalid token");
	for (i = 4; i < TOKEN_LEN; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return kho_err_set(err, KHO_EAUTH, "invalid token");
	kho_sha256(hash, token, TOKEN_LEN);
	catalog_lock(c);
	/* Lookup by the hash of a 256-bit secret: an index probe leaks nothing useful. */
	st = catalog_stmt(c, "SELECT id, name, role, agency, revoked_at IS NOT NULL FROM tokens"
	                     " WHERE hash = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW && sqlite3_column_int(st, 4) != 0) {
		/* Its name only for the audit trail: an auditor must find an
		 * ex-employee's attempt (found by review: audited as any bad token). */
		out->revoked = 1;
		snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(st, 1));
		rc = kho_err_set(err, KHO_EAUTH, "invalid token");   /* the one answer for all three */
	} else if (s == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(st, 1));
		out->role = (enum token_role)token_role_parse((const char *)sqlite3_column_text(st, 2));
		snprintf(out->agency, sizeof out->agency, "%s", (const char *)sqlite3_column_text(st, 3));
	} else if (s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_EAUTH, "invalid token");
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(catalog_db(c)));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int token_list_json(catalog *c, json_t **out, kho_err *err)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();
	char t1[32], t2[32];
	int s;

	*out = NULL;
	if (arr == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT name, role, agency, created_at, revoked_at FROM tokens"
	                     " ORDER BY name", err);
	if (st == NULL) {
		catalog_unlock(c);
		json_decref(arr);
		return KHO_EIO;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		int revoked = sqlite3_column_type(st, 4) != SQLITE_NULL;
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:o}",
			"name", (const char *)sqlite3_column_text(st, 0),
			"role", (const char *)sqlite3_column_text(st, 1),
			"agency", (const char *)sqlite3_column_text(st, 2),
			"created", kho_time_format(t1, sizeof t1, (time_t)sqlite3_column_int64(st, 3)),
			"revoked", revoked ? json_string(kho_time_format(t2, sizeof t2,
			                                 (time_t)sqlite3_column_int64(st, 4)))
			                   : json_null()));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	if (s != SQLITE_DONE) {
		json_decref(arr);
		return kho_err_set(err, KHO_EIO, "catalog: read failed");
	}
	*out = arr;
	return 0;
}

/* One token as the tokens table has it, and as its audit events say. */
struct tok_state {
	char name[72], head[160], hash[65];
	int revoked;          /* in the table */
	int seen_add;         /* an add event since the last withdrawal */
	char add[256];        /* the last add event's detail */
	int ev_revoked;       /* a revocation after that add */
};

int token_trail_check(catalog *c, int (*fn)(const char *name, const char *why, void *arg),
                      void *arg, size_t *unhashed, kho_err *err)
{
	struct tok_state *t = NULL;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0, i;
	int s, rc = 0;
	char why[200];

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT name, role, agency, hash, revoked_at IS NOT NULL FROM tokens",
	                  err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ag = (const char *)sqlite3_column_text(st, 2);
		if (n == cap) {
			struct tok_state *nt = realloc(t, (cap = cap ? 2 * cap : 16) * sizeof *t);
			if (nt == NULL) {
				rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
				break;
			}
			t = nt;
		}
		memset(&t[n], 0, sizeof t[n]);
		snprintf(t[n].name, sizeof t[n].name, "%s", (const char *)sqlite3_column_text(st, 0));
		added_head(t[n].head, sizeof t[n].head, (const char *)sqlite3_column_text(st, 1), ag);
		if (sqlite3_column_bytes(st, 3) == 32)
			kho_hex(t[n].hash, sqlite3_column_blob(st, 3), 32);
		t[n].revoked = sqlite3_column_int(st, 4);
		n++;
	}
	sqlite3_reset(st);
	if (rc == 0 && s != SQLITE_DONE && s != SQLITE_ROW)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(catalog_db(c)));
	/* One pass over the token events, oldest first. */
	if (rc == 0 && n > 0 &&
	    (st = catalog_stmt(c, "SELECT object, detail FROM audit WHERE action = 'config' AND"
	                          " detail LIKE 'token %' ORDER BY seq", err)) == NULL)
		rc = KHO_EIO;
	while (rc == 0 && n > 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 0);
		const char *d = (const char *)sqlite3_column_text(st, 1);
		for (i = 0; i < n && strcmp(t[i].name, o != NULL ? o : "") != 0; i++)
			;
		if (i == n || d == NULL)
			continue;
		if (strncmp(d, "token added:", 12) == 0) {
			t[i].seen_add = 1;
			t[i].ev_revoked = 0;
			snprintf(t[i].add, sizeof t[i].add, "%s", d);
		} else if (strcmp(d, "token revoked") == 0) {
			t[i].ev_revoked = 1;
		} else if (strncmp(d, "token withdrawn", 15) == 0) {
			t[i].seen_add = 0;
		}
	}
	if (rc == 0 && n > 0) {
		if (s != SQLITE_DONE)
			rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(catalog_db(c)));
		sqlite3_reset(st);
	}
	catalog_unlock(c);
	*unhashed = 0;
	for (i = 0; rc == 0 && i < n; i++) {
		size_t hl = strlen(t[i].head);
		const char *h = strstr(t[i].add, "; hash ");
		why[0] = '\0';
		if (t[i].seen_add && h == NULL && !t[i].revoked)
			(*unhashed)++;   /* added before hashes were recorded: unchecked */
		if (!t[i].seen_add)
			snprintf(why, sizeof why, "no audit event added this token");
		else if (strncmp(t[i].add, t[i].head, hl) != 0 ||
		         (t[i].add[hl] != '\0' && t[i].add[hl] != ';'))
			snprintf(why, sizeof why, "its role or agency differs from the event that added it");
		else if (h != NULL && strcmp(h + 7, t[i].hash) != 0)
			snprintf(why, sizeof why, "its hash differs from the event that added it (another"
			         " secret put in its place)");
		else if (t[i].ev_revoked && !t[i].revoked)
			snprintf(why, sizeof why, "it was revoked (audited) but is active again");
		if (why[0] != '\0')
			rc = fn(t[i].name, why, arg);
	}
	free(t);
	return rc;
}
