/*
 * tsa.c: RFC 3161 time-stamping (see tsa.h): a built-in TSA on OpenSSL's
 * TS_RESP_CTX and a client of an external TSA over HTTP, behind one
 * interface, so that sealing does not care which one it has.
 *
 * The built-in TSA fixes what OpenSSL leaves to the caller: the serial
 * callback (the default returns 1 for every token, RFC 3161 2.4.2 wants
 * serials unique per TSA), the clock (kho_now(), so KHO_NOW and tsa_set_time
 * can backdate for tests), the policy OID, an accuracy of 1 second, SHA-256
 * for the token signature and an ESSCertIDv2 signing-certificate attribute.
 * The client checks what RFC 3161 2.4.2 asks of a requester: the status,
 * that the nonce and the message imprint are those it sent.
 */
#include "sign/tsa.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/util.h"
#include "verify/cms.h"

/* Caps: a request or response bigger than this is not a timestamp. */
#define TSA_MAX_REQ   (64u * 1024)
#define TSA_MAX_RESP  (1024u * 1024)

struct tsa {
	int remote;
	/* remote */
	char *url;
	int timeout;
	/* local */
	TS_RESP_CTX *ctx;
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	time_t gen_time;            /* 0 = clock */
	pthread_mutex_t lock;       /* TS_RESP_CTX holds per-request state */
	int have_lock;
};

/* RFC 3161 2.4.2: serialNumber unique for each token; 128 random bits (positive). */
static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
	unsigned char r[16];
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;

	(void)data;
	if (kho_random(r, sizeof r) != 0)
		goto err;
	r[0] &= 0x7f;
	r[0] |= 0x40;            /* always 16 bytes long: no leading zero octet */
	bn = BN_bin2bn(r, sizeof r, NULL);
	if (bn == NULL)
		goto err;
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (serial != NULL)
		return serial;
err:
	TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Error during serial number generation.");
	TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
	return NULL;
}

static int time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	const tsa *t = data;

	(void)ctx;
	*sec = (long)(t->gen_time != 0 ? t->gen_time : kho_now());
	*usec = 0;
	return 1;
}

/* has_critical_ts_eku: RFC 3161 2.3: the TSA certificate has exactly one
 * extendedKeyUsage, id-kp-timeStamping, and the extension is critical. */
static int has_critical_ts_eku(X509 *cert)
{
	int crit = 0, ok = 0, i;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);

	if (eku == NULL)
		return 0;
	if (crit == 1 && sk_ASN1_OBJECT_num(eku) == 1) {
		for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
			if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_time_stamp)
				ok = 1;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

static tsa *tsa_alloc(void)
{
	tsa *t = calloc(1, sizeof *t);

	return t;
}

int tsa_new_local(tsa **out, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
                  const char *policy, kho_err *err)
{
	ASN1_OBJECT *pol = NULL;
	tsa *t = NULL;
	int rc = 0;

	*out = NULL;
	if (key == NULL || cert == NULL)
		return kho_err_set(err, KHO_EINVAL, "the TSA needs a key and a certificate");
	if (!has_critical_ts_eku(cert))
		return kho_err_set(err, KHO_EINVAL,
		                   "the TSA certificate lacks a critical extendedKeyUsage timeStamping (RFC 3161 2.3)");
	if (X509_check_private_key(cert, key) != 1)
		return kho_err_ssl(err, KHO_EINVAL, "the TSA key does not match its certificate");
	t = tsa_alloc();
	if (t == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return kho_err_set(err, KHO_ENOMEM, "cannot create a mutex");
	}
	t->have_lock = 1;
	if (!EVP_PKEY_up_ref(key)) {
		rc = kho_err_ssl(err, KHO_EINTERNAL, "EVP_PKEY_up_ref failed");
		goto out;
	}
	t->key = key;
	if (!X509_up_ref(cert)) {
		rc = kho_err_ssl(err, KHO_EINTERNAL, "X509_up_ref failed");
		goto out;
	}
	t->cert = cert;
	if (chain != NULL) {
		t->chain = X509_chain_up_ref(chain);
		if (t->chain == NULL) {
			rc = kho_err_ssl(err, KHO_ENOMEM, "cannot copy the TSA chain");
			goto out;
		}
	}
	pol = OBJ_txt2obj(policy != NULL ? policy : TSA_DEFAULT_POLICY, 1);
	if (pol == NULL) {
		rc = kho_err_ssl(err, KHO_EINVAL, "bad TSA policy OID '%s'",
		                 policy != NULL ? policy : TSA_DEFAULT_POLICY);
		goto out;
	}
	t->ctx = TS_RESP_CTX_new();
	if (t->ctx == NULL ||
	    !TS_RESP_CTX_set_signer_cert(t->ctx, cert) ||
	    !TS_RESP_CTX_set_signer_key(t->ctx, key) ||
	    (t->chain != NULL && !TS_RESP_CTX_set_certs(t->ctx, t->chain)) ||
	    !TS_RESP_CTX_set_def_policy(t->ctx, pol) ||
	    !TS_RESP_CTX_set_accuracy(t->ctx, 1, 0, 0) ||
	    !TS_RESP_CTX_add_md(t->ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_add_md(t->ctx, EVP_sha384()) ||
	    !TS_RESP_CTX_add_md(t->ctx, EVP_sha512()) ||
	    !TS_RESP_CTX_set_signer_digest(t->ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_ess_cert_id_digest(t->ctx, EVP_sha256())) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot set up the TSA");
		goto out;
	}
	TS_RESP_CTX_set_serial_cb(t->ctx, serial_cb, t);
	TS_RESP_CTX_set_time_cb(t->ctx, time_cb, t);
	*out = t;
	t = NULL;
out:
	ASN1_OBJECT_free(pol);
	tsa_free(t);
	return rc;
}

int tsa_new_remote(tsa **out, const char *url, int timeout, kho_err *err)
{
	char *host = NULL, *port = NULL, *path = NULL;
	int ssl = 0;
	tsa *t;

	*out = NULL;
	if (url != NULL && strncasecmp(url, "https://", 8) == 0)
		return kho_err_set(err, KHO_EINVAL, "TSA URL '%s': only http:// is supported", url);
	/* OSSL_HTTP_parse_url takes a bare host too: insist on the scheme. */
	if (url == NULL || strncasecmp(url, "http://", 7) != 0 ||
	    !OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL)) {
		ERR_clear_error();
		return kho_err_set(err, KHO_EINVAL, "bad TSA URL '%s'", url != NULL ? url : "");
	}
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	if (ssl)
		return kho_err_set(err, KHO_EINVAL, "TSA URL '%s': only http:// is supported", url);
	t = tsa_alloc();
	if (t == NULL || (t->url = strdup(url)) == NULL) {
		free(t);
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
	t->remote = 1;
	t->timeout = timeout > 0 ? timeout : 30;
	*out = t;
	return 0;
}

int tsa_set_time(tsa *t, time_t gen_time, kho_err *err)
{
	if (t == NULL || t->remote)
		return kho_err_set(err, KHO_EINVAL, "only the built-in TSA can be given a time");
	t->gen_time = gen_time;
	return 0;
}

/* local_response: run the built-in TSA on one DER request. */
static int local_response(tsa *t, const void *req_der, size_t len, TS_RESP **out, kho_err *err)
{
	BIO *in;
	TS_RESP *resp;

	*out = NULL;
	if (len > TSA_MAX_REQ)
		return kho_err_set(err, KHO_ETOOBIG, "timestamp request of %zu bytes", len);
	in = BIO_new_mem_buf(req_der, (int)len);
	if (in == NULL)
		return kho_err_ssl(err, KHO_ENOMEM, "BIO_new_mem_buf");
	pthread_mutex_lock(&t->lock);
	resp = TS_RESP_create_response(t->ctx, in);
	pthread_mutex_unlock(&t->lock);
	BIO_free(in);
	if (resp == NULL)
		return kho_err_ssl(err, KHO_ECRYPTO, "the built-in TSA failed");
	*out = resp;
	return 0;
}

int tsa_respond(tsa *t, const void *req_der, size_t len, kho_buf *resp_out, kho_err *err)
{
	TS_RESP *resp = NULL;
	unsigned char *der = NULL;
	int n, rc;

	if (t == NULL || t->remote)
		return kho_err_set(err, KHO_EINVAL, "only the built-in TSA answers requests");
	if (req_der == NULL || len == 0)
		return kho_err_set(err, KHO_EFORMAT, "empty timestamp request");
	/* A malformed request still gets an answer: TS_RESP_create_response
	 * returns a rejection with badDataFormat (RFC 3161 2.4.2). */
	rc = local_response(t, req_der, len, &resp, err);
	if (rc != 0)
		return rc;
	n = i2d_TS_RESP(resp, &der);
	if (n <= 0)
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot encode the timestamp response");
	else if ((rc = kho_buf_append(resp_out, der, (size_t)n)) != 0)
		kho_err_set(err, rc, "timestamp response does not fit");
	OPENSSL_free(der);
	TS_RESP_free(resp);
	return rc;
}

/* remote_response: POST the request to the TSA's URL (RFC 3161 3.4). */
static int remote_response(tsa *t, const unsigned char *req_der, size_t len,
                           TS_RESP **out, kho_err *err)
{
	char *host = NULL, *port = NULL, *path = NULL;
	BIO *req = NULL, *rsp = NULL;
	int ssl = 0, rc = 0;

	*out = NULL;
	if (!OSSL_HTTP_parse_url(t->url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL)) {
		rc = kho_err_ssl(err, KHO_EINVAL, "bad TSA URL '%s'", t->url);
		goto out;
	}
	req = BIO_new_mem_buf(req_der, (int)len);
	if (req == NULL) {
		rc = kho_err_ssl(err, KHO_ENOMEM, "BIO_new_mem_buf");
		goto out;
	}
	rsp = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL, NULL, NULL,
	                         NULL, NULL, 0, NULL, "application/timestamp-query", req,
	                         "application/timestamp-reply", 1, TSA_MAX_RESP,
	                         t->timeout, 0);
	if (rsp == NULL) {
		rc = kho_err_ssl(err, KHO_ENET, "TSA %s did not answer with a timestamp reply", t->url);
		goto out;
	}
	*out = d2i_TS_RESP_bio(rsp, NULL);
	if (*out == NULL)
		rc = kho_err_ssl(err, KHO_EFORMAT, "TSA %s: the reply is not a TimeStampResp", t->url);
out:
	BIO_free(req);
	BIO_free(rsp);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	return rc;
}

/* make_request: RFC 3161 2.4.1 TimeStampReq over SHA-256(data), nonce, certReq. */
static int make_request(TS_REQ **out, ASN1_INTEGER **nonce_out, unsigned char digest[32],
                        const void *data, size_t len, kho_err *err)
{
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char r[8];
	int rc = 0;

	*out = NULL;
	*nonce_out = NULL;
	if (kho_sha256(digest, data, len) != 0 || kho_random(r, sizeof r) != 0)
		return kho_err_set(err, KHO_ECRYPTO, "cannot digest or draw a nonce");
	r[0] &= 0x7f;
	req = TS_REQ_new();
	mi = TS_MSG_IMPRINT_new();
	alg = X509_ALGOR_new();
	bn = BN_bin2bn(r, sizeof r, NULL);
	nonce = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (req == NULL || mi == NULL || alg == NULL || nonce == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, digest, 32) ||
	    !TS_REQ_set_version(req, 1) ||
	    !TS_REQ_set_msg_imprint(req, mi) ||
	    !TS_REQ_set_nonce(req, nonce) ||
	    !TS_REQ_set_cert_req(req, 1)) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot build a timestamp request");
		goto out;
	}
	*out = req;
	req = NULL;
	*nonce_out = nonce;
	nonce = NULL;
out:
	BN_free(bn);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return rc;
}

/* check_response: RFC 3161 2.4.2: status granted, our nonce, our imprint. */
static int check_response(TS_RESP *resp, const ASN1_INTEGER *nonce,
                          const unsigned char digest[32], kho_err *err)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
	const ASN1_INTEGER *st = si != NULL ? TS_STATUS_INFO_get0_status(si) : NULL;
	TS_TST_INFO *tst = TS_RESP_get_tst_info(resp);
	TS_MSG_IMPRINT *mi;
	ASN1_OCTET_STRING *msg;
	X509_ALGOR *alg;
	long status = st != NULL ? ASN1_INTEGER_get(st) : -1;

	if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) {
		const STACK_OF(ASN1_UTF8STRING) *text = si != NULL ? TS_STATUS_INFO_get0_text(si) : NULL;
		const ASN1_UTF8STRING *t0 = text != NULL && sk_ASN1_UTF8STRING_num(text) > 0 ?
		                            sk_ASN1_UTF8STRING_value(text, 0) : NULL;
		return kho_err_set(err, KHO_ECRYPTO, "the TSA refused the request (status %ld%s%.*s)",
		                   status, t0 != NULL ? ": " : "",
		                   t0 != NULL ? ASN1_STRING_length(t0) : 0,
		                   t0 != NULL ? (const char *)ASN1_STRING_get0_data(t0) : "");
	}
	if (TS_RESP_get_token(resp) == NULL || tst == NULL)
		return kho_err_set(err, KHO_EFORMAT, "the TSA granted but sent no token");
	if (TS_TST_INFO_get_nonce(tst) == NULL ||
	    ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(tst), nonce) != 0)
		return kho_err_set(err, KHO_ECRYPTO, "the timestamp's nonce is not the one sent (RFC 3161 2.4.2)");
	mi = TS_TST_INFO_get_msg_imprint(tst);
	alg = mi != NULL ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	msg = mi != NULL ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	if (alg == NULL || msg == NULL || OBJ_obj2nid(alg->algorithm) != NID_sha256 ||
	    ASN1_STRING_length(msg) != 32 ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(msg), digest, 32) != 0)
		return kho_err_set(err, KHO_ECRYPTO, "the timestamp's message imprint is not the one sent");
	return 0;
}

int tsa_stamp(tsa *t, const void *data, size_t len, kho_buf *token_out, kho_err *err)
{
	unsigned char digest[32], *req_der = NULL, *tok_der = NULL;
	ASN1_INTEGER *nonce = NULL;
	TS_REQ *req = NULL;
	TS_RESP *resp = NULL;
	int n, rc;

	if (t == NULL || token_out == NULL || (data == NULL && len > 0))
		return kho_err_set(err, KHO_EINVAL, "tsa_stamp: bad arguments");
	rc = make_request(&req, &nonce, digest, data, len, err);
	if (rc != 0)
		goto out;
	n = i2d_TS_REQ(req, &req_der);
	if (n <= 0) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot encode the timestamp request");
		goto out;
	}
	if (t->remote)
		rc = remote_response(t, req_der, (size_t)n, &resp, err);
	else
		rc = local_response(t, req_der, (size_t)n, &resp, err);
	if (rc != 0)
		goto out;
	rc = check_response(resp, nonce, digest, err);
	if (rc != 0)
		goto out;
	n = i2d_PKCS7(TS_RESP_get_token(resp), &tok_der);
	if (n <= 0) {
		rc = kho_err_ssl(err, KHO_ECRYPTO, "cannot encode the timestamp token");
		goto out;
	}
	/* RFC 3161 2.4.2: the requester checks the token's signature too. A
	 * remote TSA's token with a broken signature, or signed by a
	 * certificate without the critical timeStamping purpose, proves
	 * nothing: embedded, it left a package that only looked timestamped
	 * (found by review, 2026-12-07). Its chain is checked at verification,
	 * against the verifier's anchors. */
	if (t->remote) {
		vcms_tst ts;
		kho_err e2 = { 0, "" };
		int vrc = vcms_timestamp_check(&ts, tok_der, (size_t)n, data, len, NULL, NULL,
		                               kho_now(), &e2);
		if (vrc == KHO_ENOMEM) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		} else if (vrc != 0 || !ts.have_gen_time || !ts.imprint_ok || !ts.signature_ok ||
		           !ts.eku_ok || ts.weak) {
			rc = kho_err_set(err, KHO_ECRYPTO, "the TSA's token does not verify: %s",
			                 ts.reason[0] ? ts.reason
			                 : ts.weak ? ts.weak_why : vrc != 0 ? e2.msg : "incomplete");
		}
		vcms_tst_clear(&ts);
		if (rc != 0)
			goto out;
	}
	rc = kho_buf_append(token_out, tok_der, (size_t)n);
	if (rc != 0)
		kho_err_set(err, rc, "timestamp token does not fit");
out:
	OPENSSL_free(tok_der);
	OPENSSL_free(req_der);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	ASN1_INTEGER_free(nonce);
	return rc;
}

void tsa_free(tsa *t)
{
	if (t == NULL)
		return;
	TS_RESP_CTX_free(t->ctx);
	EVP_PKEY_free(t->key);
	X509_free(t->cert);
	sk_X509_pop_free(t->chain, X509_free);
	free(t->url);
	if (t->have_lock)
		pthread_mutex_destroy(&t->lock);
	free(t);
}
