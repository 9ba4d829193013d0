/*
 * lta.c: one more archive timestamp on an ASiC-E package (see lta.h).
 */
#include "sign/lta.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/manifest.h"
#include "archive/pkg.h"
#include "archive/zipw.h"
#include "common/util.h"

#define LTA_MIMETYPE "application/vnd.etsi.asic-e+zip"

/* The first free META-INF/<stem>NNN<ext>, NNN from 001. */
static int free_name(const pkg *p, const char *stem, const char *ext, char *out, size_t n)
{
	for (unsigned k = 1; k < 1000; k++) {
		snprintf(out, n, "META-INF/%s%03u%s", stem, k, ext);
		if (pkg_find(p, out) == NULL)
			return 0;
	}
	return -1;
}

int lta_add(kho_buf *out, const void *data, size_t len, tsa *t, kho_err *err)
{
	pkg_limits lim;
	pkg *p = NULL;
	manifest_item *items = NULL;
	char renamed[64], token_name[64];
	const char **names = NULL;
	kho_buf man, tok, zip;
	zipw *w = NULL;
	size_t i, n = 0;
	int rc;

	kho_buf_init(&man, MANIFEST_MAX_SIZE);
	kho_buf_init(&tok, 1u << 20);
	kho_buf_init(&zip, out->max);
	pkg_limits_default(&lim);
	lim.keep_max = (size_t)lim.max_entry_size;   /* every entry in memory: it is copied */
	if ((rc = pkg_read_mem(&p, data, len, &lim, err)) != 0)
		goto out;
	if (!p->is_asice) {
		rc = kho_err_set(err, KHO_EFORMAT, "not an ASiC-E container (its mimetype says otherwise"
		                 " or is missing): an archive timestamp is added to ASiC-E only");
		goto out;
	}
	/* The archive manifest in place now, if any, moves to a numbered name. */
	renamed[0] = '\0';
	if (pkg_find(p, LTA_MANIFEST) != NULL &&
	    free_name(p, "ASiCArchiveManifest", ".xml", renamed, sizeof renamed) != 0) {
		rc = kho_err_set(err, KHO_ETOOBIG, "999 archive manifests already");
		goto out;
	}
	if (free_name(p, "timestamp", ".tst", token_name, sizeof token_name) != 0) {
		rc = kho_err_set(err, KHO_ETOOBIG, "999 timestamp tokens already");
		goto out;
	}
	items = calloc(p->nentries, sizeof *items);
	names = calloc(p->nentries, sizeof *names);
	if (items == NULL || names == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	/* Everything but mimetype, under the names it will have. */
	for (i = 0; i < p->nentries; i++) {
		const pkg_entry *e = &p->entries[i];
		names[i] = strcmp(e->name, LTA_MANIFEST) == 0 ? renamed : e->name;
		if (strcmp(e->name, "mimetype") == 0)
			continue;
		if (e->data == NULL && e->size > 0) {
			rc = kho_err_set(err, KHO_ETOOBIG, "%s is too large to copy", e->name);
			goto out;
		}
		items[n].uri = names[i];
		items[n].data = e->data;
		items[n].len = (size_t)e->size;
		n++;
	}
	if ((rc = manifest_write_archive(&man, token_name, items, n, err)) != 0)
		goto out;
	if ((rc = tsa_stamp(t, man.data, man.len, &tok, err)) != 0)
		goto out;
	if ((rc = zipw_new(&w, &zip, kho_now(), err)) != 0)
		goto out;
	rc = zipw_add(w, "mimetype", LTA_MIMETYPE, strlen(LTA_MIMETYPE), ZIPW_STORED, err);
	for (i = 0; rc == 0 && i < p->nentries; i++) {
		const pkg_entry *e = &p->entries[i];
		if (strcmp(e->name, "mimetype") == 0)
			continue;
		rc = zipw_add(w, names[i], e->data ? (const void *)e->data : "", (size_t)e->size,
		              ZIPW_AUTO, err);
	}
	if (rc == 0)
		rc = zipw_add(w, LTA_MANIFEST, man.data, man.len, ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_add(w, token_name, tok.data, tok.len, ZIPW_STORED, err);
	if (rc == 0)
		rc = zipw_finish(w, err);
	if (rc == 0 && (rc = kho_buf_append(out, zip.data, zip.len)) != 0)
		kho_err_set(err, rc, "the renewed package does not fit in the output buffer");
out:
	zipw_free(w);
	free(items);
	free(names);
	pkg_free(p);
	kho_buf_free(&man);
	kho_buf_free(&tok);
	kho_buf_free(&zip);
	return rc;
}
