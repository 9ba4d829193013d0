/*
 * tsa.h: RFC 3161 time-stamping: the built-in TSA and the client of an
 * external one, behind one interface.
 *
 * The built-in TSA uses OpenSSL's TS_RESP_CTX with a serial callback giving
 * unique 128-bit random serials (the default callback always returns 1), a
 * policy OID, an accuracy of 1 second, and a certificate that must carry a
 * critical extendedKeyUsage timeStamping. The remote client POSTs an
 * application/timestamp-query with a random nonce and certReq set
 * (OSSL_HTTP_transfer), and checks status, nonce and imprint of the answer.
 */
#ifndef KHO_TSA_H
#define KHO_TSA_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

#define TSA_DEFAULT_POLICY "1.3.6.1.4.1.59999.1.1"  /* kho demo policy (private arc) */

typedef struct tsa tsa;

/*
 * tsa_new_local: a built-in TSA. key/cert/chain are up-referenced, the
 * caller keeps its own references. policy NULL = TSA_DEFAULT_POLICY.
 * Fails (KHO_EINVAL) if cert lacks critical EKU timeStamping.
 */
int tsa_new_local(tsa **out, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
                  const char *policy, kho_err *err);

/* tsa_new_remote: a client of the TSA at url (http:// only; timeout seconds). */
int tsa_new_remote(tsa **out, const char *url, int timeout, kho_err *err);

/*
 * tsa_set_time: make the built-in TSA stamp with this genTime instead of the
 * clock (for demos and tests of past-time validation). 0 = clock.
 * KHO_EINVAL on a remote TSA.
 */
int tsa_set_time(tsa *t, time_t gen_time, kho_err *err);

/*
 * tsa_stamp: a timestamp token (DER ContentInfo of SignedData/TSTInfo) over
 * SHA-256(data), appended to token_out.
 */
int tsa_stamp(tsa *t, const void *data, size_t len, kho_buf *token_out, kho_err *err);

/*
 * tsa_respond: answer one DER TimeStampReq with a DER TimeStampResp (built-in
 * TSA only), for serving a TSA over HTTP.
 */
int tsa_respond(tsa *t, const void *req_der, size_t len, kho_buf *resp_out, kho_err *err);

void tsa_free(tsa *t);

#endif
