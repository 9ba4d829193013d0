/*
 * seal.c: one result into one sealed ASiC-E package (see seal.h).
 *
 * The order of work follows the signature's dependencies: the record is
 * validated first (a package with bad metadata is never signed), then the
 * manifest is written over every data object including record.xml, the
 * CAdES signature covers the manifest's exact bytes (never re-serialized),
 * the optional timestamp covers the signature value (EN 319 122-1 5.3,
 * B-T), then the certificates and revocation data are added (B-LT, unsigned,
 * so they do not disturb the signature). The ZIP is written last, in the
 * order EN 319 162-1 4.4.1 wants: `mimetype` stored first.
 */
#include "sign/seal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive/manifest.h"
#include "archive/record.h"
#include "archive/zipw.h"
#include "common/utf8.h"
#include "common/util.h"

#define SEAL_SIG_URI       "META-INF/signature001.p7s"
#define SEAL_MANIFEST_NAME "META-INF/ASiCManifest001.xml"
#define SEAL_MIMETYPE      "application/vnd.etsi.asic-e+zip"
#define SEAL_MAX_FILES     10000
#define SEAL_MAX_NAME      1024
#define SEAL_MAX_SIG       (32u * 1024 * 1024)
#define SEAL_MAX_TOKEN     (1024u * 1024)

static const struct {
	const char *ext;
	const char *mime;
} mime_table[] = {
	{ "pdf",  "application/pdf" },
	{ "xml",  "application/xml" },
	{ "jpg",  "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "png",  "image/png" },
	{ "tif",  "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "txt",  "text/plain" },
};

static const char *guess_mime(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
			if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
				return mime_table[i].mime;
	return "application/octet-stream";
}

/*
 * check_name: a data object's name must be a safe relative path (no
 * absolute path, no empty, "." or ".." component, no backslash, colon or
 * control character: names must extract safely on Windows too), outside META-INF/ (EN 319 162-1 4.4.1: that folder holds the
 * signatures and manifests), and neither `mimetype` nor `record.xml`, which
 * seal writes itself.
 */
static int check_name(const char *name, kho_err *err)
{
	const char *p, *comp;
	size_t n;

	if (name == NULL || name[0] == '\0')
		return kho_err_set(err, KHO_EFORMAT, "empty file name");
	n = strlen(name);
	if (n > SEAL_MAX_NAME)
		return kho_err_set(err, KHO_EFORMAT, "file name longer than %d bytes", SEAL_MAX_NAME);
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\' || *p == ':')
			return kho_err_set(err, KHO_EFORMAT, "file name '%s' has a forbidden character", name);
	if (name[0] == '/')
		return kho_err_set(err, KHO_EFORMAT, "file name '%s' is absolute", name);
	for (comp = name;;) {
		const char *end = strchr(comp, '/');
		size_t cl = end != NULL ? (size_t)(end - comp) : strlen(comp);

		if (cl == 0 || (cl == 1 && comp[0] == '.') || (cl == 2 && comp[0] == '.' && comp[1] == '.'))
			return kho_err_set(err, KHO_EFORMAT, "file name '%s' has an empty, '.' or '..' part", name);
		if (end == NULL)
			break;
		comp = end + 1;
	}
	/* Reserved names, in any case: a file "META-INF" (no slash) made the
	 * package impossible to unzip into a directory, and "RECORD.XML" next
	 * to record.xml collides on case-insensitive file systems. */
	if (strncasecmp(name, "META-INF/", 9) == 0 || strcasecmp(name, "META-INF") == 0)
		return kho_err_set(err, KHO_EFORMAT, "file name '%s' is inside META-INF/", name);
	if (strcasecmp(name, "mimetype") == 0)
		return kho_err_set(err, KHO_EFORMAT, "file name 'mimetype' is reserved by ASiC");
	if (strcasecmp(name, RECORD_ENTRY) == 0)
		return kho_err_set(err, KHO_EFORMAT, "file name '%s' is reserved for the record metadata",
		                   RECORD_ENTRY);
	return 0;
}

/*
 * The record is written as UTF-8 (docs/record.md): its bytes well-formed
 * UTF-8, no byte-order mark, and an encoding declaration, if any, of UTF-8.
 * A record in ISO-8859-1 or UTF-16 was sealed as it was, for every reader
 * of record.xml as UTF-8 to get wrong (found by review, 2026-12-07).
 */
static int record_utf8(const unsigned char *x, size_t n, kho_err *err)
{
	const char *decl, *end, *q;
	char enc[32];
	size_t k;

	if (n >= 2 && ((x[0] == 0xfe && x[1] == 0xff) || (x[0] == 0xff && x[1] == 0xfe)))
		return kho_err_set(err, KHO_EFORMAT, "the record is UTF-16: write it in UTF-8");
	if (n >= 3 && x[0] == 0xef && x[1] == 0xbb && x[2] == 0xbf)
		return kho_err_set(err, KHO_EFORMAT, "the record starts with a byte-order mark: write"
		                   " it in UTF-8 without one");
	if (!kho_utf8_valid((const char *)x, n))
		return kho_err_set(err, KHO_EFORMAT, "the record is not UTF-8 text");
	if (n >= 5 && memcmp(x, "<?xml", 5) == 0 &&
	    (end = memmem(x, n, "?>", 2)) != NULL &&
	    (decl = memmem(x, (size_t)(end - (const char *)x), "encoding", 8)) != NULL) {
		for (q = decl; q < end && *q != '"' && *q != '\''; q++)
			;
		if (q == end)
			return kho_err_set(err, KHO_EFORMAT, "the record's XML declaration is malformed");
		for (k = 0; k + 1 < sizeof enc && q + 1 + k < end && q[1 + k] != *q; k++)
			enc[k] = q[1 + k];
		enc[k] = '\0';
		if (strcasecmp(enc, "UTF-8") != 0 && strcasecmp(enc, "UTF8") != 0)
			return kho_err_set(err, KHO_EFORMAT, "the record declares encoding \"%s\": write it"
			                   " in UTF-8", enc);
	}
	return 0;
}

static int check_files(const seal_file *files, size_t nfiles, kho_err *err)
{
	size_t i, j;
	int rc;

	if (files == NULL || nfiles == 0)
		return kho_err_set(err, KHO_EINVAL, "nothing to seal: at least one file is needed");
	if (nfiles > SEAL_MAX_FILES)
		return kho_err_set(err, KHO_ETOOBIG, "more than %d files", SEAL_MAX_FILES);
	for (i = 0; i < nfiles; i++) {
		if ((rc = check_name(files[i].name, err)) != 0)
			return rc;
		if (files[i].data == NULL && files[i].len > 0)
			return kho_err_set(err, KHO_EINVAL, "file '%s' has no data", files[i].name);
		/* Byte comparison: callers should pass NFC names (Vietnamese
		 * diacritics have two normalizations). */
		for (j = 0; j < i; j++)
			if (strcasecmp(files[i].name, files[j].name) == 0)
				return kho_err_set(err, KHO_EFORMAT, strcmp(files[i].name, files[j].name) == 0
				                   ? "file name '%s' appears twice"
				                   : "file names '%s' and '%s' differ only by case (they collide"
				                     " on case-insensitive file systems)",
				                   files[j].name, files[i].name);
	}
	return 0;
}

/* stack_append: add every certificate of from to to (up-referenced). */
static int stack_append(STACK_OF(X509) *to, STACK_OF(X509) *from)
{
	int i;

	for (i = 0; from != NULL && i < sk_X509_num(from); i++) {
		X509 *x = sk_X509_value(from, i);
		if (!X509_up_ref(x))
			return -1;
		if (!sk_X509_push(to, x)) {
			X509_free(x);
			return -1;
		}
	}
	return 0;
}

int seal_package(kho_buf *out, const seal_file *files, size_t nfiles,
                 const void *record_xml, size_t record_len,
                 const seal_opts *opts, kho_err *err)
{
	manifest_item *items = NULL;
	record *rec = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *lt = NULL;
	kho_buf man, sig, tok;
	zipw *w = NULL;
	size_t i, start;
	int rc;

	kho_buf_init(&man, MANIFEST_MAX_SIZE);
	kho_buf_init(&sig, SEAL_MAX_SIG);
	kho_buf_init(&tok, SEAL_MAX_TOKEN);
	if (out == NULL || opts == NULL)
		return kho_err_set(err, KHO_EINVAL, "seal_package: bad arguments");
	start = out->len;
	if ((rc = check_files(files, nfiles, err)) != 0)
		goto out;
	if (record_xml == NULL || record_len == 0)  {
		rc = kho_err_set(err, KHO_EFORMAT, "the record metadata is empty");
		goto out;
	}
	if ((rc = record_utf8(record_xml, record_len, err)) != 0)
		goto out;
	rc = record_parse(&rec, record_xml, record_len, err);
	if (rc != 0)
		goto out;
	/* Found by review: a record issued 2099-12-31 (dossier 991231) was
	 * sealed and timestamped in 2026, and then its dossier could never be
	 * closed nor its sealed metadata corrected. */
	{
		char today[11], what[160];
		kho_local_date(today, kho_now());
		if (record_date_after(rec, today, what, sizeof what) != NULL) {
			rc = kho_err_set(err, KHO_EFORMAT, "record.xml: %s is after the sealing day %s"
			                 " (Vietnam's day): a result is sealed once issued (and"
			                 " digitized), never ahead", what, today);
			goto out;
		}
	}

	/* EN 319 162-1 4.4.2: one DataObjectReference per data object. */
	items = calloc(nfiles + 1, sizeof *items);
	if (items == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nfiles; i++) {
		items[i].uri = files[i].name;
		items[i].mime = files[i].mime != NULL ? files[i].mime : guess_mime(files[i].name);
		items[i].data = files[i].data;
		items[i].len = files[i].len;
	}
	items[nfiles].uri = RECORD_ENTRY;
	items[nfiles].mime = "application/xml";
	items[nfiles].data = record_xml;
	items[nfiles].len = record_len;
	rc = manifest_write(&man, SEAL_SIG_URI, items, nfiles + 1, err);
	if (rc != 0)
		goto out;

	rc = cades_sign(&cms, &opts->signer, man.data, man.len, err);
	if (rc != 0)
		goto out;
	if (opts->tsa != NULL) {
		const unsigned char *sv;
		size_t svlen;

		/* EN 319 122-1 5.3: the signature timestamp covers the signature value. */
		rc = cades_signature_value(cms, &sv, &svlen, err);
		if (rc == 0)
			rc = tsa_stamp(opts->tsa, sv, svlen, &tok, err);
		if (rc == 0)
			rc = cades_add_timestamp(cms, tok.data, tok.len, err);
		if (rc != 0)
			goto out;
	}
	lt = sk_X509_new_null();
	if (lt == NULL || stack_append(lt, opts->signer.chain) != 0 ||
	    stack_append(lt, opts->tsa_chain) != 0) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	rc = cades_add_lt(cms, lt, opts->crls, err);
	if (rc == 0)
		rc = cades_to_der(&sig, cms, opts->ocsp, opts->nocsp, err);
	if (rc != 0)
		goto out;

	/*
	 * EN 319 162-1 A.1: mimetype first and stored. Data objects are deflated
	 * unless they do not compress (ZIPW_AUTO: a signed PDF or a scan is
	 * stored, as A.1 allows); the XML and the signature are deflated.
	 */
	/*
	 * Allocate the package once: stored and deflated entries are no larger
	 * than their data (ZIPW_AUTO stores what does not shrink; the XML and
	 * DER deflate well), plus headers. A short estimate only means the
	 * buffer grows as before; a failed reservation is not an error.
	 */
	{
		size_t est = 22 + 2 * (46 + sizeof SEAL_MANIFEST_NAME + sizeof SEAL_SIG_URI +
		                        sizeof RECORD_ENTRY + 8) + strlen(SEAL_MIMETYPE) +
		             record_len + man.len + sig.len;
		for (i = 0; i < nfiles && est != SIZE_MAX; i++) {
			size_t n = 2 * (46 + strlen(files[i].name)) + files[i].len;
			est = n > SIZE_MAX - est ? SIZE_MAX : est + n;
		}
		if (est != SIZE_MAX)
			(void)kho_buf_reserve(out, est);
	}
	rc = zipw_new(&w, out, kho_now(), err);
	if (rc == 0)
		rc = zipw_add(w, "mimetype", SEAL_MIMETYPE, strlen(SEAL_MIMETYPE), ZIPW_STORED, err);
	for (i = 0; rc == 0 && i < nfiles; i++)
		rc = zipw_add(w, files[i].name, files[i].data, files[i].len, ZIPW_AUTO, err);
	if (rc == 0)
		rc = zipw_add(w, RECORD_ENTRY, record_xml, record_len, ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_add(w, SEAL_MANIFEST_NAME, man.data, man.len, ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_add(w, SEAL_SIG_URI, sig.data, sig.len, ZIPW_DEFLATED, err);
	if (rc == 0)
		rc = zipw_finish(w, err);
out:
	if (rc != 0 && out != NULL && out->len > start)
	{
		out->len = start;   /* never leave half a package in the caller's buffer */
		out->data[start] = '\0';
	}
	zipw_free(w);
	sk_X509_pop_free(lt, X509_free);
	CMS_ContentInfo_free(cms);
	record_free(rec);
	free(items);
	kho_buf_release(&man);
	kho_buf_release(&sig);
	kho_buf_release(&tok);
	return rc;
}
