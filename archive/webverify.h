/*
 * webverify.h: the citizens' verification page and the open verification
 * API (issue 5, docs/verify-page.md), as a module that the daemon's router
 * calls. It knows nothing of the catalog: the archive is reached through
 * the small table of callbacks webverify_archive, so the same code serves
 * the daemon, the test server (tests/helpers/webverify_server.c) and the
 * unit tests (fake lookups).
 *
 * Requests (webverify_route tells which one a method and path are):
 *   GET  /verify                      the form (Vietnamese; ?lang=en)
 *   POST /verify                      multipart/form-data, field "file": a
 *                                     sealed package (.asice) is verified in
 *                                     full; any other file is looked up by
 *                                     its SHA-256 among archived data objects
 *   GET  /verify/r/{code}?k={key}     the QR path: the archived record
 *   POST /v1/verify                   the same as JSON (body: the file, raw
 *                                     or multipart), for other portals
 * The pages are self-contained (inline CSS, no script, no external
 * resource), accessible and readable on a phone. Public answers never show
 * a personal number and mask the subject's name. An unknown result code and
 * a wrong key give the byte-identical answer after the same work.
 *
 * webverify_mhd.c (declared at the end) adapts this to libmicrohttpd: it
 * extracts the field "file" with MHD's post processor, caps the upload and
 * applies the rate limit per client address.
 */
#ifndef KHO_WEBVERIFY_H
#define KHO_WEBVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "verify/verify.h"

#define WEBVERIFY_CODE_MAX 96            /* a result code, with NUL */
#define WEBVERIFY_STATUS_MAX 32          /* a validity status word, with NUL */
#define WEBVERIFY_BODY_MAX (16u << 20)   /* an answer page or JSON document */
#define WEBVERIFY_UPLOAD_DEFAULT (32u << 20)
#define WEBVERIFY_RATE_SLOTS 4096        /* client addresses tracked at once */
#define WEBVERIFY_OBJECTS_MAX 1000       /* data objects of an upload compared (same_files) */

/* The kinds of request this module answers. */
enum webverify_kind {
	WV_NONE = 0,     /* not a route of this module */
	WV_FORM,         /* GET /verify */
	WV_UPLOAD,       /* POST /verify */
	WV_QR,           /* GET /verify/r/{code} */
	WV_API,          /* POST /v1/verify */
	WV_BAD_METHOD,   /* one of the paths above with another method: 405 */
	WV_API_BAD_METHOD, /* /v1/verify with another method: 405, in JSON */
};

enum webverify_lang { WV_LANG_VI = 0, WV_LANG_EN = 1 };

/* The tombstone statement of a destroyed record (no content, no personal data). */
typedef struct webverify_tombstone {
	char code[WEBVERIFY_CODE_MAX];   /* the destroyed result's code */
	char destroyed_on[11];           /* YYYY-MM-DD */
	char decision[96];               /* the destruction decision's number */
	char decision_date[11];          /* YYYY-MM-DD */
	long long batch;                 /* the disposition batch */
} webverify_tombstone;

/* A data object of an uploaded package: its name in the container and the
 * SHA-256 of its bytes (webverify_archive.same_files). */
typedef struct webverify_object {
	const char *name;                /* borrowed, for the duration of the call */
	unsigned char sha256[32];
} webverify_object;

/*
 * What the module asks of the archive. Every callback may be NULL (then the
 * answer is "not archived" / "unknown"); arg is passed back. Callbacks are
 * called from the daemon's threads concurrently and must be thread-safe.
 */
typedef struct webverify_archive {
	void *arg;
	/*
	 * key_hash: the stored SHA-256 of the verification key of result_code
	 * (qr.h). KHO_ENOTFOUND for an unknown code (or one without a key).
	 */
	int (*key_hash)(void *arg, const char *result_code, unsigned char hash[32], kho_err *err);
	/*
	 * report_by_code: the verification report of the current archived
	 * package of result_code, verified now (the daemon decrypts it, checks it
	 * against its id and verifies it: ingest_reverify). *out is owned by the
	 * caller. package_sha256 receives the package id (SHA-256 of its bytes).
	 * KHO_ENOTFOUND if the code is unknown or its package is no longer held
	 * (destroyed); any other negative code is an internal failure.
	 */
	int (*report_by_code)(void *arg, const char *result_code, verify_report **out,
	                      unsigned char package_sha256[32], kho_err *err);
	/*
	 * code_by_object: the result code of the archived package that holds a
	 * data object with this SHA-256 (the most recent if several of one
	 * result). KHO_ENOTFOUND; KHO_ECONFLICT when several results hold it
	 * (the page names none of them).
	 */
	int (*code_by_object)(void *arg, const unsigned char sha256[32],
	                      char code[WEBVERIFY_CODE_MAX], kho_err *err);
	/*
	 * status_of: the validity status today of a result code, one of "valid",
	 * "expired", "superseded", "revoked", "annulled", "suspended",
	 * "destroyed", and the id of its current package (SHA-256, zeros if none).
	 * KHO_ENOTFOUND if the archive does not know the code.
	 */
	int (*status_of)(void *arg, const char *result_code, char status[WEBVERIFY_STATUS_MAX],
	                 unsigned char package_sha256[32], kho_err *err);
	/*
	 * renewed_package: 1 if package_sha256 is an earlier package of the
	 * result, kept after a renewal (archive timestamps added: the copies
	 * handed out before it are still that result's package), else 0. May
	 * be NULL.
	 */
	int (*renewed_package)(void *arg, const char *result_code,
	                       const unsigned char package_sha256[32]);
	/*
	 * same_files: 1 if the current archived package of result_code holds
	 * exactly the data objects objs[0..n) (the same names with the same
	 * SHA-256, record.xml included, none more, none less), else 0. Asked
	 * only for an uploaded package whose seal is valid and whose bytes are
	 * not the archived package (unzipped and zipped again): its files are
	 * then the archived result's, and so is its status today. May be NULL.
	 */
	int (*same_files)(void *arg, const char *result_code, const webverify_object *objs,
	                  size_t n);
	/*
	 * audit: record one public verification. The module passes no personal
	 * data: action "public-verify", object the result code or "-", status
	 * the HTTP status, detail e.g. "kind=upload answer=valid ...".
	 */
	void (*audit)(void *arg, const char *action, const char *object, int status,
	              const char *detail);
	/*
	 * tombstone (issue 4 item 9): what remains of a destroyed record, by its
	 * result code (result_code non-NULL) or by the SHA-256 of one of its
	 * destroyed packages (package_sha256 non-NULL; the other is NULL).
	 * KHO_ENOTFOUND if neither names a destroyed record. May be NULL (then
	 * a destroyed record is "no longer held", without the decision). Only
	 * asked after the key matched (QR path) or for the exact bytes of a
	 * destroyed package (upload), so it leaks nothing to a guesser.
	 */
	int (*tombstone)(void *arg, const char *result_code, const unsigned char package_sha256[32],
	                 struct webverify_tombstone *out, kho_err *err);
} webverify_archive;

typedef struct webverify_config {
	verify_opts vopts;          /* trust for uploads: anchors, CRLs (borrowed); at = 0 */
	size_t max_upload;          /* bytes of one upload; 0 = WEBVERIFY_UPLOAD_DEFAULT */
	unsigned rate_per_minute;   /* verifications per client address; 0 = unlimited */
	unsigned rate_burst;        /* bucket size; 0 = max(5, rate_per_minute / 4) */
	const char *base_url;       /* e.g. "https://kho.example.gov.vn" for QR URLs, may be NULL */
	/* reverse proxies (IP literals, borrowed: they must outlive the module)
	 * whose X-Forwarded-For names the client (webverify_client) */
	char *const *trusted_proxies;
	size_t ntrusted_proxies;
} webverify_config;

typedef struct webverify webverify;

/*
 * webverify_new: the module's state (configuration copy, rate-limit table).
 * arch is copied; what its arg points to must outlive the module. *out
 * owned by the caller (webverify_free). KHO_ENOMEM, KHO_EINVAL.
 */
int webverify_new(webverify **out, const webverify_config *cfg, const webverify_archive *arch,
                  kho_err *err);
void webverify_free(webverify *wv);

/* webverify_max_upload: the upload cap in force (for Content-Length checks). */
size_t webverify_max_upload(const webverify *wv);

/*
 * webverify_route: which request method and path (without query) are.
 * For WV_QR the result code (as given, at most WEBVERIFY_CODE_MAX - 1
 * bytes; a longer one is cut to "" and answered as unknown) goes to code.
 */
enum webverify_kind webverify_route(const char *method, const char *path,
                                    char code[WEBVERIFY_CODE_MAX]);

/* webverify_allow: the methods of a path webverify_route recognises, for
 * the Allow header of a 405 ("GET, HEAD, POST" for /verify). */
const char *webverify_allow(const char *path);

/*
 * webverify_lang_pick: English if the query says lang=en, else Vietnamese
 * (the default whatever Accept-Language says; the page has a visible switch).
 */
enum webverify_lang webverify_lang_pick(const char *lang_param);

/*
 * webverify_client: the address a request is counted and audited under.
 * peer is the TCP peer's address. Only when peer is one of the configured
 * trusted proxies is xff (the X-Forwarded-For header, may be NULL) used:
 * its last element, the address the proxy itself saw (nginx's
 * $proxy_add_x_forwarded_for appends it), and only if it is an IP literal.
 * Anything earlier in the header is the client's own claim and is ignored,
 * as is the whole header from a peer that is not a trusted proxy. Writes
 * at most n bytes (INET6_ADDRSTRLEN is enough) to out and returns out.
 */
char *webverify_client(const webverify *wv, const char *peer, const char *xff, char *out,
                       size_t n);

/*
 * webverify_client_key: the key a client address (webverify_client's) is
 * counted under: a hash keyed by salt (random per process), never 0; an
 * IPv6 address by its /64. For every per-client limit of the daemon.
 */
uint64_t webverify_client_key(uint64_t salt, const char *client);

/*
 * webverify_rate_take: take one request from client's bucket (token bucket,
 * rate_per_minute refill, rate_burst size). 1 if allowed, 0 if limited;
 * *retry_after (may be NULL) gets whole seconds to wait. Thread-safe.
 */
int webverify_rate_take(webverify *wv, const char *client, unsigned *retry_after);

/* One request, as the router hands it over. */
typedef struct webverify_request {
	enum webverify_kind kind;
	char code[WEBVERIFY_CODE_MAX];   /* WV_QR: from webverify_route */
	const char *key;                 /* WV_QR: the k query value, may be NULL */
	enum webverify_lang lang;
	const unsigned char *data;       /* WV_UPLOAD, WV_API: the uploaded file (borrowed) */
	size_t len;
	int have_file;                   /* a file was sent (even empty) */
	const char *filename;            /* as sent, may be NULL (only shown, escaped) */
} webverify_request;

/* The answer: status, content type (static string) and body. */
typedef struct webverify_response {
	int status;
	const char *content_type;
	kho_buf body;                    /* webverify_response_free releases it */
	unsigned retry_after;            /* for 429: seconds, else 0 */
} webverify_response;

/*
 * webverify_handle: answer one request (not rate-limited here: the caller
 * does it with webverify_rate_take before reading the body). Returns 0 with
 * out filled (any HTTP status, including 4xx pages), or a negative code
 * when not even an error page could be made (KHO_ENOMEM). out must be
 * released with webverify_response_free in both cases.
 */
int webverify_handle(webverify *wv, const webverify_request *rq, webverify_response *out,
                     kho_err *err);

/*
 * webverify_error_page: the page (or JSON for WV_API and WV_API_BAD_METHOD) of an HTTP error that
 * the adapter detects itself: 400 (no file), 405, 413 (too large), 429
 * (rate limit, with retry_after); and three more reasons for a 400, each
 * with its own words: WV_ERR_MANY_FILES (a form with more than one file
 * part), WV_ERR_BAD_FORM (a multipart body the parser cannot read, e.g.
 * without its boundary) and WV_ERR_EMPTY_FILE (a file of 0 bytes:
 * webverify_handle answers it so).
 */
#define WV_ERR_MANY_FILES 1400
#define WV_ERR_BAD_FORM 1401
#define WV_ERR_EMPTY_FILE 1402
int webverify_error_page(webverify *wv, enum webverify_kind kind, enum webverify_lang lang,
                         int status, unsigned retry_after, webverify_response *out);

void webverify_response_free(webverify_response *r);

/*
 * webverify_qr_url: BASE/verify/r/{code}?k={key} into out (n bytes).
 * base is an absolute http(s) URL without query; a trailing slash is
 * dropped. KHO_EINVAL for a bad base, code or key, KHO_ETOOBIG if n is short.
 */
int webverify_qr_url(char *out, size_t n, const char *base, const char *result_code,
                     const char *key);

/*
 * webverify_mask_name: "Nguyễn Văn An" -> "Nguyễn V** A*": the first word
 * (the family name, which thousands share) whole, then of each other word
 * its first letter (UTF-8 aware) and one '*' per remaining letter. Written
 * into out (n bytes, always NUL-terminated).
 */
void webverify_mask_name(char *out, size_t n, const char *name);

/* ---- libmicrohttpd adapter (webverify_mhd.c) ---------------------------- */

struct MHD_Connection;
typedef struct webverify_mhd webverify_mhd;

/*
 * webverify_mhd_begin: on the first call of the access handler for a path
 * webverify_route recognises: reads the language, the key and the client
 * address from the connection, applies the rate limit and the upload cap
 * (Content-Length), and for multipart bodies creates MHD's post processor
 * that keeps only the field "file". Never queues a response (the 0.9.75
 * keep-alive catch). *out is owned by the caller (webverify_mhd_free).
 */
int webverify_mhd_begin(webverify_mhd **out, webverify *wv, struct MHD_Connection *c,
                        const char *method, const char *path, kho_err *err);

/*
 * webverify_mhd_refuse: answer status (e.g. 503 when the daemon's memory
 * for bodies is spent) instead of verifying, unless an error was already
 * decided; the rest of the body is read and discarded. retry_after (seconds)
 * goes into Retry-After for 429 and 503.
 */
void webverify_mhd_refuse(webverify_mhd *m, int status, unsigned retry_after);
/* webverify_mhd_refused: the error already decided (400, 413, 429, 503...), 0 if none. */
int webverify_mhd_refused(const webverify_mhd *m);

/* webverify_mhd_feed: one chunk of the body (*upload_data_size bytes). */
void webverify_mhd_feed(webverify_mhd *m, const char *data, size_t n);

/*
 * webverify_mhd_respond: after the last chunk: answer (or the error decided
 * on the way: 413, 429, 400), queue the response on c. *status (may be NULL)
 * gets the HTTP status for the log. Returns MHD_YES / MHD_NO as an int.
 */
int webverify_mhd_respond(webverify_mhd *m, struct MHD_Connection *c, int *status);

/* webverify_mhd_free: NULL is a no-op. Wipes the upload. */
void webverify_mhd_free(webverify_mhd *m);

#endif
