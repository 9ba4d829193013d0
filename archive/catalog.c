/*
 * catalog.c: the SQLite catalog (see catalog.h).
 *
 * Prepared statements are cached per connection in a small table keyed by
 * the SQL text's address (every call site passes a string literal), so the
 * hot path (lookup) never re-parses SQL.
 */
#include "archive/catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "archive/audit.h"
#include "archive/token.h"
#include "common/utf8.h"
#include "common/util.h"

/* Above the number of catalog_stmt call sites (about 80 in archive/,
 * retention/ and tools/: each site's SQL is one entry on a connection
 * that runs it); 64 was below it once fsck compared decisions too. */
#define STMT_CACHE 128

struct catalog {
	sqlite3 *db;
	/* The catalog lock (catalog_lock), held by owner depth times (0: free),
	 * its waiters in the order they came. mu guards these fields only, a
	 * moment each time. */
	pthread_mutex_t mu;
	pthread_t owner;
	int depth;
	struct lock_waiter *head, **tail;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
	size_t ncache;
	keystore *ks;      /* the package keys (borrowed; NULL: legacy wrapped keys only) */
	/* Group commit of ingests (catalog_ingest_full): the queue of ingests
	 * waiting for a commit, and whether a leader is committing a group. */
	pthread_mutex_t gc_mu;
	pthread_cond_t gc_cv;
	struct gc_item *gc_head, **gc_tail;
	int gc_busy;
	catalog_sync_fn gc_sync;   /* the group's durability step (before BEGIN) */
	void *gc_sync_arg;
	catalog_after_fn gc_after; /* per ingest, in the transaction (classification) */
	void *gc_after_arg;
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS key_checks("    /* catalog_key_check */
	" name TEXT PRIMARY KEY, check_value TEXT NOT NULL, recorded_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS packages("
	" id TEXT PRIMARY KEY,"
	" result_code TEXT NOT NULL,"
	" agency TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" wrapped_key BLOB,"                      /* NULL once destroyed */
	" indication TEXT NOT NULL,"
	" sub TEXT NOT NULL,"
	" marked INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL DEFAULT 'current',"
	" superseded_by TEXT NOT NULL DEFAULT '',"
	" ingested_at INTEGER NOT NULL,"
	" ingested_by TEXT NOT NULL,"
	" last_check TEXT NOT NULL DEFAULT '',"
	" last_check_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS results("
	" result_code TEXT PRIMARY KEY,"
	" package_id TEXT NOT NULL REFERENCES packages(id),"
	" dossier_code TEXT NOT NULL,"
	" procedure TEXT NOT NULL,"
	" procedure_provincial TEXT,"
	" agency TEXT NOT NULL,"
	" result_type TEXT,"
	" number_symbol TEXT,"
	" subject_kind TEXT NOT NULL,"
	" subject_mac BLOB NOT NULL,"             /* HMAC-SHA256(server secret, personal number) */
	" title TEXT,"
	" issue_date TEXT,"
	" valid_from TEXT,"
	" valid_until TEXT,"
	" supersedes TEXT,"
	" status TEXT NOT NULL DEFAULT 'valid',"
	" status_ref TEXT,"
	" status_at INTEGER,"
	" superseded_by TEXT);"
	/* Covering indexes for the lookup (issue 3, item 14: p99 < 5 ms on a
	 * million results): every column the lookup reads is in the index, so a
	 * lookup touches one b-tree per table instead of index + table, and the
	 * package join reads packages_lookup instead of the primary-key index
	 * and then the table. On a catalog much larger than the page cache each
	 * avoided b-tree is one pread less per lookup. results_lookup starts
	 * with subject_mac, so it also serves what results_subject served. */
	"CREATE INDEX IF NOT EXISTS results_lookup ON results(subject_mac, issue_date, result_code,"
	" package_id, dossier_code, procedure, procedure_provincial, agency, result_type,"
	" number_symbol, subject_kind, title, valid_from, valid_until, supersedes, status,"
	" status_ref, status_at, superseded_by);"
	"DROP INDEX IF EXISTS results_subject;"
	/* The results that declare they supersede a code, for one archived
	 * after its replacement (superseded_before_locked); few rows. */
	"CREATE INDEX IF NOT EXISTS results_supersedes ON results(supersedes)"
	" WHERE supersedes IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS packages_lookup ON packages(id, indication, sub, marked,"
	" last_check, last_check_at, wrapped_key);"
	"CREATE TABLE IF NOT EXISTS reuse("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" month TEXT NOT NULL,"
	" procedure TEXT NOT NULL,"
	" purpose TEXT NOT NULL,"
	" agency TEXT NOT NULL,"
	" found INTEGER NOT NULL,"
	" reusable INTEGER NOT NULL,"
	/* 1: judged for today (no valid_on, or valid_on the day of the
	 * lookup): only these count toward the once-only indicator
	 * (catalog_reuse_stats). Added later: reuse_migrate. */
	" for_today INTEGER NOT NULL DEFAULT 1);"
	/* Issue 5 (docs/verify-page.md): the verification key of each result
	 * (hashed, and wrapped under a key derived from the master key) and the
	 * SHA-256 of every data object of every package. CREATE IF NOT EXISTS is
	 * the migration of an existing data directory: results archived before
	 * have no key until one is issued. ON DELETE CASCADE: retention deletes
	 * the results and packages rows of a destroyed record (rstore.c), and
	 * supersession by the same code deletes and re-inserts the results row
	 * (which then gets a key of its own). */
	"CREATE TABLE IF NOT EXISTS verify_keys("
	" result_code TEXT PRIMARY KEY REFERENCES results(result_code) ON DELETE CASCADE,"
	" key_hash BLOB NOT NULL CHECK(length(key_hash) = 32),"
	" key_wrapped BLOB NOT NULL CHECK(length(key_wrapped) = 24),"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS objects("
	" sha256 BLOB NOT NULL,"
	" package_id TEXT NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" PRIMARY KEY(sha256, package_id));"
	"CREATE INDEX IF NOT EXISTS objects_package ON objects(package_id);"
	/* The further subjects of a result (record.h's others: the other spouse
	 * of a marriage registration), so that a lookup finds the result by
	 * any of them; the first subject stays in results (its covering index
	 * serves almost every lookup with one b-tree). The keyed hash only,
	 * never the number. Deleted with the results row (supersession by the
	 * same code re-inserts them; retention keeps them in its tombstones). */
	"CREATE TABLE IF NOT EXISTS result_subjects("
	" subject_mac BLOB NOT NULL CHECK(length(subject_mac) = 32),"
	" result_code TEXT NOT NULL REFERENCES results(result_code) ON DELETE CASCADE,"
	" subject_kind TEXT NOT NULL,"
	" PRIMARY KEY(subject_mac, result_code)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS result_subjects_code ON result_subjects(result_code);"
	/* Every validity decision of a result, in the order recorded (seq),
	 * with the day it takes effect (Vietnam's day, YYYY-MM-DD): a result
	 * revoked on 10 December was still valid on 1 December, and a
	 * suspension may be decided ahead of its day. The results row holds the
	 * last decision recorded, with status_at its effective instant; this
	 * table answers for a date before that (status_on). Rows of results
	 * changed before this table existed are added when their next decision
	 * is recorded (status_record). Deleted with the results row. */
	"CREATE TABLE IF NOT EXISTS result_status("
	" result_code TEXT NOT NULL REFERENCES results(result_code) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" effective TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" decision TEXT,"
	" superseded_by TEXT,"
	" at INTEGER NOT NULL,"
	" recorded_at INTEGER NOT NULL,"
	" PRIMARY KEY(result_code, seq)) WITHOUT ROWID;";

static void sql_has_key(sqlite3_context *ctx, int argc, sqlite3_value **argv);
static int32_t day_of(const char *date);
static int status_record(catalog *c, const char *code, const char *status, const char *decision,
                         const char *superseded_by, const char *effective, int64_t at,
                         kho_err *err);
/* From result ?1, every result that supersedes it, directly or through
 * others, by every supersession ever recorded (the one in force and the
 * decision history): (?1 is archived, ?2 is among them). The recursive
 * UNION stops at a row already seen. */
#define SUPERSEDED_CHAIN_SQL                                                                \
	"WITH RECURSIVE up(code) AS (SELECT result_code FROM results WHERE result_code = ?1"     \
	" UNION SELECT r.superseded_by FROM results r JOIN up ON r.result_code = up.code"        \
	" WHERE r.superseded_by <> '' UNION SELECT h.superseded_by FROM result_status h JOIN up" \
	" ON h.result_code = up.code WHERE h.superseded_by <> '') SELECT (SELECT COUNT(*) FROM"  \
	" up WHERE code = ?1), EXISTS (SELECT 1 FROM up WHERE code = ?2)"
static int supersede_locked(catalog *c, const char *old, const char *code, const char *valid_from,
                            const char *agency, int64_t ingested_at, int *sup, char eff_out[11],
                            kho_err *err);
static int superseded_before_locked(catalog *c, const record *r, int64_t ingested_at,
                                    char *by_out, kho_err *err);

/*
 * The busy handler: the daemon writes catalog.db through several
 * connections (ingest and events, retention), so a BEGIN IMMEDIATE often
 * meets a commit in progress, which lasts about one fsync. SQLite's own
 * busy timeout sleeps 1, 2, 5, 10, 15, 20, 25... ms between tries, so such a
 * collision cost several ms on the ingest path; here the waits are 100 us
 * for the first 20 tries, then 1 ms, up to the same 10 s in all.
 */
#define BUSY_TOTAL_US 10000000L
static int on_busy(void *arg, int tries)
{
	long waited = tries < 20 ? tries * 100L : 2000L + (tries - 20) * 1000L;

	(void)arg;
	if (waited >= BUSY_TOTAL_US)
		return 0;
	usleep(tries < 20 ? 100 : 1000);
	return 1;
}

/*
 * Before SQLite's first use: no memory statistics. With them (SQLite's
 * default) every sqlite3_malloc and sqlite3_free takes one process-wide
 * mutex, which the daemon's reader connections contended for on every
 * page-cache fill (about 6% of the lookup's CPU and most of its futex
 * calls; nothing here reads sqlite3_memory_used). Fails harmlessly
 * (SQLITE_MISUSE) if SQLite was already initialised.
 */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Why a catalog may not open, when its file or directory is read-only
 * (found by review: a backup on WORM media or a read-only snapshot said
 * only "unable to open database file"); "" otherwise. */
static const char *read_only_hint(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	snprintf(dir, sizeof dir, "%.*s", slash != NULL ? (int)(slash - path) : 1,
	         slash != NULL ? path : ".");
	if ((access(path, W_OK) != 0 && (errno == EROFS || errno == EACCES)) ||
	    (access(dir, W_OK) != 0 && (errno == EROFS || errno == EACCES)))
		return " (the file or its directory is read-only: kho opens the catalog read-write"
		       " even to check it, as SQLite's WAL needs; check a writable copy)";
	return "";
}

/* reuse_migrate: the reuse table of a catalog made before for_today existed
 * gets it; its rows count as judged for today, as every lookup counted then. */
static int reuse_migrate(sqlite3 *db, char **msg)
{
	sqlite3_stmt *st = NULL;
	int have = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('reuse') WHERE name = 'for_today'",
	                       -1, &st, NULL) != SQLITE_OK) {
		*msg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		return -1;
	}
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!have && sqlite3_exec(db, "ALTER TABLE reuse ADD COLUMN for_today INTEGER NOT NULL"
	                              " DEFAULT 1", NULL, NULL, msg) != SQLITE_OK) {
		/* A catalog on read-only media (a copy being checked with kho fsck
		 * or kho audit verify) is read as it is: nothing there counts
		 * lookups (found by review: the check refused to open it). */
		if ((sqlite3_errcode(db) & 0xff) == SQLITE_READONLY) {
			sqlite3_free(*msg);
			*msg = NULL;
			return 0;
		}
		return -1;
	}
	/* The older lookups took a purpose received after their day (found by
	 * review: "...-991231-0001"): not counted as judged for today. Their
	 * valid_on was not kept, so a historical check still counts. */
	if (!have && sqlite3_exec(db, "UPDATE reuse SET for_today = 0 WHERE '20' || substr(purpose, -11,"
	                              " 6) > strftime('%Y%m%d', at, 'unixepoch', '+7 hours')", NULL, NULL,
	                              msg) != SQLITE_OK)
		return -1;
	return 0;
}

/* open_catalog: catalog_open (create 1) and catalog_open_existing (create 0). */
static int open_catalog(catalog **out, const char *path, int create, kho_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_mutexattr_t ma;
	struct stat pst;
	catalog *c;
	char *msg = NULL;
	int rc;

	*out = NULL;
	if (!create && stat(path, &pst) != 0)
		return kho_err_set(err, errno == ENOENT ? KHO_ENOTFOUND : KHO_EIO, "%s: %s", path,
		                   strerror(errno));
	pthread_once(&once, sqlite_setup);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	/* Recursive: catalog_read_begin holds the lock for a whole read
	 * transaction while the functions it groups take it again. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_init(&c->gc_mu, NULL);
	pthread_cond_init(&c->gc_cv, NULL);
	c->gc_tail = &c->gc_head;
	c->tail = &c->head;
	/* A new catalog is made 0600 here (SQLite would make it 0644 less the
	 * umask), and its -wal and -shm files take the same mode: it holds the
	 * records' metadata, subject names included. An empty file is an
	 * empty database. */
	if (create) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	rc = sqlite3_open_v2(path, &c->db,
	                     SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
	                     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		kho_err_set(err, KHO_EIO, "%s: %s%s", path, c->db ? sqlite3_errmsg(c->db) : "cannot open",
		            read_only_hint(path));
		catalog_close(c);
		return KHO_EIO;
	}
	sqlite3_busy_handler(c->db, on_busy, NULL);
	/* WAL: readers do not block the writer; FULL: a commit is durable when
	 * it returns, which the ingest acknowledgement relies on. */
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                        " PRAGMA foreign_keys=ON;"
	                        /* Deleted rows (a destroyed record's metadata, a
	                         * revoked token) are overwritten in the file, not
	                         * left in free pages. Debian builds SQLite with it
	                         * on; said here so that no other build turns it off. */
	                        " PRAGMA secure_delete=ON;"
	                        /* Statement journals (each ingest's savepoint in a
	                         * group) in memory: a file created and unlinked per
	                         * ingest cost ext4 inode allocation (recently_deleted
	                         * scans); they play no part in crash recovery. */
	                        " PRAGMA temp_store=MEMORY;"
	                        /* A larger page cache per connection: lookups on a large
	                         * catalog stay in memory. */
	                        " PRAGMA cache_size=-8192;", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, audit_schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(c->db, token_schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
	    reuse_migrate(c->db, &msg) != 0 ||
	    sqlite3_create_function(c->db, "kho_has_key", 2, SQLITE_UTF8, c, sql_has_key, NULL,
	                            NULL) != SQLITE_OK) {
		kho_err_set(err, KHO_EIO, "%s: %s%s", path, msg ? msg : sqlite3_errmsg(c->db),
		            read_only_hint(path));
		sqlite3_free(msg);
		catalog_close(c);
		return KHO_EIO;
	}
	*out = c;
	return 0;
}

int catalog_open(catalog **out, const char *path, kho_err *err)
{
	return open_catalog(out, path, 1, err);
}

int catalog_open_existing(catalog **out, const char *path, kho_err *err)
{
	return open_catalog(out, path, 0, err);
}

void catalog_close(catalog *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].st);
	if (c->db != NULL)
		sqlite3_close(c->db);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->gc_mu);
	pthread_cond_destroy(&c->gc_cv);
	free(c);
}

/*
 * The catalog lock is handed over in the order threads asked for it (a
 * plain mutex is not fair: under load a thread could wait while others
 * took it again and again; and let go and taken again at once, it was
 * nearly always the same thread that got it, so a destruction letting it
 * go between items let nobody in: found by review). Recursive: the holder
 * may take it again. Handed over when let go (depth and owner set for
 * the first waiter), so nobody slips in before it.
 */
struct lock_waiter {
	pthread_cond_t cv;
	pthread_t tid;
	int granted;
	struct lock_waiter *next;
};

void catalog_lock(catalog *c)
{
	struct lock_waiter me;

	pthread_mutex_lock(&c->mu);
	if (c->depth > 0 && pthread_equal(c->owner, pthread_self())) {
		c->depth++;
	} else if (c->depth > 0 || c->head != NULL) {
		pthread_cond_init(&me.cv, NULL);
		me.tid = pthread_self();
		me.granted = 0;
		me.next = NULL;
		*c->tail = &me;
		c->tail = &me.next;
		while (!me.granted)
			pthread_cond_wait(&me.cv, &c->mu);
		pthread_cond_destroy(&me.cv);   /* owner and depth were set for it */
	} else {
		c->owner = pthread_self();
		c->depth = 1;
	}
	pthread_mutex_unlock(&c->mu);
}

void catalog_unlock(catalog *c)
{
	struct lock_waiter *w;

	pthread_mutex_lock(&c->mu);
	if (--c->depth == 0 && (w = c->head) != NULL) {
		if ((c->head = w->next) == NULL)
			c->tail = &c->head;
		c->owner = w->tid;
		c->depth = 1;
		w->granted = 1;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

/* Let go to the threads waiting now, each in turn, then queue behind them. */
void catalog_yield(catalog *c)
{
	int waited;

	pthread_mutex_lock(&c->mu);
	waited = c->depth == 1 && c->head != NULL;   /* depth > 1: a caller up the stack holds it too */
	pthread_mutex_unlock(&c->mu);
	if (!waited)
		return;
	catalog_unlock(c);
	catalog_lock(c);
}

sqlite3 *catalog_db(catalog *c)
{
	return c->db;
}

sqlite3_stmt *catalog_stmt(catalog *c, const char *sql, kho_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	for (i = 0; i < c->ncache; i++)
		if (c->cache[i].sql == sql) {
			sqlite3_reset(c->cache[i].st);
			sqlite3_clear_bindings(c->cache[i].st);
			return c->cache[i].st;
		}
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
		return NULL;
	}
	if (c->ncache < STMT_CACHE) {
		c->cache[c->ncache].sql = sql;
		c->cache[c->ncache].st = st;
		c->ncache++;
	} else {
		/* Cannot happen with the fixed set of call sites; refuse rather than leak. */
		sqlite3_finalize(st);
		kho_err_set(err, KHO_EINTERNAL, "catalog: statement cache full");
		return NULL;
	}
	return st;
}

int catalog_begin(catalog *c, kho_err *err)
{
	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return kho_err_set(err, KHO_EIO, "catalog: begin: %s", sqlite3_errmsg(c->db));
	return 0;
}

int catalog_commit(catalog *c, kho_err *err)
{
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		kho_err_set(err, KHO_EIO, "catalog: commit: %s", sqlite3_errmsg(c->db));
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return KHO_EIO;
	}
	return 0;
}

void catalog_rollback(catalog *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

int catalog_read_begin(catalog *c, kho_err *err)
{
	sqlite3_stmt *st;

	catalog_lock(c);
	st = catalog_stmt(c, "BEGIN", err);
	if (st == NULL || sqlite3_step(st) != SQLITE_DONE) {
		if (st != NULL)
			kho_err_set(err, KHO_EIO, "catalog: begin: %s", sqlite3_errmsg(c->db));
		catalog_unlock(c);
		return KHO_EIO;
	}
	return 0;
}

void catalog_read_end(catalog *c)
{
	sqlite3_stmt *st = catalog_stmt(c, "COMMIT", NULL);

	/* A read transaction: COMMIT only ends it (nothing to write). */
	if (st == NULL || sqlite3_step(st) != SQLITE_DONE)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	catalog_unlock(c);
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

#define PKG_COLS "id, result_code, agency, size, wrapped_key, indication, sub, marked, state," \
                 " superseded_by, ingested_at, ingested_by, last_check, last_check_at"

/*
 * Whether a package still has its key: a legacy wrapped key in the row (a
 * data directory not yet migrated), or its file in the key store
 * (keystore.h; docs/retention.md "Crypto-shredding"). Also the SQL
 * function kho_has_key(id, wrapped_key) used by the lookups.
 */
static int pkg_has_key(const catalog *c, const char *id, int has_wrapped)
{
	return has_wrapped || (c->ks != NULL && keystore_has(c->ks, id));
}

static void sql_has_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const catalog *c = sqlite3_user_data(ctx);
	const unsigned char *id = sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, id != NULL && pkg_has_key(c, (const char *)id,
	                                                  sqlite3_value_type(argv[1]) != SQLITE_NULL));
}

int catalog_key_check(catalog *c, const char *name, const unsigned char key[32], const char *path,
                      kho_err *err)
{
	static const char text[] = "kho key check value, version 1";
	unsigned char md[32];
	unsigned int mdlen = 0;
	char hex[65], had[65] = "";
	sqlite3_stmt *st;
	int s, rc = 0;

	if (HMAC(EVP_sha256(), key, 32, (const unsigned char *)text, sizeof text - 1, md, &mdlen) ==
	    NULL || mdlen != 32)
		return kho_err_ssl(err, KHO_ECRYPTO, "HMAC-SHA256");
	kho_hex(hex, md, 32);
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT check_value FROM key_checks WHERE name = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		copy(had, sizeof had, col(st, 0));
	sqlite3_reset(st);
	if (s == SQLITE_ROW) {
		if (strlen(had) != 64 || CRYPTO_memcmp(had, hex, 64) != 0)
			rc = kho_err_set(err, KHO_ECONFLICT,
			                 "%s: this is not the %s key the catalog was written with (its check"
			                 " value differs): a missing key file re-created, or a wrong path in"
			                 " the configuration? Restore the right file (docs/operations.md,"
			                 " Restore); no package was touched", path, name);
	} else if (s == SQLITE_DONE) {
		st = catalog_stmt(c, "INSERT INTO key_checks(name, check_value, recorded_at) VALUES(?,?,?)",
		                  err);
		if (st == NULL) {
			rc = KHO_EIO;
		} else {
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, (sqlite3_int64)kho_now());
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
			sqlite3_reset(st);
		}
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	catalog_unlock(c);
	return rc;
}

void catalog_set_keystore(catalog *c, keystore *ks)
{
	c->ks = ks;
}

static void read_pkg(const catalog *c, sqlite3_stmt *st, catalog_package *p)
{
	const void *k;

	memset(p, 0, sizeof *p);
	copy(p->id, sizeof p->id, col(st, 0));
	copy(p->result_code, sizeof p->result_code, col(st, 1));
	copy(p->agency, sizeof p->agency, col(st, 2));
	p->size = (uint64_t)sqlite3_column_int64(st, 3);
	k = sqlite3_column_blob(st, 4);
	if (k != NULL && sqlite3_column_bytes(st, 4) == (int)sizeof p->wrapped_key) {
		memcpy(p->wrapped_key, k, sizeof p->wrapped_key);
		p->has_key = 1;
	}
	p->has_key = pkg_has_key(c, p->id, p->has_key);
	copy(p->indication, sizeof p->indication, col(st, 5));
	copy(p->sub, sizeof p->sub, col(st, 6));
	p->marked = sqlite3_column_int(st, 7);
	copy(p->state, sizeof p->state, col(st, 8));
	copy(p->superseded_by, sizeof p->superseded_by, col(st, 9));
	p->ingested_at = sqlite3_column_int64(st, 10);
	copy(p->ingested_by, sizeof p->ingested_by, col(st, 11));
	copy(p->last_check, sizeof p->last_check, col(st, 12));
	p->last_check_at = sqlite3_column_int64(st, 13);
}

static int get_package_locked(catalog *c, const char *id, catalog_package *out, kho_err *err)
{
	sqlite3_stmt *st = catalog_stmt(c, "SELECT " PKG_COLS " FROM packages WHERE id = ?", err);
	int s;

	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW && out != NULL)
		read_pkg(c, st, out);
	sqlite3_reset(st);
	if (s == SQLITE_ROW)
		return 0;
	if (s == SQLITE_DONE)
		return kho_err_set(err, KHO_ENOTFOUND, "no package %.16s...", id);
	return kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
}

int catalog_get_package(catalog *c, const char *id, catalog_package *out, kho_err *err)
{
	int rc;

	catalog_lock(c);
	rc = get_package_locked(c, id, out, err);
	catalog_unlock(c);
	return rc;
}

int catalog_result_differs(catalog *c, const record *r, const char *package_id,
                           const unsigned char mac[32], char *why, size_t n, kho_err *err)
{
	static const char *const name[] = { "dossier code", "national procedure code",
		                            "provincial procedure code", "agency", "result type",
		                            "number and symbol", "subject kind", "title", "issue date",
		                            "valid from", "valid until", "supersedes" };
	const char *want[12];
	sqlite3_stmt *st;
	const void *m;
	int s, rc = 0, k;

	want[0] = r->dossier_code;
	want[1] = r->procedure_national;
	want[2] = r->procedure_provincial;
	want[3] = r->agency_code;
	want[4] = r->result_type;
	want[5] = r->number_symbol;
	want[6] = r->subject_kind;
	want[7] = r->title;
	want[8] = r->issue_date;
	want[9] = r->valid_from;
	want[10] = r->valid_until;
	want[11] = r->supersedes;
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT package_id, dossier_code, procedure, procedure_provincial,"
	                     " agency, result_type, number_symbol, subject_kind, title, issue_date,"
	                     " valid_from, valid_until, supersedes, subject_mac FROM results"
	                     " WHERE result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, r->result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_DONE) {
		snprintf(why, n, "its result %s has no record in the catalog", r->result_code);
		rc = 1;
	} else if (s != SQLITE_ROW) {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	} else if (strcmp(col(st, 0), package_id) != 0) {
		/* Renewed or replaced since the caller read its package row (a
		 * fixity run reads them by pages; found by review): read after
		 * the results row, a package no longer current is no difference. */
		char other[65];
		sqlite3_stmt *ps;
		copy(other, sizeof other, col(st, 0));
		sqlite3_reset(st);
		ps = catalog_stmt(c, "SELECT state FROM packages WHERE id = ?", err);
		if (ps == NULL) {
			catalog_unlock(c);
			return KHO_EIO;
		}
		sqlite3_bind_text(ps, 1, package_id, -1, SQLITE_STATIC);
		if (sqlite3_step(ps) == SQLITE_ROW && strcmp(col(ps, 0), "current") == 0) {
			snprintf(why, n, "the catalog's record of %s names another package (%.16s...)",
			         r->result_code, other);
			rc = 1;
		}
		sqlite3_reset(ps);
		catalog_unlock(c);
		return rc;
	} else {
		for (k = 0; k < 12 && rc == 0; k++)
			if (strcmp(col(st, k + 1), want[k] != NULL ? want[k] : "") != 0) {
				snprintf(why, n, "the catalog's %s of %s differs from the package's"
				         " record.xml", name[k], r->result_code);
				rc = 1;
			}
		m = sqlite3_column_blob(st, 13);
		if (rc == 0 && (sqlite3_column_bytes(st, 13) != 32 || memcmp(m, mac, 32) != 0)) {
			snprintf(why, n, "the catalog's subject of %s differs from the package's"
			         " record.xml", r->result_code);
			rc = 1;
		}
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_key_recorded(catalog *c, const char *name)
{
	sqlite3_stmt *st;
	int s;

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT 1 FROM key_checks WHERE name = ?", NULL);
	if (st == NULL) {
		catalog_unlock(c);
		return 1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	sqlite3_reset(st);
	catalog_unlock(c);
	return s != SQLITE_DONE;
}

int catalog_results_misfiled(catalog *c, int (*fn)(const char *code, void *arg), void *arg,
                             kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc = 0;

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT r.result_code FROM results r LEFT JOIN packages p ON p.id ="
	                     " r.package_id WHERE p.id IS NULL OR p.result_code <> r.result_code", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(col(st, 0), arg);
	if (rc == 0 && s != SQLITE_DONE)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

/*
 * The validity decisions of results, as the audit trail says them and as
 * result_status keeps them (catalog_status_trail_check). A reset is an
 * ingest that (re)created the result's row: the decisions before it were
 * of a row since replaced (the same code, new bytes) or destroyed.
 */
struct trail_dec {
	char *code;
	char *decision;               /* NULL for a reset */
	size_t order;                 /* trail order, for a stable sort */
	char status[16];
	char by[CATALOG_CODE_MAX];
	char eff[11];                 /* "" where the event does not say it */
	int on_arrival;               /* superseded_before_locked's */
	int64_t at, recorded_at;      /* a history row's instants */
};

struct trail_decs {
	struct trail_dec *v;
	size_t n, cap;
};

static void trail_decs_free(struct trail_decs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].code);
		free(d->v[i].decision);
	}
	free(d->v);
}

/* Appends one decision (decision NULL: a reset); 0 or KHO_ENOMEM. */
static int trail_add(struct trail_decs *d, const char *code, size_t code_len, const char *status,
                     const char *decision, size_t dec_len, const char *by, size_t by_len,
                     const char *eff, kho_err *err)
{
	struct trail_dec *e;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct trail_dec *nv = realloc(d->v, cap * sizeof *nv);
		if (nv == NULL)
			return kho_err_set(err, KHO_ENOMEM, "out of memory");
		d->v = nv;
		d->cap = cap;
	}
	e = &d->v[d->n];
	memset(e, 0, sizeof *e);
	e->code = strndup(code, code_len);
	if (decision != NULL)
		e->decision = strndup(decision, dec_len);
	if (e->code == NULL || (decision != NULL && e->decision == NULL)) {
		free(e->code);
		free(e->decision);
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
	e->order = d->n;
	copy(e->status, sizeof e->status, status);
	snprintf(e->by, sizeof e->by, "%.*s", (int)(by_len < sizeof e->by ? by_len : sizeof e->by - 1),
	         by);
	copy(e->eff, sizeof e->eff, eff);
	d->n++;
	return 0;
}

/*
 * One event of the trail into d: an ingest (a reset of its result, and
 * "supersedes OLD": OLD superseded by it, as supersede_locked records it),
 * or a status event: catalog_set_status's "status S, decision D[,
 * effective E][, superseded by X]" (E since 2026-12-07) or
 * superseded_before_locked's "superseded by X (archived before it...".
 */
static int trail_event(catalog *c, struct trail_decs *d, const char *action, const char *object,
                       const char *detail, kho_err *err)
{
	const char *p, *q, *end;

	if (strcmp(action, "ingest") == 0) {
		if (strncmp(detail, "result ", 7) != 0 || (q = strchr(detail + 7, ',')) == NULL)
			return 0;
		p = detail + 7;
		if (trail_add(d, p, (size_t)(q - p), "", NULL, 0, "", 0, "", err) != 0)
			return KHO_ENOMEM;
		/* Before 2026-12-08 the decision made as the result arrived
		 * came just before its ingest event: it follows the reset. */
		if (d->n >= 2 && d->v[d->n - 2].on_arrival &&
		    strcmp(d->v[d->n - 2].code, d->v[d->n - 1].code) == 0) {
			struct trail_dec tmp = d->v[d->n - 2];
			d->v[d->n - 2] = d->v[d->n - 1];
			d->v[d->n - 1] = tmp;
			d->v[d->n - 2].order = d->n - 2;
			d->v[d->n - 1].order = d->n - 1;
		}
		end = strstr(q, ", supersedes ");
		if (end == NULL)
			return 0;
		if (strcmp(end + 13, "an earlier package") != 0) {
			/* "OLD from YYYY-MM-DD" since 2026-12-08, else "OLD". */
			const char *old = end + 13, *from = strstr(old, " from ");
			char eff[11] = "";
			if (from != NULL && strlen(from + 6) == 10)
				memcpy(eff, from + 6, 10);
			return trail_add(d, old, from != NULL ? (size_t)(from - old) : strlen(old),
			                 "superseded", p, (size_t)(q - p), p, (size_t)(q - p), eff, err);
		}
		/* Now the same code's replacement; before 2026-12-07 (019a48f)
		 * also the supersession of another code, the one its record
		 * declares (still in its row). */
		{
			char code[CATALOG_CODE_MAX], old[CATALOG_CODE_MAX] = "";
			sqlite3_stmt *st;
			snprintf(code, sizeof code, "%.*s", (int)(q - p < CATALOG_CODE_MAX ? q - p : 0), p);
			st = catalog_stmt(c, "SELECT supersedes FROM results WHERE result_code = ?", err);
			if (st == NULL)
				return KHO_EIO;
			sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				copy(old, sizeof old, col(st, 0));
			sqlite3_reset(st);
			if (old[0] == '\0' || strcmp(old, code) == 0)
				return 0;
			return trail_add(d, old, strlen(old), "superseded", code, strlen(code), code,
			                 strlen(code), "", err);
		}
	}
	if (strncmp(detail, "superseded by ", 14) == 0) {
		char eff[11] = "";
		size_t dl = strlen(detail);
		p = detail + 14;
		q = strstr(p, " (");
		if (q == NULL)
			q = p + strlen(p);
		/* "..., effective YYYY-MM-DD" since 2026-12-08 */
		if (dl >= 22 && strncmp(detail + dl - 22, ", effective ", 12) == 0)
			memcpy(eff, detail + dl - 10, 10);
		if (trail_add(d, object, strlen(object), "superseded", p, (size_t)(q - p), p,
		              (size_t)(q - p), eff, err) != 0)
			return KHO_ENOMEM;
		d->v[d->n - 1].on_arrival = 1;
		return 0;
	}
	if (strncmp(detail, "status ", 7) == 0 && (q = strstr(detail, ", decision ")) != NULL) {
		char status[16], eff[11] = "";
		const char *by = "";
		size_t by_len = 0;

		snprintf(status, sizeof status, "%.*s", (int)(q - detail - 7), detail + 7);
		p = q + 11;
		end = p + strlen(p);
		if (strcmp(status, "superseded") == 0) {
			/* The last one: a decision's text may say the same words. */
			const char *s = p, *last = NULL;
			while ((s = strstr(s, ", superseded by ")) != NULL)
				last = s++;
			if (last != NULL) {
				by = last + 16;
				by_len = (size_t)(end - by);
				end = last;
			}
		}
		if (end - p >= 22 && strncmp(end - 22, ", effective ", 12) == 0) {
			memcpy(eff, end - 10, 10);
			end -= 22;
		}
		return trail_add(d, object, strlen(object), status, p, (size_t)(end - p), by, by_len,
		                 eff, err);
	}
	return 0;
}

static int dec_cmp(const void *a, const void *b)
{
	const struct trail_dec *x = a, *y = b;
	int k = strcmp(x->code, y->code);

	return k != 0 ? k : x->order < y->order ? -1 : x->order > y->order;
}

/* The first index of d (sorted) at or after code. */
static size_t dec_find(const struct trail_decs *d, const char *code)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(d->v[mid].code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Why result `code`'s history h[0..nh) and its row (status, ref, by)
 * differ from the trail's decisions t[0..nt) since its last reset, in why;
 * "" when they agree. A history shorter than the trail is a result decided
 * before result_status existed (its first row copied then) only where the
 * decisions it lacks are events that do not say their effective day.
 */
static void dec_compare(const struct trail_dec *t, size_t nt, const struct trail_dec *h,
                        size_t nh, const char *status, const char *ref, const char *by,
                        int64_t status_at, char *why, size_t n)
{
	size_t skip = 0, i;
	const struct trail_dec *last;
	char day[11];

	why[0] = '\0';
	if (nh > nt) {
		snprintf(why, n, "%zu validity decision(s) in its history that no audit event recorded",
		         nh - nt);
		return;
	}
	skip = nt - nh;
	for (i = 0; i < skip; i++)
		if (t[i].eff[0] != '\0' || (nh > 0 && h[0].recorded_at != h[0].at)) {
			/* Only decisions recorded before histories were kept may
			 * be missing, and then the history starts with the copy
			 * made of the last of them (recorded_at == at). */
			snprintf(why, n, "its history lacks the validity decision \"%s\" (%s) that the"
			         " audit trail recorded", t[i].status, t[i].decision);
			return;
		}
	/* Each decision's instant is in its effective day, and the row's
	 * status_at is the last one's (found by review: moved by hand, a
	 * supersession read as years away and a revocation as decades old). */
	for (i = 0; i < nh; i++)
		if (strcmp(kho_local_date(day, (time_t)h[i].at), h[i].eff) != 0) {
			snprintf(why, n, "validity decision %zu of its history takes effect at an instant"
			         " (%s) outside its effective day %s", i + 1, day, h[i].eff);
			return;
		}
	if (nh > 0 && status_at != h[nh - 1].at) {
		snprintf(why, n, "its validity status takes effect at another instant than its last"
		         " decision");
		return;
	}
	if (nh == 0 && nt > 0 && t[nt - 1].eff[0] != '\0' &&
	    strcmp(kho_local_date(day, (time_t)status_at), t[nt - 1].eff) != 0) {
		snprintf(why, n, "its validity status takes effect on %s, not on %s as the audit trail"
		         " recorded", day, t[nt - 1].eff);
		return;
	}
	for (i = 0; i < nh; i++) {
		const struct trail_dec *e = &t[skip + i];
		if (strcmp(e->status, h[i].status) != 0 || strcmp(e->decision, h[i].decision) != 0 ||
		    strcmp(e->by, h[i].by) != 0 || (e->eff[0] != '\0' && strcmp(e->eff, h[i].eff) != 0)) {
			snprintf(why, n, "validity decision %zu of its history (%s, %s, effective %s)"
			         " differs from the audit trail's (%s, %s%s%s)", i + 1, h[i].status,
			         h[i].decision, h[i].eff, e->status, e->decision,
			         e->eff[0] ? ", effective " : "", e->eff);
			return;
		}
	}
	last = nt > 0 ? &t[nt - 1] : NULL;
	if (strcmp(status, last ? last->status : "valid") != 0 ||
	    strcmp(ref, last ? last->decision : "") != 0 || strcmp(by, last ? last->by : "") != 0)
		snprintf(why, n, "its validity status (%s%s%s) is not the one the audit trail last"
		         " recorded (%s%s%s)", status, ref[0] ? ", " : "", ref,
		         last ? last->status : "valid as archived", last ? ", " : "",
		         last ? last->decision : "");
}

int catalog_status_trail_check(catalog *c, int (*fn)(const char *code, const char *why, void *arg),
                               void *arg, int64_t *checked, kho_err *err)
{
	struct trail_decs t = { 0 }, h = { 0 };
	sqlite3_stmt *st;
	char why[1400];
	int s, rc;

	*checked = 0;
	if ((rc = catalog_read_begin(c, err)) != 0)
		return rc;
	st = catalog_stmt(c, "SELECT action, object, detail FROM audit WHERE (action = 'ingest' AND"
	                     " status = 201) OR (action = 'status' AND status = 200) ORDER BY seq", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto out;
	}
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
		rc = trail_event(c, &t, col(st, 0), col(st, 1), col(st, 2), err);
	if (rc == 0 && s != SQLITE_DONE)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	if (rc != 0)
		goto out;
	if (t.n > 0)
		qsort(t.v, t.n, sizeof *t.v, dec_cmp);
	st = catalog_stmt(c, "SELECT result_code, status, decision, superseded_by, effective, at,"
	                     " recorded_at FROM result_status ORDER BY result_code, seq", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto out;
	}
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		rc = trail_add(&h, col(st, 0), strlen(col(st, 0)), col(st, 1), col(st, 2),
		               strlen(col(st, 2)), col(st, 3), strlen(col(st, 3)), col(st, 4), err);
		if (rc == 0) {
			h.v[h.n - 1].at = sqlite3_column_int64(st, 5);
			h.v[h.n - 1].recorded_at = sqlite3_column_int64(st, 6);
		}
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	if (rc != 0)
		goto out;
	/* result_status comes sorted by code (BINARY, as strcmp) and seq. */
	st = catalog_stmt(c, "SELECT result_code, status, status_ref, superseded_by, status_at FROM"
	                     " results", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto out;
	}
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = col(st, 0);
		size_t a = dec_find(&t, code), b = a, ha = dec_find(&h, code), hb = ha, k;
		while (b < t.n && strcmp(t.v[b].code, code) == 0)
			b++;
		while (hb < h.n && strcmp(h.v[hb].code, code) == 0)
			hb++;
		for (k = b; k > a; k--)   /* after the last reset */
			if (t.v[k - 1].decision == NULL)
				break;
		dec_compare(t.v != NULL ? t.v + k : NULL, b - k, h.v != NULL ? h.v + ha : NULL, hb - ha,
		            col(st, 1), col(st, 2), col(st, 3),
		            sqlite3_column_int64(st, 4), why, sizeof why);
		(*checked)++;
		if (why[0] != '\0')
			rc = fn(code, why, arg);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
out:
	catalog_read_end(c);
	trail_decs_free(&t);
	trail_decs_free(&h);
	return rc;
}

/* A short wait for a checkpoint (catalog_wal_truncate): 500 ms in all. */
static int on_busy_short(void *arg, int tries)
{
	(void)arg;
	if (tries >= 50)
		return 0;
	usleep(10000);
	return 1;
}

int catalog_wal_truncate(catalog *c)
{
	int rc;

	catalog_lock(c);
	sqlite3_busy_handler(c->db, on_busy_short, NULL);
	rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_handler(c->db, on_busy, NULL);
	catalog_unlock(c);
	return rc == SQLITE_OK ? 0 : KHO_ECONFLICT;
}

int catalog_keystore_used(catalog *c)
{
	sqlite3_stmt *st;
	int used = 1;   /* when the catalog cannot say: as if it did */

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT EXISTS (SELECT 1 FROM packages WHERE wrapped_key IS NULL)",
	                  NULL);
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		used = sqlite3_column_int(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	catalog_unlock(c);
	return used;
}

int catalog_acknowledged(catalog *c, const char *id, int64_t *seq, kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc;

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT seq FROM audit WHERE object = ? AND action IN ('ingest',"
	                     " 'renew') AND status = 201 LIMIT 1", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (s == SQLITE_DONE) {
		rc = KHO_ENOTFOUND;
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_supersession(catalog *c, const char *result_code, int *superseded,
                         char superseded_by[CATALOG_CODE_MAX], kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc = 0;

	*superseded = 0;
	superseded_by[0] = '\0';
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT COALESCE(r.superseded_by, ''), EXISTS(SELECT 1 FROM results e"
	                     " WHERE e.result_code = r.supersedes AND e.superseded_by = r.result_code)"
	                     " FROM results r WHERE r.result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		copy(superseded_by, CATALOG_CODE_MAX, col(st, 0));
		*superseded = sqlite3_column_int(st, 1);
	} else if (s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "%s: no such result", result_code);
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_result_package(catalog *c, const char *result_code, catalog_package *out,
                           kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc = 0;

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT package_id FROM results WHERE result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		char id[65];
		copy(id, sizeof id, col(st, 0));
		sqlite3_reset(st);
		rc = get_package_locked(c, id, out, err);
	} else {
		sqlite3_reset(st);
		rc = s == SQLITE_DONE ? kho_err_set(err, KHO_ENOTFOUND, "no result %s", result_code)
		                      : kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	catalog_unlock(c);
	return rc;
}

/* With the lock held: the package id currently holding a result code, or "" . */
static int result_holder(catalog *c, const char *code, char holder[65], kho_err *err)
{
	sqlite3_stmt *st = catalog_stmt(c, "SELECT package_id FROM results WHERE result_code = ?", err);
	int s;

	holder[0] = '\0';
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		copy(holder, 65, col(st, 0));
	sqlite3_reset(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	return 0;
}

static int check_locked(catalog *c, const char *id, const record *r, const char *renews,
                        catalog_package *existing, char holder[65], kho_err *err)
{
	int rc = get_package_locked(c, id, existing, err);

	if (rc == 0)
		return KHO_EEXIST;
	if (rc != KHO_ENOTFOUND)
		return rc;
	if ((rc = result_holder(c, r->result_code, holder, err)) != 0)
		return rc;
	/* A renewal (archive timestamps added) of the current package. */
	if (renews != NULL && renews[0] != '\0') {
		if (strcmp(holder, renews) == 0)
			return 0;
		return kho_err_set(err, KHO_ECONFLICT, "the package this one renews (%.16s...) is no "
		                   "longer the current package of result %s", renews, r->result_code);
	}
	/* The same result code with other bytes is a conflict, unless the new
	 * record declares that it supersedes that result (issue 3, item 3).
	 * record_parse refuses a record that supersedes its own code, so from
	 * a package a correction is always a new result code that supersedes
	 * this one, which the message says. */
	if (holder[0] != '\0' &&
	    (r->supersedes == NULL || strcmp(r->supersedes, r->result_code) != 0))
		return kho_err_set(err, KHO_ECONFLICT,
		                   "result %s is already archived with other bytes (package %.16s...);"
		                   " a corrected result needs a new result code whose record declares"
		                   " <supersedes>%s</supersedes>",
		                   r->result_code, holder, r->result_code);
	return 0;
}

int catalog_check_ingest(catalog *c, const char *id, const record *r,
                         catalog_package *existing, kho_err *err)
{
	char holder[65];
	int rc;

	catalog_lock(c);
	rc = check_locked(c, id, r, NULL, existing, holder, err);
	catalog_unlock(c);
	return rc;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int step_done(catalog *c, sqlite3_stmt *st, kho_err *err)
{
	int s = sqlite3_step(st);

	sqlite3_reset(st);
	if (s != SQLITE_DONE)
		return kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	return 0;
}

/* The data objects of a package (the public page finds a file by them). */
static int insert_objects(catalog *c, const catalog_package *p, const catalog_verify_data *vd,
                          kho_err *err)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < vd->nobjects; i++) {
		st = catalog_stmt(c, "INSERT OR IGNORE INTO objects(sha256, package_id, name)"
		                     " VALUES(?,?,?)", err);
		if (st == NULL)
			return KHO_EIO;
		sqlite3_bind_blob(st, 1, vd->objects[i].sha256, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, vd->objects[i].name, -1, SQLITE_STATIC);
		if ((rc = step_done(c, st, err)) != 0)
			return rc;
	}
	return 0;
}

/* The verification key and the data objects of an ingest (issue 5). */
static int insert_verify_data(catalog *c, const catalog_package *p, const record *r,
                              const catalog_verify_data *vd, kho_err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = catalog_stmt(c, "INSERT OR REPLACE INTO verify_keys(result_code, key_hash, key_wrapped,"
	                     " created_at) VALUES(?,?,?,?)", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, r->result_code, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, vd->key_hash, sizeof vd->key_hash, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, vd->key_wrapped, sizeof vd->key_wrapped, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, p->ingested_at);
	if ((rc = step_done(c, st, err)) != 0)
		return rc;
	return insert_objects(c, p, vd, err);
}

int catalog_ingest(catalog *c, const catalog_package *p, const record *r,
                   const unsigned char *subject_macs, const char *actor,
                   int *superseded, kho_err *err)
{
	return catalog_ingest_full(c, p, r, subject_macs, actor, NULL, superseded, NULL, err);
}

/*
 * A renewal inside the group's transaction (check_locked said p->renews is
 * the current package): the new package row, current, with the original
 * ingest time (retention counts from the result's first ingest; the audit
 * event dates the renewal), the old one "renewed", the result pointed at
 * the new one, the new package's data objects. The result row, its status,
 * its further subjects and its verification key (printed on paper as a QR
 * code) stay as they are.
 */
static int renew_locked(catalog *c, const catalog_package *p, const record *r, const char *actor,
                        const catalog_verify_data *vd, kho_err *err)
{
	char detail[512];
	sqlite3_stmt *st;
	audit_event ev;
	int rc;

	st = catalog_stmt(c, "INSERT INTO packages(id, result_code, agency, size, indication, sub,"
	                     " marked, state, ingested_at, ingested_by, last_check, last_check_at)"
	                     " SELECT ?1, result_code, agency, ?2, ?3, ?4, ?5, 'current', ingested_at,"
	                     " ?6, ?3, ?7 FROM packages WHERE id = ?8", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->size);
	sqlite3_bind_text(st, 3, p->indication, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->sub, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, p->marked);
	sqlite3_bind_text(st, 6, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->ingested_at);
	sqlite3_bind_text(st, 8, p->renews, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, err)) != 0)
		return rc;
	if (sqlite3_changes(c->db) != 1)
		return kho_err_set(err, KHO_ECONFLICT, "the package renewed is gone");
	st = catalog_stmt(c, "UPDATE packages SET state = 'renewed', superseded_by = ? WHERE id = ?",
	                  err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->renews, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, err)) != 0)
		return rc;
	st = catalog_stmt(c, "UPDATE results SET package_id = ? WHERE result_code = ?", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->result_code, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, err)) != 0)
		return rc;
	if (vd != NULL && (rc = insert_objects(c, p, vd, err)) != 0)
		return rc;
	snprintf(detail, sizeof detail, "result %s, %s%s%s, %llu bytes, renews package %s",
	         r->result_code, p->indication, p->sub[0] ? "/" : "", p->sub,
	         (unsigned long long)p->size, p->renews);
	memset(&ev, 0, sizeof ev);
	ev.actor = actor;
	ev.action = "renew";
	ev.object = p->id;
	ev.status = 201;
	ev.detail = detail;
	return audit_append_locked(c, &ev, err);
}

/*
 * One ingest's rows inside the group's transaction (lock held, transaction
 * open): the check, the package and result rows, the verification data and
 * the audit event. On failure the caller rolls back to its savepoint.
 */
static int ingest_locked(catalog *c, const catalog_package *p, const record *r,
                         const unsigned char *subject_macs, const char *actor,
                         const catalog_verify_data *vd, int *superseded, char *superseded_by,
                         kho_err *err)
{
	catalog_package existing;
	char holder[65], detail[512], sup_eff[11] = "", eff_text[160] = "";
	sqlite3_stmt *st;
	audit_event ev;
	int rc, sup = 0;

	*superseded = 0;
	superseded_by[0] = '\0';
	rc = check_locked(c, p->id, r, p->renews, &existing, holder, err);
	if (rc != 0)
		goto out;
	if (p->renews[0] != '\0') {
		rc = renew_locked(c, p, r, actor, vd, err);
		goto out;
	}
	st = catalog_stmt(c, "INSERT INTO packages(id, result_code, agency, size, wrapped_key,"
	                     " indication, sub, marked, state, ingested_at, ingested_by, last_check,"
	                     " last_check_at) VALUES(?,?,?,?,?,?,?,?,'current',?,?,?,?)", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->result_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->agency_code, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)p->size);
	/* Since the key store the catalog never holds a package key: an
	 * all-zero wrapped_key (the caller's memset) is stored as NULL. */
	{
		static const unsigned char none[sizeof p->wrapped_key];
		if (memcmp(p->wrapped_key, none, sizeof none) == 0)
			sqlite3_bind_null(st, 5);
		else
			sqlite3_bind_blob(st, 5, p->wrapped_key, sizeof p->wrapped_key, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 6, p->indication, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, p->sub, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, p->marked);
	sqlite3_bind_int64(st, 9, p->ingested_at);
	sqlite3_bind_text(st, 10, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, p->indication, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, p->ingested_at);
	if ((rc = step_done(c, st, err)) != 0)
		goto out;
	if (holder[0] != '\0') {
		/* Same result code, new bytes that declare the replacement. */
		st = catalog_stmt(c, "UPDATE packages SET state = 'superseded', superseded_by = ?"
		                     " WHERE id = ?", err);
		if (st == NULL) {
			rc = KHO_EIO;
			goto out;
		}
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
		if ((rc = step_done(c, st, err)) != 0)
			goto out;
		st = catalog_stmt(c, "DELETE FROM results WHERE result_code = ?", err);
		if (st == NULL) {
			rc = KHO_EIO;
			goto out;
		}
		sqlite3_bind_text(st, 1, r->result_code, -1, SQLITE_STATIC);
		if ((rc = step_done(c, st, err)) != 0)
			goto out;
		sup = CATALOG_SUP_DONE;
	}
	st = catalog_stmt(c, "INSERT INTO results(result_code, package_id, dossier_code, procedure,"
	                     " procedure_provincial, agency, result_type, number_symbol, subject_kind,"
	                     " subject_mac, title, issue_date, valid_from, valid_until, supersedes,"
	                     " status, status_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'valid',?)", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, r->result_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->id, -1, SQLITE_STATIC);
	bind_opt(st, 3, r->dossier_code ? r->dossier_code : "");
	bind_opt(st, 4, r->procedure_national ? r->procedure_national : "");
	bind_opt(st, 5, r->procedure_provincial);
	bind_opt(st, 6, r->agency_code ? r->agency_code : "");
	bind_opt(st, 7, r->result_type);
	bind_opt(st, 8, r->number_symbol);
	bind_opt(st, 9, r->subject_kind ? r->subject_kind : "");
	sqlite3_bind_blob(st, 10, subject_macs, 32, SQLITE_STATIC);
	bind_opt(st, 11, r->title);
	bind_opt(st, 12, r->issue_date);
	bind_opt(st, 13, r->valid_from);
	bind_opt(st, 14, r->valid_until);
	bind_opt(st, 15, r->supersedes);
	sqlite3_bind_int64(st, 16, p->ingested_at);
	if ((rc = step_done(c, st, err)) != 0)
		goto out;
	for (size_t k = 0; k < r->nothers; k++) {
		st = catalog_stmt(c, "INSERT INTO result_subjects(subject_mac, result_code, subject_kind)"
		                     " VALUES(?,?,?)", err);
		if (st == NULL) {
			rc = KHO_EIO;
			goto out;
		}
		sqlite3_bind_blob(st, 1, subject_macs + 32 * (k + 1), 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->result_code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->others[k].kind, -1, SQLITE_STATIC);
		if ((rc = step_done(c, st, err)) != 0)
			goto out;
	}
	/* A record that supersedes another result code marks that one; and a
	 * result another record already declared superseded (archived out of
	 * order: a paper result digitized later, a retry) is marked as it
	 * arrives (found by review: it stayed valid and reusable). */
	if (r->supersedes != NULL && strcmp(r->supersedes, r->result_code) != 0 &&
	    (rc = supersede_locked(c, r->supersedes, r->result_code, r->valid_from, r->agency_code,
	                           p->ingested_at, &sup, sup_eff, err)) != 0)
		goto out;
	if (vd != NULL && (rc = insert_verify_data(c, p, r, vd, err)) != 0)
		goto out;
	/* The supersession's effective day is in the event (since 2026-12-08):
	 * kho fsck compares the decision's day with it. */
	if (sup == CATALOG_SUP_DONE && holder[0] == '\0')
		snprintf(eff_text, sizeof eff_text, ", supersedes %.96s from %s", r->supersedes,
		         sup_eff);
	else if (sup == CATALOG_SUP_DONE)
		snprintf(eff_text, sizeof eff_text, ", supersedes an earlier package");
	snprintf(detail, sizeof detail, "result %s, %s%s%s, %llu bytes%s%s", r->result_code,
	         p->indication, p->sub[0] ? "/" : "", p->sub, (unsigned long long)p->size,
	         p->marked ? ", marked" : "", eff_text);
	ev.actor = actor;
	ev.action = "ingest";
	ev.object = p->id;
	ev.status = 201;
	ev.detail = detail;
	if ((rc = audit_append_locked(c, &ev, err)) != 0)
		goto out;
	/* After the ingest event: a decision about this result follows the
	 * event that (re)created its row, as catalog_status_trail_check reads
	 * the trail. */
	if ((rc = superseded_before_locked(c, r, p->ingested_at, superseded_by, err)) != 0)
		goto out;
	*superseded = sup;
out:
	return rc;
}

/* One ingest waiting for the group commit (on its thread's stack). */
struct gc_item {
	const catalog_package *p;
	const record *r;
	const unsigned char *mac;
	const char *actor;
	const catalog_verify_data *vd;
	int superseded;
	char superseded_by[CATALOG_CODE_MAX];   /* marked superseded as it arrived, by */
	int rc;
	int done;                  /* set by the leader, under gc_mu */
	kho_err err;
	struct gc_item *next;
};

void catalog_set_group_sync(catalog *c, catalog_sync_fn fn, void *arg)
{
	c->gc_sync = fn;
	c->gc_sync_arg = arg;
}

void catalog_set_after_ingest(catalog *c, catalog_after_fn fn, void *arg)
{
	c->gc_after = fn;
	c->gc_after_arg = arg;
}

static void gc_fail_all(struct gc_item *batch, int rc, const kho_err *e)
{
	struct gc_item *it;

	for (it = batch; it != NULL; it = it->next)
		if (it->rc == 0) {
			it->rc = rc;
			it->err = *e;
			it->superseded = 0;
		}
}

/*
 * The after-ingest hook of one ingest, in a savepoint of its own: its
 * failure undoes only its changes and leaves an alert in the audit chain.
 * Not 0 only when the transaction itself is broken.
 */
static int gc_after(catalog *c, struct gc_item *it)
{
	audit_event ev;
	kho_err e;

	if (sqlite3_exec(c->db, "SAVEPOINT after_ingest", NULL, NULL, NULL) != SQLITE_OK)
		return kho_err_set(&it->err, KHO_EIO, "catalog: savepoint: %s", sqlite3_errmsg(c->db));
	if (c->gc_after(c->gc_after_arg, c, it->r->result_code, it->actor, &e) != 0) {
		if (sqlite3_get_autocommit(c->db) ||
		    sqlite3_exec(c->db, "ROLLBACK TO after_ingest", NULL, NULL, NULL) != SQLITE_OK)
			return kho_err_set(&it->err, KHO_EIO, "catalog: after ingest: %s", e.msg);
		ev.actor = "daemon";
		ev.action = "alert";
		ev.object = it->r->result_code;
		ev.status = 500;
		ev.detail = e.msg;
		if (audit_append_locked(c, &ev, &it->err) != 0)
			return KHO_EIO;
	}
	if (sqlite3_exec(c->db, "RELEASE after_ingest", NULL, NULL, NULL) != SQLITE_OK)
		return kho_err_set(&it->err, KHO_EIO, "catalog: release: %s", sqlite3_errmsg(c->db));
	return 0;
}

/*
 * The leader's work: every queued ingest in one transaction, each inside
 * its own savepoint (a conflict or a failed insert undoes that ingest
 * only), then ONE commit, so one WAL fsync for the whole group. Nobody's
 * answer is given before this commit returned: an item's rc is final only
 * once it is marked done, after the commit.
 */
static void gc_commit_batch(catalog *c, struct gc_item *batch)
{
	struct gc_item *it;
	kho_err e;
	int rc;

	/* The files of the group durable first, once for all (the sync hook),
	 * then the catalog commit: acknowledged only when both are durable. */
	if (c->gc_sync != NULL && (rc = c->gc_sync(c->gc_sync_arg, &e)) != 0) {
		gc_fail_all(batch, rc, &e);
		return;
	}
	catalog_lock(c);
	if ((rc = catalog_begin(c, &e)) != 0) {
		gc_fail_all(batch, rc, &e);
		catalog_unlock(c);
		return;
	}
	for (it = batch; it != NULL; it = it->next) {
		if (sqlite3_exec(c->db, "SAVEPOINT ingest", NULL, NULL, NULL) != SQLITE_OK) {
			it->rc = kho_err_set(&it->err, KHO_EIO, "catalog: savepoint: %s",
			                     sqlite3_errmsg(c->db));
			break;
		}
		it->rc = ingest_locked(c, it->p, it->r, it->mac, it->actor, it->vd, &it->superseded,
		                       it->superseded_by, &it->err);
		if (it->rc == 0 && c->gc_after != NULL)
			it->rc = gc_after(c, it);
		if (it->rc != 0) {
			/* An I/O error may have ended the whole transaction: then the
			 * earlier items of the group are gone too. */
			if (sqlite3_get_autocommit(c->db) ||
			    sqlite3_exec(c->db, "ROLLBACK TO ingest", NULL, NULL, NULL) != SQLITE_OK)
				break;
		}
		if (sqlite3_exec(c->db, "RELEASE ingest", NULL, NULL, NULL) != SQLITE_OK) {
			if (it->rc == 0)
				it->rc = kho_err_set(&it->err, KHO_EIO, "catalog: release: %s",
				                     sqlite3_errmsg(c->db));
			break;
		}
	}
	if (it != NULL) {
		/* Broke out: the transaction cannot be trusted; nothing of the group
		 * is committed, and every item still counted as done fails. */
		kho_err_set(&e, KHO_EIO, "catalog: the group transaction failed: %s",
		            sqlite3_errmsg(c->db));
		catalog_rollback(c);
		gc_fail_all(batch, KHO_EIO, &e);
	} else if ((rc = catalog_commit(c, &e)) != 0) {
		gc_fail_all(batch, rc, &e);
	}
	catalog_unlock(c);
}

int catalog_ingest_full(catalog *c, const catalog_package *p, const record *r,
                        const unsigned char *subject_macs, const char *actor,
                        const catalog_verify_data *vd, int *superseded, char *superseded_by,
                        kho_err *err)
{
	struct gc_item me, *batch, *it, *next;

	memset(&me, 0, sizeof me);
	me.p = p;
	me.r = r;
	me.mac = subject_macs;
	me.actor = actor;
	me.vd = vd;
	/* Group commit: queue, and either become the leader (nobody is
	 * committing: take the whole queue and commit it) or wait for the
	 * leader whose group includes us. Ingests that arrive while a group
	 * is being committed form the next group. */
	pthread_mutex_lock(&c->gc_mu);
	*c->gc_tail = &me;
	c->gc_tail = &me.next;
	while (!me.done) {
		if (c->gc_busy) {
			pthread_cond_wait(&c->gc_cv, &c->gc_mu);
			continue;
		}
		batch = c->gc_head;
		c->gc_head = NULL;
		c->gc_tail = &c->gc_head;
		c->gc_busy = 1;
		pthread_mutex_unlock(&c->gc_mu);
		gc_commit_batch(c, batch);
		pthread_mutex_lock(&c->gc_mu);
		c->gc_busy = 0;
		for (it = batch; it != NULL; it = next) {
			next = it->next;   /* read before done: the owner may return at once */
			it->done = 1;
		}
		pthread_cond_broadcast(&c->gc_cv);
	}
	pthread_mutex_unlock(&c->gc_mu);
	if (superseded != NULL)
		*superseded = me.rc == 0 ? me.superseded : 0;
	if (superseded_by != NULL)
		copy(superseded_by, CATALOG_CODE_MAX, me.rc == 0 ? me.superseded_by : "");
	if (me.rc != 0 && err != NULL)
		*err = me.err;
	return me.rc;
}

int catalog_set_check(catalog *c, const char *id, const char *indication, time_t at,
                      kho_err *err)
{
	sqlite3_stmt *st;
	int rc;

	catalog_lock(c);
	st = catalog_stmt(c, "UPDATE packages SET last_check = ?, last_check_at = ? WHERE id = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, indication, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)at);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = step_done(c, st, err);
	catalog_unlock(c);
	return rc;
}

static json_t *jstr_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* The day number (days since 1970-01-01) of a date YYYY-MM-DD, or INT32_MIN. */
static int32_t day_of(const char *date)
{
	time_t t;

	return date != NULL && strlen(date) == 10 && kho_time_parse(&t, date) == 0
	       ? (int32_t)(t / 86400) : INT32_MIN;
}

/* The validity decision in force on a date (status_on); the strings point
 * into the row given or into buf, valid until the row's next step. */
typedef struct status_rec {
	const char *status, *decision, *superseded_by;
	int64_t at;                          /* its effective instant; 0 = as ingested */
	char sbuf[16], dbuf[513], cbuf[CATALOG_CODE_MAX];
} status_rec;

/*
 * status_on: the decision in force on `on` of result `code` whose row holds
 * the last decision recorded (status, decision, superseded_by, at: its
 * effective instant). From its effective day on, that one. Before it, the
 * last recorded decision of result_status effective on or before `on`; if
 * none, "valid" as ingested. A row never changed by a decision (decision
 * empty) is read as it is: the lookup's common case costs no statement.
 * Lock held. 0, or KHO_EIO.
 */
static int status_on(catalog *c, const char *code, const char *status, const char *decision,
                     const char *superseded_by, int64_t at, const char *on, status_rec *out,
                     kho_err *err)
{
	sqlite3_stmt *st;
	int s;

	out->status = status;
	out->decision = decision;
	out->superseded_by = superseded_by;
	out->at = at;
	if (decision[0] == '\0' || kho_local_day((time_t)at) <= day_of(on))
		return 0;
	st = catalog_stmt(c, "SELECT status, decision, superseded_by, at FROM result_status"
	                     " WHERE result_code = ? AND effective <= ? ORDER BY seq DESC LIMIT 1",
	                  err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, on, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		copy(out->sbuf, sizeof out->sbuf, col(st, 0));
		copy(out->dbuf, sizeof out->dbuf, col(st, 1));
		copy(out->cbuf, sizeof out->cbuf, col(st, 2));
		out->status = out->sbuf;
		out->decision = out->dbuf;
		out->superseded_by = out->cbuf;
		out->at = sqlite3_column_int64(st, 3);
	} else if (s == SQLITE_DONE) {
		out->status = "valid";
		out->decision = "";
		out->superseded_by = "";
		out->at = 0;
	}
	sqlite3_reset(st);
	return s == SQLITE_ROW || s == SQLITE_DONE
	       ? 0 : kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
}

/* The validity status on a date: the decision in force, or "expired" past
 * valid_until, or "not-yet-valid" before valid_from. */
static const char *effective_status(const char *status, const char *from, const char *until,
                                    const char *on)
{
	if (strcmp(status, "valid") != 0)
		return status;
	if (from[0] != '\0' && strcmp(on, from) < 0)
		return "not-yet-valid";
	if (until[0] != '\0' && strcmp(on, until) > 0)
		return "expired";
	return "valid";
}

static void today(char out[11])
{
	kho_local_date(out, kho_now());
}

/* The subject kind is the 9th column: a lookup that found the result
 * through a further subject reads that subject's kind (lookup_open). */
#define RESULT_COLS_KIND(kind) \
                    "r.result_code, r.package_id, r.dossier_code, r.procedure," \
                    " r.procedure_provincial, r.agency, r.result_type, r.number_symbol, " \
                    kind ", r.title, r.issue_date, r.valid_from, r.valid_until," \
                    " r.supersedes, r.status, r.status_ref, r.status_at, r.superseded_by," \
                    " p.indication, p.sub, p.marked, p.last_check, p.last_check_at," \
                    " kho_has_key(p.id, p.wrapped_key)"
#define RESULT_COLS RESULT_COLS_KIND("r.subject_kind")

/* The decision in force on `on` of a row of RESULT_COLS (status_on). */
static int row_status(catalog *c, sqlite3_stmt *st, const char *on, status_rec *sr, kho_err *err)
{
	return status_on(c, col(st, 0), col(st, 14), col(st, 15), col(st, 17),
	                 sqlite3_column_int64(st, 16), on, sr, err);
}

/* One result row as JSON with the decision in force on `on` (row_status);
 * *reusable set per the lookup rule. */
static json_t *result_json(sqlite3_stmt *st, const char *on, const status_rec *sr, int *reusable)
{
	const char *status = effective_status(sr->status, col(st, 11), col(st, 12), on);
	const char *check = col(st, 21);
	int verified = strcmp(check[0] ? check : col(st, 18), "TOTAL-PASSED") == 0;
	int has_key = sqlite3_column_int(st, 23);
	char tbuf[32];
	json_t *o;

	*reusable = strcmp(status, "valid") == 0 && verified && has_key;
	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "result_code", json_string(col(st, 0)));
	json_object_set_new(o, "package_id", json_string(col(st, 1)));
	json_object_set_new(o, "dossier_code", json_string(col(st, 2)));
	json_object_set_new(o, "procedure", json_string(col(st, 3)));
	json_object_set_new(o, "procedure_provincial", jstr_or_null(col(st, 4)));
	json_object_set_new(o, "agency", json_string(col(st, 5)));
	json_object_set_new(o, "result_type", jstr_or_null(col(st, 6)));
	json_object_set_new(o, "number_symbol", jstr_or_null(col(st, 7)));
	json_object_set_new(o, "subject_kind", json_string(col(st, 8)));
	json_object_set_new(o, "title", jstr_or_null(col(st, 9)));
	json_object_set_new(o, "issue_date", jstr_or_null(col(st, 10)));
	json_object_set_new(o, "valid_from", jstr_or_null(col(st, 11)));
	json_object_set_new(o, "valid_until", jstr_or_null(col(st, 12)));
	json_object_set_new(o, "supersedes", jstr_or_null(col(st, 13)));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "recorded_status", json_string(sr->status));
	json_object_set_new(o, "status_decision", jstr_or_null(sr->decision));
	json_object_set_new(o, "status_changed_at", sr->decision[0] != '\0'
		? json_string(kho_time_format(tbuf, sizeof tbuf, (time_t)sr->at)) : json_null());
	json_object_set_new(o, "superseded_by", jstr_or_null(sr->superseded_by));
	json_object_set_new(o, "ingest_indication", json_string(col(st, 18)));
	json_object_set_new(o, "ingest_sub_indication", jstr_or_null(col(st, 19)));
	json_object_set_new(o, "marked_indeterminate", json_boolean(sqlite3_column_int(st, 20)));
	json_object_set_new(o, "last_verification", jstr_or_null(check));
	json_object_set_new(o, "last_verified_at", sqlite3_column_int64(st, 22) > 0
		? json_string(kho_time_format(tbuf, sizeof tbuf, (time_t)sqlite3_column_int64(st, 22)))
		: json_null());
	json_object_set_new(o, "destroyed", json_boolean(!has_key));
	json_object_set_new(o, "valid_on", json_string(on));
	json_object_set_new(o, "reusable", json_boolean(*reusable));
	return o;
}

/* The decision of a results row changed before result_status existed (and
 * not since): its one entry of the history, from status_at, for ?1 the
 * result code and ?2 KHO_LOCAL_UTC_OFFSET. */
#define LEGACY_DECISION_EFFECTIVE " date(status_at + ?2, 'unixepoch')"
#define LEGACY_DECISION_FROM                                                                \
	" FROM results WHERE result_code = ?1 AND status_ref <> '' AND status_at <> 0"       \
	" AND NOT EXISTS (SELECT 1 FROM result_status WHERE result_code = ?1)"

/* The result's validity decisions in the order recorded, as JSON (lock
 * held); a row changed before result_status existed gives its one. */
static int status_history(catalog *c, const char *result_code, json_t *o, kho_err *err)
{
	sqlite3_stmt *st;
	json_t *a = json_array();
	char tbuf[32];
	int s;

	st = catalog_stmt(c, "SELECT seq, effective, status, decision, superseded_by, recorded_at"
	                     " FROM result_status WHERE result_code = ?1 UNION ALL SELECT 1,"
	                     LEGACY_DECISION_EFFECTIVE ", status, status_ref, superseded_by, status_at"
	                     LEGACY_DECISION_FROM " ORDER BY 1", err);
	if (st == NULL || a == NULL) {
		json_decref(a);
		return st == NULL ? KHO_EIO : kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, KHO_LOCAL_UTC_OFFSET);
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:s}", "effective", col(st, 1),
		        "status", col(st, 2), "decision", jstr_or_null(col(st, 3)), "superseded_by",
		        jstr_or_null(col(st, 4)), "recorded_at",
		        kho_time_format(tbuf, sizeof tbuf, (time_t)sqlite3_column_int64(st, 5))));
	sqlite3_reset(st);
	json_object_set_new(o, "status_history", a);
	return s == SQLITE_DONE ? 0 : kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
}

int catalog_result_json(catalog *c, const char *result_code, const char *valid_on,
                        json_t **out, kho_err *err)
{
	sqlite3_stmt *st;
	char on[11];
	int s, reusable, rc = 0;

	*out = NULL;
	if (valid_on == NULL) {
		today(on);
		valid_on = on;
	}
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT " RESULT_COLS " FROM results r JOIN packages p"
	                     " ON p.id = r.package_id WHERE r.result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		status_rec sr;
		if (row_status(c, st, valid_on, &sr, err) != 0)
			rc = KHO_EIO;
		else if ((*out = result_json(st, valid_on, &sr, &reusable)) == NULL)
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
	} else if (s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "no result %s", result_code);
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	if (rc == 0 && (rc = status_history(c, result_code, *out, err)) != 0) {
		json_decref(*out);
		*out = NULL;
	}
	catalog_unlock(c);
	return rc;
}

/*
 * status_record: record a validity decision of result `code` (lock and a
 * write transaction held): its results row takes it, with `at` its
 * effective instant, and result_status keeps it after the decisions before
 * it (a row changed before result_status existed gets its decision there
 * first). KHO_ENOTFOUND, KHO_EIO.
 */
/*
 * supersede_locked: result `code` (agency, validFrom; its rows and its
 * subjects' already written) declares that it supersedes result `old`,
 * inside the ingest's transaction.
 * Applied (*sup = CATALOG_SUP_DONE; effective from the new result's
 * validFrom, not before the old one's issue date; the ingest day if neither
 * can be read) only to a result of the same agency about at least one of
 * the same subjects: an officer acts for their agency, and a result about
 * other persons replaces nothing of theirs (found by review: an officer of
 * one agency marked another agency's result about another citizen
 * superseded). Otherwise nothing is marked and *sup says why
 * (CATALOG_SUP_UNKNOWN, _OTHER_AGENCY, _OTHER_SUBJECTS): a records manager
 * may record the decision (POST /v1/results/{code}/status).
 */
static int supersede_locked(catalog *c, const char *old, const char *code, const char *valid_from,
                            const char *agency, int64_t ingested_at, int *sup, char eff_out[11],
                            kho_err *err)
{
	char eff[11] = "", old_agency[CATALOG_CODE_MAX] = "";
	int64_t at = ingested_at;
	sqlite3_stmt *st;
	int s, shared = 0;

	st = catalog_stmt(c, "SELECT issue_date, agency FROM results WHERE result_code = ?", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		if (day_of(col(st, 0)) != INT32_MIN)
			copy(eff, sizeof eff, col(st, 0));
		copy(old_agency, sizeof old_agency, col(st, 1));
	}
	sqlite3_reset(st);
	if (s != SQLITE_ROW) {
		*sup = CATALOG_SUP_UNKNOWN;
		return s == SQLITE_DONE ? 0 : kho_err_set(err, KHO_EIO, "catalog: %s",
		                                          sqlite3_errmsg(c->db));
	}
	if (agency == NULL || strcmp(agency, old_agency) != 0) {
		*sup = CATALOG_SUP_OTHER_AGENCY;
		return 0;
	}
	/* A subject in common (each result's first subject and its others). */
	st = catalog_stmt(c, "WITH a(m) AS (SELECT subject_mac FROM results WHERE result_code = ?1"
	                     " UNION ALL SELECT subject_mac FROM result_subjects WHERE result_code = ?1),"
	                     " b(m) AS (SELECT subject_mac FROM results WHERE result_code = ?2"
	                     " UNION ALL SELECT subject_mac FROM result_subjects WHERE result_code = ?2)"
	                     " SELECT 1 FROM a JOIN b ON a.m = b.m LIMIT 1", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
	shared = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!shared) {
		*sup = CATALOG_SUP_OTHER_SUBJECTS;
		return 0;
	}
	/* Not if `code` is itself superseded by `old`, directly or through
	 * others: two records declaring each other superseded were both marked
	 * (found by review). */
	st = catalog_stmt(c, SUPERSEDED_CHAIN_SQL, err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, old, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	shared = s == SQLITE_ROW && sqlite3_column_int(st, 1) != 0;
	sqlite3_reset(st);
	if (s != SQLITE_ROW)
		return kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	if (shared) {
		*sup = CATALOG_SUP_CYCLE;
		return 0;
	}
	if (day_of(valid_from) != INT32_MIN && strcmp(valid_from, eff) > 0)
		copy(eff, sizeof eff, valid_from);
	if (eff[0] != '\0')
		at = (int64_t)kho_local_day_start(day_of(eff));
	else
		kho_local_date(eff, (time_t)at);
	*sup = CATALOG_SUP_DONE;
	memcpy(eff_out, eff, 11);
	return status_record(c, old, "superseded", code, code, eff, at, err);
}

/*
 * superseded_before_locked: result r, just inserted, is named by the
 * <supersedes> of a result archived before it: it is marked superseded by
 * the earliest such result (by validFrom) under supersede_locked's rules.
 */
static int superseded_before_locked(catalog *c, const record *r, int64_t ingested_at,
                                    char *by_out, kho_err *err)
{
	struct { char by[CATALOG_CODE_MAX], from[11], agency[CATALOG_CODE_MAX]; } cand[8];
	char detail[300];
	sqlite3_stmt *st;
	size_t n = 0, k;
	int s, sup = 0, rc = 0;

	/* Every earlier record that declares it, earliest validFrom first: the
	 * first one the rules allow marks it (found by review: another
	 * agency's declaration, first by date, blocked the agency's own). */
	st = catalog_stmt(c, "SELECT result_code, valid_from, agency FROM results WHERE"
	                     " supersedes = ? AND result_code <> supersedes ORDER BY valid_from,"
	                     " result_code LIMIT 8", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, r->result_code, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW && n < 8) {
		copy(cand[n].by, sizeof cand[n].by, col(st, 0));
		copy(cand[n].from, sizeof cand[n].from, col(st, 1));
		copy(cand[n].agency, sizeof cand[n].agency, col(st, 2));
		n++;
	}
	sqlite3_reset(st);
	if (s != SQLITE_DONE && s != SQLITE_ROW)
		return kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	for (k = 0; k < n && rc == 0 && sup != CATALOG_SUP_DONE; k++) {
		char eff[11] = "";
		rc = supersede_locked(c, r->result_code, cand[k].by, cand[k].from, cand[k].agency,
		                      ingested_at, &sup, eff, err);
		if (rc == 0 && sup == CATALOG_SUP_DONE) {
			/* Its own event: the ingest's names only what the new
			 * record supersedes. */
			audit_event ev;
			memcpy(by_out, cand[k].by, sizeof cand[k].by);   /* CATALOG_CODE_MAX */
			snprintf(detail, sizeof detail, "superseded by %.128s (archived before it, its record"
			         " declares so), effective %s", cand[k].by, eff);
			memset(&ev, 0, sizeof ev);
			ev.actor = "daemon";
			ev.action = "status";
			ev.object = r->result_code;
			ev.status = 200;
			ev.detail = detail;
			rc = audit_append_locked(c, &ev, err);
		}
	}
	return rc;
}

static int status_record(catalog *c, const char *code, const char *status, const char *decision,
                         const char *superseded_by, const char *effective, int64_t at,
                         kho_err *err)
{
	sqlite3_stmt *st;
	int rc;

	st = catalog_stmt(c, "INSERT INTO result_status(result_code, seq, effective, status,"
	                     " decision, superseded_by, at, recorded_at) SELECT result_code, 1,"
	                     LEGACY_DECISION_EFFECTIVE ", status, status_ref, superseded_by, status_at,"
	                     " status_at" LEGACY_DECISION_FROM, err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, KHO_LOCAL_UTC_OFFSET);
	if ((rc = step_done(c, st, err)) != 0)
		return rc;
	st = catalog_stmt(c, "UPDATE results SET status = ?, status_ref = ?, status_at = ?,"
	                     " superseded_by = ? WHERE result_code = ?", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, decision, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at);
	bind_opt(st, 4, superseded_by);
	sqlite3_bind_text(st, 5, code, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, err)) != 0)
		return rc;
	if (sqlite3_changes(c->db) == 0)
		return kho_err_set(err, KHO_ENOTFOUND, "no result %s", code);
	st = catalog_stmt(c, "INSERT INTO result_status(result_code, seq, effective, status,"
	                     " decision, superseded_by, at, recorded_at) VALUES(?1, (SELECT"
	                     " COALESCE(MAX(seq), 0) + 1 FROM result_status WHERE result_code = ?1),"
	                     " ?2, ?3, ?4, ?5, ?6, ?7)", err);
	if (st == NULL)
		return KHO_EIO;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, effective, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, decision, -1, SQLITE_STATIC);
	bind_opt(st, 5, superseded_by);
	sqlite3_bind_int64(st, 6, at);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)kho_now());
	return step_done(c, st, err);
}

int catalog_status_on(catalog *c, const char *result_code, const char *on, char status[16],
                      int64_t *at, kho_err *err)
{
	sqlite3_stmt *st;
	status_rec sr;
	int s, rc;

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT status, status_ref, superseded_by, status_at FROM results"
	                     " WHERE result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		rc = status_on(c, result_code, col(st, 0), col(st, 1), col(st, 2),
		               sqlite3_column_int64(st, 3), on, &sr, err);
		if (rc == 0) {
			copy(status, 16, sr.status);
			*at = sr.decision[0] != '\0' ? sr.at : 0;
		}
	} else if (s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "no result %s", result_code);
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

static int is_status(const char *s)
{
	static const char *const ok[] = { "valid", "revoked", "suspended", "superseded", "expired",
	                                  "annulled" };
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(s, ok[i]) == 0)
			return 1;
	return 0;
}

int catalog_set_status(catalog *c, const char *result_code, const char *status,
                       const char *decision, const char *superseded_by, const char *effective,
                       const char *actor, kho_err *err)
{
	char detail[700], eff[11];
	int64_t at;
	sqlite3_stmt *st;
	audit_event ev;
	int rc;

	if (status == NULL || !is_status(status))
		return kho_err_set(err, KHO_EINVAL, "status must be one of valid, revoked, suspended,"
		                   " superseded, expired, annulled");
	if (decision == NULL || decision[0] == '\0' || strlen(decision) > 512)
		return kho_err_set(err, KHO_EINVAL, "a decision reference (1..512 bytes) is required");
	if (strcmp(status, "superseded") == 0 &&
	    (superseded_by == NULL || !record_is_result_code(superseded_by)))
		return kho_err_set(err, KHO_EINVAL, "\"superseded\" needs superseded_by, a result code");
	if (strcmp(status, "superseded") != 0 && superseded_by != NULL)
		return kho_err_set(err, KHO_EINVAL, "superseded_by goes only with the status superseded");
	if (superseded_by != NULL && strcmp(superseded_by, result_code) == 0)
		return kho_err_set(err, KHO_EINVAL, "a result cannot supersede itself");
	/* Effective from now, or from the start of the day given (Vietnam's). */
	if (effective == NULL) {
		at = (int64_t)kho_now();
		kho_local_date(eff, (time_t)at);
	} else if (day_of(effective) == INT32_MIN) {
		return kho_err_set(err, KHO_EINVAL, "effective must be a date YYYY-MM-DD");
	} else {
		at = (int64_t)kho_local_day_start(day_of(effective));
		copy(eff, sizeof eff, effective);
	}
	catalog_lock(c);
	if ((rc = catalog_begin(c, err)) != 0) {
		catalog_unlock(c);
		return rc;
	}
	/* The superseding result is in the catalog, and following what
	 * supersedes it never comes back to this one (found by review,
	 * 2026-12-07: a code that does not exist, and cycles, were taken): by
	 * every supersession ever recorded, the one in force today and those
	 * of the decision history (found by review: a supersession dated
	 * before a later 'valid' made a cycle on the days between). A
	 * supersession cancelled since still counts: refused, not guessed. The
	 * recursive query's UNION stops at a row already seen. */
	if (superseded_by != NULL) {
		int s2;

		st = catalog_stmt(c, SUPERSEDED_CHAIN_SQL, err);
		if (st == NULL) {
			rc = KHO_EIO;
			goto out;
		}
		sqlite3_bind_text(st, 1, superseded_by, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, result_code, -1, SQLITE_STATIC);
		s2 = sqlite3_step(st);
		if (s2 != SQLITE_ROW)
			rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
		else if (sqlite3_column_int(st, 0) == 0)
			rc = kho_err_set(err, KHO_EINVAL, "no result %s to be superseded by", superseded_by);
		else if (sqlite3_column_int(st, 1) != 0)
			rc = kho_err_set(err, KHO_ECONFLICT, "%s is itself superseded, directly or through"
			                 " others, by %s: superseding it would make a cycle", superseded_by,
			                 result_code);
		sqlite3_reset(st);
		if (rc != 0)
			goto out;
	}
	/* A decision cannot take effect before the result was issued. */
	if (effective != NULL) {
		st = catalog_stmt(c, "SELECT issue_date FROM results WHERE result_code = ?", err);
		if (st == NULL) {
			rc = KHO_EIO;
			goto out;
		}
		sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && strcmp(eff, col(st, 0)) < 0)
			rc = kho_err_set(err, KHO_EINVAL, "effective %s is before the result's issue date"
			                 " %s", eff, col(st, 0));
		sqlite3_reset(st);
		if (rc != 0)
			goto out;
	}
	/* The same decision as the last one recorded, sent again (its answer
	 * lost): not recorded twice (found by review, 2026-12-08: two rows and
	 * two audit events for one decision). */
	st = catalog_stmt(c, "SELECT 1 FROM (SELECT status, decision, superseded_by, effective FROM"
	                     " result_status WHERE result_code = ?1 ORDER BY seq DESC LIMIT 1) WHERE"
	                     " status = ?2 AND decision = ?3 AND COALESCE(superseded_by, '') = ?4"
	                     " AND effective = ?5", err);
	if (st == NULL) {
		rc = KHO_EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, decision, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, superseded_by ? superseded_by : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, eff, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = kho_err_set(err, KHO_EEXIST, "%s: this decision (%s, %s, effective %s) is the last"
		                 " one recorded: not recorded again", result_code, status, decision, eff);
	sqlite3_reset(st);
	if (rc != 0)
		goto out;
	if ((rc = status_record(c, result_code, status, decision, superseded_by, eff, at, err)) != 0)
		goto out;
	snprintf(detail, sizeof detail, "status %s, decision %s, effective %s%s%s", status, decision,
	         eff, superseded_by ? ", superseded by " : "", superseded_by ? superseded_by : "");
	ev.actor = actor;
	ev.action = "status";
	ev.object = result_code;
	ev.status = 200;
	ev.detail = detail;
	if ((rc = audit_append_locked(c, &ev, err)) != 0)
		goto out;
	rc = catalog_commit(c, err);
	catalog_unlock(c);
	return rc;
out:
	catalog_rollback(c);
	catalog_unlock(c);
	return rc;
}

/* The date a lookup judges validity on (q->valid_on or today), q->purpose checked. */
static int lookup_date(const catalog_query *q, char on[11], kho_err *err)
{
	char t[11], received[11];

	if (q->purpose == NULL || !record_is_dossier_code(q->purpose))
		return kho_err_set(err, KHO_EINVAL, "purpose (the new dossier's code) is required"
		                   " and must be a dossier code");
	/* A dossier received after today (Vietnam's day) is not a new dossier
	 * yet (found by review: a purpose dated 2099 was counted as a reuse). */
	today(t);
	snprintf(received, sizeof received, "20%.2s-%.2s-%.2s", q->purpose + 14, q->purpose + 16,
	         q->purpose + 18);
	if (strcmp(received, t) > 0)
		return kho_err_set(err, KHO_EINVAL, "purpose %s was received on %s, after today (%s)",
		                   q->purpose, received, t);
	if (q->valid_on != NULL) {
		time_t tt;
		if (strlen(q->valid_on) != 10 || kho_time_parse(&tt, q->valid_on) != 0)
			return kho_err_set(err, KHO_EINVAL, "valid_on must be a date YYYY-MM-DD");
		memcpy(on, q->valid_on, 11);
	} else {
		memcpy(on, t, 11);
	}
	return 0;
}

/*
 * The lookup's rows (lock held): two statements read in step and merged in
 * the lookup's order (issue_date DESC, result_code): the results whose
 * first subject is q's (results.subject_mac) and those where q's subject
 * is a further subject (result_subjects: the other spouse of a marriage).
 * Two statements rather than one UNION ALL: the first is exactly the
 * statement the lookup ran before further subjects existed, and the second
 * is one probe of a small b-tree when, as nearly always, the subject is
 * nobody's further subject. (The UNION ALL with a compound ORDER BY took
 * 87 and 103 us of daemon CPU per lookup in two lookup benchmark runs
 * against 70 and 91 for the old statement alternating with them; these
 * two statements took 72, 64 and 72 against 91, 82 and 70.)
 */
typedef struct lookup_cursor {
	sqlite3_stmt *st[2];
	int s[2];                 /* each statement's last sqlite3_step */
	int last;                 /* the statement lookup_next gave last, or -1 */
} lookup_cursor;

static void lookup_bind(sqlite3_stmt *st, const catalog_query *q)
{
	sqlite3_bind_blob(st, 1, q->subject_mac, 32, SQLITE_STATIC);
	bind_opt(st, 2, q->type);
	bind_opt(st, 3, q->procedure);
	bind_opt(st, 4, q->agency);
}

static int lookup_open(catalog *c, const catalog_query *q, lookup_cursor *k, kho_err *err)
{
	/* INDEXED BY: the planner prefers the primary-key index of packages
	 * (unique), which then needs the table too; the covering index answers
	 * the join alone (see schema_sql). No LIMIT: the callers stop after
	 * CATALOG_LOOKUP_MAX rows. With a LIMIT SQLite sorts in an ephemeral
	 * b-tree (a pager and a page cache made and freed per lookup, about 8%
	 * of the lookup's CPU); without, in its sorter, in memory. The rows and
	 * their order are the same. */
#define LOOKUP_FILTERS                                                                     \
	" AND (?2 IS NULL OR r.result_type = ?2) AND (?3 IS NULL OR r.procedure = ?3)"       \
	" AND (?4 IS NULL OR r.agency = ?4) ORDER BY r.issue_date DESC, r.result_code"
	k->st[0] = catalog_stmt(c, "SELECT " RESULT_COLS " FROM results r JOIN packages p"
	                           " INDEXED BY packages_lookup"
	                           " ON p.id = r.package_id WHERE r.subject_mac = ?1"
	                           LOOKUP_FILTERS, err);
	k->st[1] = k->st[0] == NULL ? NULL
	         : catalog_stmt(c, "SELECT " RESULT_COLS_KIND("s.subject_kind")
	                           " FROM result_subjects s JOIN results r"
	                           " ON r.result_code = s.result_code JOIN packages p"
	                           " INDEXED BY packages_lookup ON p.id = r.package_id"
	                           " WHERE s.subject_mac = ?1" LOOKUP_FILTERS, err);
#undef LOOKUP_FILTERS
	if (k->st[1] == NULL)
		return KHO_EIO;
	lookup_bind(k->st[0], q);
	lookup_bind(k->st[1], q);
	k->s[0] = sqlite3_step(k->st[0]);
	k->s[1] = sqlite3_step(k->st[1]);
	k->last = -1;
	return 0;
}

/* The statement on the lookup's next row, or NULL with *s SQLITE_DONE at
 * the end or an error code. */
static sqlite3_stmt *lookup_next(lookup_cursor *k, int *s)
{
	int i;

	if (k->last >= 0)
		k->s[k->last] = sqlite3_step(k->st[k->last]);
	for (i = 0; i < 2; i++)
		if (k->s[i] != SQLITE_ROW && k->s[i] != SQLITE_DONE) {
			*s = k->s[i];
			return NULL;
		}
	if (k->s[0] != SQLITE_ROW && k->s[1] != SQLITE_ROW) {
		*s = SQLITE_DONE;
		return NULL;
	}
	if (k->s[0] != SQLITE_ROW)
		i = 1;
	else if (k->s[1] != SQLITE_ROW)
		i = 0;
	else {
		int d = strcmp(col(k->st[0], 10), col(k->st[1], 10));
		i = d > 0 ? 0 : d < 0 ? 1 : strcmp(col(k->st[0], 0), col(k->st[1], 0)) <= 0 ? 0 : 1;
	}
	k->last = i;
	*s = SQLITE_ROW;
	return k->st[i];
}

static void lookup_close(lookup_cursor *k)
{
	sqlite3_reset(k->st[0]);
	sqlite3_reset(k->st[1]);
}

/* The reuse event of a lookup: per procedure asked (or found) and month. */
/*
 * The reuse event of a lookup. proc_found: the procedure of the first
 * reusable result found, else of the first result (found by review: a
 * lookup finding a reusable certified copy after a household business
 * registration not yet valid credited the registration's procedure with
 * the reuse).
 */
static void lookup_event(const catalog_query *q, const char *actor, const char *actor_agency,
                         const char *proc_found, int n, int nreusable, catalog_lookup_event *ev)
{
	char t[32];

	memset(ev, 0, sizeof *ev);
	ev->at = (int64_t)kho_now();
	kho_local_date(t, (time_t)ev->at);
	memcpy(ev->month, t, 7);
	copy(ev->procedure, sizeof ev->procedure,
	     q->procedure ? q->procedure : (proc_found[0] ? proc_found : "(any)"));
	copy(ev->purpose, sizeof ev->purpose, q->purpose);
	copy(ev->agency, sizeof ev->agency, actor_agency);
	/* judged for the day of the lookup (not a historical check) */
	ev->for_today = q->valid_on == NULL || strcmp(q->valid_on, t) == 0;
	copy(ev->actor, sizeof ev->actor, actor);
	/* No personal number in the trail: only a prefix of its keyed hash. */
	kho_hex(ev->subject_mac_prefix, q->subject_mac, 8);
	ev->found = n;
	ev->reusable = nreusable;
}

int catalog_lookup_read(catalog *c, const catalog_query *q, const char *actor,
                        const char *actor_agency, json_t **out, catalog_lookup_event *ev,
                        kho_err *err)
{
	json_t *arr = NULL, *o = NULL;
	lookup_cursor k;
	sqlite3_stmt *st;
	char on[11], proc_buf[CATALOG_CODE_MAX];
	int s = SQLITE_DONE, rc = 0, n = 0, nreusable = 0;

	*out = NULL;
	memset(ev, 0, sizeof *ev);
	if ((rc = lookup_date(q, on, err)) != 0)
		return rc;
	arr = json_array();
	if (arr == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	catalog_lock(c);
	if (lookup_open(c, q, &k, err) != 0) {
		catalog_unlock(c);
		json_decref(arr);
		return KHO_EIO;
	}
	proc_buf[0] = '\0';
	while (n < CATALOG_LOOKUP_MAX && (st = lookup_next(&k, &s)) != NULL) {
		int reusable;
		status_rec sr;
		json_t *r;
		if (row_status(c, st, on, &sr, err) != 0) {
			rc = KHO_EIO;
			break;
		}
		if ((r = result_json(st, on, &sr, &reusable)) == NULL) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			break;
		}
		if (n == 0 || (reusable && nreusable == 0))   /* see lookup_event */
			copy(proc_buf, sizeof proc_buf, col(st, 3));
		json_array_append_new(arr, r);
		n++;
		nreusable += reusable;
	}
	if (rc == 0 && s != SQLITE_DONE && s != SQLITE_ROW)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	lookup_close(&k);
	catalog_unlock(c);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	lookup_event(q, actor, actor_agency, proc_buf, n, nreusable, ev);
	o = json_pack("{s:o,s:i,s:i,s:s,s:s}", "results", arr, "found", n, "reusable", nreusable,
	              "valid_on", on, "purpose", q->purpose);
	if (o == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	*out = o;
	return 0;
}

/* ---- the lookup answer as JSON text (catalog_lookup_write) ------------ */

/* A writer whose first error sticks (KHO_EFORMAT: a text jansson would refuse). */
struct jw {
	kho_buf *b;
	int rc;
};

static void jw_raw(struct jw *w, const char *s)
{
	if (w->rc == 0)
		w->rc = kho_buf_append(w->b, s, strlen(s));
}

/* A JSON string as json_dumps writes it: escapes for '"', '\\' and control
 * characters (\b \f \n \r \t, else \u00XX, upper-case hex), UTF-8 as is. */
static void jw_str(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char e[8];

	if (w->rc != 0)
		return;
	if (!kho_utf8_valid((const char *)p, strlen((const char *)p))) {
		w->rc = KHO_EFORMAT;
		return;
	}
	jw_raw(w, "\"");
	for (; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		if (w->rc == 0 && p > run)
			w->rc = kho_buf_append(w->b, run, (size_t)(p - run));
		switch (*p) {
		case '"': jw_raw(w, "\\\""); break;
		case '\\': jw_raw(w, "\\\\"); break;
		case '\b': jw_raw(w, "\\b"); break;
		case '\f': jw_raw(w, "\\f"); break;
		case '\n': jw_raw(w, "\\n"); break;
		case '\r': jw_raw(w, "\\r"); break;
		case '\t': jw_raw(w, "\\t"); break;
		default:
			snprintf(e, sizeof e, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
			jw_raw(w, e);
		}
		run = p + 1;
	}
	if (w->rc == 0 && p > run)
		w->rc = kho_buf_append(w->b, run, (size_t)(p - run));
	jw_raw(w, "\"");
}

/* ,"key": then a value */
static void jw_key(struct jw *w, const char *key)
{
	jw_raw(w, ",\"");
	jw_raw(w, key);
	jw_raw(w, "\":");
}

static void jw_kstr(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

/* jstr_or_null's value */
static void jw_kstr_null(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s != NULL && s[0] != '\0')
		jw_str(w, s);
	else
		jw_raw(w, "null");
}

static void jw_kbool(struct jw *w, const char *key, int v)
{
	jw_key(w, key);
	jw_raw(w, v ? "true" : "false");
}

static void jw_ktime_null(struct jw *w, const char *key, int64_t t)
{
	char tbuf[32];

	jw_key(w, key);
	if (t > 0)
		jw_str(w, kho_time_format(tbuf, sizeof tbuf, (time_t)t));
	else
		jw_raw(w, "null");
}

/* One result row: result_json's members, in its order, as text; the
 * closing brace is left to the caller. Returns whether the package still
 * has its key. */
static int result_text(struct jw *w, sqlite3_stmt *st, const char *on, const status_rec *sr,
                       int *reusable)
{
	const char *status = effective_status(sr->status, col(st, 11), col(st, 12), on);
	const char *check = col(st, 21);
	int verified = strcmp(check[0] ? check : col(st, 18), "TOTAL-PASSED") == 0;
	int has_key = sqlite3_column_int(st, 23);

	*reusable = strcmp(status, "valid") == 0 && verified && has_key;
	jw_raw(w, "{\"result_code\":");
	jw_str(w, col(st, 0));
	jw_kstr(w, "package_id", col(st, 1));
	jw_kstr(w, "dossier_code", col(st, 2));
	jw_kstr(w, "procedure", col(st, 3));
	jw_kstr_null(w, "procedure_provincial", col(st, 4));
	jw_kstr(w, "agency", col(st, 5));
	jw_kstr_null(w, "result_type", col(st, 6));
	jw_kstr_null(w, "number_symbol", col(st, 7));
	jw_kstr(w, "subject_kind", col(st, 8));
	jw_kstr_null(w, "title", col(st, 9));
	jw_kstr_null(w, "issue_date", col(st, 10));
	jw_kstr_null(w, "valid_from", col(st, 11));
	jw_kstr_null(w, "valid_until", col(st, 12));
	jw_kstr_null(w, "supersedes", col(st, 13));
	jw_kstr(w, "status", status);
	jw_kstr(w, "recorded_status", sr->status);
	jw_kstr_null(w, "status_decision", sr->decision);
	if (sr->decision[0] != '\0') {
		char tbuf[32];
		jw_kstr(w, "status_changed_at", kho_time_format(tbuf, sizeof tbuf, (time_t)sr->at));
	} else {
		jw_kstr_null(w, "status_changed_at", NULL);
	}
	jw_kstr_null(w, "superseded_by", sr->superseded_by);
	jw_kstr(w, "ingest_indication", col(st, 18));
	jw_kstr_null(w, "ingest_sub_indication", col(st, 19));
	jw_kbool(w, "marked_indeterminate", sqlite3_column_int(st, 20));
	jw_kstr_null(w, "last_verification", check);
	jw_ktime_null(w, "last_verified_at", sqlite3_column_int64(st, 22));
	jw_kbool(w, "destroyed", !has_key);
	jw_kstr(w, "valid_on", on);
	jw_kbool(w, "reusable", *reusable);
	return has_key;
}

int catalog_lookup_write(catalog *c, const catalog_query *q, const char *actor,
                         const char *actor_agency, const catalog_lookup_hooks *h, kho_buf *out,
                         catalog_lookup_event *ev, kho_err *err)
{
	struct jw w = { out, 0 };
	lookup_cursor k;
	sqlite3_stmt *st;
	char on[11], num[64], proc_buf[CATALOG_CODE_MAX];
	int s = SQLITE_DONE, rc = 0, n = 0, nreusable = 0;

	memset(ev, 0, sizeof *ev);
	if ((rc = lookup_date(q, on, err)) != 0)
		return rc;
	catalog_lock(c);
	if (lookup_open(c, q, &k, err) != 0) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	proc_buf[0] = '\0';
	jw_raw(&w, "{\"results\":[");
	while (w.rc == 0 && rc == 0 && n < CATALOG_LOOKUP_MAX &&
	       (st = lookup_next(&k, &s)) != NULL) {
		int reusable;
		status_rec sr;
		if (row_status(c, st, on, &sr, err) != 0) {
			rc = KHO_EIO;
			break;
		}
		if (n > 0)
			jw_raw(&w, ",");
		if (result_text(&w, st, on, &sr, &reusable) && h != NULL && h->entry != NULL &&
		    w.rc == 0 && h->entry(h->arg, col(st, 0), out, err) < 0)
			rc = KHO_EIO;
		jw_raw(&w, "}");
		if (n == 0 || (reusable && nreusable == 0))   /* see lookup_event */
			copy(proc_buf, sizeof proc_buf, col(st, 3));
		n++;
		nreusable += reusable;
	}
	if (rc == 0 && w.rc == 0 && s != SQLITE_DONE && s != SQLITE_ROW)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	/* The catalog was read (even if a hook or the writer failed after):
	 * the event to record, as catalog_lookup_read's callers did. */
	if (s == SQLITE_DONE || s == SQLITE_ROW)
		lookup_event(q, actor, actor_agency, proc_buf, n, nreusable, ev);
	lookup_close(&k);
	catalog_unlock(c);
	if (rc == 0 && w.rc == 0 && h != NULL && h->more != NULL &&
	    h->more(h->arg, out, n > 0, err) < 0)
		rc = KHO_EIO;
	snprintf(num, sizeof num, "],\"found\":%d,\"reusable\":%d,\"valid_on\":", n, nreusable);
	jw_raw(&w, num);
	jw_str(&w, on);
	jw_kstr(&w, "purpose", q->purpose);
	if (rc == 0 && w.rc == 0 && h != NULL && h->tail != NULL && h->tail(h->arg, out, err) < 0)
		rc = KHO_EIO;
	jw_raw(&w, "}");
	if (rc == 0 && w.rc == KHO_EFORMAT)
		rc = kho_err_set(err, KHO_EFORMAT, "a catalog text is not valid UTF-8");
	else if (rc == 0 && w.rc != 0)
		rc = kho_err_set(err, w.rc, "out of memory");
	return rc;
}

int catalog_record_lookups(catalog *c, const catalog_lookup_event *evs, size_t n, kho_err *err)
{
	sqlite3_stmt *st;
	char detail[512];
	audit_event ae;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	catalog_lock(c);
	if ((rc = catalog_begin(c, err)) != 0) {
		catalog_unlock(c);
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const catalog_lookup_event *ev = &evs[i];
		st = catalog_stmt(c, "INSERT INTO reuse(at, month, procedure, purpose, agency, found,"
		                     " reusable, for_today) VALUES(?,?,?,?,?,?,?,?)", err);
		if (st == NULL) {
			rc = KHO_EIO;
			break;
		}
		sqlite3_bind_int64(st, 1, ev->at);
		sqlite3_bind_text(st, 2, ev->month, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ev->procedure, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ev->purpose, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ev->agency, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, ev->found);
		sqlite3_bind_int(st, 7, ev->reusable);
		sqlite3_bind_int(st, 8, ev->for_today);
		if ((rc = step_done(c, st, err)) != 0)
			break;
		snprintf(detail, sizeof detail, "purpose %s, subject-mac %s, %d found, %d reusable",
		         ev->purpose, ev->subject_mac_prefix, ev->found, ev->reusable);
		ae.actor = ev->actor;
		ae.action = "lookup";
		ae.object = ev->procedure;
		ae.status = 200;
		ae.detail = detail;
		rc = audit_append_locked(c, &ae, err);
	}
	if (rc == 0)
		rc = catalog_commit(c, err);
	else
		catalog_rollback(c);
	catalog_unlock(c);
	return rc;
}

int catalog_lookup(catalog *c, const catalog_query *q, const char *actor,
                   const char *actor_agency, json_t **out, kho_err *err)
{
	catalog_lookup_event ev;
	int rc;

	rc = catalog_lookup_read(c, q, actor, actor_agency, out, &ev, err);
	if (rc != 0)
		return rc;
	rc = catalog_record_lookups(c, &ev, 1, err);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int catalog_reuse_stats(catalog *c, json_t **out, kho_err *err)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int s;

	*out = NULL;
	if (arr == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	catalog_lock(c);
	/* The indicator counts new dossiers, not lookups: each purpose once per
	 * procedure and month, among the lookups judged for today (found by
	 * review: historical checks and repeated lookups for one dossier each
	 * counted). Deduplicated here, not per lookup: the lookup's hot path
	 * only inserts its row. */
	st = catalog_stmt(c, "SELECT month, procedure, COUNT(*), SUM(reusable > 0), SUM(found > 0),"
	                     " COUNT(DISTINCT CASE WHEN for_today THEN purpose END),"
	                     " COUNT(DISTINCT CASE WHEN for_today AND reusable > 0 THEN purpose END)"
	                     " FROM reuse GROUP BY month, procedure ORDER BY month, procedure", err);
	if (st == NULL) {
		catalog_unlock(c);
		json_decref(arr);
		return KHO_EIO;
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}",
			"month", col(st, 0), "procedure", col(st, 1),
			"lookups", (json_int_t)sqlite3_column_int64(st, 2),
			"found_reusable", (json_int_t)sqlite3_column_int64(st, 3),
			"found_any", (json_int_t)sqlite3_column_int64(st, 4),
			"dossiers", (json_int_t)sqlite3_column_int64(st, 5),
			"dossiers_reusable", (json_int_t)sqlite3_column_int64(st, 6)));
	sqlite3_reset(st);
	catalog_unlock(c);
	if (s != SQLITE_DONE) {
		json_decref(arr);
		return kho_err_set(err, KHO_EIO, "catalog: read failed");
	}
	*out = json_pack("{s:o}", "stats", arr);
	return *out ? 0 : kho_err_set(err, KHO_ENOMEM, "out of memory");
}

static int64_t count(catalog *c, const char *sql, kho_err *err, int *rc)
{
	sqlite3_stmt *st = catalog_stmt(c, sql, err);
	int64_t v = 0;

	if (st == NULL) {
		*rc = KHO_EIO;
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		*rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	return v;
}

int catalog_counts_get(catalog *c, catalog_counts *out, kho_err *err)
{
	int rc = 0;

	memset(out, 0, sizeof *out);
	catalog_lock(c);
	out->packages = count(c, "SELECT COUNT(*) FROM packages", err, &rc);
	out->stored_bytes = count(c, "SELECT COALESCE(SUM(size), 0) FROM packages", err, &rc);
	out->results = count(c, "SELECT COUNT(*) FROM results", err, &rc);
	/* Valid today: the decision in force today (status_on), so that a
	 * suspension recorded ahead of its day does not count yet. */
	{
		time_t now = kho_now();
		int64_t tomorrow = (int64_t)kho_local_day_start(kho_local_day(now) + 1);
		char day[11];
		sqlite3_stmt *st;

		kho_local_date(day, now);
		st = catalog_stmt(c, "SELECT COUNT(*) FROM results r WHERE CASE WHEN"
		                     " COALESCE(r.status_ref, '') = '' OR r.status_at < ?1 THEN r.status"
		                     " ELSE COALESCE((SELECT h.status FROM result_status h WHERE"
		                     " h.result_code = r.result_code AND h.effective <= ?2 ORDER BY"
		                     " h.seq DESC LIMIT 1), 'valid') END = 'valid'", err);
		if (st == NULL) {
			rc = KHO_EIO;
		} else {
			sqlite3_bind_int64(st, 1, tomorrow);
			sqlite3_bind_text(st, 2, day, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW)
				out->results_valid = sqlite3_column_int64(st, 0);
			else
				rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
			sqlite3_reset(st);
		}
	}
	out->lookups = count(c, "SELECT COUNT(*) FROM reuse", err, &rc);
	out->lookups_reusable = count(c, "SELECT COUNT(*) FROM reuse WHERE reusable > 0", err, &rc);
	out->audit_events = count(c, "SELECT COALESCE(MAX(seq), 0) FROM audit", err, &rc);
	out->tokens = count(c, "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL", err, &rc);
	catalog_unlock(c);
	return rc;
}

int catalog_each_package(catalog *c, const char *after,
                         int (*fn)(const catalog_package *p, void *arg), void *arg, kho_err *err)
{
	enum { PAGE = 256 };
	catalog_package *page;
	char last[65] = "";
	int rc = 0;

	if (after != NULL)
		copy(last, sizeof last, after);
	page = malloc(PAGE * sizeof *page);
	if (page == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	for (;;) {
		sqlite3_stmt *st;
		int n = 0, i, s;

		catalog_lock(c);
		st = catalog_stmt(c, "SELECT " PKG_COLS " FROM packages WHERE id > ? ORDER BY id LIMIT 256",
		                  err);
		if (st == NULL) {
			catalog_unlock(c);
			rc = KHO_EIO;
			break;
		}
		sqlite3_bind_text(st, 1, last, -1, SQLITE_STATIC);
		while (n < PAGE && (s = sqlite3_step(st)) == SQLITE_ROW)
			read_pkg(c, st, &page[n++]);
		sqlite3_reset(st);
		catalog_unlock(c);
		for (i = 0; i < n && rc == 0; i++)
			rc = fn(&page[i], arg);
		if (rc != 0 || n < PAGE)
			break;
		memcpy(last, page[n - 1].id, sizeof last);
	}
	free(page);
	return rc;
}

/* ---- public verification (issue 5, docs/verify-page.md) --------------- */

int catalog_verify_key(catalog *c, const char *result_code, unsigned char hash[32],
                       unsigned char wrapped[24], kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc;

	catalog_lock(c);
	st = catalog_stmt(c, "SELECT key_hash, key_wrapped FROM verify_keys WHERE result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 && sqlite3_column_bytes(st, 1) == 24) {
		if (hash != NULL)
			memcpy(hash, sqlite3_column_blob(st, 0), 32);
		if (wrapped != NULL)
			memcpy(wrapped, sqlite3_column_blob(st, 1), 24);
		rc = 0;
	} else if (s == SQLITE_ROW || s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "no verification key");
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_set_verify_key(catalog *c, const char *result_code, const unsigned char hash[32],
                           const unsigned char wrapped[24], kho_err *err)
{
	sqlite3_stmt *st;
	int rc;

	catalog_lock(c);
	st = catalog_stmt(c, "INSERT OR REPLACE INTO verify_keys(result_code, key_hash, key_wrapped,"
	                     " created_at) SELECT result_code, ?, ?, ? FROM results"
	                     " WHERE result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, wrapped, 24, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)kho_now());
	sqlite3_bind_text(st, 4, result_code, -1, SQLITE_STATIC);
	rc = step_done(c, st, err);
	if (rc == 0 && sqlite3_changes(c->db) == 0)
		rc = kho_err_set(err, KHO_ENOTFOUND, "no result %s", result_code);
	catalog_unlock(c);
	return rc;
}

int catalog_results_without_key_after(catalog *c, const char *after,
                                      char (*codes)[CATALOG_CODE_MAX], size_t max, size_t *n,
                                      kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc = 0;

	*n = 0;
	catalog_lock(c);
	/* "result_code > ?": each batch of the start-up migration starts where
	 * the previous one ended (a seek in the primary key), instead of
	 * walking again past every result already given a key, which made a
	 * migration of a million results quadratic. */
	st = catalog_stmt(c, "SELECT r.result_code FROM results r LEFT JOIN verify_keys k"
	                     " ON k.result_code = r.result_code WHERE k.result_code IS NULL"
	                     " AND r.result_code > ?2 ORDER BY r.result_code LIMIT ?1", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		copy(codes[(*n)++], CATALOG_CODE_MAX, col(st, 0));
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_same_package(catalog *c, const char *result_code, const catalog_object *objs, size_t n,
                         catalog_pkg_brief *out, kho_err *err)
{
	sqlite3_stmt *st;
	size_t seen = 0, i;
	int s, rc = KHO_ENOTFOUND;

	memset(out, 0, sizeof *out);
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT p.id, p.indication, p.sub, p.marked FROM results r"
	                     " JOIN packages p ON p.id = r.package_id WHERE r.result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		copy(out->id, sizeof out->id, col(st, 0));
		copy(out->indication, sizeof out->indication, col(st, 1));
		copy(out->sub, sizeof out->sub, col(st, 2));
		out->marked = sqlite3_column_int(st, 3);
	}
	sqlite3_reset(st);
	if (s != SQLITE_ROW) {
		catalog_unlock(c);
		return s == SQLITE_DONE ? kho_err_set(err, KHO_ENOTFOUND, "no such result")
		                        : kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	st = catalog_stmt(c, "SELECT name, sha256 FROM objects WHERE package_id = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
	rc = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW && rc == 0) {
		const char *name = col(st, 0);
		const void *sha = sqlite3_column_blob(st, 1);
		for (i = 0; i < n && strcmp(objs[i].name, name) != 0; i++)
			;
		if (i == n || sqlite3_column_bytes(st, 1) != 32 || memcmp(objs[i].sha256, sha, 32) != 0)
			rc = KHO_ENOTFOUND;
		seen++;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	else if (rc == 0 && seen != n)
		rc = KHO_ENOTFOUND;
	if (rc == KHO_ENOTFOUND)
		kho_err_set(err, rc, "the archived result holds other objects");
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_code_by_object(catalog *c, const unsigned char sha256[32],
                           char code[CATALOG_CODE_MAX], kho_err *err)
{
	sqlite3_stmt *st;
	int s, rc;

	catalog_lock(c);
	/* The newest package holding the object; its result code. Never by
	 * its record.xml: that holds the subject's personal number, so a
	 * public "is this file archived?" over a guessed record would confirm
	 * a guessed number (found by review); the result's own files only. */
	/* A file several results hold (a shared attachment, a template) names
	 * none of them: answering with the newest would show an unrelated
	 * record to whoever holds the file (found by review, 2026-12-08). */
	st = catalog_stmt(c, "SELECT p.result_code FROM objects o JOIN packages p ON p.id = o.package_id"
	                     " WHERE o.sha256 = ? AND o.name <> 'record.xml' GROUP BY p.result_code"
	                     " ORDER BY MAX(p.ingested_at) DESC LIMIT 2", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		copy(code, CATALOG_CODE_MAX, col(st, 0));
		rc = 0;
		if ((s = sqlite3_step(st)) == SQLITE_ROW) {
			code[0] = '\0';
			rc = kho_err_set(err, KHO_ECONFLICT, "held by several results");
		}
	} else if (s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "not archived");
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}

int catalog_result_status(catalog *c, const char *result_code, char status[32], char package_id[65],
                          kho_err *err)
{
	sqlite3_stmt *st;
	char on[11];
	int s, rc;

	today(on);
	catalog_lock(c);
	st = catalog_stmt(c, "SELECT r.status, r.valid_from, r.valid_until, r.package_id,"
	                     " kho_has_key(p.id, p.wrapped_key), r.status_ref, r.superseded_by,"
	                     " r.status_at FROM results r"
	                     " LEFT JOIN packages p ON p.id = r.package_id WHERE r.result_code = ?", err);
	if (st == NULL) {
		catalog_unlock(c);
		return KHO_EIO;
	}
	sqlite3_bind_text(st, 1, result_code, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		status_rec sr;
		rc = status_on(c, result_code, col(st, 0), col(st, 5), col(st, 6),
		               sqlite3_column_int64(st, 7), on, &sr, err);
		if (sqlite3_column_int(st, 4) == 0)
			copy(status, 32, "destroyed");
		else if (rc == 0)
			copy(status, 32, effective_status(sr.status, col(st, 1), col(st, 2), on));
		copy(package_id, 65, col(st, 3));
	} else if (s == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "no result %s", result_code);
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(c->db));
	}
	sqlite3_reset(st);
	catalog_unlock(c);
	return rc;
}
