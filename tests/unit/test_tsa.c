/*
 * test_tsa.c: the built-in TSA and the remote client (sign/tsa.c): unique
 * serials, the policy, genTime from tsa_set_time and KHO_NOW, the EKU check,
 * tokens that OpenSSL's TS verifier accepts, and the HTTP client against a
 * tiny loopback server in a thread (honest, and one that answers with a
 * different nonce, which must be refused).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "sign/tsa.h"
#include "tests/unit/test.h"

#include "tests/unit/testpki.h"

static const char data[] = "the signature value that a timestamp covers";

static TS_TST_INFO *tst_of(const kho_buf *tok)
{
	const unsigned char *p = tok->data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)tok->len);
	TS_TST_INFO *tst = p7 != NULL ? PKCS7_to_TS_TST_INFO(p7) : NULL;

	PKCS7_free(p7);
	return tst;
}

static time_t gen_time_of(TS_TST_INFO *tst)
{
	struct tm tm;

	if (tst == NULL || !ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm))
		return 0;
	return timegm(&tm);
}

/* token_verifies: OpenSSL's RFC 3161 verifier: signature, chain to the root, imprint of data. */
static int token_verifies(const kho_buf *tok, const void *d, size_t n)
{
	const unsigned char *p = tok->data;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)tok->len);
	TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
	X509_STORE *st = X509_STORE_new();
	int ok = 0;

	if (p7 && ctx && st && X509_STORE_add_cert(st, P.root)) {
		TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
		TS_VERIFY_CTX_set_data(ctx, BIO_new_mem_buf(d, (int)n));
		TS_VERIFY_CTX_set_store(ctx, st);
		st = NULL;
		ok = TS_RESP_verify_token(ctx, p7) == 1;
	}
	ERR_clear_error();
	X509_STORE_free(st);
	TS_VERIFY_CTX_free(ctx);
	PKCS7_free(p7);
	return ok;
}

static void t_local_stamp(void)
{
	tsa *t = NULL;
	kho_buf tok;
	kho_err err;
	TS_TST_INFO *tst;
	char pol[128];

	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, P.tsa_chain, NULL, &err) == 0);
	CHECK_EQ_INT(tsa_stamp(t, data, strlen(data), &tok, &err), 0);
	CHECK(token_verifies(&tok, data, strlen(data)));
	CHECK(!token_verifies(&tok, "other data", 10));
	tst = tst_of(&tok);
	REQUIRE(tst != NULL);
	OBJ_obj2txt(pol, sizeof pol, TS_TST_INFO_get_policy_id(tst), 1);
	CHECK_STR(pol, TSA_DEFAULT_POLICY);
	CHECK(TS_TST_INFO_get_accuracy(tst) != NULL &&
	      ASN1_INTEGER_get(TS_ACCURACY_get_seconds(TS_TST_INFO_get_accuracy(tst))) == 1);
	CHECK(TS_TST_INFO_get_nonce(tst) != NULL);
	TS_TST_INFO_free(tst);
	tsa_free(t);
	/* Another policy. */
	kho_buf_reset(&tok);
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, NULL, "1.2.3.4.5", &err) == 0);
	CHECK_EQ_INT(tsa_stamp(t, data, strlen(data), &tok, &err), 0);
	tst = tst_of(&tok);
	REQUIRE(tst != NULL);
	OBJ_obj2txt(pol, sizeof pol, TS_TST_INFO_get_policy_id(tst), 1);
	CHECK_STR(pol, "1.2.3.4.5");
	TS_TST_INFO_free(tst);
	tsa_free(t);
	kho_buf_free(&tok);
}

static void t_unique_serials(void)
{
	enum { N = 8 };
	ASN1_INTEGER *serials[N] = { 0 };
	tsa *t = NULL;
	kho_buf tok;
	kho_err err;
	int i, j;

	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, P.tsa_chain, NULL, &err) == 0);
	for (i = 0; i < N; i++) {
		TS_TST_INFO *tst;
		kho_buf_reset(&tok);
		CHECK_EQ_INT(tsa_stamp(t, data, strlen(data), &tok, &err), 0);
		tst = tst_of(&tok);
		REQUIRE(tst != NULL);
		serials[i] = ASN1_INTEGER_dup(TS_TST_INFO_get_serial(tst));
		TS_TST_INFO_free(tst);
		REQUIRE(serials[i] != NULL);
		/* 128 random bits: never the OpenSSL default of 1. */
		CHECK(ASN1_STRING_length(serials[i]) == 16);
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < i; j++)
			CHECK(ASN1_INTEGER_cmp(serials[i], serials[j]) != 0);
	for (i = 0; i < N; i++)
		ASN1_INTEGER_free(serials[i]);
	tsa_free(t);
	kho_buf_free(&tok);
}

static void t_gen_time(void)
{
	tsa *t = NULL, *r = NULL;
	kho_buf tok;
	kho_err err;
	TS_TST_INFO *tst;
	time_t when, env_when;

	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	REQUIRE(kho_time_parse(&when, "2024-02-29T12:00:00Z") == 0);
	REQUIRE(kho_time_parse(&env_when, "2023-07-01T01:02:03Z") == 0);
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, P.tsa_chain, NULL, &err) == 0);
	CHECK_EQ_INT(tsa_set_time(t, when, &err), 0);
	CHECK_EQ_INT(tsa_stamp(t, data, strlen(data), &tok, &err), 0);
	tst = tst_of(&tok);
	CHECK_EQ_INT(gen_time_of(tst), when);
	TS_TST_INFO_free(tst);
	/* Back to the clock, which KHO_NOW replaces. */
	CHECK_EQ_INT(tsa_set_time(t, 0, &err), 0);
	setenv("KHO_NOW", "2023-07-01T01:02:03Z", 1);
	kho_buf_reset(&tok);
	CHECK_EQ_INT(tsa_stamp(t, data, strlen(data), &tok, &err), 0);
	unsetenv("KHO_NOW");
	tst = tst_of(&tok);
	CHECK_EQ_INT(gen_time_of(tst), env_when);
	TS_TST_INFO_free(tst);
	/* A remote TSA cannot be told the time. */
	REQUIRE(tsa_new_remote(&r, "http://127.0.0.1:9/tsa", 5, &err) == 0);
	CHECK_EQ_INT(tsa_set_time(r, when, &err), KHO_EINVAL);
	tsa_free(r);
	tsa_free(t);
	kho_buf_free(&tok);
}

static void t_eku_check(void)
{
	X509 *none, *noncrit;
	tsa *t = NULL;
	kho_err err;

	REQUIRE(tp_init());
	none = tp_cert("TSA without EKU", P.tsa_key, P.root, P.root_key, 0, EKU_NONE);
	noncrit = tp_cert("TSA with non-critical EKU", P.tsa_key, P.root, P.root_key, 0, EKU_TS_NONCRITICAL);
	REQUIRE(none != NULL && noncrit != NULL);
	CHECK_EQ_INT(tsa_new_local(&t, P.tsa_key, none, NULL, NULL, &err), KHO_EINVAL);
	CHECK(t == NULL);
	CHECK(strstr(err.msg, "timeStamping") != NULL);
	CHECK_EQ_INT(tsa_new_local(&t, P.tsa_key, noncrit, NULL, NULL, &err), KHO_EINVAL);
	CHECK(t == NULL);
	/* The right certificate with the wrong key. */
	CHECK_EQ_INT(tsa_new_local(&t, P.rsa_key, P.tsa, NULL, NULL, &err), KHO_EINVAL);
	CHECK(t == NULL);
	CHECK_EQ_INT(tsa_new_local(&t, P.tsa_key, P.tsa, NULL, "not an oid", &err), KHO_EINVAL);
	CHECK(t == NULL);
	X509_free(none);
	X509_free(noncrit);
}

static void t_respond_garbage(void)
{
	tsa *t = NULL;
	kho_buf resp;
	kho_err err;
	const unsigned char *p;
	TS_RESP *r;

	kho_buf_init(&resp, 1 << 20);
	REQUIRE(tp_init());
	REQUIRE(tsa_new_local(&t, P.tsa_key, P.tsa, NULL, NULL, &err) == 0);
	CHECK_EQ_INT(tsa_respond(t, "\x30\x03\x02\x01\x01", 5, &resp, &err), 0);
	p = resp.data;
	r = d2i_TS_RESP(NULL, &p, (long)resp.len);
	REQUIRE(r != NULL);
	/* RFC 3161 2.4.2: rejection (2), no token. */
	CHECK_EQ_INT(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r))), 2);
	CHECK(TS_RESP_get_token(r) == NULL);
	TS_RESP_free(r);
	tsa_free(t);
	kho_buf_free(&resp);
}

/* ---- a loopback TSA over HTTP, one connection per server ---- */
struct server {
	int fd;
	int port;
	int mode;            /* 0 honest, 1 answer with another nonce, 2 wrong content type */
	tsa *t;
	char content_type[128];
};

static int read_request(int c, kho_buf *body, char *ctype, size_t ctn)
{
	char buf[4096];
	kho_buf head;
	char *end = NULL, *cl, *ct;
	size_t want = 0, have;
	ssize_t n;
	int rc = -1;

	kho_buf_init(&head, 65536);
	while (end == NULL) {
		n = read(c, buf, sizeof buf);
		if (n <= 0 || kho_buf_append(&head, buf, (size_t)n) != 0)
			goto out;
		end = strstr((char *)head.data, "\r\n\r\n");
	}
	cl = strcasestr((char *)head.data, "\r\nContent-Length:");
	if (cl == NULL || cl > end)
		goto out;
	want = strtoul(cl + 17, NULL, 10);
	ct = strcasestr((char *)head.data, "\r\nContent-Type:");
	if (ct != NULL && ct < end) {
		ct += 15;
		while (*ct == ' ')
			ct++;
		snprintf(ctype, ctn, "%.*s", (int)strcspn(ct, "\r"), ct);
	}
	have = head.len - (size_t)(end + 4 - (char *)head.data);
	kho_buf_append(body, end + 4, have);
	while (body->len < want) {
		n = read(c, buf, sizeof buf);
		if (n <= 0 || kho_buf_append(body, buf, (size_t)n) != 0)
			goto out;
	}
	rc = 0;
out:
	kho_buf_free(&head);
	return rc;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	kho_buf body, resp;
	char head[256];
	int c;

	kho_buf_init(&body, 1 << 20);
	kho_buf_init(&resp, 1 << 20);
	c = accept(s->fd, NULL, NULL);
	if (c < 0)
		goto out;
	if (read_request(c, &body, s->content_type, sizeof s->content_type) != 0)
		goto out_c;
	if (s->mode == 1) {
		/* Answer a request whose nonce was changed. */
		const unsigned char *p = body.data;
		TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)body.len);
		ASN1_INTEGER *other = ASN1_INTEGER_new();
		unsigned char *der = NULL;
		int n;

		ASN1_INTEGER_set(other, 12345);
		TS_REQ_set_nonce(req, other);
		n = i2d_TS_REQ(req, &der);
		tsa_respond(s->t, der, (size_t)n, &resp, NULL);
		OPENSSL_free(der);
		ASN1_INTEGER_free(other);
		TS_REQ_free(req);
	} else {
		tsa_respond(s->t, body.data, body.len, &resp, NULL);
		/* mode 3: the last byte of the reply is the token's signature
		 * value (no unsigned attributes): flipped, the DER still parses
		 * and the nonce and imprint still match. */
		if (s->mode == 3 && resp.len > 0)
			resp.data[resp.len - 1] ^= 0x01;
	}
	snprintf(head, sizeof head,
	         "HTTP/1.0 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	         s->mode == 2 ? "text/html" : "application/timestamp-reply", resp.len);
	if (write(c, head, strlen(head)) < 0 || write(c, resp.data, resp.len) < 0)
		goto out_c;
out_c:
	close(c);
out:
	kho_buf_free(&body);
	kho_buf_free(&resp);
	return NULL;
}

static int server_start(struct server *s, pthread_t *th)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(s->fd, 1) != 0 || getsockname(s->fd, (struct sockaddr *)&a, &al) != 0)
		return 0;
	s->port = ntohs(a.sin_port);
	return pthread_create(th, NULL, serve, s) == 0;
}

static int remote_case(int mode, kho_buf *tok, kho_err *err, char *ctype, size_t ctn)
{
	struct server s;
	pthread_t th;
	tsa *r = NULL;
	char url[64];
	int rc;

	memset(&s, 0, sizeof s);
	s.mode = mode;
	if (tsa_new_local(&s.t, P.tsa_key, P.tsa, P.tsa_chain, NULL, err) != 0 || !server_start(&s, &th))
		return -999;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/tsa", s.port);
	rc = tsa_new_remote(&r, url, 10, err);
	if (rc == 0)
		rc = tsa_stamp(r, data, strlen(data), tok, err);
	if (rc != 0) {
		/* Unblock the server if the client never connected. */
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a;
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((unsigned short)s.port);
		if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof a) == 0)
			(void)!write(c, "\r\n\r\n", 4);
		if (c >= 0)
			close(c);
	}
	pthread_join(th, NULL);
	close(s.fd);
	snprintf(ctype, ctn, "%s", s.content_type);
	tsa_free(r);
	tsa_free(s.t);
	return rc;
}

static void t_remote(void)
{
	kho_buf tok;
	kho_err err;
	char ctype[128];
	TS_TST_INFO *tst;

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	CHECK_EQ_INT(remote_case(0, &tok, &err, ctype, sizeof ctype), 0);
	CHECK_STR(ctype, "application/timestamp-query");
	CHECK(token_verifies(&tok, data, strlen(data)));
	tst = tst_of(&tok);
	CHECK(tst != NULL && TS_TST_INFO_get_nonce(tst) != NULL);
	TS_TST_INFO_free(tst);
	kho_buf_free(&tok);
}

static void t_remote_wrong_nonce(void)
{
	kho_buf tok;
	kho_err err;
	char ctype[128];

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	CHECK_EQ_INT(remote_case(1, &tok, &err, ctype, sizeof ctype), KHO_ECRYPTO);
	CHECK(strstr(err.msg, "nonce") != NULL);
	CHECK_EQ_INT(tok.len, 0);
	kho_buf_free(&tok);
}

static void t_remote_bad_signature(void)
{
	/* RFC 3161 2.4.2: the client checks the token's signature; a token
	 * that does not verify was embedded before (found by review). */
	kho_buf tok;
	kho_err err;
	char ctype[64];

	kho_buf_init(&tok, 1 << 20);
	CHECK_EQ_INT(remote_case(3, &tok, &err, ctype, sizeof ctype), KHO_ECRYPTO);
	CHECK(strstr(err.msg, "does not verify") != NULL);
	CHECK_EQ_INT(tok.len, 0);
	kho_buf_free(&tok);
}

static void t_remote_wrong_type(void)
{
	kho_buf tok;
	kho_err err;
	char ctype[128];

	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	kho_buf_init(&tok, 1 << 20);
	REQUIRE(tp_init());
	CHECK_EQ_INT(remote_case(2, &tok, &err, ctype, sizeof ctype), KHO_ENET);
	CHECK_EQ_INT(tok.len, 0);
	kho_buf_free(&tok);
}

static void t_remote_bad_urls(void)
{
	tsa *r = NULL;
	kho_buf tok;
	kho_err err;
	int fd;
	struct sockaddr_in a;
	socklen_t al = sizeof a;

	kho_buf_init(&tok, 1 << 20);
	CHECK_EQ_INT(tsa_new_remote(&r, "https://tsa.example/", 5, &err), KHO_EINVAL);
	CHECK_EQ_INT(tsa_new_remote(&r, "not a url", 5, &err), KHO_EINVAL);
	CHECK(r == NULL);
	/* A port nobody listens on: bind one, then close it. */
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	        getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	close(fd);
	{
		char url[64];
		unsetenv("http_proxy");
		snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
		/* 1 s: OpenSSL retries a refused connection until the timeout. */
		REQUIRE(tsa_new_remote(&r, url, 1, &err) == 0);
		CHECK_EQ_INT(tsa_stamp(r, data, strlen(data), &tok, &err), KHO_ENET);
		CHECK_EQ_INT(tsa_respond(r, "x", 1, &tok, &err), KHO_EINVAL);
		tsa_free(r);
	}
	kho_buf_free(&tok);
}

TESTS(T(t_local_stamp), T(t_unique_serials), T(t_gen_time), T(t_eku_check),
      T(t_respond_garbage), T(t_remote), T(t_remote_wrong_nonce), T(t_remote_bad_signature), T(t_remote_wrong_type),
      T(t_remote_bad_urls))
