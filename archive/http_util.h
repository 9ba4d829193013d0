/*
 * http_util.h: the daemon's parsers of untrusted request parts, kept apart
 * from libmicrohttpd so that they can be unit-tested and fuzzed alone
 * (tests/fuzz/fuzz_http_parse.c): routes, the bearer token, query values,
 * and the JSON bodies of POST /v1/results and POST /v1/results/{code}/status.
 */
#ifndef KHO_HTTP_UTIL_H
#define KHO_HTTP_UTIL_H

#include <stddef.h>

#include "archive/token.h"
#include "common/buf.h"
#include "common/err.h"

#define HTTP_ARG_MAX 96                 /* a path argument (id or result code) */
#define HTTP_STATUS_BODY_MAX (64u * 1024)
#define HTTP_RESULTS_MAX_FILES 32

enum http_route {
	HTTP_R_NONE = 0,
	HTTP_R_HEALTHZ,         /* GET  /healthz */
	HTTP_R_METRICS,         /* GET  /metrics */
	HTTP_R_VERIFY_PAGE,     /* /verify, /verify/r/{code}: server.c hands these to webverify.h
	                           before routing; the ids remain as metrics labels */
	HTTP_R_VERIFY,          /* POST /v1/verify (webverify.h, as above) */
	HTTP_R_PACKAGES_POST,   /* POST /v1/packages */
	HTTP_R_PACKAGE_GET,     /* GET  /v1/packages/{id} */
	HTTP_R_PACKAGE_REPORT,  /* GET  /v1/packages/{id}/report */
	HTTP_R_RESULTS_POST,    /* POST /v1/results */
	HTTP_R_RESULT_GET,      /* GET  /v1/results/{code} */
	HTTP_R_RESULT_STATUS,   /* POST /v1/results/{code}/status */
	HTTP_R_LOOKUP,          /* GET  /v1/lookup */
	HTTP_R_STATS_REUSE,     /* GET  /v1/stats/reuse */
	HTTP_R_AUDIT,           /* GET  /v1/audit */
	HTTP_R_RESULT_QR,       /* GET  /v1/results/{code}/qr */
	HTTP_R_RETENTION,       /* the retention routes (retention/api.h): a metrics label only */
	HTTP_R_COUNT
};

/* What a body is, for the upload phase. */
enum http_body {
	HTTP_BODY_NONE = 0,     /* any body is read and discarded */
	HTTP_BODY_FILE,         /* streamed to a temporary file (packages) */
	HTTP_BODY_JSON,         /* kept in memory up to a cap */
};

typedef struct http_match {
	enum http_route route;
	char arg[HTTP_ARG_MAX + 1];   /* the {id} or {code}, "" if none */
	const char *allow;            /* the route's methods, for a 405's Allow header */
} http_match;

/*
 * http_route_parse: match method and path (without query). 0 with out set;
 * KHO_ENOTFOUND for an unknown path (404), KHO_EINVAL for a known path with
 * another method (405), KHO_EFORMAT for a malformed argument (400: the id
 * must be 64 hex digits, the code a result code).
 */
int http_route_parse(const char *method, const char *path, http_match *out);

const char *http_route_name(enum http_route r);   /* for logs and metrics */
int http_route_roles(enum http_route r);          /* token_role bits; 0 = public */
enum http_body http_route_body(enum http_route r);

/* http_bearer: the token of an "Authorization: Bearer TOKEN" value.
 * KHO_EAUTH if absent or malformed. */
int http_bearer(const char *authorization, char out[TOKEN_LEN + 1]);

/* http_is_date: 1 if s is YYYY-MM-DD and a real date. */
int http_is_date(const char *s);

/* The body of POST /v1/results/{code}/status. */
typedef struct http_status_req {
	char status[16];
	char decision[513];
	char superseded_by[HTTP_ARG_MAX + 1];
	char effective[11];          /* YYYY-MM-DD, or "" (from now) */
} http_status_req;

/* {"status": "...", "decision": "...", "superseded_by": "...", "effective":
 * "YYYY-MM-DD"}. KHO_EFORMAT with the reason. */
int http_parse_status_body(http_status_req *out, const void *data, size_t len, kho_err *err);

/* The body of POST /v1/results: the record metadata and the issuer's files. */
typedef struct http_results_req {
	kho_buf record_xml;
	size_t nfiles;
	struct {
		char *name;
		char *mime;            /* may be NULL */
		kho_buf data;
	} files[HTTP_RESULTS_MAX_FILES];
} http_results_req;

/*
 * http_parse_results_body: {"record_xml": BASE64, "files": [{"name": ...,
 * "mime": ..., "data": BASE64}, ...]}. Decoded sizes are capped by max.
 * out must be freed with http_results_req_free even on failure.
 */
int http_parse_results_body(http_results_req *out, const void *data, size_t len, size_t max,
                            kho_err *err);
void http_results_req_free(http_results_req *r);

#endif
