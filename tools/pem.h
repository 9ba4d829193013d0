/*
 * pem.h: small loaders of PEM material for the command-line tools: a
 * private key, a certificate file (certificate first, then its chain), CRLs
 * (PEM or DER) and DER blobs. Files are read through kho_read_file (capped,
 * O_NOFOLLOW).
 */
#ifndef KHO_PEM_H
#define KHO_PEM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

/* Cap on a PEM/DER file of keys, certificates or CRLs. */
#define PEM_MAX_FILE (16u * 1024 * 1024)

/* pem_load_key: an unencrypted private key (PKCS#8 or traditional PEM). */
int pem_load_key(EVP_PKEY **out, const char *path, kho_err *err);

/* pem_load_certs: every certificate of a PEM file, in file order; at least one. */
int pem_load_certs(STACK_OF(X509) **out, const char *path, kho_err *err);

/* pem_load_crls: every CRL of a PEM file, or one DER CRL, appended to *out
 * (created if NULL). */
int pem_load_crls(STACK_OF(X509_CRL) **out, const char *path, kho_err *err);

#endif
