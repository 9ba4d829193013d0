/*
 * manifest.h: the ASiCManifest (ETSI EN 319 162-1, 4.4.2 and annex A),
 * written and parsed with libxml2.
 *
 * Parsing is hardened: XML_PARSE_NONET, no DTD loading, no entity
 * substitution, a document with a DOCTYPE is refused, a size cap applies,
 * and the root must be asic:ASiCManifest in namespace MANIFEST_NS. The same
 * parser reads ASiCArchiveManifest documents.
 *
 * Never re-serialize a manifest after signing: the signature covers its bytes.
 */
#ifndef KHO_MANIFEST_H
#define KHO_MANIFEST_H

#include <stddef.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "common/err.h"

#define MANIFEST_NS "http://uri.etsi.org/02918/v1.2.1#"
#define MANIFEST_MAX_SIZE (4u * 1024 * 1024)
#define MANIFEST_MAX_REFS 10000

typedef struct manifest_ref {
	char *uri;                /* the data object's name in the container */
	char *mime;               /* MimeType attribute, may be NULL */
	char *digest_alg;         /* Algorithm URI as written */
	const EVP_MD *md;         /* resolved, or NULL if unknown */
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t digest_len;
} manifest_ref;

typedef struct manifest {
	int is_archive;           /* root was ASiCArchiveManifest */
	char *sig_uri;            /* SigReference URI (signature or timestamp token) */
	char *sig_mime;           /* SigReference MimeType, may be NULL */
	manifest_ref *refs;
	size_t nrefs;
} manifest;

/* The input of manifest_write: one data object. */
typedef struct manifest_item {
	const char *uri;
	const char *mime;
	const void *data;         /* digested with SHA-256 */
	size_t len;
} manifest_item;

/*
 * manifest_parse: parse and check a manifest. KHO_EFORMAT (with the reason:
 * wrong namespace, DOCTYPE, missing SigReference, bad base64...) or
 * KHO_ETOOBIG. *out is owned by the caller.
 */
int manifest_parse(manifest **out, const void *xml, size_t len, kho_err *err);

/*
 * manifest_write: append to out the bytes of an ASiCManifest with a
 * SigReference to sig_uri (MIME application/pkcs7-signature) and one
 * DataObjectReference with a SHA-256 digest per item.
 */
int manifest_write(kho_buf *out, const char *sig_uri, const manifest_item *items,
                   size_t nitems, kho_err *err);

/*
 * manifest_write_archive: the same as an ASiCArchiveManifest (ETSI EN 319
 * 162-1 4.4.3, B-LTA) whose SigReference is the timestamp token tst_uri
 * (MIME application/vnd.etsi.timestamp-token) over its bytes.
 */
int manifest_write_archive(kho_buf *out, const char *tst_uri, const manifest_item *items,
                           size_t nitems, kho_err *err);

/* manifest_md_from_uri: the EVP_MD for an xmldsig/xmlenc digest URI, or NULL
 * (SHA-1, SHA-224/256/384/512, SHA3-256/384/512). */
const EVP_MD *manifest_md_from_uri(const char *uri);

void manifest_free(manifest *m);

#endif
