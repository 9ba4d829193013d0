/*
 * keystore.h: the package keys, kept OUTSIDE the data directory, one small
 * file per key, so that destroying a record really destroys its key
 * ("crypto-shredding", issue 4 deliverable 7 and test 11: after destruction
 * the package cannot be decrypted even from a copy of the data directory
 * taken before).
 *
 * Why a separate directory: the data directory (store, catalog, master key)
 * is what operators copy and back up. If a package key, even wrapped, lived
 * there together with the key that unwraps it, every copy taken before a
 * destruction would still decrypt the destroyed package. The key store is a
 * different directory (`--keys DIR`, default the sibling `DATA.keys/`), kept
 * on its own medium and never part of a data-directory backup; its own
 * backups must be short-lived (docs/retention.md, "Crypto-shredding").
 *
 * Why one file per key: deleting a row of SQLite or of any log-structured
 * file leaves the bytes in free pages, WAL frames or journal copies. A
 * 32-byte file is overwritten in place with zeros, fsync'ed, unlinked, and
 * the directory fsync'ed: nothing of the key remains in the key store.
 * (Media-level remanence, SSD wear levelling or file-system snapshots are
 * out of reach of any program: docs/retention.md says so.)
 *
 * Layout:  KEYS/<first two hex of id>/<id>.key  mode 0600, exactly 40
 * bytes: the AES-256 package key wrapped under the master key (AES key
 * wrap, RFC 3394, as issue 3 asks: "the key wrapped by a master key read
 * from a key file"), so that the key store alone, stolen from its own
 * medium, decrypts nothing. The directories are 0700. A 32-byte file is a
 * raw key written before wrapping existed: keystore_open rewraps every such
 * file once (durably), then writes KEYS/FORMAT so later opens skip the walk;
 * keystore_get still reads one (from a restored key-store backup). A key
 * file of another size, a symlink or a group/other-readable file is
 * refused (KHO_EUNSAFE); a file that does not unwrap with the master key
 * is KHO_ECRYPTO.
 *
 * Pending keys: KEYS/<2 hex>/<id>.key.pending, the same 40 bytes, is the
 * key of a package an ingest of this daemon has written but not yet seen
 * committed (keystore_put_pending_nosync, durable before the catalog
 * commit); keystore_commit renames it to <id>.key once the commit is done
 * (no fsync: if a crash loses the rename, start-up recovery redoes it from
 * the catalog). keystore_get, keystore_has and keystore_destroy know both
 * names. Start-up recovery shreds a pending key whose package the catalog
 * does not hold and the audit trail never acknowledged, with the store file
 * it removes (found by review: a key kept there decrypted the never
 * acknowledged package from a store backup after the record's destruction),
 * while a final key of an unknown package stays (it may be another copy of
 * the catalog's committed package).
 */
#ifndef KHO_KEYSTORE_H
#define KHO_KEYSTORE_H

#include <stddef.h>

#include "common/err.h"

#define KEYSTORE_KEY_LEN 32
#define KEYSTORE_WRAPPED_LEN 40   /* RFC 3394 wrap of a 32-byte key */

typedef struct keystore keystore;

/*
 * keystore_default_dir: "DATA.keys" for data directory DATA (a trailing
 * slash of DATA is ignored) into buf. KHO_EINVAL if it does not fit.
 */
int keystore_default_dir(char *buf, size_t n, const char *data_dir, kho_err *err);

/* keystore_open: the key store in dir (created 0700 with its parents),
 * wrapping and unwrapping under master (copied; wiped by keystore_free);
 * *rewrapped (may be NULL) counts the legacy raw keys it wrapped on this
 * open. *out is owned by the caller (keystore_free). */
int keystore_open(keystore **out, const char *dir, const unsigned char master[KEYSTORE_KEY_LEN],
                  size_t *rewrapped, kho_err *err);
/* keystore_open_existing: keystore_open for the tools, creating and
 * migrating nothing: KHO_ENOTFOUND naming dir if it does not exist (a
 * mistyped --keys must not become an empty key store). */
int keystore_open_existing(keystore **out, const char *dir,
                           const unsigned char master[KEYSTORE_KEY_LEN], kho_err *err);

/*
 * keystore_put: keep key under package id (64 lower-case hex digits),
 * durable on return. Putting the same key again is a no-op; another key
 * under an existing id is KHO_ECONFLICT (a key is never replaced silently).
 */
int keystore_put(keystore *ks, const char *id, const unsigned char key[KEYSTORE_KEY_LEN],
                 kho_err *err);
/*
 * keystore_put_nosync: keystore_put without its fsyncs: the key file is
 * written and renamed into place, durable only once the caller has synced
 * the key store's file system (the ingest's group commit does, before the
 * catalog commit). The ingest uses its pending form,
 * keystore_put_pending_nosync: a crash before that commit leaves the key
 * with its store file (ingest_recover removes both) or, after a power
 * failure that lost the store file, alone: an unreferenced key that
 * decrypts nothing, used again if the same package is ingested again. A
 * final key no row of this catalog names is never swept nor replaced (the
 * key store may serve other copies of the catalog); only an empty or torn
 * one is.
 */
int keystore_put_nosync(keystore *ks, const char *id, const unsigned char key[KEYSTORE_KEY_LEN],
                        kho_err *err);

/*
 * keystore_put_pending_nosync: keystore_put_nosync under the pending name
 * <id>.key.pending (a key already under either name is compared, as by
 * keystore_put). The ingest's key, before its catalog commit.
 */
int keystore_put_pending_nosync(keystore *ks, const char *id,
                                const unsigned char key[KEYSTORE_KEY_LEN], kho_err *err);
/*
 * keystore_commit: rename id's pending key to its final name (no fsync), once
 * its package is committed. KHO_ENOTFOUND if there is no pending key (already
 * renamed, or the key was final from the start).
 */
int keystore_commit(keystore *ks, const char *id, kho_err *err);
/*
 * keystore_each_pending: fn(id, arg) for every pending key, until fn returns
 * non-zero (returned). keystore_destroy_pending: shred the pending key of id
 * only (KHO_ENOTFOUND if none), leaving a final one.
 */
int keystore_each_pending(keystore *ks, int (*fn)(const char *id, void *arg), void *arg,
                          kho_err *err);
int keystore_destroy_pending(keystore *ks, const char *id, kho_err *err);

/* keystore_get: the key of id into key, under its final or pending name. KHO_ENOTFOUND once destroyed or never put;
 * KHO_EUNSAFE for a file of the wrong size or mode; KHO_ECRYPTO if it does
 * not unwrap with the master key. */
int keystore_get(keystore *ks, const char *id, unsigned char key[KEYSTORE_KEY_LEN],
                 kho_err *err);

/* keystore_has: 1 if a key file exists for id (either name), else 0. */
int keystore_has(keystore *ks, const char *id);

/*
 * keystore_track_pending: from now on this process writes every pending key
 * that a committed package can have (the daemon, once its start-up recovery
 * has renamed those of earlier runs), so keystore_has skips the pending name
 * while none of its own is outstanding. Without it (the command-line tools,
 * beside a running daemon) keystore_has always looks at both names.
 */
void keystore_track_pending(keystore *ks);

/*
 * keystore_pending_begin / _end: around a catalog commit whose package's key
 * may be under its pending name, from before the commit until after the
 * rename (or the commit's failure). A rename that fails is never ended: the
 * key stays pending, and keystore_has keeps looking for it.
 */
void keystore_pending_begin(keystore *ks);
void keystore_pending_end(keystore *ks);

/*
 * keystore_clean_tmp: shred (overwrite, fsync, unlink) every temporary key
 * file "<id>.key.tmp-*" or "<id>.key.pending.tmp-*" a crash left in the key store: each may hold a
 * wrapped package key, and no later destruction of that package would
 * reach it. *removed counts them. Each is first renamed to "<name>.gone",
 * so a writer that had not yet renamed it into place (another process on
 * the same key store) fails its put with an error instead of putting a
 * shredded key in place: nothing acknowledged is lost. Run at daemon start.
 */
int keystore_clean_tmp(keystore *ks, size_t *removed, kho_err *err);

/*
 * keystore_destroy: overwrite the key file of id (pending, then final name:
 * both) with zeros, fsync, unlink
 * and fsync its directory. KHO_ENOTFOUND if there is no such key (already
 * destroyed), KHO_EIO if any step failed (the caller must not record the
 * destruction as done).
 */
int keystore_destroy(keystore *ks, const char *id, kho_err *err);

/* keystore_dir: the directory (borrowed). */
const char *keystore_dir(const keystore *ks);

/* keystore_free: NULL is a no-op. */
void keystore_free(keystore *ks);

#endif
