/*
 * ingest.c: ingest, re-verification, fixity and crash recovery (see
 * ingest.h).
 */
#include "archive/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "archive/audit.h"
#include "archive/manifest.h"
#include "archive/pkg.h"
#include "archive/qr.h"
#include "sign/lta.h"
#include "common/util.h"

#define INGEST_OBJECTS_MAX 1000   /* data objects indexed per package (pkg_limits max_entries) */

/*
 * The group's durability step (catalog_set_group_sync): every ingest of the
 * group wrote its store file and key file without fsyncs (their data
 * written out by kho_write_out, which reported their own write errors to
 * that ingest: syncfs reports one only to its first caller); one syncfs per
 * file system makes all of them (data, inodes, directory entries) durable
 * at once, then an fsync of the directory: on ext4 without a journal
 * syncfs issues its cache flush before its last metadata writes have
 * completed, and an fsync always ends with a flush. Run by the group's
 * leader before the catalog commit; a failure fails the whole group.
 */
static int group_sync(void *arg, kho_err *err)
{
	ingest_ctx *c = arg;
	int i;

	for (i = 0; i < 2; i++)
		if (c->sync_fd[i] >= 0 && (syncfs(c->sync_fd[i]) != 0 || fsync(c->sync_fd[i]) != 0))
			return kho_err_set(err, KHO_EIO, "%s: cannot make the files durable: %s",
			                   i == 0 ? store_dir(c->st) : keystore_dir(c->ks),
			                   strerror(errno));
	return 0;
}

static int open_sync_dirs(ingest_ctx *c, kho_err *err)
{
	const char *dir[2] = { store_dir(c->st), keystore_dir(c->ks) };
	struct stat st[2];
	int i;

	for (i = 0; i < 2; i++) {
		c->sync_fd[i] = open(dir[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c->sync_fd[i] < 0 || fstat(c->sync_fd[i], &st[i]) != 0)
			return kho_err_set(err, KHO_EIO, "%s: %s", dir[i], strerror(errno));
	}
	if (st[0].st_dev == st[1].st_dev) {
		close(c->sync_fd[1]);
		c->sync_fd[1] = -1;
	}
	return 0;
}

/*
 * The subject key's HMAC-SHA256, keyed once (ingest_open): each
 * ingest_subject_mac copies it and hashes the number. HMAC() fetched HMAC
 * and SHA-256 from the provider store and hashed the key's two pads on every
 * call (3-4% of a lookup's CPU). The copy reads the keyed context only, so
 * concurrent lookups share it without a lock.
 */
static EVP_MAC_CTX *subject_mac_new(const unsigned char key[32])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *x = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	                   OSSL_PARAM_construct_end() };

	EVP_MAC_free(m);   /* x holds its own reference */
	if (x != NULL && !EVP_MAC_init(x, key, 32, p)) {
		EVP_MAC_CTX_free(x);
		x = NULL;
	}
	return x;
}

/* keystore_absent: dir does not exist, or is an empty directory (an
 * unmounted mount point; found by review): no key store a daemon opened
 * (which leaves FORMAT and its fan-out), nor a legacy one with key files. */
static int keystore_absent(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int empty = 1;

	if (d == NULL)
		return errno == ENOENT;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* open_ctx: ingest_open (create 1) and ingest_open_existing (create 0). */
static int open_ctx(ingest_ctx **out, const config *cfg, const char *data_dir, int need_trust,
                    int create, kho_err *err)
{
	char mk[PATH_MAX], sk[PATH_MAX], db[PATH_MAX], keys[PATH_MAX], kdir[PATH_MAX];
	ingest_ctx *c;
	size_t i;
	int rc, new_mk = 0, new_sk = 0;

	*out = NULL;
	if (data_dir == NULL)
		return kho_err_set(err, KHO_EINVAL, "no data directory (--data DIR)");
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	c->sync_fd[0] = c->sync_fd[1] = -1;
	for (i = 0; i < INGEST_STRIPES; i++)
		pthread_mutex_init(&c->stripes[i], NULL);
	c->cfg = cfg;
	if ((size_t)snprintf(c->data, sizeof c->data, "%s", data_dir) >= sizeof c->data ||
	    (size_t)snprintf(keys, sizeof keys, "%s/keys", data_dir) >= sizeof keys ||
	    (size_t)snprintf(db, sizeof db, "%s/catalog.db", data_dir) >= sizeof db) {
		rc = kho_err_set(err, KHO_EINVAL, "data directory path too long");
		goto fail;
	}
	snprintf(mk, sizeof mk, "%s", cfg->master_key_file ? cfg->master_key_file : "");
	snprintf(sk, sizeof sk, "%s", cfg->subject_key_file ? cfg->subject_key_file : "");
	if (mk[0] == '\0' && (size_t)snprintf(mk, sizeof mk, "%s/master.key", keys) >= sizeof mk)
		mk[0] = '\0';
	if (sk[0] == '\0' && (size_t)snprintf(sk, sizeof sk, "%s/subject.key", keys) >= sizeof sk)
		sk[0] = '\0';
	/* The catalog first: it says whether a key file is new (no check value
	 * of it recorded yet: the daemon's first start) or one it was written
	 * with, which a later start must find, never make anew (found by
	 * review: a lost master key was replaced by a random decoy before the
	 * check refused it; an unmounted key store became an empty one, and
	 * every package read as destroyed). */
	if (create) {
		if ((rc = kho_mkdir_p(data_dir, 0700, err)) != 0 ||
		    (rc = kho_mkdir_p(keys, 0700, err)) != 0 ||
		    (rc = catalog_open(&c->cat, db, err)) != 0)
			goto fail;
		new_mk = !catalog_key_recorded(c->cat, "master");
		new_sk = !catalog_key_recorded(c->cat, "subject");
		if ((rc = store_open(&c->st, data_dir, mk, new_mk, err)) != 0)
			goto fail;
	} else {
		/* The catalog first: without it this is no data directory at all,
		 * whatever else is missing. */
		if (access(db, F_OK) != 0) {
			rc = kho_err_set(err, KHO_ENOTFOUND, "%s is not a kho data directory (no catalog.db)",
			                 data_dir);
			goto fail;
		}
		if ((rc = store_open_existing(&c->st, data_dir, mk, err)) != 0)
			goto fail;
	}
	/* store_open created the master key if it was absent; keep a copy for
	 * the verification keys (qr_key_wrap derives its own KEK from it). */
	if ((rc = (new_mk ? store_key_file : store_key_file_read)(c->master_key, mk, err)) != 0)
		goto fail;
	if ((rc = (new_sk ? store_key_file : store_key_file_read)(c->subject_key, sk, err)) != 0)
		goto fail;
	if ((c->subject_mac = subject_mac_new(c->subject_key)) == NULL) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "HMAC-SHA256 unavailable");
		goto fail;
	}
	if (!create && (rc = catalog_open_existing(&c->cat, db, err)) != 0)
		goto fail;
	if ((rc = catalog_key_check(c->cat, "master", c->master_key, mk, err)) != 0 ||
	    (rc = catalog_key_check(c->cat, "subject", c->subject_key, sk, err)) != 0)
		goto fail;
	/* The package keys live outside the data directory (keystore.h,
	 * docs/retention.md "Crypto-shredding"): a copy of DATA alone never
	 * decrypts a package. */
	if (cfg->keys != NULL && cfg->keys[0] != '\0') {
		if ((size_t)snprintf(kdir, sizeof kdir, "%s", cfg->keys) >= sizeof kdir) {
			rc = kho_err_set(err, KHO_EINVAL, "key store path too long");
			goto fail;
		}
	} else if ((rc = keystore_default_dir(kdir, sizeof kdir, data_dir, err)) != 0) {
		goto fail;
	}
	if (create && keystore_absent(kdir) && catalog_keystore_used(c->cat)) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "%s: no such key store (missing, or an empty"
		                 " directory: an unmounted volume?), and the catalog has packages whose"
		                 " keys it holds: mount or restore it, or give --keys DIR (it is created"
		                 " only by the daemon's first start)", kdir);
		goto fail;
	}
	if ((rc = create ? keystore_open(&c->ks, kdir, c->master_key, NULL, err)
	                 : keystore_open_existing(&c->ks, kdir, c->master_key, err)) != 0)
		goto fail;
	catalog_set_keystore(c->cat, c->ks);
	if ((rc = open_sync_dirs(c, err)) != 0)
		goto fail;
	catalog_set_group_sync(c->cat, group_sync, c);
	for (i = 0; i < cfg->ntrust; i++) {
		STACK_OF(X509) *s = NULL;
		if ((rc = verify_load_certs(&s, cfg->trust[i], err)) != 0)
			goto fail;
		if (c->anchors == NULL) {
			c->anchors = s;
		} else {
			while (sk_X509_num(s) > 0)
				sk_X509_push(c->anchors, sk_X509_shift(s));
			sk_X509_free(s);
		}
	}
	for (i = 0; i < cfg->ncrls; i++) {
		STACK_OF(X509_CRL) *s = NULL;
		if ((rc = verify_load_crls(&s, cfg->crls[i], err)) != 0)
			goto fail;
		if (c->crls == NULL) {
			c->crls = s;
		} else {
			while (sk_X509_CRL_num(s) > 0)
				sk_X509_CRL_push(c->crls, sk_X509_CRL_shift(s));
			sk_X509_CRL_free(s);
		}
	}
	if (need_trust && (c->anchors == NULL || sk_X509_num(c->anchors) == 0)) {
		rc = kho_err_set(err, KHO_EINVAL, "no trust anchors: give --trust PEM or \"trust\" in the config");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	ingest_close(c);
	return rc;
}

int ingest_open(ingest_ctx **out, const config *cfg, const char *data_dir, int need_trust,
                kho_err *err)
{
	return open_ctx(out, cfg, data_dir, need_trust, 1, err);
}

int ingest_open_existing(ingest_ctx **out, const config *cfg, const char *data_dir,
                         int need_trust, kho_err *err)
{
	return open_ctx(out, cfg, data_dir, need_trust, 0, err);
}

void ingest_close(ingest_ctx *c)
{
	size_t i;

	if (c == NULL)
		return;
	catalog_close(c->cat);
	keystore_free(c->ks);
	store_free(c->st);
	for (i = 0; i < 2; i++)
		if (c->sync_fd[i] >= 0)
			close(c->sync_fd[i]);
	sk_X509_pop_free(c->anchors, X509_free);
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	EVP_MAC_CTX_free(c->subject_mac);   /* cleanses its copy of the key */
	OPENSSL_cleanse(c->subject_key, sizeof c->subject_key);
	OPENSSL_cleanse(c->master_key, sizeof c->master_key);
	for (i = 0; i < INGEST_STRIPES; i++)
		pthread_mutex_destroy(&c->stripes[i]);
	free(c);
}

int ingest_subject_mac(const ingest_ctx *c, const char *subject_id, unsigned char out[32])
{
	EVP_MAC_CTX *x;
	size_t len = 0;
	int ok;

	if (subject_id == NULL)
		return KHO_EINVAL;
	x = EVP_MAC_CTX_dup(c->subject_mac);
	ok = x != NULL && EVP_MAC_update(x, (const unsigned char *)subject_id, strlen(subject_id)) &&
	     EVP_MAC_final(x, out, &len, 32) && len == 32;
	EVP_MAC_CTX_free(x);
	return ok ? 0 : KHO_ECRYPTO;
}

void ingest_result_clear(ingest_result *r)
{
	if (r == NULL)
		return;
	verify_report_free(r->report);
	memset(r, 0, sizeof *r);
}

int ingest_acceptable(const ingest_ctx *c, const verify_report *rep)
{
	if (rep->indication == VR_TOTAL_PASSED)
		return 1;
	return rep->indication == VR_INDETERMINATE && config_accepts(c->cfg, vr_sub_name(rep->sub));
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void verify_options(const ingest_ctx *c, verify_opts *o)
{
	memset(o, 0, sizeof *o);
	o->anchors = c->anchors;
	o->crls = c->crls;
	o->at = 0;
	o->limits = NULL;
}

static unsigned stripe_of(const char *id)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v * 16 + (unsigned)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return v % INGEST_STRIPES;
}

/*
 * The SHA-256 the verifier computed for the entry `name` while checking it
 * against a signed manifest (vr_object.sha256), or NULL.
 */
static const unsigned char *verified_sha256(const verify_report *rep, const char *name)
{
	size_t i, j;

	for (i = 0; i < rep->nsigs; i++)
		for (j = 0; j < rep->sigs[i].nobjects; j++) {
			const vr_object *o = &rep->sigs[i].objects[j];
			if (o->have_sha256 && o->state == VR_OBJ_OK && o->name != NULL &&
			    strcmp(o->name, name) == 0)
				return o->sha256;
		}
	return NULL;
}

/*
 * The public verification data of a package about to be catalogued: a new
 * verification key and the SHA-256 of every data object (not META-INF/,
 * not mimetype): the digest the verifier computed from the same parsed
 * bytes when a signed manifest digests the object with SHA-256, else
 * computed here. *pk holds the names the objects borrow: the package the
 * verifier parsed (verify_opts.keep_pkg), else read here.
 */
/* The package being ingested: a file, or (path NULL) bytes in memory. A
 * renewal made by the daemon (renew_if_due) names the package it renews,
 * and the time its evidence must outlast. */
typedef struct {
	const char *path;
	const unsigned char *data;
	size_t len;
	const char *renews;          /* NULL, or: only a renewal of this package */
	time_t min_until;            /* with renews: verify_evidence_until must pass it */
} ingest_src;

static int verify_data(ingest_ctx *c, const ingest_src *src, const verify_report *rep,
                       catalog_verify_data *vd, catalog_object **objs, pkg **pk, kho_err *err)
{
	char key[QR_KEY_TEXT_LEN + 1];
	unsigned int mdlen;
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t i, n = 0;
	int rc;

	memset(vd, 0, sizeof *vd);
	*objs = NULL;
	if (*pk == NULL) {
		rc = src->path != NULL ? pkg_read_file(pk, src->path, NULL, err)
		                       : pkg_read_mem(pk, src->data, src->len, NULL, err);
		if (rc != 0)
			return rc;
	}
	if ((*pk)->nentries > INGEST_OBJECTS_MAX)
		return kho_err_set(err, KHO_ETOOBIG, "too many entries to index");
	*objs = calloc((*pk)->nentries ? (*pk)->nentries : 1, sizeof **objs);
	if (*objs == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	for (i = 0; i < (*pk)->nentries; i++) {
		const pkg_entry *e = &(*pk)->entries[i];
		const unsigned char *known;
		if (strncmp(e->name, "META-INF/", 9) == 0 || strcmp(e->name, "mimetype") == 0)
			continue;
		if ((known = verified_sha256(rep, e->name)) != NULL) {
			memcpy((*objs)[n].sha256, known, 32);
		} else {
			if ((rc = pkg_entry_digest(e, EVP_sha256(), md, &mdlen, err)) != 0)
				return rc;
			if (mdlen != 32)
				return kho_err_set(err, KHO_EINTERNAL, "SHA-256 of %d bytes", (int)mdlen);
			memcpy((*objs)[n].sha256, md, 32);
		}
		(*objs)[n].name = e->name;
		n++;
	}
	vd->objects = *objs;
	vd->nobjects = n;
	if ((rc = qr_key_new(key, vd->key_hash)) != 0)
		return kho_err_set(err, rc, "cannot make a verification key");
	rc = qr_key_wrap(vd->key_wrapped, c->master_key, key, err);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int ingest_issue_key(ingest_ctx *c, const char *result_code,
                     char key_out[QR_KEY_TEXT_LEN + 1], kho_err *err)
{
	char key[QR_KEY_TEXT_LEN + 1];
	unsigned char hash[QR_KEY_HASH_LEN], wrapped[QR_KEY_WRAPPED_LEN];
	int rc;

	if ((rc = qr_key_new(key, hash)) != 0)
		return kho_err_set(err, rc, "cannot make a verification key");
	if ((rc = qr_key_wrap(wrapped, c->master_key, key, err)) == 0 &&
	    (rc = catalog_set_verify_key(c->cat, result_code, hash, wrapped, err)) == 0 &&
	    key_out != NULL)
		memcpy(key_out, key, sizeof key);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int ingest_qr_key(ingest_ctx *c, const char *result_code, char key_out[QR_KEY_TEXT_LEN + 1],
                  kho_err *err)
{
	unsigned char wrapped[QR_KEY_WRAPPED_LEN];
	int rc;

	if ((rc = catalog_verify_key(c->cat, result_code, NULL, wrapped, err)) != 0)
		return rc;
	return qr_key_unwrap(key_out, c->master_key, wrapped, err);
}

static int package_key(ingest_ctx *c, const catalog_package *p,
                       unsigned char key[STORE_KEY_LEN], kho_err *err);

static int name_is(const char *name, const char *prefix, const char *suffix)
{
	size_t n = strlen(name), a = strlen(prefix), b = strlen(suffix);

	return n >= a + b && strncmp(name, prefix, a) == 0 && strcmp(name + n - b, suffix) == 0;
}

/* 1 if package p holds an archive manifest (kho renew, sign/lta.h). */
static int has_archive_manifest(const pkg *p)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (strncmp(p->entries[i].name, "META-INF/ASiCArchiveManifest", 28) == 0)
			return 1;
	return 0;
}

/*
 * Why a renewal is refused when its evidence would not outlast the margin:
 * its new token (the latest archive timestamp) not accepted, with the
 * verifier's reason (found by review: a revoked TSA was called perhaps
 * untrusted), or its TSA ending too soon.
 */
static void too_short(char *out, size_t n, const verify_report *rep)
{
	const vr_timestamp *latest = NULL;
	const char *why = NULL;
	char t[32], t2[32];

	for (size_t i = 0; i < rep->ntimestamps; i++)
		if (latest == NULL || rep->timestamps[i].gen_time > latest->gen_time)
			latest = &rep->timestamps[i];
	kho_time_format(t, sizeof t, verify_evidence_until(rep));
	if (latest != NULL && !latest->accepted) {
		why = verify_timestamp_why(rep, latest->where);
		snprintf(out, n, "the renewal's evidence would end on %s, within renew_margin_days:"
		         " the TSA's token is not accepted here (%.100s: %.300s); configure a TSA the"
		         " archive accepts, valid longer", t, latest->where,
		         why != NULL ? why : "no reason given");
	} else if (latest != NULL && latest->tsa_not_after != 0) {
		snprintf(out, n, "the renewal's evidence would end on %s, within renew_margin_days: its"
		         " TSA ends on %s (the earliest end of its certificate chain), no later than"
		         " the one it renews; configure a TSA valid longer", t,
		         kho_time_format(t2, sizeof t2, latest->tsa_not_after));
	} else {
		snprintf(out, n, "the renewal's evidence would end on %s, within renew_margin_days:"
		         " configure a TSA the archive accepts, valid longer", t);
	}
}

/*
 * renewal_of: 1 if the new package np is the result's current package cur
 * with archive timestamps added (kho renew, sign/lta.h): every entry of cur
 * but mimetype is in np with the same bytes (cur's ASiCArchiveManifest.xml
 * possibly under the numbered name a renewal gives it), and every entry np
 * adds is a META-INF/ASiCArchiveManifest*.xml or META-INF/timestamp*.tst,
 * at least one. So nothing signed changed: not a data object, a manifest,
 * a signature or an earlier token. And the renewal must be worth one: its
 * META-INF/ASiCArchiveManifest.xml lists every file of cur, and its token
 * stands now as a proof of existence (rep: np's verification; a token of an
 * untrusted TSA, or over digests that fail, renews nothing). 0 if not
 * (why), or an error.
 */
static int renewal_of(ingest_ctx *c, const catalog_package *cur, const pkg *np,
                      const verify_report *rep, char *why, size_t n, kho_err *err)
{
	unsigned char key[STORE_KEY_LEN], d1[EVP_MAX_MD_SIZE], d2[EVP_MAX_MD_SIZE];
	unsigned int l1, l2;
	char tmp[PATH_MAX];
	pkg_limits lim;
	pkg *op = NULL;
	manifest *am = NULL;
	const pkg_entry *ame = pkg_find(np, "META-INF/ASiCArchiveManifest.xml");
	char *matched = NULL;
	size_t i, j, added = 0;
	int rc;

	if (!cur->has_key)
		return snprintf(why, n, "the current package was destroyed"), 0;
	rc = package_key(c, cur, key, err);
	if (rc == 0)
		rc = store_get_tmp_key(c->st, cur->id, key, tmp, sizeof tmp, NULL, err);
	OPENSSL_cleanse(key, sizeof key);
	if (rc != 0)
		return rc;
	pkg_limits_default(&lim);
	rc = pkg_read_file(&op, tmp, &lim, err);
	unlink(tmp);
	if (rc != 0)
		return rc;
	if ((matched = calloc(np->nentries + 1, 1)) == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < op->nentries && rc == 0; i++) {
		const pkg_entry *e = &op->entries[i];
		int renamed_ok = strcmp(e->name, "META-INF/ASiCArchiveManifest.xml") == 0;
		if (strcmp(e->name, "mimetype") == 0)
			continue;
		if ((rc = pkg_entry_digest(e, EVP_sha256(), d1, &l1, err)) != 0)
			goto out;
		for (j = 0; j < np->nentries; j++) {
			const pkg_entry *f = &np->entries[j];
			if (matched[j] || (strcmp(f->name, e->name) != 0 &&
			                   !(renamed_ok && name_is(f->name, "META-INF/ASiCArchiveManifest",
			                                           ".xml"))))
				continue;
			if ((rc = pkg_entry_digest(f, EVP_sha256(), d2, &l2, err)) != 0)
				goto out;
			if (l1 == l2 && memcmp(d1, d2, l1) == 0)
				break;
		}
		if (j == np->nentries) {
			snprintf(why, n, "%.200s of the archived package is not in it with the same bytes",
			         e->name);
			goto out;
		}
		matched[j] = 1;
	}
	for (j = 0; j < np->nentries; j++) {
		const char *nm = np->entries[j].name;
		if (matched[j] || strcmp(nm, "mimetype") == 0)
			continue;
		if (!name_is(nm, "META-INF/ASiCArchiveManifest", ".xml") &&
		    !name_is(nm, "META-INF/timestamp", ".tst")) {
			snprintf(why, n, "it adds %.200s, which is not an archive manifest or a timestamp "
			         "token", nm);
			goto out;
		}
		added++;
	}
	if (added == 0 || ame == NULL || ame->data == NULL) {
		snprintf(why, n, "it adds no archive timestamp");
		goto out;
	}
	if (manifest_parse(&am, ame->data, (size_t)ame->size, NULL) != 0) {
		snprintf(why, n, "its META-INF/ASiCArchiveManifest.xml cannot be read");
		goto out;
	}
	for (i = 0; i < rep->ntimestamps; i++)
		if (strcmp(rep->timestamps[i].where, am->sig_uri) == 0 && rep->timestamps[i].accepted)
			break;
	if (i == rep->ntimestamps) {
		const char *tw = verify_timestamp_why(rep, am->sig_uri);
		snprintf(why, n, "its archive timestamp %.100s does not stand as a proof of existence now:"
		         " %.300s", am->sig_uri, tw != NULL ? tw : "the report gives no reason");
		goto out;
	}
	for (j = 0; j < np->nentries; j++) {
		size_t k;
		if (!matched[j])
			continue;
		for (k = 0; k < am->nrefs && strcmp(am->refs[k].uri, np->entries[j].name) != 0; k++)
			;
		if (k == am->nrefs) {
			snprintf(why, n, "its archive manifest does not list %.200s", np->entries[j].name);
			goto out;
		}
	}
	rc = 1;
out:
	manifest_free(am);
	free(matched);
	pkg_free(op);
	return rc;
}

/* Whether p's stored copy reads back under its key: 0; else the error,
 * *have_key saying whether its key was there (key holds it then). */
static int copy_reads_back(ingest_ctx *c, const catalog_package *p, unsigned char key[STORE_KEY_LEN],
                           int *have_key, kho_err *e)
{
	int rc = p->has_key ? package_key(c, p, key, e) : KHO_ENOTFOUND;

	*have_key = rc == 0;
	if (rc == 0)
		rc = store_get_fd_key(c->st, p->id, key, -1, NULL, 0, e);
	return rc;
}

/*
 * A package already archived, sent again: 200 says it is safe only once its
 * stored copy reads back (found by review: a store file missing or altered,
 * or a key gone, got 200 "already stored", and the sender had no reason to
 * keep its copy). The read-back runs without the stripe lock (a large
 * package takes a while); a copy that fails it is looked at again under the
 * lock, from the package row as it is then (a destruction or another repair
 * may have run meanwhile). A store file missing or altered while its key is
 * there is written again from the bytes just received (their SHA-256 is the
 * id: the same package), made durable, and audited ("repair");
 * out->repaired. A key that is gone cannot be made again (the stored bytes
 * are encrypted under it, and a destruction may be under way):
 * out->key_gone, for the caller. KHO_EIO for a storage fault (nothing
 * checked, nothing said); KHO_ECONFLICT if the package left the catalog
 * meanwhile.
 */
static int stored_copy_check(ingest_ctx *c, const catalog_package *p0, const ingest_src *src,
                             const char *actor, ingest_result *out, kho_err *err)
{
	unsigned char key[STORE_KEY_LEN];
	pthread_mutex_t *mu = &c->stripes[stripe_of(p0->id)];
	catalog_package p;
	char d[400];
	audit_event ev;
	kho_err e = { 0, "" };
	const char *how;
	int rc, have_key;

	rc = copy_reads_back(c, p0, key, &have_key, &e);
	OPENSSL_cleanse(key, sizeof key);
	if (rc == 0)
		return 0;
	if (rc == KHO_EIO || rc == KHO_ENOMEM)
		return kho_err_set(err, rc, "%s", e.msg);
	pthread_mutex_lock(mu);
	if (catalog_get_package(c->cat, p0->id, &p, &e) != 0) {
		rc = kho_err_set(err, KHO_ECONFLICT, "package %.16s... left the catalog while it was"
		                 " checked (destroyed meanwhile?): send it again", p0->id);
		goto out;
	}
	rc = copy_reads_back(c, &p, key, &have_key, &e);
	if (rc == 0)
		goto out;   /* repaired meanwhile */
	if (rc == KHO_EIO || rc == KHO_ENOMEM) {
		rc = kho_err_set(err, rc, "%s", e.msg);
		goto out;
	}
	if (!have_key) {
		out->key_gone = 1;
		rc = 0;
		goto out;
	}
	/* Audited before the copy is written: once it is, nothing shows that
	 * it was missing or altered (found by review, 2026-12-08: a kill
	 * between the two left a repaired file and no event), worded as what
	 * is being done; one that then fails is audited as failed (found by
	 * review: the trail claimed a repair that never took place). */
	how = rc == KHO_ENOTFOUND ? "missing" : "altered";
	snprintf(d, sizeof d, "its stored copy was %s (%.200s): storing it again from the same"
	         " bytes, sent again", how, e.msg);
	memset(&ev, 0, sizeof ev);
	ev.actor = actor;
	ev.action = "repair";
	ev.object = p.id;
	ev.status = 200;
	ev.detail = d;
	if ((rc = audit_append(c->cat, &ev, err)) != 0)
		goto out;
	rc = store_put_with_key_nosync(c->st, p.id, src->path, src->data, src->len, key, err);
	if (rc == 0)
		rc = group_sync(c, err);
	if (rc == 0 && (rc = store_get_fd_key(c->st, p.id, key, -1, NULL, 0, &e)) != 0)
		rc = kho_err_set(err, rc == KHO_ENOMEM ? rc : KHO_EIO, "%s: read back after its"
		                 " repair: %s", p.id, e.msg);
	out->repaired = rc == 0;
	if (rc != 0) {
		snprintf(d, sizeof d, "storing its copy again failed (%.300s): the copy stays %s",
		         err->msg, how);
		ev.action = "alert";
		ev.status = 503;
		audit_append(c->cat, &ev, NULL);
	}
out:
	OPENSSL_cleanse(key, sizeof key);
	pthread_mutex_unlock(mu);
	return rc;
}

/*
 * The record's own dates against the proof that its package existed (found
 * by review: a record issued 2099-12-31, dossier 991231, was sealed in 2026
 * and archived, 201; its dossier could then never be closed): its
 * issueDate, digitizedOn and dossier receipt date are not after the day
 * (Vietnam's) of the earliest proof of existence of a signature over
 * record.xml, or without one of the ingest, with one day of tolerance for
 * a signer's clock in another time zone. The claimed signing time is not
 * used: it is the signer's word, not a proof.
 */
int ingest_dated_after_poe(const verify_report *rep, char *reason, size_t n)
{
	time_t poe = 0;
	char day[11], what[160], t[32];
	int proof;
	size_t i, k;

	for (i = 0; i < rep->nsigs; i++) {
		const vr_signature *g = &rep->sigs[i];
		int covers = 0;
		for (k = 0; k < g->nobjects; k++)
			covers |= g->objects[k].state == VR_OBJ_OK && g->objects[k].name != NULL &&
			          strcmp(g->objects[k].name, RECORD_ENTRY) == 0;
		if (covers && g->has_poe && (poe == 0 || g->best_signature_time < poe))
			poe = g->best_signature_time;
	}
	proof = poe != 0;
	if (poe == 0)
		poe = rep->validation_time != 0 ? rep->validation_time : kho_now();
	kho_local_date(day, kho_local_day_start(kho_local_day(poe) + 1));
	if (rep->record == NULL || record_date_after(rep->record, day, what, sizeof what) == NULL)
		return 0;
	snprintf(reason, n, "record.xml: %s is after its package existed (%s at %s): nothing in"
	         " it can be dated after %s (Vietnam's day, one day's tolerance for time zones)",
	         what, proof ? "the proof of existence of its signature" : "received",
	         kho_time_format(t, sizeof t, poe), day);
	return 1;
}

static void daemon_event(ingest_ctx *c, const char *action, const char *object,
                         const char *detail);

static int ingest_src_body(ingest_ctx *c, const ingest_src *src, const char *actor,
                           const char *agency, ingest_result *out, pkg **pkp, kho_err *err)
{
	catalog_verify_data vd;
	catalog_object *objs = NULL;
	unsigned char digest[32], mac[RECORD_MAX_SUBJECTS * 32], key[STORE_KEY_LEN];
	catalog_package p, existing;
	struct timespec t0;
	verify_opts vo;
	verify_report *rep = NULL;
	const record *r;
	pthread_mutex_t *mu;
	uint64_t size = 0;
	kho_err e2;
	int rc, key_kept = 0, have_cur, sup = CATALOG_SUP_NONE;

	memset(out, 0, sizeof *out);
	if (src->path != NULL) {
		if ((rc = store_sha256_file(src->path, digest, &size, err)) != 0)
			return rc;
	} else {
		if (kho_sha256(digest, src->data, src->len) != 0)
			return kho_err_ssl(err, KHO_ECRYPTO, "SHA-256");
		size = (uint64_t)src->len;
	}
	kho_hex(out->id, digest, 32);
	/* The same bytes again: 200 with the same id, answered from the catalog
	 * without validating again (the bytes are those validated at ingest). */
	if (catalog_get_package(c->cat, out->id, &existing, NULL) == 0) {
		snprintf(out->result_code, sizeof out->result_code, "%s", existing.result_code);
		if (agency != NULL && strcmp(agency, existing.agency) != 0) {
			out->http = 403;
			snprintf(out->reason, sizeof out->reason,
			         "an officer of %s cannot archive a result of agency %s", agency,
			         existing.agency);
			return 0;
		}
		if ((rc = stored_copy_check(c, &existing, src, actor, out, err)) != 0 || out->key_gone)
			return rc;
		snprintf(out->indication, sizeof out->indication, "%s", existing.indication);
		snprintf(out->sub, sizeof out->sub, "%s", existing.sub);
		out->marked = existing.marked;
		/* What the first answer said, for a client whose answer was lost
		 * (found by review: a retry said "superseded": false of a package
		 * that had superseded its predecessor). */
		/* A destruction certificate has no results row: nothing superseded
		 * (found by review: its bytes sent again got 500). */
		rc = catalog_supersession(c->cat, existing.result_code, &out->superseded,
		                          out->superseded_by, err);
		if (rc != 0 && rc != KHO_ENOTFOUND)
			return rc;
		out->http = 200;
		return 0;
	}
	verify_options(c, &vo);
	vo.package_sha256 = digest;   /* the id's digest: not hashed again */
	vo.keep_pkg = pkp;            /* parsed once, for verify_data too */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = src->path != NULL ? verify_package_file(&rep, src->path, &vo, err)
	                       : verify_package_mem(&rep, src->data, src->len, &vo, err);
	out->verify_seconds = elapsed(&t0);
	if (rc != 0)
		return rc;
	out->report = rep;
	snprintf(out->indication, sizeof out->indication, "%s", vr_indication_name(rep->indication));
	snprintf(out->sub, sizeof out->sub, "%s",
	         rep->sub == VR_SUB_NONE ? "" : vr_sub_name(rep->sub));
	/* Issue 3, item 3: TOTAL-PASSED is stored; INDETERMINATE only where the
	 * policy allows its sub-indication (and marked); anything else is 422. */
	if (!ingest_acceptable(c, rep)) {
		out->http = 422;
		snprintf(out->reason, sizeof out->reason, "the package does not pass validation: %s%s%s",
		         out->indication, out->sub[0] ? "/" : "", out->sub);
		return 0;
	}
	r = rep->record;
	if (r == NULL || r->result_code == NULL || r->agency_code == NULL || r->subject_id == NULL) {
		out->http = 422;
		snprintf(out->reason, sizeof out->reason,
		         "the package has no valid record.xml (result code, agency, subject)");
		return 0;
	}
	snprintf(out->result_code, sizeof out->result_code, "%s", r->result_code);
	if (agency != NULL && strcmp(agency, r->agency_code) != 0) {
		out->http = 403;
		snprintf(out->reason, sizeof out->reason,
		         "an officer of %s cannot archive a result of agency %s", agency, r->agency_code);
		return 0;
	}
	/* Not for the daemon's own renewal of a package archived already. */
	if (src->renews == NULL && ingest_dated_after_poe(rep, out->reason, sizeof out->reason)) {
		out->http = 422;
		return 0;
	}
	out->marked = rep->indication != VR_TOTAL_PASSED;
	/* The daemon's renewal must carry the evidence past the margin: a TSA
	 * whose certificate ends as soon (the one that stamped the package)
	 * would renew the same packages on every fixity run. */
	if (src->renews != NULL && verify_evidence_until(rep) <= src->min_until) {
		out->http = 422;
		too_short(out->reason, sizeof out->reason, rep);
		return 0;
	}
	/* A renewal's record is classified already (class_check would refuse
	 * one the current schedule no longer covers, letting it lapse). */
	if (c->class_check != NULL && src->renews == NULL) {
		rc = c->class_check(c->class_arg, r, out->reason, sizeof out->reason);
		if (rc == 1 || rc == 2) {
			out->http = rc == 1 ? 422 : 410;
			return 0;
		}
		if (rc != 0)
			return kho_err_set(err, KHO_EIO, "retention: %s", out->reason);
	}
	/* Every subject's keyed hash, so that a lookup finds the result by any
	 * of them (both spouses of a marriage registration). */
	if (ingest_subject_mac(c, r->subject_id, mac) != 0)
		return kho_err_set(err, KHO_ECRYPTO, "HMAC failed");
	for (size_t k = 0; k < r->nothers; k++)
		if (ingest_subject_mac(c, r->others[k].id, mac + 32 * (k + 1)) != 0)
			return kho_err_set(err, KHO_ECRYPTO, "HMAC failed");
	if ((rc = verify_data(c, src, rep, &vd, &objs, pkp, err)) != 0) {
		free(objs);
		return rc;
	}

	mu = &c->stripes[stripe_of(out->id)];
	pthread_mutex_lock(mu);
	rc = catalog_check_ingest(c->cat, out->id, r, &existing, &e2);
	if (rc == KHO_EEXIST) {
		/* The same bytes again: 200 with the same id, nothing written. */
		out->http = 200;
		rc = 0;
		goto unlock;
	}
	/* The result's current package, when the result is archived. */
	have_cur = (rc == KHO_ECONFLICT || (src->renews != NULL && rc == 0)) &&
	           catalog_result_package(c->cat, r->result_code, &existing, NULL) == 0;
	/* The daemon's renewal is only ever a renewal of the package it read:
	 * a result destroyed or renewed meanwhile (or a package of no result,
	 * a destruction certificate) is not archived anew from its bytes. */
	if (src->renews != NULL && (rc == 0 || rc == KHO_ECONFLICT) &&
	    (!have_cur || strcmp(existing.id, src->renews) != 0)) {
		rc = kho_err_set(&e2, KHO_ECONFLICT, "result %s no longer holds package %.16s... (destroyed,"
		                 " renewed or superseded meanwhile)", r->result_code, src->renews);
		have_cur = 0;
	}
	if (rc == KHO_ECONFLICT && pkp != NULL && *pkp != NULL && have_cur) {
		/* The same result with archive timestamps added: a renewal. */
		char why[512] = "";
		int rr = renewal_of(c, &existing, *pkp, rep, why, sizeof why, &e2);
		if (rr < 0) {
			rc = kho_err_set(err, rr, "%s", e2.msg);
			goto unlock;
		}
		if (rr == 1) {
			snprintf(out->renews, sizeof out->renews, "%s", existing.id);
			rc = 0;
		} else if (strstr(why, "no archive timestamp") == NULL && has_archive_manifest(*pkp)) {
			/* It looks like a renewal attempt (it holds an archive
			 * manifest): say why it is not one. A plain conflict gets no
			 * such words (found by review: it did, naming a file). */
			size_t l = strlen(e2.msg);
			snprintf(e2.msg + l, sizeof e2.msg - l, " (not a renewal of it: %s)", why);
		}
	}
	if (rc == KHO_ECONFLICT) {
		out->http = 409;
		snprintf(out->reason, sizeof out->reason, "%.500s", e2.msg);
		rc = 0;
		goto unlock;
	}
	if (rc != 0) {
		kho_err_set(err, rc, "%s", e2.msg);
		goto unlock;
	}
	memset(&p, 0, sizeof p);
	memcpy(p.renews, out->renews, sizeof p.renews);
	memcpy(p.id, out->id, sizeof p.id);
	p.size = size;
	snprintf(p.indication, sizeof p.indication, "%s", out->indication);
	snprintf(p.sub, sizeof p.sub, "%s", out->sub);
	p.marked = out->marked;
	p.ingested_at = (int64_t)kho_now();
	/* The durable order: the store file and the key file are written and
	 * renamed into place here, made durable by the group's sync step
	 * (group_sync, once for every ingest of the group) BEFORE the catalog
	 * commit, and the caller acknowledges only after the commit. The key
	 * never goes into the catalog (wrapped_key stays NULL); it is written
	 * under its pending name and renamed to its final one after the commit
	 * (keystore.h). A crash before the commit leaves a store file and a
	 * pending key no catalog row names, both removed by ingest_recover. */
	/* A valid key already under this id (no catalog row: we hold the stripe
	 * lock and the check said new) is kept and used: it is a leftover of an
	 * uncommitted ingest, or the key of the same bytes in another copy of
	 * the catalog served by this key store, which replacing it would make
	 * unreadable (found by review, 2026-12-07). An empty or torn one
	 * (KHO_EUNSAFE, KHO_ECRYPTO: renamed into place before a power failure)
	 * decrypts nothing and is replaced. */
	{
		unsigned char have[KEYSTORE_KEY_LEN];
		int krc = keystore_get(c->ks, out->id, have, &e2);

		if (krc == 0) {
			rc = store_put_with_key_nosync(c->st, out->id, src->path, src->data, src->len, have,
			                               err);
			OPENSSL_cleanse(have, sizeof have);
			if (rc != 0)
				goto unlock;
			key_kept = 1;
			goto keyed;
		}
		OPENSSL_cleanse(have, sizeof have);
		if (krc != KHO_ENOTFOUND && krc != KHO_EUNSAFE && krc != KHO_ECRYPTO) {
			rc = kho_err_set(err, krc, "%s", e2.msg);
			goto unlock;
		}
	}
	rc = store_put_key_nosync(c->st, out->id, src->path, src->data, src->len, key, err);
	if (rc != 0)
		goto unlock;
	/* Under its pending name until the commit (keystore.h): a crash before
	 * the commit leaves a key start-up recovery shreds with the store file. */
	rc = keystore_put_pending_nosync(c->ks, out->id, key, err);
	if ((rc == KHO_EUNSAFE || rc == KHO_ECRYPTO) &&
	    (rc = keystore_destroy(c->ks, out->id, err)) == 0)
		rc = keystore_put_pending_nosync(c->ks, out->id, key, err);
	OPENSSL_cleanse(key, sizeof key);
	if (rc != 0) {
		store_remove(c->st, out->id, NULL);
		goto unlock;
	}
keyed:
	p.has_key = 1;
	/* From before the commit until after the rename, keystore_has looks for
	 * the pending name too (keystore.h). */
	keystore_pending_begin(c->ks);
	rc = catalog_ingest_full(c->cat, &p, r, mac, actor, &vd, &sup, out->superseded_by, &e2);
	out->superseded = sup == CATALOG_SUP_DONE;
	/* Committed (or already in the catalog): its key takes its final name.
	 * One rename, no fsync: lost in a crash, ingest_recover redoes it from
	 * the catalog; meanwhile keystore_get finds the pending name. Nothing
	 * pending (a final key reused): KHO_ENOTFOUND, nothing to do. */
	if (rc == 0 || rc == KHO_EEXIST) {
		kho_err ke;
		int krc = keystore_commit(c->ks, out->id, &ke);
		if (krc != 0 && krc != KHO_ENOTFOUND) {
			/* Still found under its pending name (not ended: keystore_has
			 * goes on looking there), and renamed at the next start; said,
			 * since a backup's copy must not skip it. */
			char d[400];
			snprintf(d, sizeof d, "the package's key stays under its pending name (renaming"
			         " it failed: %.300s); the next start renames it", ke.msg);
			daemon_event(c, "alert", out->id, d);
		} else {
			keystore_pending_end(c->ks);
		}
	} else {
		keystore_pending_end(c->ks);   /* nothing committed */
	}
	if (rc == 0) {
		out->http = 201;
		if (sup == CATALOG_SUP_UNKNOWN)
			snprintf(out->supersedes_warning, sizeof out->supersedes_warning, "the record"
			         " supersedes %.64s, which is not archived here: no result was marked"
			         " superseded", r->supersedes);
		else if (sup == CATALOG_SUP_CYCLE)
			snprintf(out->supersedes_warning, sizeof out->supersedes_warning, "the record"
			         " supersedes %.64s, which supersedes this result already (directly or"
			         " through others): it was not marked superseded", r->supersedes);
		else if (sup == CATALOG_SUP_OTHER_AGENCY || sup == CATALOG_SUP_OTHER_SUBJECTS)
			snprintf(out->supersedes_warning, sizeof out->supersedes_warning, "the record"
			         " supersedes %.64s, %s: it was not marked superseded (a records manager"
			         " may record that decision: POST /v1/results/%.64s/status)", r->supersedes,
			         sup == CATALOG_SUP_OTHER_AGENCY
			             ? "a result of another agency (an officer acts for their own)"
			             : "a result about other persons", r->supersedes);
	} else if (rc == KHO_ECONFLICT || rc == KHO_EEXIST) {
		/* Lost a race on the result code: our file was never committed. */
		if (rc == KHO_ECONFLICT) {
			store_remove(c->st, out->id, NULL);
			if (!key_kept)
				keystore_destroy(c->ks, out->id, NULL);
		}
		out->http = rc == KHO_EEXIST ? 200 : 409;
		snprintf(out->reason, sizeof out->reason, "%.500s", e2.msg);
		rc = 0;
	} else {
		store_remove(c->st, out->id, NULL);
		if (!key_kept)
			keystore_destroy(c->ks, out->id, NULL);
		kho_err_set(err, rc, "%s", e2.msg);
	}
unlock:
	pthread_mutex_unlock(mu);
	free(objs);
	OPENSSL_cleanse(&vd, sizeof vd);
	return rc;
}

/* The package parsed by the verification lives until the ingest is done. */
static int ingest_src_run(ingest_ctx *c, const ingest_src *src, const char *actor,
                          const char *agency, ingest_result *out, kho_err *err)
{
	pkg *pk = NULL;
	int rc = ingest_src_body(c, src, actor, agency, out, &pk, err);

	pkg_free(pk);
	return rc;
}

int ingest_file(ingest_ctx *c, const char *path, const char *actor, const char *agency,
                ingest_result *out, kho_err *err)
{
	ingest_src src = { path, NULL, 0, NULL, 0 };

	return ingest_src_run(c, &src, actor, agency, out, err);
}

int ingest_mem(ingest_ctx *c, const void *data, size_t len, const char *actor,
               const char *agency, ingest_result *out, kho_err *err)
{
	ingest_src src = { NULL, data, len, NULL, 0 };

	if (data == NULL) {
		memset(out, 0, sizeof *out);
		return kho_err_set(err, KHO_EINVAL, "no package bytes");
	}
	return ingest_src_run(c, &src, actor, agency, out, err);
}

/* A legacy row (before the key store) still carries a wrapped key. */
static int has_wrapped(const catalog_package *p)
{
	static const unsigned char none[sizeof p->wrapped_key];

	return memcmp(p->wrapped_key, none, sizeof none) != 0;
}

/*
 * The raw key of package p: from the key store, or for a data directory not
 * yet migrated, unwrapped from its catalog row. KHO_ENOTFOUND once destroyed.
 */
static int package_key(ingest_ctx *c, const catalog_package *p,
                       unsigned char key[STORE_KEY_LEN], kho_err *err)
{
	int rc = keystore_get(c->ks, p->id, key, err);

	if (rc == KHO_ENOTFOUND && has_wrapped(p))
		rc = store_unwrap_key(c->st, p->wrapped_key, key, err);
	return rc;
}

int ingest_reverify(ingest_ctx *c, const catalog_package *p, char *tmp, size_t n,
                    verify_report **rep, kho_err *err)
{
	unsigned char key[STORE_KEY_LEN];
	verify_opts vo;
	int rc;

	*rep = NULL;
	tmp[0] = '\0';
	if (!p->has_key)
		return kho_err_set(err, KHO_ENOTFOUND, "package %.16s... was destroyed (its key is gone)",
		                   p->id);
	rc = package_key(c, p, key, err);
	if (rc == 0)
		rc = store_get_tmp_key(c->st, p->id, key, tmp, n, NULL, err);
	OPENSSL_cleanse(key, sizeof key);
	if (rc == KHO_ENOTFOUND && !keystore_has(c->ks, p->id) && !has_wrapped(p)) {
		/* The key is gone (destroyed): nothing to record as a check. */
		tmp[0] = '\0';
		return rc;
	}
	if (rc != 0) {
		tmp[0] = '\0';
		catalog_set_check(c->cat, p->id, rc == KHO_ENOTFOUND ? "MISSING" : "CORRUPT", kho_now(),
		                  NULL);
		return rc;
	}
	verify_options(c, &vo);
	rc = verify_package_file(rep, tmp, &vo, err);
	if (rc != 0) {
		unlink(tmp);
		tmp[0] = '\0';
		return rc;
	}
	catalog_set_check(c->cat, p->id, vr_indication_name((*rep)->indication), kho_now(), NULL);
	return 0;
}

int64_t fixity_problems(const fixity_summary *s)
{
	return s->missing + s->corrupt + s->failed + s->orphans + s->strays + s->missing_keys +
	       s->mismatched + s->renew_failed;
}

struct fixity_walk {
	ingest_ctx *c;
	int reverify;
	uint64_t bps;
	unsigned grace;
	int64_t total, done;
	void (*progress)(int64_t, int64_t, void *);
	void *arg;
	fixity_summary *sum;
	kho_err *err;
};

static void problem(fixity_summary *s, const char *id, const char *why)
{
	if (s->first_problem[0] == '\0')
		snprintf(s->first_problem, sizeof s->first_problem, "%.100s: %.400s", id, why);
	if (s->on_problem != NULL)
		s->on_problem(id, why, s->problem_arg);
}

/*
 * renew_if_due: a current package whose evidence (verify_evidence_until)
 * ends within the margin gets an archive timestamp from the daemon's TSA.
 * A result's package is ingested again as a renewal of exactly this
 * package (never as a new result: a record destroyed, renewed or
 * superseded meanwhile stays so) whose evidence must outlast the margin;
 * the ingest makes it the result's current package, audited "renew" by
 * "daemon". A package of no result (a destruction certificate) is verified
 * here under the same rule and stored by renew_other, if the daemon set
 * one. After the TSA fails once, the rest of the run renews nothing (one
 * alert, not one timeout per package). tmp: the package's decrypted
 * bytes, from the re-verification.
 */
/* The end of the daemon's TSA's certificate, from the newest archive
 * timestamp of a package it just renewed (the latest genTime), if that token
 * was accepted: for the loop guard of renew_if_due. */
static void learn_tsa_until(ingest_ctx *c, const verify_report *rep)
{
	const vr_timestamp *latest = NULL;

	for (size_t i = 0; rep != NULL && i < rep->ntimestamps; i++)
		if (latest == NULL || rep->timestamps[i].gen_time > latest->gen_time)
			latest = &rep->timestamps[i];
	if (latest != NULL && latest->accepted && latest->tsa_not_after != 0)
		c->renew_tsa_until = latest->tsa_not_after;
}

/* The renewal of a package of no result: verified here (acceptable, and
 * its evidence past min_until, as the ingest checks a result's), then
 * stored by renew_other. *rep: the renewal's report (may be set on error). */
static int renew_other_run(ingest_ctx *c, const catalog_package *p, const kho_buf *b,
                           time_t min_until, verify_report **rep, kho_err *err)
{
	verify_opts vo;
	int rc;

	verify_options(c, &vo);
	if ((rc = verify_package_mem(rep, b->data, b->len, &vo, err)) != 0)
		return rc;
	if (!ingest_acceptable(c, *rep))
		return kho_err_set(err, KHO_ECRYPTO, "the renewal does not pass validation: %s%s%s",
		                   vr_indication_name((*rep)->indication), (*rep)->sub ? "/" : "",
		                   (*rep)->sub ? vr_sub_name((*rep)->sub) : "");
	if (verify_evidence_until(*rep) <= min_until) {
		too_short(err->msg, sizeof err->msg, *rep);
		err->code = KHO_ECRYPTO;
		return KHO_ECRYPTO;
	}
	return c->renew_other(c->renew_other_arg, p, b->data, b->len, *rep, err);
}

static void renew_if_due(ingest_ctx *c, const catalog_package *p, const char *tmp,
                         const verify_report *rep, fixity_summary *s)
{
	time_t until = verify_evidence_until(rep), min_until;
	int result = record_is_result_code(p->result_code);
	verify_report *orep = NULL;
	const verify_report *nrep = NULL;   /* the renewal's report */
	ingest_result res;
	ingest_src src;
	catalog_package cur;
	kho_buf in, out;
	kho_err e = { 0, "" };
	char why[600];
	int rc, crc, tsa_rc = 0, stored = 0, changed = 0;

	if (c->renew_margin <= 0 || strcmp(p->state, "current") != 0 ||
	    until == 0 || (int64_t)until - (int64_t)kho_now() > c->renew_margin)
		return;
	/* Due, and no TSA to renew it: a problem of each run until a tsa is
	 * configured (found by review: it lapsed with "0 renewals failed"). */
	if (c->renew_tsa == NULL) {
		char t[32];
		s->renew_failed++;
		snprintf(why, sizeof why, "due for an archive timestamp (its evidence ends on %s), but"
		         " no TSA is configured (\"tsa\" in the config): it cannot be renewed and"
		         " stops verifying then unless renewed by hand (kho renew)",
		         kho_time_format(t, sizeof t, until));
		problem(s, p->id, why);
		return;
	}
	if ((!result && c->renew_other == NULL) || s->renew_tsa_failed)
		return;
	if (c->renew_tsa_until != 0 &&
	    (int64_t)c->renew_tsa_until - (int64_t)kho_now() <= c->renew_margin) {
		char t1[32], t2[32];
		s->renew_failed++;
		snprintf(why, sizeof why, "due for an archive timestamp (its evidence ends on %s), but"
		         " the configured TSA's certificate chain ends on %s, within renew_margin_days"
		         " too: a renewal would not last; configure a TSA valid longer",
		         kho_time_format(t1, sizeof t1, until),
		         kho_time_format(t2, sizeof t2, c->renew_tsa_until));
		problem(s, p->id, why);
		return;
	}
	kho_buf_init(&in, (size_t)c->cfg->max_upload);
	kho_buf_init(&out, (size_t)c->cfg->max_upload);
	memset(&res, 0, sizeof res);
	memset(&src, 0, sizeof src);
	min_until = (time_t)((int64_t)kho_now() + c->renew_margin);
	rc = kho_read_file(&in, tmp, &e);
	if (rc == 0)
		rc = tsa_rc = lta_add(&out, in.data, in.len, c->renew_tsa, &e);
	if (tsa_rc != 0)
		s->renew_tsa_failed = 1;
	if (rc == 0 && result) {
		src.data = out.data;
		src.len = out.len;
		src.renews = p->id;
		src.min_until = min_until;
		rc = ingest_src_run(c, &src, "daemon", NULL, &res, &e);
		nrep = res.report;
		stored = rc == 0 && res.http == 201 && res.renews[0] != '\0';
		/* The record changed while its renewal waited (destroyed, or
		 * renewed or superseded by a client): nothing to renew, no fault. */
		changed = rc == 0 && res.http == 409 &&
		          ((crc = catalog_result_package(c->cat, p->result_code, &cur, NULL)) ==
		               KHO_ENOTFOUND || (crc == 0 && strcmp(cur.id, p->id) != 0));
	} else if (rc == 0) {
		rc = renew_other_run(c, p, &out, min_until, &orep, &e);
		nrep = orep;
		stored = rc == 0;
		changed = rc == KHO_ECONFLICT;
	}
	/* What the TSA's tokens are worth (an external TSA's certificate is
	 * known only from them): a renewal refused as too short ends this run's
	 * renewals, and if the new token (the latest archive timestamp) was
	 * accepted, its TSA's end teaches the loop guard above not to ask
	 * again (not accepted, an untrusted TSA: each run tries once). */
	if (!stored && !changed && nrep != NULL && verify_evidence_until(nrep) <= min_until) {
		learn_tsa_until(c, nrep);
		s->renew_tsa_failed = 1;
	}
	if (stored) {
		s->renewed++;
		learn_tsa_until(c, nrep);
	} else if (!changed) {
		s->renew_failed++;
		char t[32];
		snprintf(why, sizeof why, "its evidence ends on %s and the renewal failed: %s",
		         kho_time_format(t, sizeof t, until),
		         rc != 0 ? e.msg : res.reason[0] ? res.reason : "not stored");
		problem(s, p->id, why);
	}
	verify_report_free(orep);
	ingest_result_clear(&res);
	kho_buf_free(&in);
	kho_buf_free(&out);
}

/*
 * The catalog against the package it describes (found by review: a
 * result's validity dates, title or package swapped by hand in the
 * catalog left fsck clean): the package row names the result its
 * record.xml names, and a result's current package is the one its
 * catalog record points to, with the same codes, dates and subject.
 */
static void record_check(ingest_ctx *c, const catalog_package *p, const verify_report *rep,
                         fixity_summary *s)
{
	const record *r = rep->record;
	unsigned char mac[32];
	char why[300];
	kho_err e;
	int rc;

	if (r == NULL || r->result_code == NULL || !record_is_result_code(p->result_code))
		return;   /* a destruction certificate is filed by its batch; a broken record
		             fails validation */
	if (strcmp(r->result_code, p->result_code) != 0) {
		snprintf(why, sizeof why, "the catalog files it under %.64s, its record.xml names"
		         " %.64s", p->result_code, r->result_code);
	} else if (strcmp(p->state, "current") != 0 || r->subject_id == NULL ||
	           ingest_subject_mac(c, r->subject_id, mac) != 0) {
		return;
	} else if ((rc = catalog_result_differs(c->cat, r, p->id, mac, why, sizeof why, &e)) != 1) {
		if (rc != 0)
			snprintf(why, sizeof why, "its catalog record could not be read: %.200s", e.msg);
		else
			return;
	}
	s->mismatched++;
	problem(s, p->id, why);
}

/* A result whose catalog record borrows another result's package, or none
 * (found by review: a result added by hand, pointing at a genuine package,
 * was served with its own title and validity). */
static int misfiled_one(const char *code, void *arg)
{
	fixity_summary *s = arg;
	char why[200];

	snprintf(why, sizeof why, "the catalog's record of %.64s names a package filed under"
	         " another result, or none", code);
	s->mismatched++;
	problem(s, code, why);
	return 0;
}

/*
 * A package found without its file or key: read the catalog again before
 * calling it a fault (found by review: fsck and the fixity run reported a
 * package being destroyed at that moment, by an execution in another
 * process, as missing, and an interrupted execution's as a broken key
 * store). 1 if its row is gone or its record tombstoned (destroyed
 * meanwhile: no problem); 2 if its record's item is 'destroying' (an
 * interrupted execution of batch *batch); 0 otherwise, or if the catalog
 * has no retention tables. The ret_ tables are rstore's (retention/); read
 * here by SQL since archive/ does not include from retention/.
 */
static int destroyed_meanwhile(ingest_ctx *c, const catalog_package *p, int64_t *batch)
{
	static const char *const sql =
	    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM packages WHERE id = ?1)"
	    " OR EXISTS (SELECT 1 FROM ret_tombstone_packages WHERE package_id = ?1)"
	    " OR EXISTS (SELECT 1 FROM ret_tombstones WHERE result_code = ?2) THEN 1"
	    " WHEN EXISTS (SELECT 1 FROM ret_items WHERE result_code = ?2 AND state = 'destroying')"
	    " THEN 2 ELSE 0 END, (SELECT batch FROM ret_items WHERE result_code = ?2 AND state ="
	    " 'destroying' LIMIT 1)";
	sqlite3_stmt *st = NULL;
	int r = 0;

	catalog_lock(c->cat);
	if (sqlite3_prepare_v2(catalog_db(c->cat), sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->result_code, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			r = sqlite3_column_int(st, 0);
			*batch = sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	catalog_unlock(c->cat);
	return r;
}

/* A missing file or key: no problem if destroyed meanwhile, the repair if an
 * interrupted execution, else `why`. 1 if it was a problem. */
static int missing_problem(ingest_ctx *c, const catalog_package *p, fixity_summary *s,
                           const char *why)
{
	int64_t batch = 0;
	char msg[200];

	switch (destroyed_meanwhile(c, p, &batch)) {
	case 1:
		return 0;
	case 2:
		snprintf(msg, sizeof msg, "its record is being destroyed by batch %lld (an"
		         " interrupted execution): execute batch %lld again", (long long)batch,
		         (long long)batch);
		problem(s, p->id, msg);
		return 1;
	default:
		problem(s, p->id, why);
		return 1;
	}
}

static int check_one(const catalog_package *p, void *arg)
{
	struct fixity_walk *w = arg;
	fixity_summary *s = w->sum;
	uint64_t size = 0;
	kho_err e;
	int rc;

	if (atomic_load(&w->c->stop))
		return kho_err_set(w->err, KHO_EPERM, "fixity check stopped: the daemon is stopping");
	s->packages++;
	if (!p->has_key) {
		/* A destroyed record has no catalog row any more (rstore deletes
		 * it with the key), so a row without its key is a problem: the
		 * key store is missing, incomplete or the wrong directory. */
		if (missing_problem(w->c, p, s, "its key is missing from the key store"))
			s->missing_keys++;   /* else destroyed meanwhile: not a problem */
	} else if (!w->reverify || w->c->anchors == NULL || strcmp(p->state, "renewed") == 0) {
		/* A renewed package is kept as it was, integrity only: its
		 * evidence lapses by design once its renewal carries it on. */
		unsigned char key[STORE_KEY_LEN];
		rc = package_key(w->c, p, key, &e);
		if (rc == 0)
			rc = store_get_fd_key(w->c->st, p->id, key, -1, &size, w->bps, &e);
		OPENSSL_cleanse(key, sizeof key);
		/* A read cut by the shutdown is no fault of the package (and the
		 * cursor must not pass it). */
		if (rc != 0 && atomic_load(&w->c->stop))
			return kho_err_set(w->err, KHO_EPERM, "fixity check stopped: the daemon is stopping");
		if (rc == KHO_ENOTFOUND) {
			if (missing_problem(w->c, p, s, "missing from the store"))
				s->missing++;
		} else if (rc != 0) {
			s->corrupt++;
			problem(s, p->id, e.msg);
		} else {
			s->ok++;
			s->bytes += size;
			if (w->reverify && strcmp(p->state, "renewed") != 0)
				s->skipped++;
		}
	} else {
		char tmp[PATH_MAX];
		verify_report *rep = NULL;
		rc = ingest_reverify(w->c, p, tmp, sizeof tmp, &rep, &e);
		if (rc == KHO_ENOTFOUND) {
			if (missing_problem(w->c, p, s, "missing from the store"))
				s->missing++;
		} else if (rc == KHO_ECRYPTO || rc == KHO_EFORMAT) {
			s->corrupt++;
			problem(s, p->id, e.msg);
		} else if (rc != 0) {
			return kho_err_set(w->err, rc, "%s: %s", p->id, e.msg);
		} else {
			s->bytes += p->size;
			record_check(w->c, p, rep, s);
			if (ingest_acceptable(w->c, rep)) {
				s->ok++;
				renew_if_due(w->c, p, tmp, rep, s);
			} else {
				s->failed++;
				problem(s, p->id, vr_indication_name(rep->indication));
			}
			verify_report_free(rep);
			unlink(tmp);
			/* Rate limit for the re-verification path too, in slices of
			 * 50 ms that end at once when the daemon stops. */
			if (w->bps > 0) {
				double secs = (double)p->size / (double)w->bps;
				while (secs > 0 && !atomic_load(&w->c->stop)) {
					double t = secs < 0.05 ? secs : 0.05;
					struct timespec d = { 0, (long)(t * 1e9) };
					nanosleep(&d, NULL);
					secs -= t;
				}
			}
		}
	}
	w->done++;
	memcpy(s->last_id, p->id, sizeof s->last_id);
	if (w->progress != NULL)
		w->progress(w->done, w->total, w->arg);
	return 0;
}

static int orphan_one(const char *id, int is_stray, void *arg)
{
	struct fixity_walk *w = arg;
	fixity_summary *s = w->sum;
	char path[PATH_MAX];
	struct stat st;
	kho_err e;
	int rc;

	if (is_stray) {
		/* A temporary file of an ingest in flight is not a stray. */
		if (strstr(id, ".enc.tmp-") != NULL)
			return 0;
		s->strays++;
		problem(s, id, "a stray file in the store");
		return 0;
	}
	rc = catalog_get_package(w->c->cat, id, NULL, &e);
	if (rc == 0)
		return 0;
	if (rc != KHO_ENOTFOUND)   /* not an orphan: the catalog did not answer */
		return kho_err_set(w->err, rc, "store file %.16s...: %s", id, e.msg);
	if (w->grace > 0 && lstat(store_path(w->c->st, id, path, sizeof path), &st) == 0 &&
	    st.st_mtime + (time_t)w->grace > time(NULL))
		return 0;
	s->orphans++;
	problem(s, id, "a store file that the catalog does not know (orphan; one left by an ingest"
	        " interrupted before its commit is removed at the next start of kho serve)");
	return 0;
}

void ingest_stop(ingest_ctx *c)
{
	atomic_store(&c->stop, 1);
	store_cancel_throttle(c->st);
}

int ingest_fixity(ingest_ctx *c, const char *after, int reverify, uint64_t bps, unsigned grace,
                  void (*progress)(int64_t done, int64_t total, void *arg),
                  void (*on_problem)(const char *id, const char *why, void *arg), void *arg,
                  fixity_summary *sum, kho_err *err)
{
	struct fixity_walk w;
	catalog_counts n;
	int rc;

	memset(sum, 0, sizeof *sum);
	sum->on_problem = on_problem;
	sum->problem_arg = arg;
	memset(&w, 0, sizeof w);
	w.c = c;
	w.reverify = reverify;
	w.bps = bps;
	w.grace = grace;
	w.progress = progress;
	w.arg = arg;
	w.sum = sum;
	if ((rc = catalog_counts_get(c->cat, &n, err)) != 0)
		return rc;
	w.total = n.packages;
	w.err = err;
	if ((rc = catalog_each_package(c->cat, after, check_one, &w, err)) != 0)
		return rc;
	if ((rc = catalog_results_misfiled(c->cat, misfiled_one, sum, err)) != 0)
		return rc;
	return store_list(c->st, orphan_one, &w, err);
}

/* An audit event of the daemon's own start-up recovery (actor "daemon"). */
static void daemon_event(ingest_ctx *c, const char *action, const char *object,
                         const char *detail)
{
	audit_event ev;

	ev.actor = "daemon";
	ev.action = action;
	ev.object = object;
	ev.status = 0;
	ev.detail = detail;
	audit_append(c->cat, &ev, NULL);
}

struct recover_walk {
	ingest_ctx *c;
	int (*destroyed)(const char *id, void *arg);
	void *arg;
	int removed;
	kho_err *err;
};

static int recover_one(const char *id, int is_stray, void *arg)
{
	struct recover_walk *w = arg;
	kho_err e;
	int rc;

	if (is_stray)
		return 0;
	/* Only a catalog that answers "no such package" makes the file an
	 * uncommitted one. Any other answer (a busy or failing catalog) stops
	 * the start: removing on it would destroy acknowledged packages. */
	rc = catalog_get_package(w->c->cat, id, NULL, &e);
	if (rc == 0)
		return 0;
	if (rc != KHO_ENOTFOUND)
		return kho_err_set(w->err, rc,
		                   "crash recovery stopped, nothing removed: the catalog cannot say "
		                   "whether store file %.16s... was committed: %s", id, e.msg);
	/* Unknown to the catalog, yet acknowledged by the trail: the catalog
	 * lost committed rows (edited by hand, or an older copy put back
	 * whose trail still names it). Not a crash's leftover: keep the file
	 * and say so (found by review: it was removed, audited as never
	 * committed). kho fsck reports it, an orphan. */
	{
		int64_t seq = 0;
		rc = catalog_acknowledged(w->c->cat, id, &seq, &e);
		if (rc == 0 && w->destroyed != NULL && w->destroyed(id, w->arg)) {
			/* Destroyed by retention, its file back from an older copy of
			 * the store: its key is shredded, the file reads as nothing. */
			if (store_remove(w->c->st, id, NULL) == 0) {
				w->removed++;
				daemon_event(w->c, "recover", id, "removed the store file of a destroyed"
				             " package (brought back from an older copy; its key is shredded)");
			}
			return 0;
		}
		if (rc == 0) {
			char d[200];
			snprintf(d, sizeof d, "a store file unknown to the catalog, but acknowledged by"
			         " audit event %lld: kept (the catalog lost its rows; see kho fsck)",
			         (long long)seq);
			daemon_event(w->c, "alert", id, d);
			return 0;
		}
		if (rc != KHO_ENOTFOUND)
			return kho_err_set(w->err, rc, "crash recovery stopped, nothing removed: %s",
			                   e.msg);
	}
	/* Written but never committed: the ingest was never acknowledged. Its
	 * pending key (keystore.h), written by this catalog's ingest, is
	 * shredded first, then the store file removed (a crash between the two
	 * leaves the store file, and the next start does it again): kept, it
	 * decrypted the never acknowledged package from a copy of the store
	 * taken before this start, even after the record's destruction (found
	 * by review). A FINAL key of the id stays: the key store may serve
	 * other copies of the catalog (a backup started with the live key
	 * store), where the same id is a committed package whose key this
	 * start must not destroy (found by review, 2026-12-07); alone it
	 * decrypts nothing, and the same bytes ingested again use it. */
	{
		int krc = keystore_destroy_pending(w->c->ks, id, &e);
		if (krc != 0 && krc != KHO_ENOTFOUND)
			return kho_err_set(w->err, krc, "crash recovery stopped: cannot shred the"
			                   " pending key of %.16s...: %s", id, e.msg);
		if (store_remove(w->c->st, id, NULL) == 0) {
			w->removed++;
			daemon_event(w->c, "recover", id,
			             krc == 0 ? "removed a store file never committed to the catalog (a"
			                        " crash before its commit, or a catalog put back from an"
			                        " earlier copy) and shredded its pending key"
			                      : "removed a store file never committed to the catalog (a"
			                        " crash before its commit, or a catalog put back from an"
			                        " earlier copy)");
		}
	}
	return 0;
}

/*
 * A pending key whose package is in the catalog: committed, but the rename
 * after its commit was not reached or was lost in a crash: renamed now.
 * Any other pending key is left to recover_one (its store file) or kept.
 */
struct pending_walk {
	ingest_ctx *c;
	int renamed;
	kho_err *err;
};

static int pending_one(const char *id, void *arg)
{
	struct pending_walk *w = arg;
	kho_err e;
	int rc = catalog_get_package(w->c->cat, id, NULL, &e);

	if (rc == KHO_ENOTFOUND)
		return 0;
	if (rc != 0)
		return kho_err_set(w->err, rc, "crash recovery stopped: the catalog cannot say"
		                   " whether pending key %.16s... was committed: %s", id, e.msg);
	rc = keystore_commit(w->c->ks, id, &e);
	if (rc == 0)
		w->renamed++;
	else if (rc != KHO_ENOTFOUND)
		return kho_err_set(w->err, rc, "crash recovery stopped: %s", e.msg);
	return 0;
}

/*
 * Migration of a data directory written before the key store: each package
 * key wrapped in the catalog is unwrapped once with the master key, put in
 * the key store (durable), and only then its column blanked. A crash in
 * between is harmless: putting the same key again is a no-op. Copies of
 * DATA taken before the migration still hold the wrapped keys and the
 * master key (docs/operations.md says so).
 */
static int migrate_keys(ingest_ctx *c, int *moved, kho_err *err)
{
	static const char sel[] = "SELECT id, wrapped_key FROM packages"
	                          " WHERE wrapped_key IS NOT NULL LIMIT 1";
	static const char upd[] = "UPDATE packages SET wrapped_key = NULL WHERE id = ?";
	unsigned char wrapped[STORE_WRAPPED_LEN], key[STORE_KEY_LEN];
	char id[STORE_ID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int rc = 0, s;

	*moved = 0;
	catalog_lock(c->cat);
	for (;;) {
		const unsigned char *txt;
		if ((st = catalog_stmt(c->cat, sel, err)) == NULL) {
			rc = KHO_EIO;
			break;
		}
		s = sqlite3_step(st);
		if (s == SQLITE_DONE)
			break;
		txt = sqlite3_column_text(st, 0);
		if (s != SQLITE_ROW || txt == NULL || !store_is_id((const char *)txt) ||
		    sqlite3_column_bytes(st, 1) != STORE_WRAPPED_LEN) {
			rc = kho_err_set(err, KHO_EFORMAT, "catalog: a damaged package row (wrapped key)");
			break;
		}
		memcpy(id, txt, sizeof id);
		memcpy(wrapped, sqlite3_column_blob(st, 1), sizeof wrapped);
		sqlite3_reset(st);
		if ((rc = store_unwrap_key(c->st, wrapped, key, err)) != 0 ||
		    (rc = keystore_put(c->ks, id, key, err)) != 0)
			break;
		if ((st = catalog_stmt(c->cat, upd, err)) == NULL) {
			rc = KHO_EIO;
			break;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = kho_err_set(err, KHO_EIO, "catalog: cannot blank the wrapped key of %.16s...",
			                 id);
			break;
		}
		sqlite3_reset(st);
		(*moved)++;
	}
	if (st != NULL)
		sqlite3_reset(st);
	catalog_unlock(c->cat);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int ingest_recover(ingest_ctx *c, int (*destroyed)(const char *id, void *arg), void *arg,
                   int *removed, kho_err *err)
{
	struct recover_walk w;
	size_t shredded = 0;
	char d[96];
	int rc, moved = 0;

	w.c = c;
	w.destroyed = destroyed;
	w.arg = arg;
	w.removed = 0;
	w.err = err;
	if ((rc = store_clean_tmp(c->st, err)) != 0)
		return rc;
	/* A temporary key file left by a crash may hold a wrapped package key
	 * that no destruction would reach: shred it. */
	if ((rc = keystore_clean_tmp(c->ks, &shredded, err)) != 0)
		return rc;
	if (shredded > 0) {
		snprintf(d, sizeof d, "shredded %zu temporary key files left by a crash", shredded);
		daemon_event(c, "recover", keystore_dir(c->ks), d);
	}
	if ((rc = migrate_keys(c, &moved, err)) != 0)
		return rc;
	if (moved > 0) {
		snprintf(d, sizeof d, "moved %d package keys from the catalog to the key store", moved);
		daemon_event(c, "migrate-keys", keystore_dir(c->ks), d);
	}
	{
		struct pending_walk pw = { c, 0, err };
		if ((rc = keystore_each_pending(c->ks, pending_one, &pw, err)) != 0)
			return rc;
		if (pw.renamed > 0) {
			snprintf(d, sizeof d, "renamed %d pending keys of committed packages to their"
			         " final names", pw.renamed);
			daemon_event(c, "recover", keystore_dir(c->ks), d);
		}
		/* Every committed package's key now has its final name, and the
		 * only pending keys to come are this process's ingests'. */
		keystore_track_pending(c->ks);
	}
	rc = store_list(c->st, recover_one, &w, err);
	if (removed != NULL)
		*removed = w.removed;
	return rc;
}
