/*
 * api.c: the retention endpoints (api.h) on top of rstore.h. Parses JSON
 * bodies with jansson (capped at RAPI_MAX_JSON), checks the role, calls
 * the store and maps its KHO_E* codes to HTTP statuses.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "archive/audit.h"
#include "common/utf8.h"
#include "common/util.h"
#include "retention/api.h"

#define ROLE_RM 2
#define ROLE_AUDITOR 4

static int http_of(int rc)
{
	switch (rc) {
	case KHO_EINVAL: return 400;
	case KHO_EFORMAT: return 422;
	case KHO_ENOTFOUND: return 404;
	case KHO_EPERM: return 403;
	case KHO_EAUTH: return 401;
	case KHO_EEXIST:
	case KHO_ECONFLICT: return 409;
	case KHO_ETOOBIG: return 413;
	case KHO_EBUSY: return 503;
	default: return 500;
	}
}

static int answer_json(rapi_response *resp, int status, json_t *j)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (resp->body == NULL) {
		resp->status = 500;
		return KHO_ENOMEM;
	}
	resp->body_len = strlen(resp->body);
	return 0;
}

static int answer_error(rapi_response *resp, int status, const char *msg)
{
	char text[768], red[768];

	/* valid UTF-8 whatever the message quotes, or JSON refuses it */
	snprintf(text, sizeof text, "%s", msg);
	kho_utf8_scrub(text);
	/* For the trail: redacted before it is cut (a number cut in two
	 * would no longer be recognised). */
	memcpy(red, text, sizeof red);
	kho_redact_numbers(red);
	snprintf(resp->audit_detail, sizeof resp->audit_detail, "%.200s", red);
	kho_utf8_cut(resp->audit_detail, strlen(resp->audit_detail));
	return answer_json(resp, status, json_pack("{s:s,s:i}", "error", text, "status", status));
}

/* 405, with the route's methods for the Allow header and in the message. */
static int answer_405(rapi_response *resp, const char *allow)
{
	char m[64];

	snprintf(m, sizeof m, "use %s", allow);
	resp->allow = allow;
	return answer_error(resp, 405, m);
}

static int answer_rc(rapi_response *resp, int rc, const kho_err *err)
{
	return answer_error(resp, http_of(rc), err->msg[0] ? err->msg : kho_strerror(rc));
}

static int32_t today(void)
{
	return kho_local_day(kho_now());
}

/* quotable: 1 if a name the client sent (k, n bytes) may be quoted in a
 * refusal: no digit (refusals are audited: no personal number reaches the
 * trail, even as a name) and at most max bytes. */
static int quotable(const char *k, size_t n, size_t max)
{
	for (size_t i = 0; i < n; i++)
		if (k[i] >= '0' && k[i] <= '9')
			return 0;
	return n <= max;
}

/*
 * body_json: the request body as a JSON object (an empty body is {}), with
 * no member but those in known (NULL-terminated): a misspelt member
 * ("deadline_day") must not leave a default in force unnoticed. The
 * refusal names the member unless it holds a digit: refusals are audited,
 * and a personal number must not reach the trail, even as a member name.
 */
static json_t *body_json(const rapi_request *q, rapi_response *resp, const char *const *known)
{
	json_error_t je;
	json_t *j, *v;
	const char *k;

	if (q->body_len == 0)
		return json_object();
	if (q->body_len > RAPI_MAX_JSON) {
		answer_error(resp, 413, "JSON body too large");
		return NULL;
	}
	j = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		char m[300];
		snprintf(m, sizeof m, "malformed JSON body: %s", j ? "not an object" : je.text);
		json_decref(j);
		answer_error(resp, 400, m);
		return NULL;
	}
	json_object_foreach(j, k, v) {
		size_t i;
		char m[160];
		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] != NULL)
			continue;
		if (quotable(k, strlen(k), 64))
			snprintf(m, sizeof m, "unknown member \"%s\"", k);
		else
			snprintf(m, sizeof m, "a member the route does not take was given");
		json_decref(j);
		answer_error(resp, 400, m);
		return NULL;
	}
	return j;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * jday: the "YYYY-MM-DD" member k into *out (DUE_NONE if absent: the store
 * says what is missing). A member given but not a valid date (a number,
 * "2025-02-30") is answered here with 400 naming it; returns -1 then.
 */
static int jday(int32_t *out, json_t *o, const char *k, rapi_response *resp)
{
	char m[160];
	json_t *v = json_object_get(o, k);
	const char *s = json_string_value(v);

	*out = DUE_NONE;
	if (v == NULL || json_is_null(v))
		return 0;
	if (s != NULL && due_parse(out, s) == 0)
		return 0;
	if (s != NULL)
		snprintf(m, sizeof m, "%s '%.20s' is not a valid date YYYY-MM-DD", k, s);
	else
		snprintf(m, sizeof m, "%s must be a date YYYY-MM-DD", k);
	answer_error(resp, 400, m);
	return -1;
}

/*
 * jint: the integer member k into *out (dflt if absent), refused with 400
 * naming it when it is not an integer within lo..hi; returns -1 then.
 */
static int jint(int *out, json_t *o, const char *k, int dflt, int lo, int hi,
                rapi_response *resp)
{
	char m[160];
	json_t *v = json_object_get(o, k);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi) {
		*out = (int)json_integer_value(v);
		return 0;
	}
	snprintf(m, sizeof m, "%s must be an integer %d..%d", k, lo, hi);
	answer_error(resp, 400, m);
	return -1;
}

/* A query parameter a route takes, and the values it may have. */
struct qparam {
	const char *name;
	const char *const *values;   /* NULL-terminated */
};

static const char *const zero_one[] = { "0", "1", NULL };
static const char *const batch_formats[] = { "json", "csv", "html", NULL };
static const char *const report_formats[] = { "json", "csv", NULL };
static const struct qparam no_params[] = { { NULL, NULL } };
static const struct qparam schedule_params[] = {
	{ "confirm_shorten", zero_one }, { "new_identifier", zero_one }, { NULL, NULL }
};
static const struct qparam batch_params[] = { { "format", batch_formats }, { NULL, NULL } };
static const struct qparam report_params[] = { { "format", report_formats }, { NULL, NULL } };

/*
 * query_refused: 1, with a 400 in resp, if the query string q (rebuilt by
 * the server from the decoded arguments: "k=v&k=v", with '&', '=' and '%'
 * inside names and values encoded again) holds a parameter the route does
 * not take, one twice, or a value it does not know. The lookup refuses the
 * same (which one was meant would be a guess); here "?format=json&format=csv"
 * answered CSV and "?format=xml" JSON (found by review, 2026-12-07). A name
 * holding a digit is not quoted: refusals are audited.
 */
static int query_refused(const char *q, const struct qparam *known, rapi_response *resp)
{
	unsigned seen = 0;
	char m[200];

	while (q != NULL && *q != '\0') {
		size_t len = strcspn(q, "&"), nl = strcspn(q, "=");
		const char *v = nl < len ? q + nl + 1 : q + len;
		size_t vl = (size_t)(q + len - v), i, j;

		if (nl > len)
			nl = len;
		for (i = 0; known[i].name != NULL; i++)
			if (strlen(known[i].name) == nl && memcmp(known[i].name, q, nl) == 0)
				break;
		if (known[i].name == NULL) {
			if (known[0].name == NULL)
				snprintf(m, sizeof m, "this request takes no query parameters");
			else if (!quotable(q, nl, 40))
				snprintf(m, sizeof m, "unknown query parameter");
			else
				snprintf(m, sizeof m, "unknown query parameter \"%.*s\"", (int)nl, q);
			answer_error(resp, 400, m);
			return 1;
		}
		if (seen & (1u << i)) {
			snprintf(m, sizeof m, "query parameter \"%s\" given twice", known[i].name);
			answer_error(resp, 400, m);
			return 1;
		}
		seen |= 1u << i;
		for (j = 0; known[i].values[j] != NULL; j++)
			if (strlen(known[i].values[j]) == vl && memcmp(known[i].values[j], v, vl) == 0)
				break;
		if (known[i].values[j] == NULL) {
			size_t n = (size_t)snprintf(m, sizeof m, "query parameter \"%s\" must be",
			                            known[i].name);
			for (j = 0; known[i].values[j] != NULL && n < sizeof m; j++)
				n += (size_t)snprintf(m + n, sizeof m - n, "%s %s", j ? " or" : "",
				                      known[i].values[j]);
			answer_error(resp, 400, m);
			return 1;
		}
		q += len + (q[len] == '&');
	}
	return 0;
}

static int query_flag(const char *q, const char *name, const char *value)
{
	char want[64];
	const char *p;
	size_t n;

	if (q == NULL)
		return 0;
	n = (size_t)snprintf(want, sizeof want, "%s=%s", name, value);
	for (p = q; (p = strstr(p, want)) != NULL; p++)
		if ((p == q || p[-1] == '&') && (p[n] == '\0' || p[n] == '&'))
			return 1;
	return 0;
}

int rapi_is_retention_path(const char *p)
{
	size_t n = strlen(p);
	if (strcmp(p, "/v1/schedules") == 0 || strncmp(p, "/v1/holds", 9) == 0 ||
	    strncmp(p, "/v1/disposition/", 16) == 0 || strncmp(p, "/v1/retention/", 14) == 0)
		return 1;
	if (strncmp(p, "/v1/results/", 12) != 0)
		return 0;
	return (n > 7 && strcmp(p + n - 7, "/events") == 0) ||
	       (n > 7 && strcmp(p + n - 7, "/review") == 0) ||
	       (n > 10 && strcmp(p + n - 10, "/tombstone") == 0);
}

/* The answer to a batch step that returned rc: its error, or the batch's JSON. */
static int batch_answer(rstore *r, int64_t id, int rc, kho_err *err, rapi_response *resp)
{
	json_t *out = NULL;

	if (rc == 0)
		rc = rstore_batch_json(r, id, &out, err);
	return rc ? answer_rc(resp, rc, err) : answer_json(resp, 200, out);
}

/* code_between: the {code} of /v1/results/{code}/suffix into out. */
static int code_between(char *out, size_t n, const char *path, size_t suffix_len)
{
	size_t len = strlen(path);
	if (len <= 12 + suffix_len || len - 12 - suffix_len >= n)
		return -1;
	memcpy(out, path + 12, len - 12 - suffix_len);
	out[len - 12 - suffix_len] = '\0';
	return strchr(out, '/') ? -1 : 0;
}

static int route(rstore *r, const rapi_request *q, const rstore_signer *signer,
                 rapi_response *resp)
{
	const char *m = q->method, *p = q->path, *actor = q->actor ? q->actor : "anonymous";
	int rm = q->role == ROLE_RM, reader = rm || q->role == ROLE_AUDITOR;
	kho_err err = { 0, "" };
	json_t *b = NULL, *out = NULL;
	char code[CATALOG_CODE_MAX];
	int rc, ret;

	memset(resp, 0, sizeof *resp);
	{
		const struct qparam *known = no_params;
		const char *bid = strncmp(p, "/v1/disposition/batches/", 24) == 0 ? p + 24 : NULL;
		if (strcmp(p, "/v1/schedules") == 0)
			known = schedule_params;
		else if (strcmp(p, "/v1/retention/report") == 0)
			known = report_params;
		else if (bid != NULL && *bid != '\0' && strspn(bid, "0123456789") == strlen(bid))
			known = batch_params;
		if (query_refused(q->query, known, resp))
			return 0;
	}
	/* PUT /v1/schedules */
	if (strcmp(p, "/v1/schedules") == 0) {
		if (strcmp(m, "PUT") != 0)
			return answer_405(resp, "PUT");
		if (!rm)
			return answer_error(resp, 403, "publishing a schedule needs a records_manager");
		rc = rstore_publish(r, q->body, q->body_len, actor, today(),
		                    (query_flag(q->query, "confirm_shorten", "1") ? RSTORE_CONFIRM_SHORTEN
		                                                                  : 0) |
		                    (query_flag(q->query, "new_identifier", "1") ? RSTORE_NEW_IDENTIFIER
		                                                                 : 0),
		                    &out, &err);
		return rc ? answer_rc(resp, rc, &err) : answer_json(resp, 201, out);
	}
	/* /v1/holds and /v1/holds/{id} */
	if (strcmp(p, "/v1/holds") == 0) {
		if (strcmp(m, "GET") == 0) {
			if (!reader)
				return answer_error(resp, 403, "needs a records_manager or auditor");
			rc = rstore_holds_json(r, &out, &err);
			return rc ? answer_rc(resp, rc, &err) : answer_json(resp, 200, out);
		}
		if (strcmp(m, "POST") != 0)
			return answer_405(resp, "GET, POST");
		if (!rm)
			return answer_error(resp, 403, "placing a hold needs a records_manager");
		if ((b = body_json(q, resp, (const char *const[]){ "scope", "target", "reason",
		                                                     "authority", NULL })) == NULL)
			return 0;
		{
			char id[32];
			rc = rstore_hold_place(r, jstr(b, "scope"), jstr(b, "target"), jstr(b, "reason"),
			                       jstr(b, "authority"), actor, today(), id, sizeof id, &err);
			json_decref(b);
			return rc ? answer_rc(resp, rc, &err)
			          : answer_json(resp, 201, json_pack("{s:s}", "id", id));
		}
	}
	if (strncmp(p, "/v1/holds/", 10) == 0) {
		if (p[10] == '\0' || strchr(p + 10, '/') != NULL)
			return answer_error(resp, 404, "no such route");
		if (strcmp(m, "DELETE") != 0)
			return answer_405(resp, "DELETE");
		if (!rm)
			return answer_error(resp, 403, "releasing a hold needs a records_manager");
		if ((b = body_json(q, resp, (const char *const[]){ "reason", NULL })) == NULL)
			return 0;
		rc = rstore_hold_release(r, p + 10, jstr(b, "reason"), actor, today(), &err);
		json_decref(b);
		return rc ? answer_rc(resp, rc, &err)
		          : answer_json(resp, 200, json_pack("{s:s,s:s}", "id", p + 10, "status",
		                                             "released"));
	}
	/* /v1/disposition/batches[/{id}[/approve|/reject|/execute|/export|/ack]] */
	if (strcmp(p, "/v1/disposition/batches") == 0) {
		int64_t id;
		size_t skipped = 0;
		if (strcmp(m, "POST") != 0)
			return answer_405(resp, "POST");
		if (!rm)
			return answer_error(resp, 403, "proposing a batch needs a records_manager");
		if ((b = body_json(q, resp, (const char *const[]){ "kind", "results", NULL })) == NULL)
			return 0;
		{
			/* Optional "results": the records selected (e.g. for a transfer). */
			const char *sel[RAPI_MAX_SELECTED];
			json_t *a = json_object_get(b, "results"), *e;
			size_t n = 0, k;
			if (a != NULL && (!json_is_array(a) || json_array_size(a) > RAPI_MAX_SELECTED)) {
				json_decref(b);
				return answer_error(resp, 400, "results must be an array of at most 1000 "
				                    "result codes");
			}
			json_array_foreach(a, k, e) {
				if (!json_is_string(e)) {
					json_decref(b);
					return answer_error(resp, 400, "results must hold result codes");
				}
				sel[n++] = json_string_value(e);
			}
			rc = rstore_batch_propose(r, jstr(b, "kind") ? jstr(b, "kind") : "destroy", actor,
			                          today(), sel, n, &id, &skipped, &err);
		}
		json_decref(b);
		if (rc != 0)
			return answer_rc(resp, rc, &err);
		if ((rc = rstore_batch_json(r, id, &out, &err)) != 0)
			return answer_rc(resp, rc, &err);
		/* Eligible records left out: already in an open batch. */
		json_object_set_new(out, "skipped_in_open_batches", json_integer((json_int_t)skipped));
		return answer_json(resp, 201, out);
	}
	if (strncmp(p, "/v1/disposition/batches/", 24) == 0) {
		char *end = NULL;
		long long id;
		errno = 0;
		id = strtoll(p + 24, &end, 10);
		if (id <= 0 || end == p + 24 || errno == ERANGE)
			return answer_error(resp, 404, "no such batch");
		if (*end == '\0') {
			if (strcmp(m, "GET") != 0)
				return answer_405(resp, "GET");
			if (!reader)
				return answer_error(resp, 403, "needs a records_manager or auditor");
			/* Item 7: the list (CSV) and the printable explanatory note
			 * (HTML) generated when the batch was proposed. */
			if (query_flag(q->query, "format", "csv") || query_flag(q->query, "format", "html")) {
				int csv = query_flag(q->query, "format", "csv");
				size_t len = 0;
				kho_buf db;
				kho_buf_init(&db, RAPI_MAX_BATCH_DOCUMENT);
				if ((rc = rstore_batch_document(r, id, csv ? "list.csv" : "note.html", &db,
				                                &err)) != 0) {
					kho_buf_release(&db);
					return answer_rc(resp, rc, &err);
				}
				resp->body = (char *)kho_buf_steal(&db, &len);
				if (resp->body == NULL && len != 0)
					return answer_error(resp, 500, "out of memory");
				resp->body_len = len;
				resp->status = 200;
				resp->content_type = csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8";
				snprintf(resp->audit_detail, sizeof resp->audit_detail, "batch %lld %s", id,
				         csv ? "list (CSV)" : "explanatory note (HTML)");
				return 0;
			}
			rc = rstore_batch_json(r, id, &out, &err);
			return rc ? answer_rc(resp, rc, &err) : answer_json(resp, 200, out);
		}
		if (strcmp(end, "/certificate") == 0) {
			/* Item 7: the sealed destruction certificate, read back from
			 * the store (it verifies with kho verify). */
			char sha[65];
			size_t len = 0;
			kho_buf cb;
			if (strcmp(m, "GET") != 0)
				return answer_405(resp, "GET");
			if (!reader)
				return answer_error(resp, 403, "needs a records_manager or auditor");
			kho_buf_init(&cb, RAPI_MAX_CERTIFICATE);
			if ((rc = rstore_certificate_get(r, id, &cb, sha, &err)) != 0) {
				kho_buf_release(&cb);
				return answer_rc(resp, rc == KHO_ECRYPTO ? KHO_EIO : rc, &err);
			}
			resp->body = (char *)kho_buf_steal(&cb, &len);
			if (resp->body == NULL)
				return answer_error(resp, 500, "out of memory");
			resp->body_len = len;
			resp->status = 200;
			resp->content_type = "application/vnd.etsi.asic-e+zip";
			snprintf(resp->audit_detail, sizeof resp->audit_detail,
			         "destruction certificate of batch %lld, sha256 %s", id, sha);
			return 0;
		}
		/* The sub-route first: an unknown one is 404 whatever the method. */
		if (strcmp(end, "/approve") != 0 && strcmp(end, "/reject") != 0 &&
		    strcmp(end, "/export") != 0 && strcmp(end, "/ack") != 0 &&
		    strcmp(end, "/execute") != 0)
			return answer_error(resp, 404, "no such route");
		if (strcmp(m, "POST") != 0)
			return answer_405(resp, "POST");
		if (!rm)
			return answer_error(resp, 403, "needs a records_manager");
		{
			static const char *const approve[] = { "decision", "decision_date",
			                                       "deadline_days", NULL };
			static const char *const reject[] = { "reason", "decision", NULL };
			static const char *const ack[] = { "receipt", "custody", NULL };
			static const char *const none[] = { NULL };
			if ((b = body_json(q, resp, strcmp(end, "/approve") == 0 ? approve
			                            : strcmp(end, "/reject") == 0 ? reject
			                            : strcmp(end, "/ack") == 0 ? ack : none)) == NULL)
				return 0;
		}
		if (strcmp(end, "/approve") == 0) {
			int32_t dday;
			int ddays;
			if (jday(&dday, b, "decision_date", resp) != 0 ||
			    jint(&ddays, b, "deadline_days", 0, 1, 15, resp) != 0) {
				json_decref(b);
				return 0;
			}
			rc = rstore_batch_approve(r, id, actor, jstr(b, "decision"), dday, today(), ddays,
			                          &err);
			json_decref(b);
			return batch_answer(r, id, rc, &err, resp);
		}
		if (strcmp(end, "/reject") == 0) {
			rc = rstore_batch_reject(r, id, actor, jstr(b, "reason"), jstr(b, "decision"),
			                         today(), &err);
			json_decref(b);
			return batch_answer(r, id, rc, &err, resp);
		}
		if (strcmp(end, "/export") == 0) {
			char bag[PATH_MAX];
			json_decref(b);
			if (rstore_bag_path(r, id, bag, sizeof bag, &err) != 0)
				return answer_rc(resp, KHO_EINVAL, &err);
			rc = rstore_transfer_execute(r, id, actor, today(), bag, NULL, &out, &err);
			return rc ? answer_rc(resp, rc, &err) : answer_json(resp, 200, out);
		}
		if (strcmp(end, "/ack") == 0) {
			rc = rstore_transfer_ack(r, id, jstr(b, "receipt"), jstr(b, "custody"), actor,
			                         today(), &err);
			json_decref(b);
			return batch_answer(r, id, rc, &err, resp);
		}
		json_decref(b);
		/* "/execute", the one sub-route left */
		if (signer == NULL)
			return answer_error(resp, 503, "no archive signer configured for destruction"
			                               " certificates");
		rc = rstore_batch_execute(r, id, actor, today(), signer, &out, &err);
		return rc ? answer_rc(resp, rc, &err) : answer_json(resp, 200, out);
	}
	if (strcmp(p, "/v1/retention/report") == 0) {
		if (strcmp(m, "GET") != 0)
			return answer_405(resp, "GET");
		if (!reader)
			return answer_error(resp, 403, "needs a records_manager or auditor");
		if ((rc = rstore_report(r, today(), &out, &err)) != 0)
			return answer_rc(resp, rc, &err);
		if (query_flag(q->query, "format", "csv")) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);
			if (f == NULL) {
				json_decref(out);
				return answer_error(resp, 500, "out of memory");
			}
			rstore_report_csv(out, f);
			fclose(f);
			json_decref(out);
			resp->status = 200;
			resp->content_type = "text/csv; charset=utf-8";
			resp->body = buf;
			resp->body_len = len;
			return 0;
		}
		return answer_json(resp, 200, out);
	}
	/* /v1/results/{code}/events|review|tombstone */
	if (strncmp(p, "/v1/results/", 12) == 0) {
		size_t n = strlen(p);
		if (n > 10 && strcmp(p + n - 10, "/tombstone") == 0) {
			if (code_between(code, sizeof code, p, 10) != 0)
				return answer_error(resp, 404, "no such route");
			if (strcmp(m, "GET") != 0)
				return answer_405(resp, "GET");
			rc = rstore_tombstone_json(r, code, &out, &err);
			/* 410 Gone: the record existed and was destroyed under a decision. */
			return rc ? answer_rc(resp, rc, &err) : answer_json(resp, 410, out);
		}
		if (n > 7 && (strcmp(p + n - 7, "/events") == 0 || strcmp(p + n - 7, "/review") == 0)) {
			int events = strcmp(p + n - 7, "/events") == 0;
			if (code_between(code, sizeof code, p, 7) != 0)
				return answer_error(resp, 404, "no such route");
			if (strcmp(m, "POST") != 0)
				return answer_405(resp, "POST");
			if (!rm)
				return answer_error(resp, 403, "needs a records_manager");
			if ((b = body_json(q, resp, events ? (const char *const[]){ "kind", "date", "name",
			                                                            NULL }
			                                   : (const char *const[]){ "outcome", "years",
			                                                            "date", "decision",
			                                                            NULL })) == NULL)
				return 0;
			{
				int32_t day;
				int years = 0;
				if (jday(&day, b, "date", resp) != 0 ||
				    (!events && jint(&years, b, "years", 0, 0, INT_MAX, resp) != 0)) {
					json_decref(b);
					return 0;
				}
				if (events)
					rc = rstore_add_event(r, code, jstr(b, "kind"), day, jstr(b, "name"),
					                      actor, &err);
				else
					rc = rstore_review(r, code, jstr(b, "outcome"), years, day,
					                   jstr(b, "decision"), actor, &err);
			}
			json_decref(b);
			if (rc != 0)
				return answer_rc(resp, rc, &err);
			ret = answer_json(resp, 201, json_pack("{s:s,s:s}", "result_code", code, "status",
			                                       "recorded"));
			return ret;
		}
	}
	return answer_error(resp, 404, "no such route");
}

/*
 * rapi_handle: route, then audit a refusal (docs/api.md, "Retention
 * routes"): 403 as action "denied" like the daemon's own routes, any other
 * error status as "retention-refused", object the path, detail the method
 * and the message (which never quotes a personal number: a subject hold's
 * target is not echoed). Changes that succeed are audited by the store in
 * their own transaction; successful reads are not audited.
 */
int rapi_handle(rstore *r, const rstore_signer *signer, const rapi_request *q,
                rapi_response *resp)
{
	int ret = route(r, q, signer, resp);

	if (resp->status >= 400 && r != NULL) {
		char detail[300], obj[1024];
		audit_event ev;
		snprintf(detail, sizeof detail, "%s: %s", q->method, resp->audit_detail);
		kho_utf8_cut(detail, strlen(detail));
		/* No personal number a client put in the path or the body (a
		 * subject hold's target quoted by an error) in the trail. */
		kho_redact_numbers(detail);
		snprintf(obj, sizeof obj, "%s", q->path);
		kho_utf8_cut(obj, strlen(obj));
		kho_redact_numbers(obj);
		ev.actor = q->actor ? q->actor : "anonymous";
		ev.action = resp->status == 403 ? "denied" : "retention-refused";
		ev.object = obj;
		ev.status = resp->status;
		ev.detail = detail;
		/* An audit that fails does not change the answer: the refusal
		 * stands, and the trail's own faults are fsck's to report. */
		audit_append(rstore_catalog(r), &ev, NULL);
	}
	return ret;
}

void rapi_response_clear(rapi_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->allow = NULL;
}
