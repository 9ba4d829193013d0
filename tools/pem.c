/*
 * pem.c: PEM loaders for the command-line tools (see pem.h).
 */
#include "tools/pem.h"

#include <limits.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/util.h"

static int read_bio(BIO **out, kho_buf *b, const char *path, kho_err *err)
{
	int rc;

	*out = NULL;
	kho_buf_init(b, PEM_MAX_FILE);
	rc = kho_read_user_file(b, path, err);
	if (rc != 0)
		return rc;
	*out = BIO_new_mem_buf(b->data != NULL ? (const void *)b->data : "", (int)b->len);
	if (*out == NULL)
		return kho_err_ssl(err, KHO_ENOMEM, "BIO_new_mem_buf");
	return 0;
}

int pem_load_key(EVP_PKEY **out, const char *path, kho_err *err)
{
	kho_buf b;
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	rc = read_bio(&bio, &b, path, err);
	if (rc == 0) {
		/* An empty passphrase callback: encrypted keys fail instead of prompting. */
		*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
		if (*out == NULL)
			rc = kho_err_ssl(err, KHO_EFORMAT, "%s: not an unencrypted PEM private key", path);
	}
	BIO_free(bio);
	kho_buf_free(&b);   /* wipes the key's PEM */
	return rc;
}

int pem_load_certs(STACK_OF(X509) **out, const char *path, kho_err *err)
{
	STACK_OF(X509) *sk = NULL;
	kho_buf b;
	BIO *bio = NULL;
	X509 *x;
	int rc;

	*out = NULL;
	rc = read_bio(&bio, &b, path, err);
	if (rc != 0)
		goto out;
	sk = sk_X509_new_null();
	if (sk == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* The loop ends on "no start line" at the end of the file: not an error. */
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		rc = kho_err_set(err, KHO_EFORMAT, "%s: no PEM certificate", path);
		goto out;
	}
	*out = sk;
	sk = NULL;
out:
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	kho_buf_free(&b);
	return rc;
}

int pem_load_crls(STACK_OF(X509_CRL) **out, const char *path, kho_err *err)
{
	kho_buf b;
	BIO *bio = NULL;
	X509_CRL *c;
	int rc, n = 0;

	rc = read_bio(&bio, &b, path, err);
	if (rc != 0)
		goto out;
	if (*out == NULL && (*out = sk_X509_CRL_new_null()) == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	while ((c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(*out, c)) {
			X509_CRL_free(c);
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		/* Not PEM: try one DER CRL. */
		const unsigned char *p = b.data;
		c = b.len > 0 && b.len <= LONG_MAX ? d2i_X509_CRL(NULL, &p, (long)b.len) : NULL;
		if (c == NULL) {
			rc = kho_err_ssl(err, KHO_EFORMAT, "%s: no CRL (PEM or DER)", path);
			goto out;
		}
		if (!sk_X509_CRL_push(*out, c)) {
			X509_CRL_free(c);
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	BIO_free(bio);
	kho_buf_free(&b);
	return rc;
}
