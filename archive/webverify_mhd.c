/*
 * webverify_mhd.c: the libmicrohttpd side of the public verification page
 * (see webverify.h): per request, the language, key and client address from
 * the connection, the rate limit and the upload cap decided before the body
 * is read, the field "file" of a multipart/form-data body extracted with
 * MHD's own post processor (RFC 7578; we write no multipart parser), and the
 * answer queued with the headers of a page that loads nothing from elsewhere.
 *
 * libmicrohttpd 0.9.75 calls the access handler first with the headers
 * (webverify_mhd_begin: never queue then, the keep-alive catch), then once
 * per body chunk (webverify_mhd_feed), then once with no data
 * (webverify_mhd_respond).
 */
#include "archive/webverify.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "archive/qr.h"

#define MHD_PP_BUFFER (64u * 1024)   /* post processor's buffer for field values */
#define KEY_COPY_MAX 256             /* a presented key is cut here (qr_key_hash hashes 256) */
#define FILENAME_MAX_SHOWN 255

struct webverify_mhd {
	webverify *wv;
	webverify_request rq;
	char key[KEY_COPY_MAX + 1];
	int have_key;
	char filename[FILENAME_MAX_SHOWN + 1];
	char client[INET6_ADDRSTRLEN];
	kho_buf file;
	struct MHD_PostProcessor *pp;
	int status;              /* an error decided on the way (400, 413, 429), else 0 */
	unsigned retry_after;
	int got_file;
	const char *allow;       /* the route's methods (webverify_allow), for a 405 */
};

static void client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(out, n, "-");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		          (socklen_t)n);
}

/* The post processor's iterator: keep the field "file", ignore the others. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
	webverify_mhd *m = cls;
	int rc;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (key == NULL || strcmp(key, "file") != 0)
		return MHD_YES;
	/* A second file part starts at offset 0 again: one file a request
	 * (found by review: the parts were appended into one "file" and the
	 * answer given under the first one's name). */
	if (off == 0 && m->got_file) {   /* an empty first part too (second review) */
		m->status = WV_ERR_MANY_FILES;
		kho_buf_free(&m->file);
		return MHD_NO;
	}
	if (!m->got_file && filename != NULL)
		snprintf(m->filename, sizeof m->filename, "%s", filename);
	m->got_file = 1;
	if (size == 0)
		return MHD_YES;
	rc = kho_buf_append(&m->file, data, size);
	if (rc != 0) {
		m->status = rc == KHO_ETOOBIG ? 413 : 500;
		return MHD_NO;
	}
	return MHD_YES;
}

int webverify_mhd_begin(webverify_mhd **out, webverify *wv, struct MHD_Connection *c,
                        const char *method, const char *path, kho_err *err)
{
	webverify_mhd *m;
	const char *v, *ctype, *cl;

	*out = NULL;
	m = calloc(1, sizeof *m);
	if (m == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	m->wv = wv;
	m->rq.kind = webverify_route(method, path, m->rq.code);
	if (m->rq.kind == WV_NONE) {
		free(m);
		return kho_err_set(err, KHO_ENOTFOUND, "not a verification route");
	}
	m->allow = webverify_allow(path);
	kho_buf_init(&m->file, webverify_max_upload(wv));
	m->rq.lang = webverify_lang_pick(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang"));
	v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k");
	if (v != NULL) {
		snprintf(m->key, sizeof m->key, "%s", v);
		m->have_key = 1;
	}
	m->rq.key = m->have_key ? m->key : NULL;
	{
		char peer[INET6_ADDRSTRLEN];
		client_addr(c, peer, sizeof peer);
		webverify_client(wv, peer,
		                 MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For"),
		                 m->client, sizeof m->client);
	}
	*out = m;

	if (m->rq.kind == WV_QR || m->rq.kind == WV_UPLOAD || m->rq.kind == WV_API) {
		if (!webverify_rate_take(wv, m->client, &m->retry_after)) {
			m->status = 429;
			return 0;
		}
	}
	if (m->rq.kind != WV_UPLOAD && m->rq.kind != WV_API)
		return 0;
	/* Refuse an announced oversized body before reading it. */
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl != NULL && strtoull(cl, NULL, 10) > (unsigned long long)webverify_max_upload(wv) +
	                                           MHD_PP_BUFFER) {
		m->status = 413;
		return 0;
	}
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if (ctype != NULL && strncasecmp(ctype, "multipart/form-data", 19) == 0) {
		m->pp = MHD_create_post_processor(c, MHD_PP_BUFFER, on_field, m);
		if (m->pp == NULL)
			m->status = WV_ERR_BAD_FORM;   /* no boundary, or another malformed header */
	} else if (m->rq.kind == WV_UPLOAD && ctype != NULL &&
	           strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0) {
		/* a form without enctype="multipart/form-data" carries no file; the
		 * API (curl --data-binary's default type) takes any other body as the file */
		m->status = 400;
	}
	return 0;
}

void webverify_mhd_refuse(webverify_mhd *m, int status, unsigned retry_after)
{
	if (m == NULL || m->status != 0)
		return;
	m->status = status;
	m->retry_after = retry_after;
	kho_buf_free(&m->file);   /* wipes what arrived; nothing more is kept */
}

int webverify_mhd_refused(const webverify_mhd *m)
{
	return m != NULL ? m->status : 0;
}

void webverify_mhd_feed(webverify_mhd *m, const char *data, size_t n)
{
	int rc;

	if (m == NULL || m->status != 0 || n == 0)
		return;   /* a refused request: read and discard the rest */
	if (m->rq.kind != WV_UPLOAD && m->rq.kind != WV_API)
		return;
	if (m->pp != NULL) {
		if (MHD_post_process(m->pp, data, n) != MHD_YES && m->status == 0)
			m->status = 400;
		return;
	}
	m->got_file = 1;
	rc = kho_buf_append(&m->file, data, n);
	if (rc != 0)
		m->status = rc == KHO_ETOOBIG ? 413 : 500;
}

int webverify_mhd_respond(webverify_mhd *m, struct MHD_Connection *c, int *status)
{
	webverify_response res;
	struct MHD_Response *r;
	unsigned char *body;
	size_t len;
	char ra[16];
	kho_err err;
	int rc, ok;

	/* A form must end with its closing boundary: the post processor holds
	 * back the tail of the file until it sees it, so an unfinished form
	 * was checked short and called not valid (found by review). */
	if (m->status == 0 && m->pp != NULL) {
		if (MHD_destroy_post_processor(m->pp) != MHD_YES && m->status == 0)
			m->status = 400;
		m->pp = NULL;
	}
	if (m->status != 0) {
		rc = webverify_error_page(m->wv, m->rq.kind, m->rq.lang, m->status, m->retry_after, &res);
	} else {
		m->rq.data = m->file.data;
		m->rq.len = m->file.len;
		m->rq.have_file = m->got_file;
		m->rq.filename = m->filename[0] != '\0' ? m->filename : NULL;
		rc = webverify_handle(m->wv, &m->rq, &res, &err);
	}
	if (rc != 0) {
		webverify_response_free(&res);
		if (status != NULL)
			*status = 500;
		return MHD_NO;
	}
	body = kho_buf_steal(&res.body, &len);
	if (body == NULL) {
		webverify_response_free(&res);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		webverify_response_free(&res);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", res.content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	/* Nothing from elsewhere, no script at all, forms only to ourselves. */
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	                        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	if ((res.status == 429 || res.status == 503) && res.retry_after > 0) {
		snprintf(ra, sizeof ra, "%u", res.retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (res.status == 405)
		MHD_add_response_header(r, "Allow", m->allow);
	if (status != NULL)
		*status = res.status;
	ok = MHD_queue_response(c, (unsigned)res.status, r);
	MHD_destroy_response(r);
	webverify_response_free(&res);
	return ok;
}

void webverify_mhd_free(webverify_mhd *m)
{
	if (m == NULL)
		return;
	if (m->pp != NULL)
		MHD_destroy_post_processor(m->pp);
	kho_buf_free(&m->file);     /* wipes the upload */
	OPENSSL_cleanse(m->key, sizeof m->key);
	free(m);
}
