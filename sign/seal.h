/*
 * seal.h: turn a result (the issuer's files plus record metadata) into one
 * sealed ASiC-E package:
 *   mimetype (stored, first)  data objects  record.xml
 *   META-INF/ASiCManifest001.xml  META-INF/signature001.p7s
 * The manifest lists every data object including record.xml with its
 * SHA-256; the signature is CAdES over the manifest's exact bytes, then
 * (unless no TSA is given) timestamped (B-T), then given the chains of signer
 * and TSA and the revocation data supplied (B-LT).
 */
#ifndef KHO_SEAL_H
#define KHO_SEAL_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "sign/cades.h"
#include "sign/tsa.h"

/* One data object: name in the container (no directories outside the
 * package's own, no META-INF/), and its bytes (borrowed). */
typedef struct seal_file {
	const char *name;
	const char *mime;          /* NULL = guessed from the extension */
	const void *data;
	size_t len;
} seal_file;

typedef struct seal_opts {
	cades_key signer;          /* signing key and certificates */
	tsa *tsa;                  /* NULL = CAdES-B-B only, no timestamp */
	STACK_OF(X509) *tsa_chain; /* TSA certificate and chain to embed (B-LT), may be NULL */
	STACK_OF(X509_CRL) *crls;  /* revocation data to embed, may be NULL */
	const kho_buf *ocsp;       /* DER OCSP responses to embed, may be NULL */
	size_t nocsp;
} seal_opts;

/*
 * seal_package: the record.xml bytes are validated (record_parse) and must
 * not collide with a file name; files must be at least one. The container
 * bytes are appended to out. KHO_EFORMAT for a bad record or file name.
 */
int seal_package(kho_buf *out, const seal_file *files, size_t nfiles,
                 const void *record_xml, size_t record_len,
                 const seal_opts *opts, kho_err *err);

#endif
