/*
 * server.c: the archive daemon (see server.h and docs/api.md).
 *
 * libmicrohttpd 0.9.75 calls the access handler several times per request:
 * first with the headers (we route, authenticate and prepare the body sink,
 * but queue no response then, the keep-alive catch of 0.9.75: the
 * connection is closed after it; only a refusal of a request whose body is
 * still to come is answered then, for that very reason), then
 * once per body chunk (streamed to a temporary file or a capped buffer, so
 * memory does not grow with a package), then once with no data, when the
 * response is queued. Duplicate framing headers are refused here because
 * 0.9.75 accepts them (fixed upstream only in 1.0.4).
 */
#include "archive/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "archive/audit.h"
#include "archive/catalog.h"
#include "archive/http_util.h"
#include "archive/ingest.h"
#include "archive/qr.h"
#include "archive/record.h"
#include "archive/token.h"
#include "archive/webverify.h"
#include "common/buf.h"
#include "common/utf8.h"
#include "common/util.h"
#include "common/xml.h"
#include "retention/api.h"
#include "retention/rstore.h"
#include "sign/seal.h"
#include "sign/tsa.h"
#include "verify/cms.h"
#include "verify/verify.h"

/* ---- metrics -------------------------------------------------------- */

static const int status_codes[] = { 200, 201, 400, 401, 403, 404, 405, 408, 409, 410, 411, 413,
                                    422, 429, 500, 503 };
#define NSTATUS (sizeof status_codes / sizeof status_codes[0])
static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS (sizeof bounds / sizeof bounds[0])

struct hist {
	uint64_t b[NBOUNDS + 1];
	double sum;
	uint64_t n;
};

struct metrics {
	pthread_mutex_t mu;
	uint64_t req[HTTP_R_COUNT][NSTATUS + 1];   /* last column: other statuses */
	struct hist ingest, verify, lookup;
	int64_t fixity_runs, fixity_problems;
};

static void hist_add(struct hist *h, double v)
{
	size_t i;

	for (i = 0; i < NBOUNDS && v > bounds[i]; i++)
		;
	h->b[i]++;
	h->sum += v;
	h->n++;
}

/* ---- sealing keys ---------------------------------------------------- */

struct sealer {
	char code[32];
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	int pss;
};

/* ---- rate limit: a token bucket per token ----------------------------- */

#define READERS_MAX 64
#define EVQ_CAP 65536            /* queued lookup events before lookups wait */
#define EVQ_BATCH 4096
/*
 * The event writer commits at most every EVQ_FLUSH_MS (or when a batch is
 * full). Why by time: every commit to catalog.db makes each reader
 * connection drop its whole page cache at its next read (SQLite's WAL
 * readers cannot tell which pages changed), so a commit every few lookups
 * turned every lookup into a cold b-tree descent, several preads. Reads of
 * the events (stats, audit, metrics) first wait for the queue (evq_sync).
 */
#define EVQ_FLUSH_MS 500
/* The request log is written in blocks (one line per request, as before):
 * by the request that finds the last write LOG_FLUSH_MS old or the buffer
 * past LOG_BUF_FLUSH bytes, and by the event writer every EVQ_FLUSH_MS, so
 * an idle daemon's last lines wait at most that long. */
#define LOG_FLUSH_MS 200
#define LOG_BUF_FLUSH (32u * 1024)
#define LOG_BUF_MAX (256u * 1024)

#define INGEST_WORKERS_MAX 64
#define NBUCKETS 1024
struct bucket {
	int64_t id;
	double tokens;
	double last;
};

struct server {
	const config *cfg;
	ingest_ctx *ing;
	struct MHD_Daemon *d;
	FILE *log;
	pthread_mutex_t log_mu;
	kho_buf logbuf;            /* lines not yet written (log_mu) */
	double log_last;           /* monotonic time of the last write */
	double head_last;          /* monotonic time of the last audit head line (evq thread) */
	int64_t head_seq;          /* ... and its event, not written again while unchanged */
	time_t log_sec;            /* the second log_ts shows (log_mu) */
	char log_ts[32];           /* kho_time_format of log_sec, made once a second */
	int lockfd;
	int listen_fd;             /* bound before anything else; MHD's once started */
	unsigned port;
	struct metrics m;
	struct sealer *sealers;
	size_t nsealers;
	webverify *wv;             /* the public verification page (issue 5) */
	rstore *rs;                /* retention state (issue 4, retention/rstore.h) */
	rstore_signer rsig;        /* seals destruction certificates; */
	int has_rsig;              /* without it, execute answers 503 */
	pthread_t sweep_thread;    /* the daily retention sweep */
	int sweep_started;
	char public_url[600];      /* base of QR URLs */
	tsa *tsa;
	STACK_OF(X509) *tsa_chain;
	pthread_mutex_t seal_mu;
	pthread_t fix_thread;
	int fix_started;
	char fixity_state[PATH_MAX]; /* DATA/fixity.state: last run, cursor of one in progress */
	pthread_mutex_t fix_mu;
	pthread_cond_t fix_cv;
	int stopping;
	pthread_mutex_t rate_mu;
	struct bucket buckets[NBUCKETS];
	struct bucket denied[NBUCKETS];   /* refused tokens per client address (denial_flood) */
	uint64_t client_salt;             /* keys those addresses' hash (random) */
	/* Lookups read through a pool of reader connections (WAL: they never
	 * wait for the writer) and hand their reuse/audit events to one writer
	 * thread that commits them in batches (one fsync per batch). */
	catalog *readers[READERS_MAX];
	unsigned nreaders;
	struct evq {
		pthread_mutex_t mu;
		pthread_cond_t more, space;
		catalog_lookup_event *ev;
		size_t n;
		int stop;
		int flush;             /* evq_sync asks for a commit now */
		uint64_t pushed;       /* events queued so far */
		uint64_t settled;      /* events committed (or given up) so far */
		pthread_cond_t done;   /* settled moved */
		pthread_t th;
		int started;
		uint64_t lost;
		/* A batch cannot be committed (a full disk): the writer keeps
		 * it and tries again each second, and lookups are refused (503)
		 * until it commits, so that none is answered unaudited (found
		 * by review, 2026-12-08: every batch was dropped after 5 tries
		 * and the lookups answered on). */
		int failing;
	} q;
	/* Bytes of package uploads held in memory (UPLOAD_MEM_*), reserved from
	 * the Content-Length when the request starts, released when it ends. */
	atomic_size_t upload_mem;
	/* Bytes of JSON bodies and public uploads held in memory, all
	 * connections together (body_mem_take; config max_body_memory). */
	atomic_size_t body_mem;
	/* Of body_mem, the part held by the public page's uploads, at most
	 * public_mem_cap: an anonymous client trickling uploads must not hold
	 * the memory a records manager's hold or an officer's sealing needs
	 * (found by review: 8 slow 32 MiB uploads made every write 503). */
	atomic_size_t public_mem;
	struct ingest_pool {       /* package ingests off the MHD threads (ipool_*) */
		pthread_mutex_t mu;
		pthread_cond_t more;
		struct req *head, **tail;
		int stop;
		pthread_t th[INGEST_WORKERS_MAX];
		unsigned n;
	} ip;
};

/*
 * A package upload whose Content-Length is at most UPLOAD_MEM_ONE is kept in
 * memory and ingested from there (ingest_mem): no temporary file to create,
 * write, reread four times (digest, verification, data-object digests,
 * encryption) and unlink. Creating and unlinking a file per ingest was a
 * large part of the kernel time of the ingest benchmark (ext4 inode
 * allocation). The total held this way is capped by UPLOAD_MEM_TOTAL across
 * all connections; beyond it, and for larger or chunked uploads, the upload
 * streams to a temporary file as before (the resident-size targets stay).
 */
#define UPLOAD_MEM_ONE ((size_t)1 << 20)
#define UPLOAD_MEM_TOTAL ((size_t)32 << 20)

/* budget_take: add n to *used if that stays within cap (1), else 0; the
 * shared counters of memory held for requests (upload_mem, body_mem). */
static int budget_take(atomic_size_t *used, size_t cap, size_t n)
{
	size_t cur = atomic_load(used);

	do {
		if (cur > cap || cap - cur < n)
			return 0;
	} while (!atomic_compare_exchange_weak(used, &cur, cur + n));
	return 1;
}


#define STORAGE_RETRY_AFTER 30   /* seconds: a storage fault (ENOSPC...) */
/* What a client is told of a storage fault while storing (no server path). */
#define STORAGE_FAULT_MSG "the package could not be stored now (a storage fault on the server," \
	" in its log); nothing was stored: try again later"
/* ... and of lookups refused while their audit events cannot be recorded. */
#define LOOKUP_FAULT_MSG "lookups are refused while their audit events cannot be recorded (a" \
	" storage fault on the server, in its log): try again later"
static void log_error(server *s, const char *what, const char *detail);
#define BODY_RETRY_AFTER 5   /* seconds, in the Retry-After of a 503 for memory */

/* ---- per request ---------------------------------------------------- */

struct req {
	server *s;
	struct timespec t0;
	http_match m;
	token_info who;
	int authed;
	int deny;                  /* a status to answer with instead of the route */
	char deny_msg[256];
	enum http_body body;
	int fd;
	char tmp[PATH_MAX];
	size_t mem;                /* >0: the upload goes to buf, this many bytes reserved */
	uint64_t got;
	uint64_t rx;               /* body bytes received so far (min_upload_rate) */
	size_t held;               /* bytes of body_mem reserved by this request */
	unsigned retry_after;      /* seconds, sent as Retry-After when non-zero */
	int close;                 /* answer with Connection: close (a request whose framing
	                              is refused: what follows it on the connection cannot be
	                              told apart from its body, RFC 9112 section 6.3) */
	const char *allow;         /* a 405's Allow header (RFC 9110 15.5.6) */
	kho_buf buf;
	int status;
	char method[8];
	char path[160];
	char logpath[160];         /* path with numbers redacted: the log's and the trail's */
	char client[64];
	webverify_mhd *wvm;        /* a public verification request (webverify.h) */
	struct MHD_Connection *conn; /* suspended while an ingest worker runs it */
	struct req *next;          /* in the ingest pool's queue */
	int ingest_state;          /* 0, INGEST_QUEUED, INGEST_DONE */
	struct ingest_outcome {    /* what ingest_run left for ingest_reply */
		int rc;
		ingest_result res;
		kho_err err;
	} io;
	int retention;             /* a retention route (retention/api.h) */
	char query[512];           /* its query string, rebuilt from the arguments */
	int query_long;            /* ... which did not fit */
};

static double now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *actor_of(const struct req *q)
{
	return q->authed ? q->who.name : "anonymous";
}

static void audit(server *s, const char *actor, const char *action, const char *object,
                  int status, const char *detail)
{
	audit_event ev;

	ev.actor = actor;
	ev.action = action;
	ev.object = object;
	ev.status = status;
	ev.detail = detail;
	audit_append(s->ing->cat, &ev, NULL);
}

/* ---- responses ------------------------------------------------------ */

static enum MHD_Result queue(struct req *q, struct MHD_Connection *c, int status,
                             struct MHD_Response *r)
{
	enum MHD_Result ok;

	if (r == NULL)
		return MHD_NO;
	q->status = status;
	if (status == 401)   /* RFC 6750 section 3 */
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"kho\"");
	if (q->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", q->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (status == 405 && q->allow != NULL)
		MHD_add_response_header(r, "Allow", q->allow);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (q->close)
		MHD_add_response_header(r, "Connection", "close");
	ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result send_bytes(struct req *q, struct MHD_Connection *c, int status,
                                  const char *ctype, const void *data, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	return queue(q, c, status, r);
}

/* send_json: steals j. */
static enum MHD_Result send_json(struct req *q, struct MHD_Connection *c, int status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct MHD_Response *r;

	json_decref(j);
	if (text == NULL)
		return send_bytes(q, c, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	return queue(q, c, status, r);
}

static enum MHD_Result send_error(struct req *q, struct MHD_Connection *c, int status,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result send_error(struct req *q, struct MHD_Connection *c, int status,
                                  const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kho_utf8_scrub(msg);   /* a message cut mid-character, or quoting bytes, stays JSON */
	return send_json(q, c, status, json_pack("{s:s,s:i}", "error", msg, "status", status));
}

/* The report as a JSON value (verify_report_json produces text). */
static json_t *report_json(const verify_report *rep)
{
	json_t *j = NULL;
	kho_buf b;

	if (rep == NULL)
		return json_null();
	kho_buf_init(&b, 64u << 20);
	if (verify_report_json(&b, rep) == 0 && b.data != NULL)
		j = json_loadb((const char *)b.data, b.len, 0, NULL);
	kho_buf_free(&b);
	return j ? j : json_null();
}

static int wants_xml(struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

	return a != NULL && (strstr(a, "application/xml") != NULL || strstr(a, "text/xml") != NULL);
}

static enum MHD_Result send_report(struct req *q, struct MHD_Connection *c, int status,
                                   const verify_report *rep)
{
	struct MHD_Response *r;
	unsigned char *data;
	size_t len;
	kho_buf b;
	int rc;

	if (!wants_xml(c))
		return send_json(q, c, status, report_json(rep));
	kho_buf_init(&b, 64u << 20);
	rc = verify_report_xml(&b, rep);
	if (rc != 0) {
		kho_buf_free(&b);
		return send_error(q, c, 500, "cannot write the XML report");
	}
	data = kho_buf_steal(&b, &len);
	if (data == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/xml; charset=utf-8");
	return queue(q, c, status, r);
}

static void indication_headers(struct MHD_Response *r, const verify_report *rep)
{
	char t[32];

	MHD_add_response_header(r, "Kho-Indication", vr_indication_name(rep->indication));
	MHD_add_response_header(r, "Kho-Sub-Indication",
	                        rep->sub == VR_SUB_NONE ? "" : vr_sub_name(rep->sub));
	MHD_add_response_header(r, "Kho-Validation-Time",
	                        kho_time_format(t, sizeof t, rep->validation_time));
}

/* ---- handlers ------------------------------------------------------- */

static enum MHD_Result h_healthz(struct req *q, struct MHD_Connection *c)
{
	catalog_counts n;

	if (catalog_counts_get(q->s->ing->cat, &n, NULL) != 0)
		return send_error(q, c, 503, "catalog unavailable");
	return send_json(q, c, 200, json_pack("{s:s,s:I}", "status", "ok", "packages",
	                                      (json_int_t)n.packages));
}

/* A counter, as an exact integer: %.6g printed 1234567 as 1.23457e+06, and
 * increments under 10 vanished from rate() past a million (found by review). */
static void metric_line(kho_buf *b, const char *name, const char *labels, uint64_t v)
{
	kho_buf_appendf(b, "%s%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
	                labels[0] ? "}" : "", (unsigned long long)v);
}

static void hist_out(kho_buf *b, const char *name, const char *help, const struct hist *h)
{
	uint64_t cum = 0;
	size_t i;

	kho_buf_appendf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (i = 0; i < NBOUNDS; i++) {
		cum += h->b[i];
		kho_buf_appendf(b, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
	}
	cum += h->b[NBOUNDS];
	kho_buf_appendf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	kho_buf_appendf(b, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name,
	                (unsigned long long)h->n);
}

static void evq_sync(server *s);

static enum MHD_Result h_metrics(struct req *q, struct MHD_Connection *c)
{
	struct metrics *m = &q->s->m;
	catalog_counts n;
	char lab[128];
	size_t r, i;
	kho_buf b;
	enum MHD_Result ok;

	memset(&n, 0, sizeof n);
	evq_sync(q->s);
	catalog_counts_get(q->s->ing->cat, &n, NULL);
	kho_buf_init(&b, 4u << 20);
	kho_buf_appendf(&b, "# HELP kho_http_requests_total HTTP requests by route and status.\n"
	                    "# TYPE kho_http_requests_total counter\n");
	pthread_mutex_lock(&m->mu);
	/* route "none": requests answered before a route was known (404,
	 * 400, 405). */
	for (r = 0; r < HTTP_R_COUNT; r++)
		for (i = 0; i <= NSTATUS; i++) {
			if (m->req[r][i] == 0)
				continue;
			if (i < NSTATUS)
				snprintf(lab, sizeof lab, "route=\"%s\",status=\"%d\"",
				         http_route_name((enum http_route)r), status_codes[i]);
			else
				snprintf(lab, sizeof lab, "route=\"%s\",status=\"other\"",
				         http_route_name((enum http_route)r));
			metric_line(&b, "kho_http_requests_total", lab, (uint64_t)m->req[r][i]);
		}
	hist_out(&b, "kho_ingest_seconds", "Ingest latency (upload received to acknowledgement).",
	         &m->ingest);
	hist_out(&b, "kho_verify_seconds", "Package verification latency.", &m->verify);
	hist_out(&b, "kho_lookup_seconds", "Lookup latency.", &m->lookup);
	kho_buf_appendf(&b, "# TYPE kho_fixity_runs_total counter\nkho_fixity_runs_total %lld\n"
	                    "# TYPE kho_fixity_problems gauge\nkho_fixity_problems %lld\n",
	                (long long)m->fixity_runs, (long long)m->fixity_problems);
	pthread_mutex_unlock(&m->mu);
	kho_buf_appendf(&b,
		"# HELP kho_catalog_packages Stored package files.\n# TYPE kho_catalog_packages gauge\n"
		"kho_catalog_packages %lld\n"
		"# TYPE kho_catalog_stored_bytes gauge\nkho_catalog_stored_bytes %lld\n"
		"# TYPE kho_catalog_results gauge\nkho_catalog_results %lld\n"
		"# TYPE kho_catalog_results_valid gauge\nkho_catalog_results_valid %lld\n"
		"# TYPE kho_catalog_lookups gauge\nkho_catalog_lookups %lld\n"
		"# TYPE kho_catalog_lookups_reusable gauge\nkho_catalog_lookups_reusable %lld\n"
		"# TYPE kho_audit_events gauge\nkho_audit_events %lld\n"
		"# TYPE kho_tokens_active gauge\nkho_tokens_active %lld\n",
		(long long)n.packages, (long long)n.stored_bytes, (long long)n.results,
		(long long)n.results_valid, (long long)n.lookups, (long long)n.lookups_reusable,
		(long long)n.audit_events, (long long)n.tokens);
	ok = send_bytes(q, c, 200, "text/plain; version=0.0.4", b.data ? (char *)b.data : "", b.len);
	kho_buf_free(&b);
	return ok;
}

/* Close the upload file so the verifier and the store can read it. */
static int finish_upload(struct req *q)
{
	int rc = 0;

	if (q->fd >= 0) {
		rc = close(q->fd);
		q->fd = -1;
	}
	return rc;
}

/* The ingest itself (on an MHD thread or an ingest worker): into q->io. */
static void ingest_run(struct req *q, const char *path, const kho_buf *mem)
{
	struct ingest_outcome *o = &q->io;

	if (mem != NULL)
		o->rc = ingest_mem(q->s->ing, mem->data, mem->len, actor_of(q),
		                   q->who.role == TOKEN_OFFICER ? q->who.agency : NULL, &o->res, &o->err);
	else
		o->rc = ingest_file(q->s->ing, path, actor_of(q),
		                    q->who.role == TOKEN_OFFICER ? q->who.agency : NULL, &o->res,
		                    &o->err);
}

static int key_gone_alert(server *s, const char *actor, const catalog_package *p, int status);

/* The answer to an ingest (POST /v1/packages and POST /v1/results), from q->io. */
static enum MHD_Result ingest_reply(struct req *q, struct MHD_Connection *c)
{
	ingest_result res = q->io.res;
	struct MHD_Response *r;
	char loc[160], *text;
	json_t *j;
	kho_err err = q->io.err;
	enum MHD_Result ok;
	int rc = q->io.rc;

	memset(&q->io.res, 0, sizeof q->io.res);   /* res owns the report now */
	pthread_mutex_lock(&q->s->m.mu);
	if (res.verify_seconds > 0)
		hist_add(&q->s->m.verify, res.verify_seconds);
	pthread_mutex_unlock(&q->s->m.mu);
	if (rc == KHO_EIO) {
		/* A storage fault (a full disk, a failing device): nothing was
		 * stored; the client may retry, the operator reads the log (found
		 * by review: a 500 with the server's paths). */
		ingest_result_clear(&res);
		log_error(q->s, "ingest", err.msg);
		q->retry_after = STORAGE_RETRY_AFTER;
		return send_error(q, c, 503, "%s", STORAGE_FAULT_MSG);
	}
	if (rc != 0) {
		ingest_result_clear(&res);
		return send_error(q, c, 500, "the package could not be archived: %s", err.msg);
	}
	if (res.key_gone) {
		/* Archived, but its key is gone: as a retrieval would answer. */
		catalog_package p;
		memset(&p, 0, sizeof p);
		snprintf(p.id, sizeof p.id, "%s", res.id);
		snprintf(p.result_code, sizeof p.result_code, "%s", res.result_code);
		ingest_result_clear(&res);
		if (!key_gone_alert(q->s, actor_of(q), &p, 409))
			return send_error(q, c, 410, "package %s was destroyed (its destruction is being"
			                  " finished)", p.id);
		return send_error(q, c, 409, "package %s is archived, but its key is missing from the"
		                  " key store and no destruction of it was recorded: the archived copy"
		                  " cannot be read (reported to the auditors); keep your copy", p.id);
	}
	switch (res.http) {
	case 201:
	case 200:
		pthread_mutex_lock(&q->s->m.mu);
		hist_add(&q->s->m.ingest, since(&q->t0));
		pthread_mutex_unlock(&q->s->m.mu);
		snprintf(loc, sizeof loc, "/v1/packages/%s", res.id);
		j = json_pack("{s:s,s:s,s:s,s:s?,s:b,s:b,s:s,s:s}", "id", res.id, "result_code",
		              res.result_code, "indication", res.indication, "sub_indication",
		              res.sub[0] ? res.sub : NULL, "marked", res.marked, "superseded",
		              res.superseded, "report_url", "", "status",
		              res.http == 201 ? "stored" : "already stored");
		if (j != NULL) {
			char rep[200];
			snprintf(rep, sizeof rep, "%s/report", loc);
			json_object_set_new(j, "report_url", json_string(rep));
		}
		if (j != NULL && res.renews[0] != '\0') {
			/* A renewal: the result's current package now, this one. */
			json_object_set_new(j, "renews", json_string(res.renews));
			json_object_set_new(j, "status", json_string("renewed"));
		}
		if (j != NULL && res.repaired)
			/* The archived copy was missing or altered: stored again. */
			json_object_set_new(j, "status", json_string("repaired"));
		if (j != NULL && res.superseded_by[0] != '\0')
			/* This result arrived after a record that replaces it. */
			json_object_set_new(j, "superseded_by", json_string(res.superseded_by));
		if (j != NULL && res.supersedes_warning[0] != '\0')
			/* Stored: the superseded result may be in another archive or
			 * older than this one, or not this agency's to replace; but a
			 * typo would otherwise go unseen. */
			json_object_set_new(j, "warning", json_string(res.supersedes_warning));
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (text == NULL) {
			ingest_result_clear(&res);
			return MHD_NO;
		}
		r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		if (r == NULL) {
			free(text);
			ingest_result_clear(&res);
			return MHD_NO;
		}
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "Location", loc);
		ok = queue(q, c, res.http, r);
		break;
	case 403:
		audit(q->s, actor_of(q), "denied", res.result_code, 403, res.reason);
		ok = send_error(q, c, 403, "%s", res.reason);
		break;
	case 410:
		audit(q->s, actor_of(q), "refused", res.id, 410, res.reason);
		ok = send_json(q, c, 410, json_pack("{s:s,s:s,s:s,s:i}", "error", res.reason, "id",
		                                    res.id, "result_code", res.result_code, "status", 410));
		break;
	case 409:
		audit(q->s, actor_of(q), "refused", res.id, 409, res.reason);
		ok = send_json(q, c, 409, json_pack("{s:s,s:s,s:s,s:i}", "error", res.reason, "id",
		                                    res.id, "result_code", res.result_code, "status", 409));
		break;
	default:
		/* A package the archive would not take (a tampered or foreign one
		 * among them) is an event for the auditor too: its indication, not
		 * the reason, which may quote a record's values (libxml2's schema
		 * errors quote a rejected id). */
		{
			char d[128];
			snprintf(d, sizeof d, "%s%s%s", res.indication[0] ? res.indication : "refused",
			         res.sub[0] ? "/" : "", res.sub);
			audit(q->s, actor_of(q), "refused", res.id, 422, d);
		}
		ok = send_json(q, c, 422, json_pack("{s:s,s:s,s:s,s:s?,s:o,s:i}", "error", res.reason,
		                                    "id", res.id, "indication", res.indication,
		                                    "sub_indication", res.sub[0] ? res.sub : NULL,
		                                    "report", report_json(res.report), "status", 422));
		break;
	}
	ingest_result_clear(&res);
	return ok;
}

static enum MHD_Result ingest_answer(struct req *q, struct MHD_Connection *c, const char *path,
                                     const kho_buf *mem)
{
	ingest_run(q, path, mem);
	return ingest_reply(q, c);
}

/*
 * The ingest pool. A package ingest spends most of its time waiting for the
 * disk (the group's sync step and commit), so with only the MHD threads
 * (one per CPU) a group commit held at most that many ingests. Instead the
 * MHD thread suspends the connection and hands the request to one of
 * cfg->ingest_workers threads, which runs the ingest and resumes the
 * connection; MHD then calls on_request again and the answer is queued
 * from q->io (h_packages_post). A stopped pool (server_stop) takes no more
 * requests: they run on the MHD thread as before.
 */
#define INGEST_QUEUED 1
#define INGEST_DONE 2

static void *ipool_main(void *arg)
{
	server *s = arg;
	struct ingest_pool *p = &s->ip;
	struct req *q;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->stop)
			pthread_cond_wait(&p->more, &p->mu);
		if ((q = p->head) == NULL) {   /* stopping, and the queue is drained */
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		if ((p->head = q->next) == NULL)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->mu);
		ingest_run(q, q->mem > 0 ? NULL : q->tmp, q->mem > 0 ? &q->buf : NULL);
		q->ingest_state = INGEST_DONE;
		MHD_resume_connection(q->conn);
	}
}

/* Queue q (its upload complete) for a worker: 1, the connection suspended;
 * 0 when there is no pool or it is stopping (run it here). */
static int ipool_push(server *s, struct req *q, struct MHD_Connection *c)
{
	struct ingest_pool *p = &s->ip;

	pthread_mutex_lock(&p->mu);
	if (p->n == 0 || p->stop) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	q->conn = c;
	q->next = NULL;
	q->ingest_state = INGEST_QUEUED;
	MHD_suspend_connection(c);
	*p->tail = q;
	p->tail = &q->next;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	return 1;
}

static void ipool_start(server *s)
{
	struct ingest_pool *p = &s->ip;
	unsigned want = s->cfg->ingest_workers < INGEST_WORKERS_MAX ? s->cfg->ingest_workers
	                                                             : INGEST_WORKERS_MAX;

	while (p->n < want && pthread_create(&p->th[p->n], NULL, ipool_main, s) == 0)
		p->n++;
}

/* Drain: the workers finish every queued ingest (and resume its
 * connection), then exit. */
static void ipool_stop(server *s)
{
	struct ingest_pool *p = &s->ip;
	unsigned i;

	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	p->n = 0;
}

static enum MHD_Result h_packages_post(struct req *q, struct MHD_Connection *c)
{
	if (q->ingest_state == INGEST_DONE)
		return ingest_reply(q, c);
	if (finish_upload(q) != 0)
		return send_error(q, c, 500, "upload could not be saved");
	if (q->got == 0)
		return send_error(q, c, 400, "send the package (application/vnd.etsi.asic-e+zip) as the body");
	/* Content-Length promised q->mem bytes; MHD delivers exactly that. */
	if (q->mem > 0 && (q->buf.len != q->got || q->buf.data == NULL))
		return send_error(q, c, 500, "upload could not be saved");
	if (ipool_push(q->s, q, c))
		return MHD_YES;
	return ingest_answer(q, c, q->mem > 0 ? NULL : q->tmp, q->mem > 0 ? &q->buf : NULL);
}

static int is_true(const char *s)
{
	return s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

static int tombstone_answer(struct req *q, struct MHD_Connection *c, const char *code,
                            enum MHD_Result *ok);

/* 1 if p was renewed (a result's package, or a destruction certificate's):
 * the package that carries it on now, the end of its superseded_by chain,
 * into *cur. */
static int renewed_into(catalog *cat, const catalog_package *p, catalog_package *cur)
{
	int i;

	*cur = *p;
	for (i = 0; i < 1000 && strcmp(cur->state, "renewed") == 0 && cur->superseded_by[0]; i++)
		if (catalog_get_package(cat, cur->superseded_by, cur, NULL) != 0)
			return 0;
	return strcmp(cur->id, p->id) != 0;
}

/*
 * A package whose key is gone (has_key 0): 0 if its record is being
 * destroyed (an execution of its batch began), else 1, with an audit
 * alert (status) naming the key store: a key store not mounted or
 * restored, a key file deleted by hand (found by review: answered as
 * "destroyed", with no alert).
 */
static int key_gone_alert(server *s, const char *actor, const catalog_package *p, int status)
{
	char d[400];

	if (rstore_destroying(s->ing->cat, p->result_code, NULL) == 1)
		return 0;
	snprintf(d, sizeof d, "the package's key is missing from the key store %.200s and no"
	         " destruction of it was recorded", keystore_dir(s->ing->ks));
	audit(s, actor, "alert", p->id, status, d);
	return 1;
}

static const char *query_check(struct MHD_Connection *c, const char *const *keys, size_t n,
                               const char *takes);

static enum MHD_Result h_package_get(struct req *q, struct MHD_Connection *c, int report_only)
{
	int force = is_true(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force"));
	verify_report *rep = NULL;
	catalog_package p, cur;
	struct MHD_Response *r;
	char tmp[PATH_MAX], detail[600], disp[200];
	struct stat st;
	struct timespec t0;
	kho_err err;
	int rc, fd, acceptable, renewed;
	enum MHD_Result ok;
	static const char *const pkeys[] = { "force" };
	const char *bad = report_only ? query_check(c, NULL, 0, "the report takes no parameter")
	                              : query_check(c, pkeys, 1, "a package takes force only");

	if (bad != NULL)   /* "?forcee=true" answered as without it, unseen (found by review) */
		return send_error(q, c, 400, "%s", bad);
	rc = catalog_get_package(q->s->ing->cat, q->m.arg, &p, &err);
	if (rc == KHO_ENOTFOUND) {
		/* A package of a destroyed record: 410 with its tombstone. */
		if (tombstone_answer(q, c, q->m.arg, &ok))
			return ok;
		return send_error(q, c, 404, "no package %s", q->m.arg);
	}
	if (rc != 0)
		return send_error(q, c, 500, "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ingest_reverify(q->s->ing, &p, tmp, sizeof tmp, &rep, &err);
	pthread_mutex_lock(&q->s->m.mu);
	hist_add(&q->s->m.verify, since(&t0));
	pthread_mutex_unlock(&q->s->m.mu);
	if (rc == KHO_ENOTFOUND && !p.has_key) {
		/* Gone by a destruction kho began: 410. Gone otherwise (a key
		 * store not mounted, a key file deleted by hand): an integrity
		 * alert, never "destroyed" (found by review). */
		if (!key_gone_alert(q->s, actor_of(q), &p, 409))
			return send_error(q, c, 410, "package %s was destroyed (its destruction is being"
			                  " finished)", p.id);
		return send_json(q, c, 409, json_pack("{s:s,s:s,s:s,s:s,s:i}", "error", "the package's"
		                                      " key is missing from the key store, and no"
		                                      " destruction of it was recorded: reported to"
		                                      " the auditors", "id",
		                                      p.id, "indication", "INDETERMINATE",
		                                      "sub_indication", "SIGNED_DATA_NOT_FOUND",
		                                      "status", 409));
	}
	if (rc == KHO_EIO || rc == KHO_ENOMEM) {
		/* Not the package's fault (a full disk for the decrypted copy, a
		 * read error; a link or a bad key file is EUNSAFE: an alert
		 * below): it could not be checked now, no integrity alert
		 * (found by review: a full disk made every package "fail its
		 * integrity check", in the permanent trail). */
		log_error(q->s, "re-verification before serving", err.msg);
		q->retry_after = STORAGE_RETRY_AFTER;
		return send_error(q, c, 503, "the package could not be checked now (a storage fault on"
		                  " the server, in its log): try again later");
	}
	if (rc != 0) {
		/* The stored file is missing or altered: never serve it. */
		snprintf(detail, sizeof detail, "stored package fails its integrity check: %.500s", err.msg);
		audit(q->s, actor_of(q), "alert", p.id, 409, detail);
		return send_json(q, c, 409, json_pack("{s:s,s:s,s:s,s:s,s:i}", "error", detail, "id", p.id,
		                                      "indication", "TOTAL-FAILED", "sub_indication",
		                                      rc == KHO_ENOTFOUND ? "SIGNED_DATA_NOT_FOUND"
		                                                          : "HASH_FAILURE",
		                                      "status", 409));
	}
	acceptable = ingest_acceptable(q->s->ing, rep);
	/* A package renewed since (state "renewed"): its own evidence may
	 * lapse, as expected, since the renewal carries the result on. Its
	 * bytes are intact (checked above), so that lapse (a certificate out
	 * of bounds with no proof of existence) is no alert: the answer names
	 * the result's current package instead. Any other failure (a signer
	 * found revoked, an anchor removed) is an alert as for any package. */
	renewed = renewed_into(q->s->ing->cat, &p, &cur);
	if (!acceptable) {
		snprintf(detail, sizeof detail, "re-verification failed: %s%s%s",
		         vr_indication_name(rep->indication), rep->sub ? "/" : "",
		         rep->sub ? vr_sub_name(rep->sub) : "");
		if (!renewed || rep->sub != VR_OUT_OF_BOUNDS_NO_POE)
			audit(q->s, actor_of(q), "alert", p.id, 409, detail);
	}
	if (report_only) {
		unlink(tmp);
		ok = send_report(q, c, acceptable ? 200 : 409, rep);
		verify_report_free(rep);
		return ok;
	}
	if (!acceptable && !(force && q->who.role == TOKEN_AUDITOR)) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:o,s:i}", "error", detail, "id", p.id, "hint",
		                      "an auditor may fetch the bytes with ?force=true", "report",
		                      report_json(rep), "status", 409);
		unlink(tmp);
		if (j != NULL && renewed) {
			json_object_set_new(j, "renewed_by", json_string(cur.id));
			json_object_set_new(j, "hint", json_string("this package was renewed: fetch the"
			                                           " result's current package, renewed_by"));
		}
		ok = send_json(q, c, 409, j);
		verify_report_free(rep);
		return ok;
	}
	fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unlink(tmp);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		verify_report_free(rep);
		return send_error(q, c, 500, "cannot read the decrypted package");
	}
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (r == NULL) {
		close(fd);
		verify_report_free(rep);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", PKG_MIMETYPE);
	snprintf(disp, sizeof disp, "attachment; filename=\"%s.asice\"", p.result_code);
	MHD_add_response_header(r, "Content-Disposition", disp);
	MHD_add_response_header(r, "Kho-Package-Id", p.id);
	indication_headers(r, rep);
	if (!acceptable)
		MHD_add_response_header(r, "Kho-Forced", "true");
	snprintf(detail, sizeof detail, "%s%s", vr_indication_name(rep->indication),
	         acceptable ? "" : ", served to an auditor with force=true");
	verify_report_free(rep);
	audit(q->s, actor_of(q), acceptable ? "retrieve" : "retrieve-forced", p.id, 200, detail);
	return queue(q, c, 200, r);
}

static enum MHD_Result h_result_get(struct req *q, struct MHD_Connection *c)
{
	static const char *const keys[] = { "valid_on" };
	const char *on = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "valid_on");
	const char *bad = query_check(c, keys, 1, "a result takes valid_on only");
	json_t *j = NULL;
	kho_err err;
	int rc;

	/* found by review: "vaild_on=" answered for today, unseen */
	if (bad != NULL)
		return send_error(q, c, 400, "%s", bad);
	if (on != NULL && !http_is_date(on))
		return send_error(q, c, 400, "valid_on must be a date YYYY-MM-DD");
	rc = catalog_result_json(q->s->ing->cat, q->m.arg, on, &j, &err);
	if (rc == KHO_ENOTFOUND) {
		enum MHD_Result ok;
		if (tombstone_answer(q, c, q->m.arg, &ok))
			return ok;
		return send_error(q, c, 404, "no result %s", q->m.arg);
	}
	if (rc != 0)
		return send_error(q, c, 500, "%s", err.msg);
	/* Issue 4 item 8: a transferred record says where it is now. */
	if (q->s->rs != NULL && rstore_custody_annotate(q->s->ing->cat, j, &err) < 0) {
		json_decref(j);
		return send_error(q, c, 500, "%s", err.msg);
	}
	return send_json(q, c, 200, j);
}

static enum MHD_Result h_result_status(struct req *q, struct MHD_Connection *c)
{
	http_status_req b;
	json_t *j = NULL;
	kho_err err;
	int rc;

	if (http_parse_status_body(&b, q->buf.data ? q->buf.data : (const unsigned char *)"",
	                           q->buf.len, &err) != 0)
		return send_error(q, c, 400, "%s", err.msg);
	rc = catalog_set_status(q->s->ing->cat, q->m.arg, b.status, b.decision,
	                        b.superseded_by[0] ? b.superseded_by : NULL,
	                        b.effective[0] ? b.effective : NULL, actor_of(q), &err);
	if (rc == KHO_ENOTFOUND) {
		enum MHD_Result ok;
		if (tombstone_answer(q, c, q->m.arg, &ok))
			return ok;
		return send_error(q, c, 404, "no result %s", q->m.arg);
	}
	if (rc == KHO_EINVAL)
		return send_error(q, c, 400, "%s", err.msg);
	if (rc == KHO_ECONFLICT)
		return send_error(q, c, 409, "%s", err.msg);
	if (rc != 0 && rc != KHO_EEXIST)
		return send_error(q, c, 500, "%s", err.msg);
	{
		char note[sizeof err.msg];
		snprintf(note, sizeof note, "%s", rc == KHO_EEXIST ? err.msg : "");
		if (catalog_result_json(q->s->ing->cat, q->m.arg, NULL, &j, &err) != 0)
			return send_error(q, c, 500, "%s", err.msg);
		if (note[0] != '\0')   /* sent again: 200 as the first time, and says so */
			json_object_set_new(j, "note", json_string(note));
	}
	return send_json(q, c, 200, j);
}

/* A reader connection for this thread (threads spread over the pool). */
static catalog *pick_reader(server *s)
{
	static _Thread_local int slot = -1;
	static unsigned next;

	if (s->nreaders == 0)
		return s->ing->cat;
	if (slot < 0)
		slot = (int)(__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % READERS_MAX);
	return s->readers[(unsigned)slot % s->nreaders];
}

/*
 * evq_push: queue a lookup's events: 0, or -1 when the queue is full and the
 * writer cannot empty it (a batch that cannot be committed, or the stop):
 * the caller refuses the lookup then, unanswered and so unaudited (found by
 * review, 2026-12-08: waiters blocked MHD's threads until the disk came
 * back, and a full queue at the stop was written past its end).
 */
static int evq_push(server *s, const catalog_lookup_event *ev)
{
	pthread_mutex_lock(&s->q.mu);
	while (s->q.n >= EVQ_CAP && !s->q.stop && !__atomic_load_n(&s->q.failing, __ATOMIC_RELAXED))
		pthread_cond_wait(&s->q.space, &s->q.mu);   /* back-pressure, never drop */
	if (s->q.n >= EVQ_CAP) {
		pthread_mutex_unlock(&s->q.mu);
		return -1;
	}
	s->q.ev[s->q.n++] = *ev;
	s->q.pushed++;
	/* The writer wakes by itself every EVQ_FLUSH_MS; wake it early only
	 * for a full batch. */
	if (s->q.n == EVQ_BATCH)
		pthread_cond_signal(&s->q.more);
	pthread_mutex_unlock(&s->q.mu);
	return 0;
}

/*
 * evq_sync: wait until every lookup event queued before the call is
 * committed, so that a read of the reuse statistics or of the audit trail
 * sees every lookup answered before it (read-your-writes).
 */
static void evq_sync(server *s)
{
	uint64_t target;

	if (!s->q.started)
		return;
	pthread_mutex_lock(&s->q.mu);
	target = s->q.pushed;
	if (s->q.settled < target) {
		s->q.flush = 1;
		pthread_cond_signal(&s->q.more);
		/* Not while a batch cannot be committed: /metrics and the
		 * statistics answer what is committed (no wait for the disk). */
		while (s->q.settled < target && !s->q.stop &&
		       !__atomic_load_n(&s->q.failing, __ATOMIC_RELAXED))
			pthread_cond_wait(&s->q.done, &s->q.mu);
	}
	pthread_mutex_unlock(&s->q.mu);
}

/* Write the buffered request log (log_mu held). */
static void log_flush_locked(server *s)
{
	if (s->log != NULL && s->logbuf.len > 0) {
		fwrite(s->logbuf.data, 1, s->logbuf.len, s->log);
		fflush(s->log);
	}
	kho_buf_reset(&s->logbuf);
	s->log_last = now_mono();
}

static void log_flush(server *s)
{
	pthread_mutex_lock(&s->log_mu);
	log_flush_locked(s);
	pthread_mutex_unlock(&s->log_mu);
}

/* One line "TIME LEVEL: WHAT: DETAIL" in the log, written out at once: a
 * storage fault the client is told of only as 503 (no server paths in
 * answers). */
static void log_line(server *s, const char *level, const char *what, const char *detail)
{
	char t[32];

	pthread_mutex_lock(&s->log_mu);
	if (s->log != NULL)
		kho_buf_appendf(&s->logbuf, "%s %s: %s: %s\n", kho_time_format(t, sizeof t, kho_now()),
		                level, what, detail);
	log_flush_locked(s);
	pthread_mutex_unlock(&s->log_mu);
}

static void log_error(server *s, const char *what, const char *detail)
{
	log_line(s, "error", what, detail);
}

/*
 * Every audit_head_interval seconds (and at stop: force), the head of the
 * audit trail as one log line "TIME audit head SEQ HASH TIME", when it
 * moved since the last such line. The log leaves the machine (journald, a
 * log server) where the operator of the catalog cannot rewrite it, so its
 * heads are witnesses for `kho audit verify --witness` (docs/operations.md):
 * a trail cut back or rewritten behind such a line no longer verifies.
 * On the event writer's thread, which owns the writer connection's time.
 */
static void head_tick(server *s, int force)
{
	unsigned every = s->cfg->audit_head_interval;
	audit_mark h;
	char t1[32], t2[32];
	kho_err err;

	if (every == 0 || s->log == NULL || (!force && s->head_last > 0 &&
	                                     now_mono() - s->head_last < (double)every))
		return;
	s->head_last = now_mono();
	if (audit_head(s->ing->cat, &h, &err) != 0 || h.seq == 0 || h.seq == s->head_seq)
		return;
	s->head_seq = h.seq;
	pthread_mutex_lock(&s->log_mu);
	kho_buf_appendf(&s->logbuf, "%s audit head %lld %s %s\n",
	                kho_time_format(t1, sizeof t1, kho_now()), (long long)h.seq, h.hash,
	                kho_time_format(t2, sizeof t2, (time_t)h.at));
	log_flush_locked(s);
	pthread_mutex_unlock(&s->log_mu);
}

/*
 * The writer: every EVQ_FLUSH_MS (sooner for a full batch or an evq_sync)
 * commit what is queued, in batches of EVQ_BATCH; also writes out the
 * request log, so no line waits longer than that. At stop, drain first.
 */
static void *evq_main(void *arg)
{
	server *s = arg;
	catalog_lookup_event *batch = malloc(EVQ_BATCH * sizeof *batch);
	kho_err err;

	if (batch == NULL)
		return NULL;
	pthread_mutex_lock(&s->q.mu);
	for (;;) {
		struct timespec until;
		size_t n, tries;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += EVQ_FLUSH_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!s->q.stop && !s->q.flush && s->q.n < EVQ_BATCH)
			if (pthread_cond_timedwait(&s->q.more, &s->q.mu, &until) == ETIMEDOUT)
				break;
		s->q.flush = 0;
		if (s->q.n == 0) {
			int stopping = s->q.stop;
			pthread_mutex_unlock(&s->q.mu);
			log_flush(s);
			head_tick(s, stopping);
			/* a destruction's WAL truncation kept busy (retention) */
			if (s->rs != NULL)
				rstore_wal_retry(s->rs);
			pthread_mutex_lock(&s->q.mu);
			if (s->q.stop && s->q.n == 0)
				break;
			continue;
		}
		n = s->q.n < EVQ_BATCH ? s->q.n : EVQ_BATCH;
		memcpy(batch, s->q.ev, n * sizeof *batch);
		memmove(s->q.ev, s->q.ev + n, (s->q.n - n) * sizeof *batch);
		s->q.n -= n;
		pthread_cond_broadcast(&s->q.space);
		if (s->q.n > 0)
			s->q.flush = 1;   /* more than a batch was waiting: go on at once */
		pthread_mutex_unlock(&s->q.mu);
		for (tries = 0;; tries++) {
			int stopping;
			if (catalog_record_lookups(s->ing->cat, batch, n, &err) == 0)
				break;
			if (tries == 4)
				log_error(s, "lookup events", err.msg);
			pthread_mutex_lock(&s->q.mu);
			if (tries == 4) {
				__atomic_store_n(&s->q.failing, 1, __ATOMIC_RELAXED);
				pthread_cond_broadcast(&s->q.done);    /* evq_sync waits no more */
				pthread_cond_broadcast(&s->q.space);   /* nor does evq_push */
			}
			stopping = s->q.stop;
			pthread_mutex_unlock(&s->q.mu);
			if (stopping && tries >= 4)
				break;   /* stopping: given up, said in the log */
			usleep(tries < 4 ? 100000 : 1000000);
		}
		pthread_mutex_lock(&s->log_mu);
		if (__atomic_load_n(&s->q.failing, __ATOMIC_RELAXED) && s->log != NULL)
			kho_buf_appendf(&s->logbuf, "lookup events: %zu %s\n", n,
			                s->q.stop ? "could not be recorded before the stop"
			                          : "recorded after a storage fault; lookups answered again");
		log_flush_locked(s);
		pthread_mutex_unlock(&s->log_mu);
		head_tick(s, 0);
		pthread_mutex_lock(&s->q.mu);
		if (s->q.stop && __atomic_load_n(&s->q.failing, __ATOMIC_RELAXED))
			s->q.lost += n;
		else
			__atomic_store_n(&s->q.failing, 0, __ATOMIC_RELAXED);
		s->q.settled += n;
		pthread_cond_broadcast(&s->q.done);
	}
	pthread_cond_broadcast(&s->q.done);
	pthread_mutex_unlock(&s->q.mu);
	free(batch);
	return NULL;
}

static int authorize(struct req *q, struct MHD_Connection *c, catalog *r);

static const char *const lookup_keys[] = { "subject", "type", "procedure", "agency", "valid_on",
                                            "purpose" };

#define NLOOKUP_KEYS (sizeof lookup_keys / sizeof *lookup_keys)

/* The query parameters a route takes, counted (count_key): a repeated or
 * unknown one is refused (query_check). */
struct query_count {
	const char *const *keys;
	size_t n;
	int seen[8];             /* per key; seen[n]: names the route does not take */
};

static enum MHD_Result count_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct query_count *qc = cls;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; key != NULL && i < qc->n && strcmp(key, qc->keys[i]) != 0; i++)
		;
	qc->seen[i]++;
	return MHD_YES;
}

/*
 * query_check: NULL, or what is wrong with the query (400): MHD answers the
 * first of repeated parameters, so which one was meant would be a guess; an
 * unknown name is refused, not ignored, since a mistyped filter
 * ("procedrue=", "vaild_on=") would change the answer unseen. The unknown
 * name is not echoed (it could be a personal number written without
 * "subject="). takes: the words for the refusal.
 */
static const char *query_check(struct MHD_Connection *c, const char *const *keys, size_t n,
                               const char *takes)
{
	static __thread char msg[160];
	struct query_count qc = { keys, n, { 0 } };
	size_t i;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_key, &qc);
	if (qc.seen[n] > 0) {
		snprintf(msg, sizeof msg, "an unknown parameter was given: %s", takes);
		return msg;
	}
	for (i = 0; i < n; i++)
		if (qc.seen[i] > 1) {
			snprintf(msg, sizeof msg, "%s is given more than once", keys[i]);
			return msg;
		}
	return NULL;
}

/* The lookup's parameters into cq and *subject; NULL or what is wrong (400). */
static const char *lookup_params(struct MHD_Connection *c, catalog_query *cq,
                                 const char **subject)
{
	const char *bad = query_check(c, lookup_keys, NLOOKUP_KEYS, "the lookup takes subject,"
	                              " purpose, type, procedure, agency and valid_on");

	if (bad != NULL)
		return bad;
	memset(cq, 0, sizeof *cq);
	*subject = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "subject");
	cq->type = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "type");
	cq->procedure = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "procedure");
	cq->agency = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "agency");
	cq->valid_on = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "valid_on");
	cq->purpose = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "purpose");
	/* Never echo the subject: it is a personal number. */
	if (*subject == NULL ||
	    (!record_is_personal_number(*subject) && !record_is_enterprise_code(*subject)))
		return "subject must be a 12-digit personal number or an enterprise code";
	if (cq->purpose == NULL || !record_is_dossier_code(cq->purpose))
		return "purpose (the new dossier's code) is required and must be a dossier code";
	if (cq->valid_on != NULL && !http_is_date(cq->valid_on))
		return "valid_on must be a date YYYY-MM-DD";
	if (cq->procedure != NULL && !record_is_procedure_code(cq->procedure))
		return "procedure must be a national procedure code (d.dddddd)";
	if (cq->agency != NULL && !record_is_agency_code(cq->agency))
		return "agency must be an agency code (ddd.dd.dd.Ldd)";
	/* found by review: "type=Certified" answered "found 0", and the
	 * citizen was asked for the paper again */
	if (cq->type != NULL && !record_is_result_type(cq->type))
		return "type must be a result type such as certified-copy (lower-case words joined"
		       " by -)";
	return NULL;
}

/* The retention parts of a lookup answer written as text (catalog_lookup_write). */
struct lookup_extra {
	catalog *rd;
	const catalog_query *cq;
	int destroyed, transferred;
};

/* A value of a jansson tree appended as json_dumps writes it. */
static int append_dump(kho_buf *b, const json_t *v, kho_err *err)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int rc = t != NULL ? kho_buf_append(b, t, strlen(t)) : KHO_ENOMEM;

	free(t);
	return rc != 0 ? kho_err_set(err, KHO_ENOMEM, "out of memory") : 0;
}

/* Issue 4 item 8: a transferred record says where it is now ("custody"). */
static int lookup_custody(void *arg, const char *code, kho_buf *out, kho_err *err)
{
	struct lookup_extra *x = arg;
	json_t *e = json_pack("{s:s}", "result_code", code);
	int rc;

	if (e == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	rc = rstore_custody_annotate(x->rd, e, err);
	if (rc > 0) {
		x->transferred++;
		if (kho_buf_append(out, ",\"custody\":", 11) != 0 ||
		    append_dump(out, json_object_get(e, "custody"), err) != 0)
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
	}
	json_decref(e);
	return rc < 0 ? rc : 0;
}

/* Issue 4 item 9: the subject's destroyed records, as tombstone entries
 * under the same filters (rstore_lookup_tombstones; two index probes, one
 * for the first subjects and one for the further ones). */
static int lookup_tombstones(void *arg, kho_buf *out, int had_entries, kho_err *err)
{
	struct lookup_extra *x = arg;
	json_t *a = json_pack("{s:[]}", "results"), *e;
	size_t i;
	int n;

	if (a == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	n = rstore_lookup_tombstones(x->rd, x->cq, a, err);
	json_array_foreach(json_object_get(a, "results"), i, e) {
		if (n < 0)
			break;
		if ((had_entries || i > 0) && kho_buf_append(out, ",", 1) != 0)
			n = kho_err_set(err, KHO_ENOMEM, "out of memory");
		else if (append_dump(out, e, err) != 0)
			n = KHO_ENOMEM;
	}
	json_decref(a);
	if (n >= 0)
		x->destroyed = n;
	return n;
}

static int lookup_tail(void *arg, kho_buf *out, kho_err *err)
{
	struct lookup_extra *x = arg;

	return kho_buf_appendf(out, ",\"destroyed\":%d,\"transferred\":%d", x->destroyed,
	                       x->transferred) != 0 ? kho_err_set(err, KHO_ENOMEM, "out of memory")
	                                            : 0;
}

/* The answer as a jansson tree (a catalog text that is not valid UTF-8). */
static int lookup_tree(struct req *q, catalog *rd, const catalog_query *cq, kho_buf *out,
                       catalog_lookup_event *ev, kho_err *err)
{
	json_t *j = NULL;
	int rc = catalog_lookup_read(rd, cq, actor_of(q), q->who.agency, &j, ev, err);

	if (rc == 0 && q->s->rs != NULL && rstore_lookup_tombstones(rd, cq, j, err) < 0)
		rc = KHO_EIO;
	if (rc == 0 && q->s->rs != NULL && rstore_lookup_custody(rd, j, err) < 0)
		rc = KHO_EIO;
	if (rc == 0)
		rc = append_dump(out, j, err);
	json_decref(j);
	return rc;
}

/*
 * GET /v1/lookup. The token check, the lookup, the tombstone probe and the
 * custody probe read in one read transaction on this thread's reader
 * connection: one snapshot, one WAL read lock (they were four read
 * transactions, each taking and dropping the locks). The token is read in
 * that transaction, so a token revoked by another process before it began
 * is refused. The answer is written as text (catalog_lookup_write), the
 * bytes the jansson tree of catalog_lookup_read gave, without the tree.
 */
static enum MHD_Result h_lookup(struct req *q, struct MHD_Connection *c)
{
	catalog *rd = pick_reader(q->s);
	catalog_lookup_event ev;
	const char *subject, *bad;
	catalog_query cq;
	catalog_lookup_hooks hooks;
	struct lookup_extra x;
	struct MHD_Response *r;
	struct timespec t0;
	kho_buf out;
	kho_err err;
	int rc;

	if (catalog_read_begin(rd, &err) != 0)
		return send_error(q, c, 500, "%s", err.msg);
	if (authorize(q, c, rd) != 0) {
		catalog_read_end(rd);
		return send_error(q, c, q->deny, "%s", q->deny_msg);
	}
	if (__atomic_load_n(&q->s->q.failing, __ATOMIC_RELAXED)) {
		catalog_read_end(rd);
		q->retry_after = STORAGE_RETRY_AFTER;
		return send_error(q, c, 503, "%s", LOOKUP_FAULT_MSG);
	}
	if ((bad = lookup_params(c, &cq, &subject)) != NULL) {
		catalog_read_end(rd);
		return send_error(q, c, 400, "%s", bad);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ingest_subject_mac(q->s->ing, subject, cq.subject_mac) != 0) {
		catalog_read_end(rd);
		return send_error(q, c, 500, "HMAC failed");
	}
	memset(&x, 0, sizeof x);
	x.rd = rd;
	x.cq = &cq;
	hooks.entry = lookup_custody;
	hooks.more = lookup_tombstones;
	hooks.tail = lookup_tail;
	hooks.arg = &x;
	kho_buf_init(&out, (size_t)64 << 20);
	kho_buf_reserve(&out, 2048);
	rc = catalog_lookup_write(rd, &cq, actor_of(q), q->who.agency,
	                          q->s->rs != NULL ? &hooks : NULL, &out, &ev, &err);
	if (rc == KHO_EFORMAT) {
		kho_buf_reset(&out);
		memset(&ev, 0, sizeof ev);
		rc = lookup_tree(q, rd, &cq, &out, &ev, &err);
	}
	catalog_read_end(rd);
	/* the catalog was read: its reuse and audit events */
	if (ev.at != 0 && evq_push(q->s, &ev) != 0) {
		kho_buf_release(&out);
		q->retry_after = STORAGE_RETRY_AFTER;
		return send_error(q, c, 503, "%s", LOOKUP_FAULT_MSG);
	}
	pthread_mutex_lock(&q->s->m.mu);
	hist_add(&q->s->m.lookup, since(&t0));
	pthread_mutex_unlock(&q->s->m.mu);
	if (rc != 0) {
		kho_buf_release(&out);
		return send_error(q, c, rc == KHO_EINVAL ? 400 : 500, "%s", err.msg);
	}
	r = MHD_create_response_from_buffer(out.len, out.data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		kho_buf_release(&out);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	return queue(q, c, 200, r);
}

static enum MHD_Result h_stats(struct req *q, struct MHD_Connection *c)
{
	json_t *j = NULL;
	kho_err err;

	/* found by review: "?month=2026-12" answered every month, unseen */
	const char *bad = query_check(c, NULL, 0, "the reuse statistics take no parameter");

	if (bad != NULL)
		return send_error(q, c, 400, "%s", bad);
	evq_sync(q->s);   /* every lookup answered before this one counts */
	if (catalog_reuse_stats(q->s->ing->cat, &j, &err) != 0)
		return send_error(q, c, 500, "%s", err.msg);
	return send_json(q, c, 200, j);
}

static enum MHD_Result h_audit(struct req *q, struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	uint64_t after = 0, limit = 100;
	audit_mark head;
	char tbuf[32];
	json_t *j = NULL;
	kho_err err;
	static const char *const keys[] = { "after", "limit" };
	const char *bad = query_check(c, keys, 2, "the audit trail takes after and limit");

	if (bad != NULL)   /* "?afer=500" read from the start, unseen (found by review) */
		return send_error(q, c, 400, "%s", bad);
	if (a != NULL && kho_parse_uint(&after, a, 0, INT64_MAX) != 0)
		return send_error(q, c, 400, "after must be a non-negative integer");
	if (l != NULL && kho_parse_uint(&limit, l, 1, 1000) != 0)
		return send_error(q, c, 400, "limit must be 1..1000");
	evq_sync(q->s);   /* the lookups answered before this request are in the trail */
	if (audit_list_json(q->s->ing->cat, (int64_t)after, (int)limit, &j, &err) != 0)
		return send_error(q, c, 500, "%s", err.msg);
	/* The head, for a witness to record (`kho audit head`, docs/operations.md). */
	if (audit_head(q->s->ing->cat, &head, &err) != 0) {
		json_decref(j);
		return send_error(q, c, 500, "%s", err.msg);
	}
	return send_json(q, c, 200, json_pack("{s:o,s:{s:I,s:s,s:s}}", "events", j, "head",
	                                      "seq", (json_int_t)head.seq, "hash", head.hash,
	                                      "at", head.seq ? kho_time_format(tbuf, sizeof tbuf,
	                                                                       (time_t)head.at)
	                                                     : ""));
}

/* ---- public verification (issue 5, docs/verify-page.md) --------------- */

/* A package id (64 lower-case hex digits) as 32 bytes; 0 or KHO_EFORMAT. */
static int id_bytes(unsigned char out[32], const char *hex)
{
	size_t i;
	int hi, lo;

	if (strlen(hex) != 64)
		return KHO_EFORMAT;
	for (i = 0; i < 32; i++) {
		hi = hex[2 * i] >= 'a' ? hex[2 * i] - 'a' + 10 : hex[2 * i] - '0';
		lo = hex[2 * i + 1] >= 'a' ? hex[2 * i + 1] - 'a' + 10 : hex[2 * i + 1] - '0';
		if (hi < 0 || hi > 15 || lo < 0 || lo > 15)
			return KHO_EFORMAT;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * The archive as the webverify module sees it (webverify_archive). Every
 * callback goes through the catalog's mutex-serialised connection, so they
 * are safe from the daemon's threads.
 */
static int wv_key_hash(void *arg, const char *code, unsigned char hash[32], kho_err *err)
{
	server *s = arg;
	unsigned char th[32];
	int rc, trc;

	/* A destroyed record keeps its key hash in its tombstone (issue 4 item
	 * 9). Both are always asked, so that a live code, a destroyed one and
	 * an unknown one cost the same two lookups (docs/verify-page.md). */
	rc = catalog_verify_key(s->ing->cat, code, hash, NULL, err);
	trc = s->rs != NULL ? rstore_tombstone_key_hash(s->ing->cat, code, th, NULL) : KHO_ENOTFOUND;
	if (rc == KHO_ENOTFOUND && trc == 0) {
		memcpy(hash, th, 32);
		rc = 0;
	}
	OPENSSL_cleanse(th, sizeof th);
	return rc;
}

/* What remains of a destroyed record, for the public page (webverify.h). */
static int wv_tombstone(void *arg, const char *code, const unsigned char sha[32],
                        webverify_tombstone *out, kho_err *err)
{
	server *s = arg;
	json_t *t = NULL;
	char hex[65];
	int rc;

	if (s->rs == NULL)
		return kho_err_set(err, KHO_ENOTFOUND, "no retention state");
	if (code != NULL)
		rc = rstore_tombstone_json(s->rs, code, &t, err);
	else
		rc = rstore_tombstone_by_package(s->ing->cat, kho_hex(hex, sha, 32), &t, err);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->code, sizeof out->code, "%s",
	         json_string_value(json_object_get(t, "result_code")));
	snprintf(out->destroyed_on, sizeof out->destroyed_on, "%s",
	         json_string_value(json_object_get(t, "destroyed_on")));
	snprintf(out->decision, sizeof out->decision, "%s",
	         json_string_value(json_object_get(t, "decision")));
	snprintf(out->decision_date, sizeof out->decision_date, "%s",
	         json_string_value(json_object_get(t, "decision_date")));
	out->batch = (long long)json_integer_value(json_object_get(t, "batch"));
	json_decref(t);
	return 0;
}

/* For the start-up recovery (before start_retention: the ret_ tables of
 * an archive that ever destroyed anything exist; without them, no
 * tombstone, no destruction): a package under a destruction's tombstone. */
static int package_destroyed(const char *id, void *arg)
{
	server *s = arg;
	json_t *t = NULL;
	int rc = rstore_tombstone_by_package(s->ing->cat, id, &t, NULL);

	json_decref(t);
	return rc == 0;
}

static int wv_report(void *arg, const char *code, verify_report **out, unsigned char id[32],
                     kho_err *err)
{
	server *s = arg;
	catalog_package p;
	char tmp[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = catalog_result_package(s->ing->cat, code, &p, err)) != 0)
		return rc;
	/* A destroyed key is KHO_ENOTFOUND from ingest_reverify: the page then
	 * says the archive no longer holds the package. */
	rc = ingest_reverify(s->ing, &p, tmp, sizeof tmp, out, err);
	if (tmp[0] != '\0')
		unlink(tmp);
	if (rc == KHO_EIO || rc == KHO_ENOMEM) {
		/* A storage fault, not the package's: the page says it cannot
		 * check now (500), the log says why, no alert (found by review). */
		log_error(s, "public verification", err != NULL ? err->msg : "");
		return rc;
	}
	if (rc == KHO_ENOTFOUND && !p.has_key && key_gone_alert(s, "anonymous", &p, 500))
		/* not "no longer held" but an integrity alert, as for GET /v1/packages */
		return kho_err_set(err, KHO_EIO, "the package's key is missing");
	if (rc != 0) {
		if (rc != KHO_ENOTFOUND || p.has_key) {
			char d[600];
			snprintf(d, sizeof d, "public verification: stored package fails its integrity"
			                      " check: %.500s", err != NULL ? err->msg : "");
			audit(s, "anonymous", "alert", p.id, 500, d);
		}
		return rc;
	}
	if (id_bytes(id, p.id) != 0) {
		verify_report_free(*out);
		*out = NULL;
		return kho_err_set(err, KHO_EINTERNAL, "bad package id in the catalog");
	}
	return 0;
}

static int wv_by_object(void *arg, const unsigned char sha[32], char code[WEBVERIFY_CODE_MAX],
                        kho_err *err)
{
	server *s = arg;
	int rc = catalog_code_by_object(s->ing->cat, sha, code, err);

	/* A file of a destroyed record: its code, whose tombstone the page
	 * then shows (archived_statement). */
	if (rc == KHO_ENOTFOUND && s->rs != NULL)
		rc = rstore_tombstone_by_object(s->ing->cat, sha, code, err);
	return rc;
}

static int wv_status(void *arg, const char *code, char status[WEBVERIFY_STATUS_MAX],
                     unsigned char id[32], kho_err *err)
{
	server *s = arg;
	char pid[65];
	int rc;

	if ((rc = catalog_result_status(s->ing->cat, code, status, pid, err)) != 0)
		return rc;
	if (id_bytes(id, pid) != 0)
		memset(id, 0, 32);
	return 0;
}

static int wv_renewed(void *arg, const char *code, const unsigned char id[32])
{
	server *s = arg;
	catalog_package p;
	char hex[65];

	kho_hex(hex, id, 32);
	return catalog_get_package(s->ing->cat, hex, &p, NULL) == 0 &&
	       strcmp(p.state, "renewed") == 0 && strcmp(p.result_code, code) == 0;
}

/* An uploaded package unzipped and zipped again: are its files exactly
 * those of the result's current package (catalog_same_package)? */
static int wv_same_files(void *arg, const char *code, const webverify_object *objs, size_t n)
{
	server *s = arg;
	catalog_object *co;
	catalog_pkg_brief have;
	size_t i;
	int same;

	if (n == 0 || n > WEBVERIFY_OBJECTS_MAX || (co = calloc(n, sizeof *co)) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		co[i].name = objs[i].name;
		memcpy(co[i].sha256, objs[i].sha256, 32);
	}
	same = catalog_same_package(s->ing->cat, code, co, n, &have, NULL) == 0;
	free(co);
	return same;
}

static void wv_audit(void *arg, const char *action, const char *object, int status,
                     const char *detail)
{
	audit(arg, "anonymous", action, object != NULL ? object : "-", status, detail);
}

/* GET /v1/results/{code}/qr: the QR code to print, for an officer of the result's agency. */
static enum MHD_Result h_result_qr(struct req *q, struct MHD_Connection *c)
{
	const char *fmt = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
	const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	const char *sc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "scale");
	char key[QR_KEY_TEXT_LEN + 1], url[1024], disp[200];
	catalog_package p;
	struct MHD_Response *r;
	unsigned char *data;
	unsigned long scale = 8;
	size_t len;
	kho_buf img;
	kho_err err;
	int rc, svg;

	if (fmt != NULL && strcmp(fmt, "svg") != 0 && strcmp(fmt, "png") != 0)
		return send_error(q, c, 400, "format must be png or svg");
	svg = fmt != NULL ? strcmp(fmt, "svg") == 0 : acc != NULL && strstr(acc, "image/svg+xml") != NULL;
	if (sc != NULL) {
		uint64_t v;
		if (kho_parse_uint(&v, sc, 1, QR_SCALE_MAX) != 0)
			return send_error(q, c, 400, "scale must be 1..%u", QR_SCALE_MAX);
		scale = (unsigned)v;
	}
	rc = catalog_result_package(q->s->ing->cat, q->m.arg, &p, &err);
	if (rc == KHO_ENOTFOUND)
		return send_error(q, c, 404, "no result %s", q->m.arg);
	if (rc != 0)
		return send_error(q, c, 500, "%s", err.msg);
	/* Officers act for one agency: the paper copy is that agency's to print. */
	if (q->who.agency[0] != '\0' && strcmp(q->who.agency, p.agency) != 0) {
		char d[200];
		snprintf(d, sizeof d, "an officer of %s cannot print the QR code of a result of %s",
		         q->who.agency, p.agency);
		audit(q->s, actor_of(q), "denied", q->m.arg, 403, d);
		return send_error(q, c, 403, "%s", d);
	}
	rc = ingest_qr_key(q->s->ing, q->m.arg, key, &err);
	if (rc == KHO_ENOTFOUND)
		return send_error(q, c, 404, "result %s has no verification key", q->m.arg);
	if (rc != 0)
		return send_error(q, c, 500, "%s", err.msg);
	kho_buf_init(&img, 16u << 20);
	rc = webverify_qr_url(url, sizeof url, q->s->public_url, q->m.arg, key);
	if (rc == 0)
		rc = svg ? qr_svg(&img, url, (unsigned)scale, &err) : qr_png(&img, url, (unsigned)scale, &err);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(url, sizeof url);
	data = rc == 0 ? kho_buf_steal(&img, &len) : NULL;
	kho_buf_free(&img);
	if (data == NULL)
		return send_error(q, c, 500, "cannot draw the QR code");
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", svg ? "image/svg+xml" : "image/png");
	snprintf(disp, sizeof disp, "inline; filename=\"%s.%s\"", q->m.arg, svg ? "svg" : "png");
	MHD_add_response_header(r, "Content-Disposition", disp);
	audit(q->s, actor_of(q), "qr", q->m.arg, 200, svg ? "format=svg" : "format=png");
	return queue(q, c, 200, r);
}

static const struct sealer *find_sealer(const server *s, const char *agency)
{
	size_t i;

	for (i = 0; i < s->nsealers; i++)
		if (strcmp(s->sealers[i].code, agency) == 0)
			return &s->sealers[i];
	return NULL;
}

static enum MHD_Result h_results_post(struct req *q, struct MHD_Connection *c)
{
	http_results_req b;
	seal_file files[HTTP_RESULTS_MAX_FILES];
	const struct sealer *sl;
	record *rec = NULL;
	seal_opts so;
	kho_buf out;
	kho_err err;
	char path[PATH_MAX];
	enum MHD_Result ok;
	size_t i;
	int rc, fd;

	if (http_parse_results_body(&b, q->buf.data ? q->buf.data : (const unsigned char *)"",
	                            q->buf.len, (size_t)q->s->cfg->max_json, &err) != 0) {
		http_results_req_free(&b);
		return send_error(q, c, 400, "%s", err.msg);
	}
	if (record_parse(&rec, b.record_xml.data ? b.record_xml.data : (const unsigned char *)"",
	                 b.record_xml.len, &err) != 0) {
		http_results_req_free(&b);
		return send_error(q, c, 400, "record_xml: %s", err.msg);
	}
	if (q->who.role == TOKEN_OFFICER && strcmp(q->who.agency, rec->agency_code) != 0) {
		char d[256];
		snprintf(d, sizeof d, "an officer of %s cannot seal a result of agency %s", q->who.agency,
		         rec->agency_code);
		record_free(rec);
		http_results_req_free(&b);
		audit(q->s, actor_of(q), "denied", "results_post", 403, d);
		return send_error(q, c, 403, "%s", d);
	}
	sl = find_sealer(q->s, rec->agency_code);
	if (sl == NULL) {
		ok = send_error(q, c, 422, "no signing key is configured for agency %s", rec->agency_code);
		record_free(rec);
		http_results_req_free(&b);
		return ok;
	}
	/* The same record and files again (a retry after a lost answer): the
	 * result already archived, 200 with its id, as POST /v1/packages
	 * answers the same bytes. Sealing again would make other bytes and a
	 * 409. Anything different goes on to be sealed and ingested. */
	{
		catalog_object objs[HTTP_RESULTS_MAX_FILES + 1];
		catalog_pkg_brief have;
		kho_err e2;
		for (i = 0; i < b.nfiles; i++) {
			objs[i].name = b.files[i].name;
			SHA256(b.files[i].data.data ? b.files[i].data.data : (const unsigned char *)"",
			       b.files[i].data.len, objs[i].sha256);
		}
		objs[i].name = "record.xml";
		SHA256(b.record_xml.data, b.record_xml.len, objs[i].sha256);
		/* The catalog keeps one object row per distinct content: with two
		 * files of the same bytes the comparison could not tell a retry
		 * from another request, so such a request is sealed (and then
		 * refused with 409 under an archived code). */
		int dup = 0;
		for (size_t a = 0; a < b.nfiles + 1 && !dup; a++)
			for (size_t z = a + 1; z < b.nfiles + 1 && !dup; z++)
				dup = memcmp(objs[a].sha256, objs[z].sha256, 32) == 0;
		if (!dup && catalog_same_package(pick_reader(q->s), rec->result_code, objs, b.nfiles + 1,
		                                 &have, &e2) == 0) {
			memset(&q->io, 0, sizeof q->io);
			q->io.res.http = 200;
			memcpy(q->io.res.id, have.id, sizeof have.id);
			snprintf(q->io.res.result_code, sizeof q->io.res.result_code, "%s", rec->result_code);
			memcpy(q->io.res.indication, have.indication, sizeof have.indication);
			memcpy(q->io.res.sub, have.sub, sizeof have.sub);
			q->io.res.marked = have.marked;
			record_free(rec);
			http_results_req_free(&b);
			return ingest_reply(q, c);
		}
	}
	record_free(rec);
	for (i = 0; i < b.nfiles; i++) {
		files[i].name = b.files[i].name;
		files[i].mime = b.files[i].mime;
		files[i].data = b.files[i].data.data ? b.files[i].data.data : (const unsigned char *)"";
		files[i].len = b.files[i].data.len;
	}
	memset(&so, 0, sizeof so);
	so.signer.key = sl->key;
	so.signer.cert = sl->cert;
	so.signer.chain = sl->chain;
	so.signer.pss = sl->pss;
	so.tsa = q->s->tsa;
	so.tsa_chain = q->s->tsa_chain;
	so.crls = q->s->ing->crls;
	kho_buf_init(&out, (size_t)q->s->cfg->max_upload);
	pthread_mutex_lock(&q->s->seal_mu);
	rc = seal_package(&out, files, b.nfiles, b.record_xml.data, b.record_xml.len, &so, &err);
	pthread_mutex_unlock(&q->s->seal_mu);
	http_results_req_free(&b);
	/* KHO_EEXIST: two file names equal in Unicode NFC (found by review:
	 * a 500) */
	if (rc == KHO_EFORMAT || rc == KHO_EUNSAFE || rc == KHO_EINVAL || rc == KHO_EEXIST) {
		kho_buf_free(&out);
		return send_error(q, c, 400, "cannot seal: %s", err.msg);
	}
	if (rc == KHO_ETOOBIG) {
		/* The files fit the request's cap, the package with its
		 * signature, chains and CRLs does not fit max_upload. */
		kho_buf_free(&out);
		return send_error(q, c, 413, "the sealed package would exceed max_upload (%llu bytes)",
		                  (unsigned long long)q->s->cfg->max_upload);
	}
	if (rc != 0) {
		kho_buf_free(&out);
		return send_error(q, c, 500, "cannot seal: %s", err.msg);
	}
	path[0] = '\0';
	rc = store_tmp_create(q->s->ing->st, path, sizeof path, &fd, &err);
	if (rc == 0) {
		const unsigned char *p = out.data;
		size_t left = out.len;
		while (left > 0) {
			ssize_t w = write(fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = KHO_EIO;
				break;
			}
			p += w;
			left -= (size_t)w;
		}
		close(fd);
	}
	kho_buf_free(&out);
	if (rc != 0) {
		if (path[0])
			unlink(path);
		return send_error(q, c, 500, "cannot write the sealed package");
	}
	ok = ingest_answer(q, c, path, NULL);
	unlink(path);
	return ok;
}

/* ---- request plumbing --------------------------------------------- */

struct framing {
	int content_length;
	int transfer_encoding;
	int te_other;              /* a Transfer-Encoding other than "chunked" */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct framing *f = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, "Content-Length") == 0)
		f->content_length++;
	else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		f->transfer_encoding++;
		f->te_other |= value == NULL || strcasecmp(value, "chunked") != 0;
	}
	return MHD_YES;
}

/*
 * Control characters in a URL. MHD decodes the path and the arguments
 * before kho sees them; a decoded %00 would cut a C string there (a
 * request for "/v1/packages/ID%00/report" was served as
 * "/v1/packages/ID", "subject=NUMBER%00..." read as NUMBER), so the
 * decoder below turns it into DEL (0x7f) first, and any byte below 0x20 or
 * DEL in the path or an argument is refused (400): no identifier, code,
 * date or flag of the API holds one, and the request log line stays one
 * line.
 */
static size_t unescape_url(void *cls, struct MHD_Connection *c, char *s)
{
	size_t i, n = MHD_http_unescape(s);

	(void)cls;
	(void)c;
	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = 0x7f;
	return n;
}

static int has_ctl(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static enum MHD_Result arg_ctl(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	(void)kind;
	if (has_ctl(key) || has_ctl(value)) {
		*(int *)cls = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/* bucket_take: one request from the bucket of id in table (burst tokens,
 * refilled at rate a second): 0 if allowed, 1 if over the limit. */
static int bucket_take(server *s, struct bucket *table, int64_t id, double burst, double rate,
                       int share)
{
	struct bucket *b;
	double t = now_mono();
	int limited = 0;

	pthread_mutex_lock(&s->rate_mu);
	b = &table[(uint64_t)id % NBUCKETS];
	/* share: keys of one slot share its bucket (a limit that two
	 * alternating colliding keys must not reset each other out of; found
	 * by review); else a new key starts full. */
	if ((b->id != id && !share) || b->last == 0) {
		b->id = id;
		b->tokens = burst;
		b->last = t;
	}
	b->tokens = fmin(burst, b->tokens + (t - b->last) * rate);
	b->last = t;
	if (b->tokens < 1)
		limited = 1;
	else
		b->tokens -= 1;
	pthread_mutex_unlock(&s->rate_mu);
	return limited;
}

/* Token bucket per token: 0 if allowed, 1 if over the limit. */
static int rate_limited(server *s, int64_t id)
{
	const config *cfg = s->cfg;

	if (cfg->rate_per_second == 0)
		return 0;
	return bucket_take(s, s->buckets, id,
	                   cfg->rate_burst ? cfg->rate_burst : 2.0 * cfg->rate_per_second,
	                   cfg->rate_per_second, 0);
}

/*
 * Requests with a missing or invalid token, per client address: each is a
 * 401 and an audit event, and the trail is append-only, so a client
 * sending bad tokens as fast as it can grew it without bound (found by
 * review: 530 events a second from one client). Beyond DENIED_BURST at
 * DENIED_PER_SECOND, such a request is answered 429 and not audited (the
 * request log still has its line). 0 if it may be answered 401.
 */
#define DENIED_BURST 60.0
#define DENIED_PER_SECOND 1.0
static int denial_flood(server *s, const char *client)
{
	/* Salted, an IPv6 client by its /64, as the public page's limit
	 * (found by review, 2026-12-08: keyed by the full address, a client
	 * rotating addresses in its /64 had a bucket per address). */
	uint64_t h = webverify_client_key(s->client_salt, client);

	return bucket_take(s, s->denied, (int64_t)(h >> 1), DENIED_BURST, DENIED_PER_SECOND, 1);
}


#define RETENTION_SCHEDULE_MAX (2u * 1024 * 1024)   /* PUT /v1/schedules (docs/retention.md) */

/*
 * Rebuild the query string "k=v&k=v" for rapi_request.query from MHD's
 * decoded arguments, with '%', '&', '=' and space encoded again: a decoded
 * "%26confirm_shorten%3D1" must not come back as a flag of its own. A query
 * that does not fit is refused (q->query_long, 400), not cut.
 */
static int query_put(char *out, size_t cap, size_t *n, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		int enc = *s == '%' || *s == '&' || *s == '=' || *s == ' ';
		if (*n + (enc ? 3 : 1) >= cap)
			return -1;
		if (enc) {
			snprintf(out + *n, 4, "%%%02X", (unsigned char)*s);
			*n += 3;
		} else {
			out[(*n)++] = *s;
		}
	}
	out[*n] = '\0';
	return 0;
}

static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct req *q = cls;
	size_t n = strlen(q->query);

	(void)kind;
	if (key == NULL)
		return MHD_YES;
	if (n > 0 && n + 1 < sizeof q->query)
		q->query[n++] = '&';
	if (query_put(q->query, sizeof q->query, &n, key) == 0 && n + 1 < sizeof q->query) {
		q->query[n++] = '=';
		q->query[n] = '\0';
		if (query_put(q->query, sizeof q->query, &n, value) == 0)
			return MHD_YES;
	}
	q->query_long = 1;
	return MHD_NO;
}

static void deny(struct req *q, int status, const char *msg)
{
	q->deny = status;
	snprintf(q->deny_msg, sizeof q->deny_msg, "%s", msg);
}

/* An upload refused for a storage fault: 503 with Retry-After, the fault
 * (detail, with its paths) in the log only. */
static void deny_storage(struct req *q, const char *detail)
{
	log_error(q->s, "upload", detail);
	deny(q, 503, STORAGE_FAULT_MSG);
	q->retry_after = STORAGE_RETRY_AFTER;
}

/* The refusal of a request without a valid token: 401, audited; or 429,
 * not audited, for an address past its share of them (denial_flood). */
static void deny_token(struct req *q, struct MHD_Connection *c, const char *h,
                       const char *object)
{
	char who[64];

	/* The client behind a trusted proxy (found by review: every client
	 * of the proxy shared one bucket); and a revoked token's use is
	 * always audited, flood or not (an ex-employee's attempt must not
	 * hide behind another client's flood). */
	if (q->s->wv != NULL)
		webverify_client(q->s->wv, q->client,
		                 MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For"), who,
		                 sizeof who);
	else
		snprintf(who, sizeof who, "%s", q->client);
	if (denial_flood(q->s, who) && !q->who.revoked) {
		deny(q, 429, "too many requests without a valid token from this address: try again"
		             " later");
		q->retry_after = (unsigned)(1.0 / DENIED_PER_SECOND);
		return;
	}
	/* The same answer for all; the trail tells a revoked token's use. */
	deny(q, 401, h == NULL ? "a bearer token is required" : "invalid token");
	if (q->who.revoked) {
		char d[TOKEN_NAME_MAX + 40];
		snprintf(d, sizeof d, "revoked token %s", q->who.name);
		audit(q->s, "anonymous", "denied", object, 401, d);
	} else {
		audit(q->s, "anonymous", "denied", object, 401, h == NULL ? "no token" : "invalid token");
	}
}

/*
 * The memory budget of the request bodies held in memory (config
 * max_body_memory), shared by every connection: JSON bodies and the public
 * page's uploads (those at most half of it, or one upload's worth if that
 * is more, so the rest stays for the token holders' requests). POST
 * /v1/results counts three times its body, since its
 * decoded files and the sealed package are held too. A request reserves
 * before it holds: its Content-Length when it starts, or its bytes as they
 * arrive (chunked). One body never reserves more than the whole budget
 * (config_load checks that the largest allowed body fits). 0 if there is
 * no room now: the caller answers 503 with Retry-After (busy), and the
 * request's reservation is given back when it completes (on_completed).
 */
static int body_mem_take(struct req *q, uint64_t body_bytes)
{
	size_t cap = (size_t)q->s->cfg->max_body_memory, need;
	uint64_t w = q->m.route == HTTP_R_RESULTS_POST ? 3 : 1;

	need = body_bytes > cap / w ? cap : (size_t)(body_bytes * w);
	if (need <= q->held)
		return 1;
	if (q->wvm != NULL) {
		/* Half the budget for the public, at least one upload's worth. */
		size_t pcap = cap / 2 > (size_t)q->s->cfg->verify_max_upload
		                  ? cap / 2 : (size_t)q->s->cfg->verify_max_upload;
		if (!budget_take(&q->s->public_mem, pcap, need - q->held))
			return 0;
		if (!budget_take(&q->s->body_mem, cap, need - q->held)) {
			atomic_fetch_sub(&q->s->public_mem, need - q->held);
			return 0;
		}
	} else if (!budget_take(&q->s->body_mem, cap, need - q->held)) {
		return 0;
	}
	q->held = need;
	return 1;
}

static void busy(struct req *q)
{
	deny(q, 503, "the server holds as many request bodies in memory as it may "
	             "(max_body_memory): try again in a few seconds");
	q->retry_after = BODY_RETRY_AFTER;
}

/* A JSON body of at most cap bytes, with the Content-Length cl (NULL:
 * chunked): refused at once if announced larger (413) or if the memory
 * for it is not there (503), else collected into q->buf by consume. */
static void json_body_begin(struct req *q, const char *cl, size_t cap)
{
	if (cl != NULL && strtoull(cl, NULL, 10) > cap) {
		deny(q, 413, "the body is larger than its limit");
		return;
	}
	if (cl != NULL && !body_mem_take(q, strtoull(cl, NULL, 10))) {
		busy(q);
		return;
	}
	q->body = HTTP_BODY_JSON;
	kho_buf_init(&q->buf, cap);
}

/*
 * The token check of a route with roles, on reader connection r: 0 if the
 * request may go on; else the refusal (401, 403, 429) is set with deny and
 * audited, and 1 is returned.
 */
static int authorize(struct req *q, struct MHD_Connection *c, catalog *r)
{
	int roles = http_route_roles(q->m.route);
	char tok[TOKEN_LEN + 1];
	const char *h;

	if (roles == 0)
		return 0;
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (http_bearer(h, tok) != 0 || token_check(r, tok, &q->who, NULL) != 0) {
		deny_token(q, c, h, http_route_name(q->m.route));
		return 1;
	}
	q->authed = 1;
	/* The rate limit first: every 403 is audited, and the trail must not
	 * grow without bound under one token's flood of refused requests
	 * (found by review: 200 requests, 200 events, no 429). */
	if (rate_limited(q->s, q->who.id)) {
		deny(q, 429, "rate limit exceeded");
		q->retry_after = 1;   /* a token comes back within 1 / rate_per_second <= 1 s */
		return 1;
	}
	if ((roles & (int)q->who.role) == 0) {
		char d[160];
		snprintf(d, sizeof d, "role %s may not use %s", token_role_name(q->who.role),
		         http_route_name(q->m.route));
		deny(q, 403, d);
		audit(q->s, q->who.name, "denied", http_route_name(q->m.route), 403, d);
		return 1;
	}
	return 0;
}

static struct req *req_new(server *s, struct MHD_Connection *c, const char *url,
                           const char *method)
{
	const union MHD_ConnectionInfo *ci;
	struct framing f = { 0, 0, 0 };
	struct req *q = calloc(1, sizeof *q);
	const char *cl;
	int rc;

	if (q == NULL)
		return NULL;
	q->s = s;
	q->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &q->t0);
	snprintf(q->method, sizeof q->method, "%s", method);
	/* url is the path without the query string: no personal number is
	 * logged; as text of one line (control bytes and bytes that are not
	 * UTF-8 as '?'), since a path may quote anything. */
	if ((size_t)snprintf(q->path, sizeof q->path, "%s", url) >= sizeof q->path) {
		/* Cut: a number cut in two would no longer be recognised by
		 * the log's redaction, so the cut ends before any digits. */
		size_t n;
		kho_utf8_cut(q->path, strlen(q->path));
		n = strlen(q->path);
		while (n > 0 && ((q->path[n - 1] >= '0' && q->path[n - 1] <= '9') ||
		                 q->path[n - 1] == ' ' || q->path[n - 1] == '.' || q->path[n - 1] == '-'))
			n--;
		q->path[n] = '\0';
	}
	kho_utf8_scrub(q->path);
	for (char *p = q->path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	/* A personal number a client put in the path itself (an encoded '?',
	 * /verify/r/NUMBER) goes neither to the log nor to the audit trail. */
	memcpy(q->logpath, q->path, sizeof q->logpath);
	kho_redact_numbers(q->logpath);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
		          q->client, sizeof q->client);
	else
		snprintf(q->client, sizeof q->client, "-");

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	if (f.content_length > 1 || (f.content_length && f.transfer_encoding) ||
	    f.transfer_encoding > 1 || f.te_other) {
		/* And the connection closed after the answer (found by review: a
		 * request hidden after such a one was served as the next). */
		q->close = 1;
		deny(q, 400, "conflicting framing headers (Content-Length, Transfer-Encoding)");
		return q;
	}
	{
		int ctl = has_ctl(url);
		if (!ctl)
			MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_ctl, &ctl);
		if (ctl) {
			deny(q, 400, "the URL holds a control character or an encoded NUL (%00)");
			return q;
		}
	}
	/* The public verification page and API (docs/verify-page.md): no
	 * token; the module applies its own rate limit per client address and
	 * its upload cap, and answers 405 itself. */
	{
		char code[WEBVERIFY_CODE_MAX];
		enum webverify_kind k = webverify_route(method, url, code);
		if (k != WV_NONE) {
			/* The old route ids stay as the metrics labels. */
			q->m.route = k == WV_API || k == WV_API_BAD_METHOD ? HTTP_R_VERIFY
			                                                    : HTTP_R_VERIFY_PAGE;
			if (webverify_mhd_begin(&q->wvm, s->wv, c, method, url, NULL) != 0) {
				deny(q, 500, "cannot start the verification");
			} else {
				/* Memory only for a body the module will keep: one it
				 * refused already (413, 429, 400) is read and dropped,
				 * and reserving for it let one announced huge body spend
				 * the whole budget (found by review). */
				cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
				if (cl != NULL && webverify_mhd_refused(q->wvm) == 0 &&
				    !body_mem_take(q, strtoull(cl, NULL, 10)))
					webverify_mhd_refuse(q->wvm, 503, BODY_RETRY_AFTER);
			}
			return q;
		}
	}
	/* Retention (docs/retention.md, "HTTP endpoints"): any valid token
	 * here; the handlers check the roles themselves (403). */
	if (rapi_is_retention_path(url)) {
		char tok[TOKEN_LEN + 1];
		const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		size_t cap = strcmp(method, "PUT") == 0 && strcmp(url, "/v1/schedules") == 0
		                 ? RETENTION_SCHEDULE_MAX : RAPI_MAX_JSON;
		q->retention = 1;
		q->m.route = HTTP_R_RETENTION;
		if (http_bearer(h, tok) != 0 || token_check(pick_reader(s), tok, &q->who, NULL) != 0) {
			deny_token(q, c, h, q->logpath);
			return q;
		}
		q->authed = 1;
		if (rate_limited(s, q->who.id)) {
			deny(q, 429, "rate limit exceeded");
			q->retry_after = 1;   /* a token comes back within 1 / rate_per_second <= 1 s */
			return q;
		}
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query, q);
		if (q->query_long) {
			deny(q, 400, "the query string is too long");
			return q;
		}
		json_body_begin(q, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length"),
		                cap);
		return q;
	}
	rc = http_route_parse(method, url, &q->m);
	if (rc == KHO_ENOTFOUND) {
		deny(q, 404, "no such endpoint");
		return q;
	}
	if (rc == KHO_EINVAL) {
		deny(q, 405, "method not allowed on this endpoint");
		q->allow = q->m.allow;
		return q;
	}
	if (rc == KHO_EFORMAT) {
		deny(q, 400, "malformed identifier in the path");
		return q;
	}
	/* The lookup checks its token in h_lookup, in the read transaction of
	 * the lookup itself (it has no body to wait for). */
	if (q->m.route != HTTP_R_LOOKUP && authorize(q, c, pick_reader(s)) != 0)
		return q;
	q->body = http_route_body(q->m.route);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (q->body == HTTP_BODY_FILE) {
		if (cl != NULL && strtoull(cl, NULL, 10) > s->cfg->max_upload) {
			deny(q, 413, "the package is larger than the upload limit");
			return q;
		}
		unsigned long long want = cl != NULL ? strtoull(cl, NULL, 10) : 0;
		if (q->m.route == HTTP_R_PACKAGES_POST && want > 0 && want <= UPLOAD_MEM_ONE &&
		    budget_take(&s->upload_mem, UPLOAD_MEM_TOTAL, (size_t)want)) {
			q->mem = (size_t)want;
			kho_buf_init(&q->buf, q->mem);
		} else {
			kho_err e = { 0, "" };
			if (store_tmp_create(s->ing->st, q->tmp, sizeof q->tmp, &q->fd, &e) != 0) {
				q->tmp[0] = '\0';
				deny_storage(q, e.msg);
			}
		}
	} else if (q->body == HTTP_BODY_JSON) {
		json_body_begin(q, cl, q->m.route == HTTP_R_RESULT_STATUS ? HTTP_STATUS_BODY_MAX
		                                                          : (size_t)s->cfg->max_json);
	}
	return q;
}

static void consume(struct req *q, const char *data, size_t n)
{
	if (q->deny != 0)
		return;   /* read and discard the rest of a refused request */
	if (q->wvm != NULL) {
		if (webverify_mhd_refused(q->wvm) == 0 && !body_mem_take(q, q->rx))
			webverify_mhd_refuse(q->wvm, 503, BODY_RETRY_AFTER);
		webverify_mhd_feed(q->wvm, data, n);
		if (UINT64_MAX - q->got >= n)
			q->got += n;
		return;
	}
	if (q->body == HTTP_BODY_FILE && q->mem > 0) {
		/* Bounded by the Content-Length reserved (kho_buf's cap). */
		int rc = kho_buf_append(&q->buf, data, n);
		if (rc == KHO_ETOOBIG)
			deny(q, 413, "the package is larger than its Content-Length");
		else if (rc != 0)
			deny(q, 500, "out of memory");
		else
			q->got += n;
	} else if (q->body == HTTP_BODY_FILE) {
		if (q->s->cfg->max_upload < q->got || q->s->cfg->max_upload - q->got < n) {
			deny(q, 413, "the package is larger than the upload limit");
			close(q->fd);
			q->fd = -1;
			unlink(q->tmp);
			q->tmp[0] = '\0';
			return;
		}
		while (n > 0) {
			ssize_t w = write(q->fd, data, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				/* A storage fault (a full disk): 503 and the log, as the
				 * ingest's own (found by review: a large upload got 500
				 * and no log line). */
				char d[160];
				snprintf(d, sizeof d, "spooling a package upload: %s",
				         w < 0 ? strerror(errno) : "nothing written");
				deny_storage(q, d);
				return;
			}
			data += w;
			n -= (size_t)w;
			q->got += (uint64_t)w;
		}
	} else if (q->body == HTTP_BODY_JSON) {
		int room = body_mem_take(q, q->rx), rc = room ? kho_buf_append(&q->buf, data, n) : 0;
		if (!room)
			busy(q);
		else if (rc == KHO_ETOOBIG)
			deny(q, 413, "the body is larger than its limit");
		else if (rc != 0)
			deny(q, 500, "out of memory");
	}
}

/* A retention route: rapi_handle does the work and the role checks. */
static enum MHD_Result h_retention(struct req *q, struct MHD_Connection *c)
{
	rapi_request rq;
	rapi_response rp;
	enum MHD_Result ok;

	memset(&rq, 0, sizeof rq);
	memset(&rp, 0, sizeof rp);
	rq.method = q->method;
	rq.path = q->path;
	rq.query = q->query[0] ? q->query : NULL;
	rq.body = q->buf.data;
	rq.body_len = q->buf.len;
	rq.actor = q->who.name;
	rq.role = (int)q->who.role;
	if (rapi_handle(q->s->rs, q->s->has_rsig ? &q->s->rsig : NULL, &rq, &rp) != 0)
		return send_error(q, c, 500, "out of memory");
	q->allow = rp.allow;
	ok = send_bytes(q, c, rp.status, rp.content_type ? rp.content_type : "application/json",
	                rp.body ? rp.body : "", rp.body ? rp.body_len : 0);
	rapi_response_clear(&rp);
	return ok;
}

/*
 * A destroyed record (issue 4 item 9): its tombstone statement with 410,
 * never content. code is a result code, or a package id (64 hex digits:
 * then the record one of whose packages it was). 0 if there is no
 * tombstone (then the caller answers 404).
 */
static int tombstone_answer(struct req *q, struct MHD_Connection *c, const char *code,
                            enum MHD_Result *ok)
{
	json_t *t = NULL, *st;
	kho_err err;

	if (q->s->rs == NULL ||
	    (store_is_id(code) ? rstore_tombstone_by_package(q->s->ing->cat, code, &t, &err)
	                       : rstore_tombstone_json(q->s->rs, code, &t, &err)) != 0)
		return 0;
	st = json_object_get(t, "statement");
	*ok = send_json(q, c, 410, json_pack("{s:s,s:i,s:O}", "error",
	                                     json_is_string(st) ? json_string_value(st)
	                                                        : "the record was destroyed",
	                                     "status", 410, "tombstone", t));
	json_decref(t);
	return 1;
}

static enum MHD_Result dispatch(struct req *q, struct MHD_Connection *c)
{
	if (q->deny != 0)
		return send_error(q, c, q->deny, "%s", q->deny_msg);
	if (q->wvm != NULL) {
		int st = 0, ok = webverify_mhd_respond(q->wvm, c, &st);
		q->status = st != 0 ? st : 500;
		return ok == MHD_YES ? MHD_YES : MHD_NO;
	}
	if (q->retention)
		return h_retention(q, c);
	switch (q->m.route) {
	case HTTP_R_HEALTHZ: return h_healthz(q, c);
	case HTTP_R_METRICS: return h_metrics(q, c);
	case HTTP_R_PACKAGES_POST: return h_packages_post(q, c);
	case HTTP_R_PACKAGE_GET: return h_package_get(q, c, 0);
	case HTTP_R_PACKAGE_REPORT: return h_package_get(q, c, 1);
	case HTTP_R_RESULTS_POST: return h_results_post(q, c);
	case HTTP_R_RESULT_GET: return h_result_get(q, c);
	case HTTP_R_RESULT_STATUS: return h_result_status(q, c);
	case HTTP_R_LOOKUP: return h_lookup(q, c);
	case HTTP_R_STATS_REUSE: return h_stats(q, c);
	case HTTP_R_AUDIT: return h_audit(q, c);
	case HTTP_R_RESULT_QR: return h_result_qr(q, c);
	default: return send_error(q, c, 404, "no such endpoint");
	}
}

/*
 * A body arriving slower than min_upload_rate on average, once
 * connection_timeout seconds have passed since its headers: the idle
 * timeout alone lets a client that sends a byte now and then keep its
 * connection (and the slot of max_connections) for ever.
 */
static int too_slow(const struct req *q)
{
	uint64_t rate = q->s->cfg->min_upload_rate;
	double t = since(&q->t0);

	return rate > 0 && t > (double)q->s->cfg->connection_timeout && (double)q->rx < (double)rate * t;
}

/*
 * refuse_early: answer a refused request in the first call (before its
 * body) when the client waits for it (Expect: 100-continue) or announces a
 * body over 1 MiB. A small body already on its way is read and dropped as
 * before: closing with it unread makes the kernel reset the connection,
 * and the client can lose the answer (seen under ASan in t0305: curl got
 * no status for a refused 600 KB JSON body).
 */
#define EARLY_REFUSAL_MIN (1u << 20)
static int refuse_early(struct MHD_Connection *c)
{
	const char *ex = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

	if (ex != NULL && strcasecmp(ex, "100-continue") == 0)
		return 1;
	return cl != NULL && strtoull(cl, NULL, 10) > EARLY_REFUSAL_MIN;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	struct req *q = *con_cls;

	(void)version;
	if (q == NULL) {
		/* First call: headers only. Do not queue now (0.9.75 keep-alive
		 * catch: a response queued here closes the connection after it)...
		 * except to refuse a request whose body is still to come (an
		 * announced oversized upload, a rate limit, a bad token): then the
		 * closed connection is what is wanted, and the client neither gets
		 * "100 Continue" nor sends the body for nothing (found by review: a
		 * 200 MB upload was read in full before its 413). */
		q = req_new(cls, c, url, method);
		if (q == NULL)
			return MHD_NO;
		*con_cls = q;
		if ((q->deny != 0 || (q->wvm != NULL && webverify_mhd_refused(q->wvm) != 0)) &&
		    refuse_early(c))
			return dispatch(q, c);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		q->rx += *upload_data_size;
		if (too_slow(q)) {
			/* Close without reading the rest (MHD_NO): a body trickling in
			 * would hold its connection for as long as it likes. */
			q->status = 408;
			return MHD_NO;
		}
		consume(q, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->status != 0)
		return MHD_YES;
	return dispatch(q, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	server *s = cls;
	struct req *q = *con_cls;
	size_t si;

	(void)c;
	if (q == NULL)
		return;
	*con_cls = NULL;
	if (q->fd >= 0)
		close(q->fd);
	if (q->tmp[0] != '\0')
		unlink(q->tmp);
	kho_buf_free(&q->buf);
	ingest_result_clear(&q->io.res);   /* an ingest whose answer was never sent */
	if (q->mem > 0)
		atomic_fetch_sub(&s->upload_mem, q->mem);
	if (q->held > 0) {
		atomic_fetch_sub(&s->body_mem, q->held);
		if (q->wvm != NULL)
			atomic_fetch_sub(&s->public_mem, q->held);
	}
	webverify_mhd_free(q->wvm);   /* wipes the upload */
	for (si = 0; si < NSTATUS && status_codes[si] != q->status; si++)
		;
	pthread_mutex_lock(&s->m.mu);
	s->m.req[q->m.route][si]++;
	pthread_mutex_unlock(&s->m.mu);
	if (s->log != NULL) {
		/* One line per request: no query string, so no personal number.
		 * Buffered: written every LOG_FLUSH_MS (here or by the event
		 * writer) or LOG_BUF_FLUSH bytes, not one write per request. */
		long long tenths = (long long)(since(&q->t0) * 10000.0 + 0.5);   /* of a ms */
		time_t now = time(NULL);

		pthread_mutex_lock(&s->log_mu);
		/* The time stamp is formatted once a second, and the duration as
		 * whole tenths of a millisecond (%.1f, without the floating-point
		 * printf): 2% of a lookup's CPU went to this line. */
		if (now != s->log_sec) {
			kho_time_format(s->log_ts, sizeof s->log_ts, now);
			s->log_sec = now;
		}
		if (kho_buf_appendf(&s->logbuf, "%s %s %s %s %d %lld.%lldms %llu actor=%s%s\n",
		                    s->log_ts, q->client, q->method, q->logpath, q->status, tenths / 10,
		                    tenths % 10,
		                    (unsigned long long)q->got, actor_of(q),
		                    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
		                    : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timeout)"
		                                                                    : " (aborted)") != 0) {
			/* Full (the writer is stuck?) or out of memory: write out, retry once. */
			log_flush_locked(s);
			kho_buf_appendf(&s->logbuf, "%s %s %s %s %d\n", s->log_ts, q->client, q->method,
			                q->logpath, q->status);
		}
		if (s->logbuf.len >= LOG_BUF_FLUSH || now_mono() - s->log_last >= LOG_FLUSH_MS / 1000.0)
			log_flush_locked(s);
		pthread_mutex_unlock(&s->log_mu);
	}
	free(q);
}

/* ---- fixity thread ---------------------------------------------------- */

/*
 * DATA/fixity.state, so that a restart neither delays nor restarts the
 * fixity run (a daemon restarted more often than fixity_interval plus a run
 * never completed one): "completed <unix time>" of the last whole run, and
 * "cursor <package id>" while one is in progress (written every 256
 * packages and at shutdown; a restart resumes after it at once). Written
 * renamed into place, not synced: losing it costs a run from the start.
 */
static void fixity_state_read(const server *s, int64_t *completed, char cursor[65])
{
	FILE *f = fopen(s->fixity_state, "r");
	char line[128], id[80];
	long long t;

	*completed = 0;
	cursor[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "completed %lld", &t) == 1 && t > 0)
			*completed = t;
		else if (sscanf(line, "cursor %79s", id) == 1 && strlen(id) == 64 &&
		         strspn(id, "0123456789abcdef") == 64)
			memcpy(cursor, id, 65);
	}
	fclose(f);
}

static void fixity_state_write(const server *s, int64_t completed, const char *cursor)
{
	char text[160];
	int n = snprintf(text, sizeof text, "completed %lld\n%s%s%s", (long long)completed,
	                 cursor != NULL && cursor[0] ? "cursor " : "", cursor ? cursor : "",
	                 cursor != NULL && cursor[0] ? "\n" : "");

	kho_write_file_renamed(s->fixity_state, text, (size_t)n, 0600, NULL);
}

struct fixity_ck {
	server *s;
	fixity_summary *sum;
	int64_t completed;
};

static void fixity_checkpoint(int64_t done, int64_t total, void *arg)
{
	struct fixity_ck *k = arg;

	(void)total;
	if (done % 256 == 0)
		fixity_state_write(k->s, k->completed, k->sum->last_id);
}

static void *fixity_main(void *arg)
{
	server *s = arg;
	fixity_summary sum;
	struct fixity_ck ck = { s, &sum, 0 };
	struct timespec until;
	char detail[700], cursor[65];
	kho_err err = { 0, "" };
	int failed = 0;

	fixity_state_read(s, &ck.completed, cursor);
	for (;;) {
		pthread_mutex_lock(&s->fix_mu);
		clock_gettime(CLOCK_REALTIME, &until);
		/* A run cut by a restart resumes at once; otherwise the next one is
		 * due fixity_interval after the last completed (or after start). */
		if (cursor[0] != '\0')
			;   /* at once */
		else if (!failed && ck.completed > 0 && ck.completed <= (int64_t)until.tv_sec)
			until.tv_sec = (time_t)(ck.completed + (int64_t)s->cfg->fixity_interval);
		else
			until.tv_sec += (time_t)s->cfg->fixity_interval;
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->fix_cv, &s->fix_mu, &until) != ETIMEDOUT)
			;
		if (s->stopping) {
			pthread_mutex_unlock(&s->fix_mu);
			return NULL;
		}
		pthread_mutex_unlock(&s->fix_mu);
		/* Grace of 10 minutes: an ingest between store write and commit is not an orphan. */
		if (ingest_fixity(s->ing, cursor[0] ? cursor : NULL, 1, s->cfg->fixity_bytes_per_second,
		                  600, fixity_checkpoint, NULL, &ck, &sum, &err) != 0) {
			if (atomic_load(&s->ing->stop)) {
				/* stopped by the shutdown: no fault; resume after the
				 * last package checked (or where this run resumed) */
				if (sum.last_id[0] != '\0')
					fixity_state_write(s, ck.completed, sum.last_id);
				return NULL;
			}
			/* A run that could not proceed: the next one a whole interval
			 * from now, from the start (found by review: with the last
			 * completed run long past, failing runs followed each other
			 * without a pause, thousands of audit events a second). */
			audit(s, "daemon", "fixity", "store", 500, err.msg);
			cursor[0] = '\0';
			fixity_state_write(s, ck.completed, NULL);
			failed = 1;
			continue;
		}
		failed = 0;
		cursor[0] = '\0';
		ck.completed = (int64_t)time(NULL);
		fixity_state_write(s, ck.completed, NULL);
		snprintf(detail, sizeof detail,
		         "%lld packages: %lld ok, %lld missing, %lld corrupt, %lld failing, %lld orphans,"
		         " %lld strays, %lld differing from the catalog, %lld renewed, %lld renewals"
		         " failed%s%s", (long long)sum.packages,
		         (long long)sum.ok, (long long)sum.missing, (long long)sum.corrupt,
		         (long long)sum.failed, (long long)sum.orphans, (long long)sum.strays,
		         (long long)sum.mismatched,
		         (long long)sum.renewed, (long long)sum.renew_failed,
		         sum.first_problem[0] ? "; first: " : "", sum.first_problem);
		audit(s, "daemon", fixity_problems(&sum) ? "alert" : "fixity", "store", 0, detail);
		pthread_mutex_lock(&s->m.mu);
		s->m.fixity_runs++;
		s->m.fixity_problems = fixity_problems(&sum);
		pthread_mutex_unlock(&s->m.mu);
		if (s->log != NULL) {
			pthread_mutex_lock(&s->log_mu);
			fprintf(s->log, "fixity: %s\n", detail);
			fflush(s->log);
			pthread_mutex_unlock(&s->log_mu);
		}
	}
}

/* ---- start and stop --------------------------------------------------- */

static int load_key(EVP_PKEY **out, const char *path, kho_err *err)
{
	kho_buf b;
	BIO *bio;
	int rc;

	*out = NULL;
	kho_buf_init(&b, 1u << 20);
	if ((rc = kho_read_file(&b, path, err)) != 0) {
		kho_buf_free(&b);
		return rc;
	}
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	kho_buf_free(&b);
	if (*out == NULL)
		return kho_err_ssl(err, KHO_EFORMAT, "%s: not a PEM private key", path);
	return 0;
}

static int load_sealing(server *s, kho_err *err)
{
	const config *cfg = s->cfg;
	size_t i;
	int rc;

	s->sealers = calloc(cfg->nagencies + 1, sizeof *s->sealers);
	if (s->sealers == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	for (i = 0; i < cfg->nagencies; i++) {
		struct sealer *sl = &s->sealers[s->nsealers];
		STACK_OF(X509) *certs = NULL;
		snprintf(sl->code, sizeof sl->code, "%s", cfg->agencies[i].code);
		sl->pss = cfg->agencies[i].pss;
		if ((rc = load_key(&sl->key, cfg->agencies[i].key, err)) != 0)
			return rc;
		s->nsealers++;
		if ((rc = verify_load_certs(&certs, cfg->agencies[i].cert, err)) != 0)
			return rc;
		/* The certificate first, then its chain (as kho pki writes signer.pem). */
		sl->cert = sk_X509_shift(certs);
		sl->chain = certs;
		if (cfg->agencies[i].chain != NULL) {
			STACK_OF(X509) *ch = NULL;
			if ((rc = verify_load_certs(&ch, cfg->agencies[i].chain, err)) != 0)
				return rc;
			while (sk_X509_num(ch) > 0)
				sk_X509_push(sl->chain, sk_X509_shift(ch));
			sk_X509_free(ch);
		}
	}
	if (cfg->tsa_url != NULL)
		return tsa_new_remote(&s->tsa, cfg->tsa_url, 10, err);
	if (cfg->tsa_key != NULL && cfg->tsa_cert != NULL) {
		EVP_PKEY *k = NULL;
		X509 *cert;
		if ((rc = load_key(&k, cfg->tsa_key, err)) != 0)
			return rc;
		if ((rc = verify_load_certs(&s->tsa_chain, cfg->tsa_cert, err)) != 0) {
			EVP_PKEY_free(k);
			return rc;
		}
		cert = sk_X509_value(s->tsa_chain, 0);
		rc = tsa_new_local(&s->tsa, k, cert, s->tsa_chain, NULL, err);
		EVP_PKEY_free(k);
		return rc;
	}
	return 0;
}

static int parse_listen(const char *l, struct sockaddr_in *sa, kho_err *err)
{
	char host[64];
	const char *colon = strrchr(l, ':');
	char *end;
	long port;

	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - l) >= sizeof host)
		return kho_err_set(err, KHO_EINVAL, "listen address must be HOST:PORT (IPv4), not %s", l);
	memcpy(host, l, (size_t)(colon - l));
	host[colon - l] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port < 0 || port > 65535 || colon[1] == '\0')
		return kho_err_set(err, KHO_EINVAL, "bad port in %s", l);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return kho_err_set(err, KHO_EINVAL, "bad IPv4 address in %s", l);
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/* listen_on: a TCP socket bound to sa and listening, into *fd, its port
 * (the one the kernel chose for port 0) into *port. */
static int listen_on(const struct sockaddr_in *sa, int *fd, unsigned *port, const char *text,
                     kho_err *err)
{
	struct sockaddr_in got;
	socklen_t len = sizeof got;
	int one = 1, e;

	if (text == NULL)
		text = "127.0.0.1:8600";
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);   /* as MHD keeps its own */
	if (*fd < 0)
		return kho_err_set(err, KHO_EIO, "socket: %s", strerror(errno));
	/* SO_REUSEADDR as MHD sets it: a restart binds past TIME_WAIT. No
	 * SO_REUSEPORT: with it a second daemon on the same port took half the
	 * connections of the first, each answering from its own catalog. */
	if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(*fd, (const struct sockaddr *)sa, sizeof *sa) != 0 || listen(*fd, SOMAXCONN) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&got, &len) != 0) {
		e = errno;
		close(*fd);
		*fd = -1;
		return kho_err_set(err, KHO_EIO, "cannot listen on %s: %s%s", text, strerror(e),
		                   e == EADDRINUSE ? " (by another daemon perhaps?); nothing was"
		                                     " created or changed" : "");
	}
	*port = ntohs(got.sin_port);
	return 0;
}

int server_check_listen(const char *l, kho_err *err)
{
	struct sockaddr_in sa;

	return parse_listen(l, &sa, err);
}

/*
 * The public verification module, and the migration of a data directory
 * whose results were archived before verification keys existed: each gets
 * a key now (audited once, with the number), so that its QR code can be
 * printed.
 */
static int start_webverify(server *s, kho_err *err)
{
	/* Results from before verification keys existed get one here, a batch
	 * of KEY_BATCH per catalog transaction (one fsync per batch, not per
	 * result: a catalog of a million results is migrated in seconds). */
	enum { KEY_BATCH = 1024 };
	char (*codes)[CATALOG_CODE_MAX] = malloc(KEY_BATCH * sizeof *codes);
	const config *cfg = s->cfg;
	webverify_config wc;
	webverify_archive wa;
	size_t n, i, issued = 0;
	char d[96], last[CATALOG_CODE_MAX];
	int rc;

	if (codes == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	last[0] = '\0';
	do {
		if ((rc = catalog_results_without_key_after(s->ing->cat, last, codes, KEY_BATCH, &n,
		                                            err)) != 0)
			break;
		if (n == 0 || (rc = catalog_begin(s->ing->cat, err)) != 0)
			break;
		for (i = 0; i < n && rc == 0; i++)
			if ((rc = ingest_issue_key(s->ing, codes[i], NULL, err)) == 0)
				issued++;
		if (rc == 0)
			rc = catalog_commit(s->ing->cat, err);
		else
			catalog_rollback(s->ing->cat);
		memcpy(last, codes[n - 1], sizeof last);
	} while (rc == 0 && n == KEY_BATCH);
	free(codes);
	if (rc != 0)
		return rc;
	if (issued > 0) {
		snprintf(d, sizeof d, "issued %zu verification keys to earlier results", issued);
		audit(s, "daemon", "verify-keys", "-", 0, d);
	}
	memset(&wc, 0, sizeof wc);
	wc.vopts.anchors = s->ing->anchors;
	wc.vopts.crls = s->ing->crls;
	wc.max_upload = (size_t)cfg->verify_max_upload;
	wc.rate_per_minute = cfg->verify_rate_per_minute;
	wc.rate_burst = cfg->verify_rate_burst;
	wc.trusted_proxies = cfg->trusted_proxies;
	wc.ntrusted_proxies = cfg->ntrusted_proxies;
	wc.base_url = cfg->public_url;
	memset(&wa, 0, sizeof wa);
	wa.arg = s;
	wa.key_hash = wv_key_hash;
	wa.report_by_code = wv_report;
	wa.code_by_object = wv_by_object;
	wa.status_of = wv_status;
	wa.renewed_package = wv_renewed;
	wa.same_files = wv_same_files;
	wa.audit = wv_audit;
	wa.tombstone = wv_tombstone;
	return webverify_new(&s->wv, &wc, &wa, err);
}

/*
 * Retention (docs/retention.md, "HTTP endpoints"): one rstore per daemon,
 * and the archive's seal for destruction certificates when the config
 * names an agency key, a TSA and the archive's enterprise code (the first
 * agency of "agencies" is the archive's own). Each ingest is classified in
 * its group transaction (ret_classify); one whose classification failed
 * (an alert in the audit chain) is classified by the next sweep.
 */
static int ret_class_check(void *arg, const record *rec, char *why, size_t n);
static int ret_classify(void *arg, catalog *cat, const char *code, const char *actor,
                        kho_err *err);

/* The fixity run's renewal of a destruction certificate (ingest.h,
 * renew_other): a permanent record, renewed like a result's package. */
static int ret_renew_certificate(void *arg, const catalog_package *old, const void *data,
                                 size_t len, const verify_report *rep, kho_err *err)
{
	server *s = arg;

	return rstore_certificate_renew(s->rs, old->id, data, len,
	                                vr_indication_name(rep->indication), "daemon", err);
}

/*
 * The end of the built-in TSA's usable life (ingest.h, renew_tsa_until):
 * the earliest notAfter of its chain up to the trust anchor, as the
 * verifier counts a token's evidence (verify.h, tsa_not_after); found by
 * review: its own certificate's end, past its CA's, let the packages lapse
 * unrenewed. The chain is built from the certificates of tsa.cert and the
 * trust anchors; one that does not build is counted over tsa.cert's
 * certificates. 0 if unknown (a TSA by URL: learnt from its tokens).
 */
static time_t tsa_chain_end(server *s)
{
	STACK_OF(X509) *chain = NULL, *over;
	kho_err e = { 0, "" };
	time_t end = 0, na;

	if (s->tsa_chain == NULL || sk_X509_num(s->tsa_chain) < 1)
		return 0;
	over = s->tsa_chain;
	if (s->ing->anchors != NULL &&
	    vcms_build_chain(&chain, sk_X509_value(s->tsa_chain, 0), s->tsa_chain, s->ing->anchors,
	                     kho_now(), X509_PURPOSE_TIMESTAMP_SIGN, 0, NULL, &e) == 0)
		over = chain;
	for (int i = 0; i < sk_X509_num(over); i++)
		if (vcms_asn1_time(&na, X509_get0_notAfter(sk_X509_value(over, i))) == 0 &&
		    (end == 0 || na < end))
			end = na;
	sk_X509_pop_free(chain, X509_free);
	return end;
}

/*
 * A start-up warning when the daemon can never renew (found by review: with
 * no tsa, or fixity_interval 0, packages lapsed with no word): no tsa, no
 * fixity run, or renew_margin_days 0, while packages are stored. Each
 * package due is then also an alert of the fixity run, if one runs.
 */
static void renewal_warning(server *s)
{
	const char *why = s->tsa == NULL ? "no \"tsa\" is configured" :
	                  s->cfg->fixity_interval == 0 ? "fixity_interval is 0 (no fixity run)" :
	                  s->cfg->renew_margin_days == 0 ? "renew_margin_days is 0" : NULL;
	catalog_counts n;
	kho_err e = { 0, "" };
	char d[400];

	if (why == NULL || catalog_counts_get(s->ing->cat, &n, &e) != 0 || n.packages == 0)
		return;
	snprintf(d, sizeof d, "%s: the daemon renews no package (archive timestamps), and the %lld"
	         " stored stop verifying when their timestamps' TSAs end unless renewed by hand"
	         " (kho renew; docs/operations.md)", why, (long long)n.packages);
	log_line(s, "warning", "renewal", d);
}

static int start_retention(server *s, const char *data_dir, kho_err *err)
{
	int rc;

	if ((rc = rstore_open(&s->rs, data_dir, keystore_dir(s->ing->ks), s->cfg->master_key_file,
	                      err)) != 0)
		return rc;
	catalog_set_keystore(rstore_catalog(s->rs), s->ing->ks);
	s->ing->class_check = ret_class_check;
	s->ing->class_arg = s;
	catalog_set_after_ingest(s->ing->cat, ret_classify, s);
	/* Renewal of packages whose evidence runs out, in the fixity run
	 * (docs/operations.md): with the TSA of server-side sealing. Without
	 * one, the fixity run still tells each due package (an alert). */
	if (s->cfg->renew_margin_days > 0)
		s->ing->renew_margin = (int64_t)s->cfg->renew_margin_days * 86400;
	if (s->tsa != NULL && s->cfg->renew_margin_days > 0) {
		s->ing->renew_tsa = s->tsa;
		s->ing->renew_other = ret_renew_certificate;
		s->ing->renew_other_arg = s;
		s->ing->renew_tsa_until = tsa_chain_end(s);
	}
	if (s->nsealers > 0 && s->tsa != NULL && s->cfg->enterprise_code != NULL) {
		s->rsig.key = s->sealers[0].key;
		s->rsig.cert = s->sealers[0].cert;
		s->rsig.chain = s->sealers[0].chain;
		s->rsig.tsa = s->tsa;
		s->rsig.tsa_chain = s->tsa_chain;
		s->rsig.crls = s->ing->crls;
		s->rsig.agency = s->sealers[0].code;
		s->rsig.enterprise_code = s->cfg->enterprise_code;
		s->has_rsig = 1;
	}
	return 0;
}

static int32_t today_days(void)
{
	return kho_local_day(kho_now());
}

/*
 * Retention at ingest. An archive that has never published a schedule does
 * not enforce retention yet (its records are classified by `kho retention
 * classify` or the first sweep once one is published); from the first
 * publication on, a record no class applies to is refused (422) unless the
 * config says keep_unclassified.
 */
static int ret_class_check(void *arg, const record *rec, char *why, size_t n)
{
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM ret_schedules)";
	server *s = arg;
	catalog *cat = rstore_catalog(s->rs);
	sqlite3_stmt *st;
	json_t *t = NULL;
	kho_err err;
	int any = 1, rc;

	/* A record destroyed under a disposition decision is not archived
	 * again from a copy (found by review: its bytes uploaded again brought
	 * it back as a valid, reusable result, out of retention, its decisions
	 * lost). 410, as every answer about it. */
	rc = rstore_tombstone_json(s->rs, rec->result_code, &t, &err);
	if (rc == 0) {
		snprintf(why, n, "%s A destroyed record is not archived again.",
		         json_string_value(json_object_get(t, "statement")));
		json_decref(t);
		return 2;
	}
	if (rc != KHO_ENOTFOUND) {
		snprintf(why, n, "%.400s", err.msg);
		return -1;
	}
	catalog_lock(cat);
	if ((st = catalog_stmt(cat, sql, NULL)) != NULL) {
		any = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
		sqlite3_reset(st);
	}
	catalog_unlock(cat);
	if (!any || s->cfg->keep_unclassified)
		return 0;
	rc = rstore_check_class(s->rs, rec->procedure_national, rec->result_type, today_days(), NULL,
	                        0, NULL, &err);
	if (rc == 0)
		return 0;
	snprintf(why, n, "no retention class applies to this record: %.400s", err.msg);
	return rc == KHO_ENOTFOUND ? 1 : -1;
}

/* In the ingest's group transaction, on its connection (catalog.c): a
 * failure leaves the record unclassified (the sweep retries), audited as
 * an alert unless simply no class applies. */
static int ret_classify(void *arg, catalog *cat, const char *code, const char *actor,
                        kho_err *err)
{
	server *s = arg;
	int rc;

	rc = rstore_classify_in(s->rs, cat, code, s->cfg->keep_unclassified
	                                                ? RSTORE_UNCLASSIFIED_KEEP
	                                                : RSTORE_UNCLASSIFIED_REFUSE, actor, err);
	return rc == KHO_ENOTFOUND ? 0 : rc;
}

/* The daily sweep: ten minutes after the start, then once a day. */
static void *sweep_main(void *arg)
{
	server *s = arg;
	unsigned wait = 600;

	for (;;) {
		struct timespec until;
		rstore_sweep_stats st;
		int64_t n = 0, nu = 0;
		kho_err err;
		int stop;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		pthread_mutex_lock(&s->fix_mu);
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->fix_cv, &s->fix_mu, &until) != ETIMEDOUT)
			;
		stop = s->stopping;
		pthread_mutex_unlock(&s->fix_mu);
		if (stop)
			break;
		wait = 86400;
		memset(&st, 0, sizeof st);
		/* Records committed but not classified (a crash in between, or
		 * ingested before a schedule existed) get their class first. */
		if (rstore_classify_pending(s->rs, s->cfg->keep_unclassified ? RSTORE_UNCLASSIFIED_KEEP
		                                                             : RSTORE_UNCLASSIFIED_REFUSE,
		                            "daemon", &n, &nu, &err) != 0 && err.code != KHO_ENOTFOUND)
			audit(s, "daemon", "alert", "retention-classify", 500, err.msg);
		if (rstore_sweep(s->rs, today_days(), 0, "daemon", NULL, &st, &err) != 0)
			audit(s, "daemon", "alert", "retention-sweep", 500, err.msg);
	}
	return NULL;
}

int server_start(server **out, const config *cfg, const char *data_dir, FILE *log,
                 kho_err *err)
{
	struct sockaddr_in sa;
	char lockpath[PATH_MAX];
	server *s;
	int rc, removed = 0;

	*out = NULL;
	/* Before any thread exists: libxml2 copies a thread's error handler
	 * the first time that thread uses it (a report written before the
	 * first parse kept the default, printing to stderr: found by review). */
	kho_xml_init();
	if (data_dir == NULL)
		data_dir = cfg->data;
	if ((rc = parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:8600", &sa, err)) != 0)
		return rc;
	/*
	 * Keep up to 32 MB of freed heap per arena instead of giving it back to
	 * the kernel at once. Every commit to catalog.db empties the page cache
	 * of each reader connection (see EVQ_FLUSH_MS); glibc then trimmed the
	 * MHD threads' heaps, and refilling the caches faulted the same pages
	 * in again: about 5% of the lookup's CPU in sysmalloc and page faults
	 * (perf, 2-vCPU VM). Setting it fixes glibc's mmap threshold, which
	 * otherwise rises by itself past the first freed mapping: 2 MB keeps
	 * the in-memory uploads (UPLOAD_MEM_ONE) on the heap as that did;
	 * larger blocks are mmap'd and unmapped when freed.
	 */
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	mallopt(M_MMAP_THRESHOLD, 2 << 20);
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	s->cfg = cfg;
	s->log = log;
	s->lockfd = -1;
	s->listen_fd = -1;
	if (kho_random(&s->client_salt, sizeof s->client_salt) != 0) {
		free(s);
		return kho_err_set(err, KHO_ECRYPTO, "no random bytes for the client salt");
	}
	pthread_mutex_init(&s->m.mu, NULL);
	pthread_mutex_init(&s->log_mu, NULL);
	pthread_mutex_init(&s->seal_mu, NULL);
	pthread_mutex_init(&s->fix_mu, NULL);
	pthread_mutex_init(&s->rate_mu, NULL);
	pthread_cond_init(&s->fix_cv, NULL);
	pthread_mutex_init(&s->q.mu, NULL);
	pthread_cond_init(&s->q.more, NULL);
	pthread_cond_init(&s->q.space, NULL);
	pthread_cond_init(&s->q.done, NULL);
	pthread_mutex_init(&s->ip.mu, NULL);
	pthread_cond_init(&s->ip.more, NULL);
	s->ip.tail = &s->ip.head;
	kho_buf_init(&s->logbuf, LOG_BUF_MAX);
	/* The address first, before the data directory is opened or made: a
	 * port in use must not leave a new data directory and its keys behind
	 * (found by review: a mistyped --data then held a fresh master key).
	 * MHD takes the bound socket (MHD_OPTION_LISTEN_SOCKET). */
	if ((rc = listen_on(&sa, &s->listen_fd, &s->port, cfg->listen, err)) != 0)
		goto fail;
	if ((rc = ingest_open(&s->ing, cfg, data_dir, 1, err)) != 0)
		goto fail;
	/* One daemon per data directory: recovery below deletes uncommitted files. */
	snprintf(lockpath, sizeof lockpath, "%s/daemon.lock", data_dir);
	snprintf(s->fixity_state, sizeof s->fixity_state, "%s/fixity.state", data_dir);
	s->lockfd = open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = kho_err_set(err, KHO_EEXIST, "%s: another daemon uses this data directory", data_dir);
		goto fail;
	}
	{
		/* The backup lock (docs/operations.md), made here 0600 by the
		 * daemon's user so that a backup run as root does not make it. */
		int bfd;
		snprintf(lockpath, sizeof lockpath, "%s/backup.lock", data_dir);
		if ((bfd = open(lockpath, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0)
			close(bfd);
	}
	if ((rc = ingest_recover(s->ing, package_destroyed, s, &removed, err)) != 0)
		goto fail;
	if ((rc = load_sealing(s, err)) != 0)
		goto fail;
	if ((rc = start_retention(s, data_dir, err)) != 0)
		goto fail;
	if ((rc = start_webverify(s, err)) != 0)
		goto fail;
	{
		char db[PATH_MAX];
		unsigned i;
		snprintf(db, sizeof db, "%s/catalog.db", data_dir);
		for (i = 0; i < cfg->threads && i < READERS_MAX; i++) {
			if ((rc = catalog_open(&s->readers[i], db, err)) != 0)
				goto fail;
			/* "has its key" (lookups' reusable/destroyed) asks the key store. */
			catalog_set_keystore(s->readers[i], s->ing->ks);
			s->nreaders++;
		}
	}
	s->q.ev = malloc(EVQ_CAP * sizeof *s->q.ev);
	if (s->q.ev == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto fail;
	}
	if (pthread_create(&s->q.th, NULL, evq_main, s) != 0) {
		rc = kho_err_set(err, KHO_EINTERNAL, "cannot start the event writer");
		goto fail;
	}
	s->q.started = 1;
	ipool_start(s);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_EPOLL |
	                            MHD_ALLOW_SUSPEND_RESUME,
	                        0, NULL, NULL, on_request, s,
	                        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
	                        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->connection_timeout,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections,
	                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->max_connections_per_ip,
	                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	                        MHD_OPTION_UNESCAPE_CALLBACK, unescape_url, NULL,
	                        /* Strict request parsing: an HTTP/1.1 request
	                         * without Host, a space in the URL or in a header
	                         * name is refused (400; found by review: served) */
	                        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	                        /* No SO_REUSEPORT (this option at 1 set it): with
	                         * it a second daemon on the same port took half
	                         * the connections of the first, each answering from
	                         * its own catalog. MHD's default SO_REUSEADDR still
	                         * lets a restart bind past TIME_WAIT. */
	                        MHD_OPTION_END);
	if (s->d == NULL) {
		rc = kho_err_set(err, KHO_EIO, "cannot serve on %s: the HTTP server did not start",
		                 cfg->listen ? cfg->listen : "127.0.0.1:8600");
		goto fail;
	}
	s->listen_fd = -1;   /* MHD's now: closed by MHD_stop_daemon */
	/* Once listening (a daemon that could not bind did not start), with
	 * the data directory's absolute path (it was the path as given). */
	{
		char abs[PATH_MAX];
		audit(s, "daemon", "start", realpath(data_dir, abs) != NULL ? abs : data_dir, 0,
		      removed ? "started; removed store files of unacknowledged ingests" : "started");
	}
	/* QR URLs: the configured public address, else this daemon's own. */
	if (cfg->public_url != NULL) {
		snprintf(s->public_url, sizeof s->public_url, "%s", cfg->public_url);
	} else {
		char host[INET_ADDRSTRLEN] = "127.0.0.1";
		if (sa.sin_addr.s_addr != htonl(INADDR_ANY))
			inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
		snprintf(s->public_url, sizeof s->public_url, "http://%s:%u", host, s->port);
		/* A printed QR code cannot be changed (found by review: nothing
		 * said that it would encode an address citizens cannot reach). */
		{
			char d[200];
			snprintf(d, sizeof d, "no public_url in the config: QR codes encode %.64s, which"
			         " citizens may not reach; set public_url before printing any",
			         s->public_url);
			log_line(s, "warning", "qr", d);
		}
	}
	{
		/* A catalog put back from a backup carries the backup's umask
		 * (found by review, 2026-12-07: 0644 after the documented
		 * restore); it holds token hashes and the audit trail. */
		char db[PATH_MAX], d[PATH_MAX + 160];
		struct stat stb;
		snprintf(db, sizeof db, "%s/catalog.db", data_dir);
		if (stat(db, &stb) == 0 && (stb.st_mode & 077) != 0) {
			snprintf(d, sizeof d, "%s is readable by others (mode %03o): chmod 600 it (it holds"
			         " the token hashes and the audit trail)", db, (unsigned)(stb.st_mode & 0777));
			log_line(s, "warning", "catalog", d);
		}
	}
	renewal_warning(s);
	if (cfg->fixity_interval > 0) {
		if (pthread_create(&s->fix_thread, NULL, fixity_main, s) == 0)
			s->fix_started = 1;
	}
	if (pthread_create(&s->sweep_thread, NULL, sweep_main, s) == 0)
		s->sweep_started = 1;
	*out = s;
	return 0;
fail:
	server_stop(s);
	return rc;
}

unsigned server_port(const server *s)
{
	return s->port;
}

void server_stop(server *s)
{
	size_t i;

	if (s == NULL)
		return;
	/* A fixity run in progress ends now, not when it has read the store. */
	if (s->ing != NULL)
		ingest_stop(s->ing);
	if (s->d != NULL) {
		/* Stop accepting, let in-flight requests finish (up to 30 s), then stop. */
		const union MHD_DaemonInfo *di;
		int waited = 0;
		MHD_socket ls = MHD_quiesce_daemon(s->d);
		while (waited < 3000) {
			di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
			if (di == NULL || di->num_connections == 0)
				break;
			usleep(10000);
			waited++;
		}
		/* No connection may stay suspended past MHD_stop_daemon. */
		ipool_stop(s);
		MHD_stop_daemon(s->d);
		if (ls != MHD_INVALID_SOCKET)
			close(ls);
	}
	ipool_stop(s);   /* (a start that failed before MHD ran) */
	if (s->sweep_started) {
		pthread_mutex_lock(&s->fix_mu);
		s->stopping = 1;
		pthread_cond_broadcast(&s->fix_cv);
		pthread_mutex_unlock(&s->fix_mu);
		pthread_join(s->sweep_thread, NULL);
	}
	if (s->fix_started) {
		pthread_mutex_lock(&s->fix_mu);
		s->stopping = 1;
		pthread_cond_broadcast(&s->fix_cv);
		pthread_mutex_unlock(&s->fix_mu);
		pthread_join(s->fix_thread, NULL);
	}
	if (s->q.started) {
		/* No request is running now: drain the lookup events, then stop. */
		pthread_mutex_lock(&s->q.mu);
		s->q.stop = 1;
		pthread_cond_broadcast(&s->q.more);
		pthread_cond_broadcast(&s->q.space);
		pthread_mutex_unlock(&s->q.mu);
		pthread_join(s->q.th, NULL);
	}
	free(s->q.ev);
	for (i = 0; i < s->nreaders; i++)
		catalog_close(s->readers[i]);
	if (s->ing != NULL && s->d != NULL) {
		audit(s, "daemon", "stop", s->ing->data, 0, "stopped");
		/* The last head names the stop event itself (found by review: the
		 * event writer's last line came before it, so a trail cut back to
		 * before its stop still matched every witness). The writer thread
		 * is gone: this thread owns the head now. */
		head_tick(s, 1);
	}
	log_flush(s);
	kho_buf_release(&s->logbuf);
	for (i = 0; i < s->nsealers; i++) {
		EVP_PKEY_free(s->sealers[i].key);
		X509_free(s->sealers[i].cert);
		sk_X509_pop_free(s->sealers[i].chain, X509_free);
	}
	free(s->sealers);
	tsa_free(s->tsa);
	sk_X509_pop_free(s->tsa_chain, X509_free);
	webverify_free(s->wv);
	rstore_close(s->rs);
	ingest_close(s->ing);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	pthread_mutex_destroy(&s->m.mu);
	pthread_mutex_destroy(&s->log_mu);
	pthread_mutex_destroy(&s->seal_mu);
	pthread_mutex_destroy(&s->fix_mu);
	pthread_mutex_destroy(&s->rate_mu);
	pthread_cond_destroy(&s->fix_cv);
	pthread_mutex_destroy(&s->q.mu);
	pthread_cond_destroy(&s->q.more);
	pthread_cond_destroy(&s->q.space);
	pthread_cond_destroy(&s->q.done);
	pthread_mutex_destroy(&s->ip.mu);
	pthread_cond_destroy(&s->ip.more);
	free(s);
}
