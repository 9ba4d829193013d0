/*
 * api.h: the HTTP endpoints of retention (issue 4), as plug-in handlers
 * with a narrow interface, so that the daemon (archive/server.c) only has
 * to authenticate the request and pass it on (docs/retention.md, "HTTP
 * endpoints", says exactly how to route to them):
 *
 *   (method, path, query, body, actor name and role) -> (status, type, body)
 *
 * Routes handled (everything under /v1/schedules, /v1/holds,
 * /v1/disposition/, /v1/retention/, and /v1/results/{code}/events,
 * /review and /tombstone):
 *   PUT    /v1/schedules                          records_manager  body: schedule XML
 *   POST   /v1/results/{code}/events              records_manager  {"kind","date","name"}
 *   POST   /v1/results/{code}/review              records_manager  {"outcome","years","decision","date"}
 *   GET    /v1/results/{code}/tombstone           any role
 *   POST   /v1/holds                              records_manager  {"scope","target","reason","authority"}
 *   GET    /v1/holds                              records_manager, auditor
 *   DELETE /v1/holds/{id}                         records_manager  {"reason"}
 *   POST   /v1/disposition/batches                records_manager  {"kind","results"}
 *   GET    /v1/disposition/batches/{id}           records_manager, auditor
 *   GET    /v1/disposition/batches/{id}/certificate  records_manager, auditor:
 *                                                 the sealed destruction
 *                                                 certificate (.asice)
 *   POST   /v1/disposition/batches/{id}/approve   records_manager  {"decision","decision_date","deadline_days"}
 *   POST   /v1/disposition/batches/{id}/reject    records_manager  {"reason","decision"} (while
 *                                                 proposed or approved, not executed)
 *   POST   /v1/disposition/batches/{id}/execute   records_manager  (destroy batches)
 *   POST   /v1/disposition/batches/{id}/export    records_manager  (transfer batches: the bag
 *                                                 is written to DATA/retention/transfers/)
 *   POST   /v1/disposition/batches/{id}/ack       records_manager  {"receipt","custody"}
 *   GET    /v1/retention/report[?format=csv]      records_manager, auditor
 * Errors are {"error": "...", "status": N} like the daemon's.
 */
#ifndef KHO_RAPI_H
#define KHO_RAPI_H

#include <stddef.h>

#include "retention/rstore.h"

#define RAPI_MAX_SELECTED 1000    /* result codes selected in one batch proposal */
#define RAPI_MAX_JSON (64u * 1024)   /* JSON request bodies */
#define RAPI_MAX_CERTIFICATE (80u * 1024 * 1024) /* a destruction certificate served */
#define RAPI_MAX_BATCH_DOCUMENT (256u * 1024 * 1024) /* a batch list or note served (as written) */

/* Roles as token.h numbers them (TOKEN_OFFICER = 1, RECORDS_MANAGER = 2,
 * AUDITOR = 4, ADMIN = 8). */
typedef struct rapi_request {
	const char *method;       /* "GET", "PUT", "POST", "DELETE" */
	const char *path;         /* without the query string */
	const char *query;        /* after '?', or NULL */
	const void *body;
	size_t body_len;
	const char *actor;        /* the token's name */
	int role;                 /* the token's role */
} rapi_request;

typedef struct rapi_response {
	int status;               /* HTTP status */
	const char *content_type; /* static string */
	char *body;               /* malloc'd, owned (rapi_response_clear) */
	size_t body_len;
	char audit_detail[256];   /* a short line for the access log */
	const char *allow;        /* 405: the route's methods (static), for the Allow header */
} rapi_response;

/* rapi_is_retention_path: 1 if path belongs to these handlers. */
int rapi_is_retention_path(const char *path);

/*
 * rapi_handle: serve one request. signer (may be NULL: execute then answers
 * 503) seals destruction certificates. Always fills resp (404 for a path it
 * does not know, whatever the method; 405 for a known path with another
 * method). A refusal (status >= 400) is appended to the audit trail of r's
 * catalog: action "denied" for 403, "retention-refused" otherwise, object
 * the path. Returns 0, or KHO_ENOMEM when even the error answer could not
 * be built.
 */
int rapi_handle(rstore *r, const rstore_signer *signer, const rapi_request *req,
                rapi_response *resp);

/* rapi_response_clear: free the body. */
void rapi_response_clear(rapi_response *resp);

#endif
