/*
 * webverify_server.c: a tiny libmicrohttpd server that serves ONLY the
 * public verification module (archive/webverify.h) over file-based
 * lookups, so that the browser test and the HTTP tests run against the real
 * module before it is wired into `kho serve`.
 *
 *   webverify_server --trust PEM --archive DIR [--port N] [--port-file F]
 *       [--keys-out F] [--qr-dir D] [--status F] [--audit F]
 *       [--rate PER_MINUTE] [--burst N] [--max-upload BYTES] [--base-url URL]
 *
 * Every DIR/NAME.asice is an "archived" package: its record.xml gives the
 * result code, its data objects are indexed by SHA-256, and it gets a fresh
 * verification key (kept hashed in memory; the clear key and the QR URL are
 * written to --keys-out as "CODE KEY URL" lines, and the QR code as
 * D/CODE.png and D/CODE.svg). --status lines "CODE STATUS" set validity
 * (default "valid"); a code with status "destroyed" keeps no package.
 * Audit events go to --audit, one line each. Runs until SIGTERM or SIGINT.
 * Exit 0 on a clean stop, 1 on failure, 3 on usage.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <microhttpd.h>

#include "archive/pkg.h"
#include "archive/qr.h"
#include "archive/record.h"
#include "archive/webverify.h"
#include "common/util.h"
#include "verify/verify.h"

#define MAX_PKGS 64
#define MAX_OBJS 64

struct apkg {
	char path[4096];
	char code[WEBVERIFY_CODE_MAX];
	char status[WEBVERIFY_STATUS_MAX];
	unsigned char id[32];
	unsigned char key_hash[32];
	char key[QR_KEY_TEXT_LEN + 1];
	unsigned char obj[MAX_OBJS][32];
	size_t nobj;
};

static struct {
	struct apkg p[MAX_PKGS];
	size_t n;
	STACK_OF(X509) *anchors;
	FILE *audit;
	pthread_mutex_t audit_mu;
} A;

static struct apkg *find(const char *code)
{
	size_t i;

	for (i = 0; i < A.n; i++)
		if (strcmp(A.p[i].code, code) == 0)
			return &A.p[i];
	return NULL;
}

static int cb_key_hash(void *arg, const char *code, unsigned char hash[32], kho_err *err)
{
	struct apkg *p = find(code);

	(void)arg;
	if (p == NULL)
		return kho_err_set(err, KHO_ENOTFOUND, "unknown");
	memcpy(hash, p->key_hash, 32);
	return 0;
}

static int cb_report(void *arg, const char *code, verify_report **out, unsigned char id[32],
                     kho_err *err)
{
	struct apkg *p = find(code);
	verify_opts vo;

	(void)arg;
	if (p == NULL || strcmp(p->status, "destroyed") == 0)
		return kho_err_set(err, KHO_ENOTFOUND, "no package");
	memset(&vo, 0, sizeof vo);
	vo.anchors = A.anchors;
	memcpy(id, p->id, 32);
	return verify_package_file(out, p->path, &vo, err);
}

static int cb_by_object(void *arg, const unsigned char sha[32], char code[WEBVERIFY_CODE_MAX],
                        kho_err *err)
{
	size_t i, j;

	(void)arg;
	for (i = 0; i < A.n; i++)
		for (j = 0; j < A.p[i].nobj; j++)
			if (memcmp(A.p[i].obj[j], sha, 32) == 0) {
				snprintf(code, WEBVERIFY_CODE_MAX, "%s", A.p[i].code);
				return 0;
			}
	return kho_err_set(err, KHO_ENOTFOUND, "not archived");
}

static int cb_status(void *arg, const char *code, char status[WEBVERIFY_STATUS_MAX],
                     unsigned char id[32], kho_err *err)
{
	struct apkg *p = find(code);

	(void)arg;
	if (p == NULL)
		return kho_err_set(err, KHO_ENOTFOUND, "unknown");
	snprintf(status, WEBVERIFY_STATUS_MAX, "%s", p->status);
	memcpy(id, p->id, 32);
	return 0;
}

static void cb_audit(void *arg, const char *action, const char *object, int status,
                     const char *detail)
{
	(void)arg;
	if (A.audit == NULL)
		return;
	pthread_mutex_lock(&A.audit_mu);
	fprintf(A.audit, "%s %s %d %s\n", action, object != NULL ? object : "-", status,
	        detail != NULL ? detail : "");
	fflush(A.audit);
	pthread_mutex_unlock(&A.audit_mu);
}

static int load_pkg(struct apkg *a, const char *path)
{
	pkg *p = NULL;
	record *rec = NULL;
	const pkg_entry *re;
	kho_buf b;
	kho_err err;
	size_t i;
	int rc;

	snprintf(a->path, sizeof a->path, "%s", path);
	snprintf(a->status, sizeof a->status, "valid");
	kho_buf_init(&b, 256u << 20);
	if ((rc = kho_read_file(&b, path, &err)) != 0 || (rc = kho_sha256(a->id, b.data, b.len)) != 0 ||
	    (rc = pkg_read_mem(&p, b.data, b.len, NULL, &err)) != 0) {
		fprintf(stderr, "webverify_server: %s: %s\n", path, err.msg);
		goto out;
	}
	re = pkg_find(p, RECORD_ENTRY);
	if (re == NULL || re->data == NULL ||
	    (rc = record_parse(&rec, re->data, (size_t)re->size, &err)) != 0) {
		fprintf(stderr, "webverify_server: %s: no valid record.xml\n", path);
		rc = KHO_EFORMAT;
		goto out;
	}
	snprintf(a->code, sizeof a->code, "%s", rec->result_code);
	for (i = 0; i < p->nentries && a->nobj < MAX_OBJS; i++) {
		const pkg_entry *e = &p->entries[i];
		if (strncmp(e->name, "META-INF/", 9) == 0 || strcmp(e->name, "mimetype") == 0)
			continue;
		if (e->data != NULL)
			kho_sha256(a->obj[a->nobj], e->data, (size_t)e->size);
		else
			memcpy(a->obj[a->nobj], e->sha256, 32);
		a->nobj++;
	}
	rc = qr_key_new(a->key, a->key_hash);
out:
	record_free(rec);
	pkg_free(p);
	kho_buf_free(&b);
	return rc;
}

/* The connection state of a request for a path that is not the module's. */
static int not_ours;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	webverify *wv = cls;
	webverify_mhd *m;
	char code[WEBVERIFY_CODE_MAX];
	int status = 0;

	(void)version;
	if (*con_cls == NULL) {
		/* Headers only: never queue now (0.9.75 keep-alive catch). */
		if (webverify_route(method, url, code) == WV_NONE) {
			*con_cls = &not_ours;
			return MHD_YES;
		}
		if (webverify_mhd_begin(&m, wv, c, method, url, NULL) != 0)
			return MHD_NO;
		*con_cls = m;
		return MHD_YES;
	}
	if (*con_cls == &not_ours) {
		static const char nf[] = "not found\n";
		struct MHD_Response *r;
		enum MHD_Result ok;
		if (*upload_data_size > 0) {
			*upload_data_size = 0;
			return MHD_YES;
		}
		r = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
		ok = MHD_queue_response(c, 404, r);
		MHD_destroy_response(r);
		return ok;
	}
	m = *con_cls;
	if (*upload_data_size > 0) {
		webverify_mhd_feed(m, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return webverify_mhd_respond(m, c, &status) ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls != NULL && *con_cls != &not_ours)
		webverify_mhd_free(*con_cls);
	*con_cls = NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: webverify_server --trust PEM --archive DIR [--port N] [--port-file F]\n"
	                "  [--keys-out F] [--qr-dir D] [--status F] [--audit F] [--rate N] [--burst N]\n"
	                "  [--max-upload BYTES] [--base-url URL]\n");
	return 3;
}

static void load_status(const char *path)
{
	char line[256], code[WEBVERIFY_CODE_MAX], st[WEBVERIFY_STATUS_MAX];
	struct apkg *p;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "%95s %31s", code, st) == 2 && (p = find(code)) != NULL)
			snprintf(p->status, sizeof p->status, "%s", st);
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *trust = NULL, *dir = NULL, *port_file = NULL, *keys_out = NULL, *qr_dir = NULL;
	const char *status_file = NULL, *audit_file = NULL, *base = NULL;
	unsigned port = 0;
	webverify_config cfg;
	webverify_archive arch;
	webverify *wv = NULL;
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *di;
	char baseb[128], url[1024], path[4000];
	struct dirent *de;
	DIR *dd;
	sigset_t ss;
	kho_err err;
	size_t i;
	int sig, a;

	memset(&cfg, 0, sizeof cfg);
	for (a = 1; a < argc; a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
		if (v == NULL)
			return usage();
		a++;
		if (strcmp(o, "--trust") == 0) trust = v;
		else if (strcmp(o, "--archive") == 0) dir = v;
		else if (strcmp(o, "--port") == 0) port = (unsigned)atoi(v);
		else if (strcmp(o, "--port-file") == 0) port_file = v;
		else if (strcmp(o, "--keys-out") == 0) keys_out = v;
		else if (strcmp(o, "--qr-dir") == 0) qr_dir = v;
		else if (strcmp(o, "--status") == 0) status_file = v;
		else if (strcmp(o, "--audit") == 0) audit_file = v;
		else if (strcmp(o, "--rate") == 0) cfg.rate_per_minute = (unsigned)atoi(v);
		else if (strcmp(o, "--burst") == 0) cfg.rate_burst = (unsigned)atoi(v);
		else if (strcmp(o, "--max-upload") == 0) cfg.max_upload = (size_t)strtoull(v, NULL, 10);
		else if (strcmp(o, "--base-url") == 0) base = v;
		else return usage();
	}
	if (trust == NULL || dir == NULL)
		return usage();
	if (verify_load_certs(&A.anchors, trust, &err) != 0) {
		fprintf(stderr, "webverify_server: %s\n", err.msg);
		return 1;
	}
	pthread_mutex_init(&A.audit_mu, NULL);
	if (audit_file != NULL && (A.audit = fopen(audit_file, "a")) == NULL) {
		perror(audit_file);
		return 1;
	}
	if ((dd = opendir(dir)) == NULL) {
		perror(dir);
		return 1;
	}
	while ((de = readdir(dd)) != NULL && A.n < MAX_PKGS) {
		size_t l = strlen(de->d_name);
		if (l < 7 || strcmp(de->d_name + l - 6, ".asice") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (load_pkg(&A.p[A.n], path) == 0)
			A.n++;
	}
	closedir(dd);
	if (status_file != NULL)
		load_status(status_file);

	cfg.vopts.anchors = A.anchors;
	memset(&arch, 0, sizeof arch);
	arch.key_hash = cb_key_hash;
	arch.report_by_code = cb_report;
	arch.code_by_object = cb_by_object;
	arch.status_of = cb_status;
	arch.audit = cb_audit;

	/* Signals are taken by sigwait in this thread only. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.base_url = NULL;
	if (webverify_new(&wv, &cfg, &arch, &err) != 0) {
		fprintf(stderr, "webverify_server: %s\n", err.msg);
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                     on_request, wv, MHD_OPTION_SOCK_ADDR, &sa,
	                     MHD_OPTION_THREAD_POOL_SIZE, 2u,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "webverify_server: cannot listen\n");
		return 1;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = di != NULL ? di->port : port;
	if (base == NULL) {
		snprintf(baseb, sizeof baseb, "http://127.0.0.1:%u", port);
		base = baseb;
	}
	if (keys_out != NULL) {
		FILE *f = fopen(keys_out, "w");
		for (i = 0; f != NULL && i < A.n; i++)
			if (webverify_qr_url(url, sizeof url, base, A.p[i].code, A.p[i].key) == 0)
				fprintf(f, "%s %s %s\n", A.p[i].code, A.p[i].key, url);
		if (f != NULL)
			fclose(f);
	}
	for (i = 0; qr_dir != NULL && i < A.n; i++) {
		kho_buf png, svg;
		kho_buf_init(&png, 4u << 20);
		kho_buf_init(&svg, 4u << 20);
		if (webverify_qr_url(url, sizeof url, base, A.p[i].code, A.p[i].key) == 0 &&
		    qr_png(&png, url, 6, &err) == 0 && qr_svg(&svg, url, 6, &err) == 0) {
			snprintf(path, sizeof path, "%s/%s.png", qr_dir, A.p[i].code);
			kho_write_file_durable(path, png.data, png.len, 0644, NULL);
			snprintf(path, sizeof path, "%s/%s.svg", qr_dir, A.p[i].code);
			kho_write_file_durable(path, svg.data, svg.len, 0644, NULL);
		}
		kho_buf_free(&png);
		kho_buf_free(&svg);
	}
	if (port_file != NULL) {
		char pb[16];
		snprintf(pb, sizeof pb, "%u\n", port);
		kho_write_file_durable(port_file, pb, strlen(pb), 0644, NULL);
	}
	printf("webverify_server: %zu packages, listening on 127.0.0.1:%u\n", A.n, port);
	fflush(stdout);
	sigwait(&ss, &sig);
	MHD_stop_daemon(d);
	webverify_free(wv);
	sk_X509_pop_free(A.anchors, X509_free);
	if (A.audit != NULL)
		fclose(A.audit);
	return 0;
}
