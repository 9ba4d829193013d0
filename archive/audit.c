/*
 * audit.c: the hash-chained audit trail (see audit.h).
 */
#include "archive/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/utf8.h"
#include "common/util.h"

const char audit_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS audit("
	" seq INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" status INTEGER NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;";

static const char zero_hash[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static void put_field(EVP_MD_CTX *md, const char *s)
{
	unsigned char len[8];
	size_t n = s ? strlen(s) : 0;
	int i;

	for (i = 7; i >= 0; i--) {
		len[i] = (unsigned char)(n & 0xff);
		n >>= 8;
	}
	EVP_DigestUpdate(md, len, sizeof len);
	if (s != NULL)
		EVP_DigestUpdate(md, s, strlen(s));
}

/* The chain link: hex SHA-256 over prev and the length-prefixed fields. */
static int event_hash(char out[65], const char *prev, int64_t at, const char *actor,
                      const char *action, const char *object, int status, const char *detail)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int dl = 32;
	char num[32];
	int ok;

	if (md == NULL)
		return KHO_ENOMEM;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	if (ok) {
		EVP_DigestUpdate(md, prev, strlen(prev));
		snprintf(num, sizeof num, "%lld", (long long)at);
		put_field(md, num);
		put_field(md, actor);
		put_field(md, action);
		put_field(md, object);
		snprintf(num, sizeof num, "%d", status);
		put_field(md, num);
		put_field(md, detail);
		ok = EVP_DigestFinal_ex(md, d, &dl) == 1;
	}
	EVP_MD_CTX_free(md);
	if (!ok)
		return KHO_ECRYPTO;
	kho_hex(out, d, 32);
	return 0;
}

/*
 * A field as recorded: cut to AUDIT_FIELD_MAX bytes after a whole UTF-8
 * character, and every byte that starts no well-formed character replaced
 * by '?' (kho_utf8_scrub). What is hashed is what is stored, and it can
 * always be listed as JSON: an object quoting raw bytes from a URL (e.g. a
 * denied request for "/v1/holds/%ff") used to vanish from GET /v1/audit.
 */
static const char *cut(const char *s, char *buf)
{
	size_t n;

	if (s == NULL)
		return "";
	n = strlen(s);
	if (n > AUDIT_FIELD_MAX - 1) {
		memcpy(buf, s, AUDIT_FIELD_MAX - 1);
		kho_utf8_cut(buf, AUDIT_FIELD_MAX - 1);
	} else {
		memcpy(buf, s, n + 1);
	}
	kho_utf8_scrub(buf);
	return buf;
}

int audit_append_locked(catalog *c, const audit_event *ev, kho_err *err)
{
	char b1[AUDIT_FIELD_MAX], b2[AUDIT_FIELD_MAX], b3[AUDIT_FIELD_MAX], b4[AUDIT_FIELD_MAX];
	const char *actor = cut(ev->actor ? ev->actor : "anonymous", b1);
	const char *action = cut(ev->action, b2), *object = cut(ev->object, b3);
	const char *detail = cut(ev->detail, b4);
	char prev[65], hash[65];
	sqlite3_stmt *st;
	int64_t at = (int64_t)kho_now();
	int rc;

	st = catalog_stmt(c, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1", err);
	if (st == NULL)
		return KHO_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 0);
		snprintf(prev, sizeof prev, "%s", h ? (const char *)h : "");
	} else if (rc == SQLITE_DONE) {
		memcpy(prev, zero_hash, sizeof prev);
	} else {
		sqlite3_reset(st);
		return kho_err_set(err, KHO_EIO, "audit: %s", sqlite3_errmsg(catalog_db(c)));
	}
	sqlite3_reset(st);
	if (event_hash(hash, prev, at, actor, action, object, ev->status, detail) != 0)
		return kho_err_set(err, KHO_ECRYPTO, "audit: sha256 failed");
	st = catalog_stmt(c, "INSERT INTO audit(at, actor, action, object, status, detail, prev, hash)"
	                     " VALUES(?,?,?,?,?,?,?,?)", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, object, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, ev->status);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, prev, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return kho_err_set(err, KHO_EIO, "audit: %s", sqlite3_errmsg(catalog_db(c)));
	return 0;
}

int audit_append(catalog *c, const audit_event *ev, kho_err *err)
{
	int rc;

	catalog_lock(c);
	rc = catalog_begin(c, err);
	if (rc == 0) {
		rc = audit_append_locked(c, ev, err);
		if (rc == 0)
			rc = catalog_commit(c, err);
		else
			catalog_rollback(c);
	}
	catalog_unlock(c);
	return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

int audit_verify(catalog *c, audit_check *out, kho_err *err)
{
	char prev[65], hash[65];
	int64_t last = 0, expect = 1;
	int rc = 0, done = 0;

	memset(out, 0, sizeof *out);
	memcpy(prev, zero_hash, sizeof prev);
	/* Page through by seq so the lock is never held for long. */
	while (!done && out->first_bad == 0) {
		sqlite3_stmt *st;
		int n = 0, s;

		catalog_lock(c);
		st = catalog_stmt(c, "SELECT seq, at, actor, action, object, status, detail, prev, hash"
		                     " FROM audit WHERE seq > ? ORDER BY seq LIMIT 1000", err);
		if (st == NULL) {
			catalog_unlock(c);
			return KHO_EIO;
		}
		sqlite3_bind_int64(st, 1, last);
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t seq = sqlite3_column_int64(st, 0);
			n++;
			out->events++;
			last = seq;
			if (seq != expect) {
				out->first_bad = expect;
				snprintf(out->reason, sizeof out->reason,
				         "event %lld is missing (the next one is %lld)", (long long)expect,
				         (long long)seq);
				break;
			}
			expect++;
			if (strcmp(col(st, 7), prev) != 0) {
				out->first_bad = seq;
				snprintf(out->reason, sizeof out->reason,
				         "event %lld does not link to the hash of event %lld", (long long)seq,
				         (long long)seq - 1);
				break;
			}
			if (event_hash(hash, prev, sqlite3_column_int64(st, 1), col(st, 2), col(st, 3),
			               col(st, 4), sqlite3_column_int(st, 5), col(st, 6)) != 0) {
				rc = kho_err_set(err, KHO_ECRYPTO, "sha256 failed");
				break;
			}
			if (CRYPTO_memcmp(hash, col(st, 8), 64) != 0 || strlen(col(st, 8)) != 64) {
				out->first_bad = seq;
				snprintf(out->reason, sizeof out->reason,
				         "event %lld was altered (its content does not match its hash)",
				         (long long)seq);
				break;
			}
			memcpy(prev, hash, sizeof prev);
		}
		if (s != SQLITE_ROW && s != SQLITE_DONE && rc == 0)
			rc = kho_err_set(err, KHO_EIO, "audit: %s", sqlite3_errmsg(catalog_db(c)));
		sqlite3_reset(st);
		catalog_unlock(c);
		if (rc != 0)
			return rc;
		if (n < 1000)
			done = 1;
	}
	if (out->first_bad != 0)
		return kho_err_set(err, KHO_ECONFLICT, "audit chain broken at event %lld: %s",
		                   (long long)out->first_bad, out->reason);
	return 0;
}

int audit_head(catalog *c, audit_mark *out, kho_err *err)
{
	sqlite3_stmt *st;
	int s;

	memset(out, 0, sizeof *out);
	memcpy(out->hash, zero_hash, sizeof out->hash);
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT seq, at, hash FROM audit ORDER BY seq DESC LIMIT 1", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		out->seq = sqlite3_column_int64(st, 0);
		out->at = sqlite3_column_int64(st, 1);
		snprintf(out->hash, sizeof out->hash, "%s", col(st, 2));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return kho_err_set(err, KHO_EIO, "audit: read failed");
	return 0;
}

int audit_check_mark(catalog *c, const audit_mark *m, kho_err *err)
{
	audit_mark head;
	sqlite3_stmt *st;
	char hash[65] = "";
	int s, rc;

	if (m->seq == 0)
		return 0; /* an empty trail was witnessed: anything extends it */
	if ((rc = audit_head(c, &head, err)) != 0)
		return rc;
	if (head.seq < m->seq)
		return kho_err_set(err, KHO_ECONFLICT,
		                   "event %lld was witnessed, but the trail ends at event %lld: "
		                   "its last %lld event(s) were removed", (long long)m->seq,
		                   (long long)head.seq, (long long)(m->seq - head.seq));
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT hash FROM audit WHERE seq = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_int64(st, 1, m->seq);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		snprintf(hash, sizeof hash, "%s", col(st, 0));
	sqlite3_reset(st);
	catalog_unlock(c);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return kho_err_set(err, KHO_EIO, "audit: read failed");
	if (s == SQLITE_DONE)
		return kho_err_set(err, KHO_ECONFLICT, "event %lld was witnessed but is missing",
		                   (long long)m->seq);
	if (strlen(m->hash) != 64 || CRYPTO_memcmp(hash, m->hash, 64) != 0)
		return kho_err_set(err, KHO_ECONFLICT,
		                   "event %lld differs from its witnessed hash: the trail was "
		                   "rewritten from there or before", (long long)m->seq);
	return 0;
}

int audit_list_json(catalog *c, int64_t after, int limit, json_t **out, kho_err *err)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();
	char f[4][AUDIT_FIELD_MAX];
	char tbuf[32];
	int s;

	*out = NULL;
	if (arr == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT seq, at, actor, action, object, status, detail, hash"
	                     " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		json_decref(arr);
		return KHO_EIO;
	}
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		/* Events recorded before fields were scrubbed may hold bytes that
		 * are not UTF-8: listed with them replaced, never left out. */
		json_t *ev = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:s,s:s}",
			"seq", (json_int_t)sqlite3_column_int64(st, 0),
			"at", kho_time_format(tbuf, sizeof tbuf, (time_t)sqlite3_column_int64(st, 1)),
			"actor", cut(col(st, 2), f[0]), "action", cut(col(st, 3), f[1]),
			"object", cut(col(st, 4), f[2]), "status", sqlite3_column_int(st, 5),
			"detail", cut(col(st, 6), f[3]), "hash", col(st, 7));
		if (json_array_append_new(arr, ev) != 0) {
			s = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	if (s != SQLITE_DONE) {
		json_decref(arr);
		return s == SQLITE_NOMEM ? kho_err_set(err, KHO_ENOMEM, "out of memory")
		                         : kho_err_set(err, KHO_EIO, "audit: read failed");
	}
	*out = arr;
	return 0;
}
