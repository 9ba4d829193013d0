/*
 * http_util.c: routes, bearer tokens and JSON bodies (see http_util.h).
 * JSON is parsed by jansson with duplicate keys refused; every string is
 * checked for its type and length before it is copied.
 */
#include "archive/http_util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "archive/record.h"
#include "archive/store.h"
#include "common/util.h"

static const struct {
	enum http_route r;
	const char *name;
	int roles;
	enum http_body body;
} routes[HTTP_R_COUNT] = {
	{ HTTP_R_NONE, "none", 0, HTTP_BODY_NONE },
	{ HTTP_R_HEALTHZ, "healthz", 0, HTTP_BODY_NONE },
	{ HTTP_R_METRICS, "metrics", TOKEN_ADMIN | TOKEN_AUDITOR, HTTP_BODY_NONE },
	{ HTTP_R_VERIFY_PAGE, "verify_page", 0, HTTP_BODY_NONE },
	{ HTTP_R_VERIFY, "verify", 0, HTTP_BODY_FILE },
	{ HTTP_R_PACKAGES_POST, "packages_post", TOKEN_OFFICER, HTTP_BODY_FILE },
	{ HTTP_R_PACKAGE_GET, "package_get", TOKEN_OFFICER | TOKEN_RECORDS_MANAGER | TOKEN_AUDITOR,
	  HTTP_BODY_NONE },
	{ HTTP_R_PACKAGE_REPORT, "package_report",
	  TOKEN_OFFICER | TOKEN_RECORDS_MANAGER | TOKEN_AUDITOR, HTTP_BODY_NONE },
	{ HTTP_R_RESULTS_POST, "results_post", TOKEN_OFFICER, HTTP_BODY_JSON },
	{ HTTP_R_RESULT_GET, "result_get", TOKEN_OFFICER | TOKEN_RECORDS_MANAGER | TOKEN_AUDITOR,
	  HTTP_BODY_NONE },
	{ HTTP_R_RESULT_STATUS, "result_status", TOKEN_RECORDS_MANAGER, HTTP_BODY_JSON },
	{ HTTP_R_LOOKUP, "lookup", TOKEN_OFFICER, HTTP_BODY_NONE },
	{ HTTP_R_STATS_REUSE, "stats_reuse", TOKEN_RECORDS_MANAGER | TOKEN_AUDITOR | TOKEN_ADMIN,
	  HTTP_BODY_NONE },
	{ HTTP_R_AUDIT, "audit", TOKEN_AUDITOR, HTTP_BODY_NONE },
	{ HTTP_R_RESULT_QR, "result_qr", TOKEN_OFFICER, HTTP_BODY_NONE },
	{ HTTP_R_RETENTION, "retention", 0, HTTP_BODY_JSON },
};

const char *http_route_name(enum http_route r)
{
	return (unsigned)r < HTTP_R_COUNT ? routes[r].name : "none";
}

int http_route_roles(enum http_route r)
{
	return (unsigned)r < HTTP_R_COUNT ? routes[r].roles : 0;
}

enum http_body http_route_body(enum http_route r)
{
	return (unsigned)r < HTTP_R_COUNT ? routes[r].body : HTTP_BODY_NONE;
}

static int set(http_match *out, enum http_route r, const char *method, const char *want)
{
	out->route = r;
	out->allow = r == HTTP_R_HEALTHZ ? "GET, HEAD" : want;
	return strcmp(method, want) == 0 ? 0 : KHO_EINVAL;
}

/* Copy one path segment of at most HTTP_ARG_MAX bytes; return its end. */
static const char *segment(const char *p, char *out, int *ok)
{
	size_t n = strcspn(p, "/");

	*ok = n > 0 && n <= HTTP_ARG_MAX;
	if (*ok) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
	return p + n;
}

int http_route_parse(const char *method, const char *path, http_match *out)
{
	const char *p, *rest;
	int ok;

	memset(out, 0, sizeof *out);
	if (method == NULL || path == NULL)
		return KHO_EINVAL;
	if (strcmp(path, "/healthz") == 0)
		/* HEAD too, for monitoring probes (MHD sends no body). */
		return set(out, HTTP_R_HEALTHZ, strcmp(method, "HEAD") == 0 ? "GET" : method, "GET");
	if (strcmp(path, "/metrics") == 0)
		return set(out, HTTP_R_METRICS, method, "GET");
	if (strcmp(path, "/verify") == 0 || strcmp(path, "/verify/") == 0)
		return set(out, HTTP_R_VERIFY_PAGE, method, "GET");
	if (strcmp(path, "/v1/verify") == 0)
		return set(out, HTTP_R_VERIFY, method, "POST");
	if (strcmp(path, "/v1/packages") == 0)
		return set(out, HTTP_R_PACKAGES_POST, method, "POST");
	if (strcmp(path, "/v1/results") == 0)
		return set(out, HTTP_R_RESULTS_POST, method, "POST");
	if (strcmp(path, "/v1/lookup") == 0)
		return set(out, HTTP_R_LOOKUP, method, "GET");
	if (strcmp(path, "/v1/stats/reuse") == 0)
		return set(out, HTTP_R_STATS_REUSE, method, "GET");
	if (strcmp(path, "/v1/audit") == 0)
		return set(out, HTTP_R_AUDIT, method, "GET");
	if (strncmp(path, "/v1/packages/", 13) == 0) {
		p = path + 13;
		rest = segment(p, out->arg, &ok);
		if (!ok)
			return KHO_ENOTFOUND;
		if (*rest == '\0') {
			if (set(out, HTTP_R_PACKAGE_GET, method, "GET") != 0)
				return KHO_EINVAL;
		} else if (strcmp(rest, "/report") == 0) {
			if (set(out, HTTP_R_PACKAGE_REPORT, method, "GET") != 0)
				return KHO_EINVAL;
		} else {
			return KHO_ENOTFOUND;
		}
		return store_is_id(out->arg) ? 0 : KHO_EFORMAT;
	}
	if (strncmp(path, "/v1/results/", 12) == 0) {
		p = path + 12;
		rest = segment(p, out->arg, &ok);
		if (!ok)
			return KHO_ENOTFOUND;
		if (*rest == '\0') {
			if (set(out, HTTP_R_RESULT_GET, method, "GET") != 0)
				return KHO_EINVAL;
		} else if (strcmp(rest, "/status") == 0) {
			if (set(out, HTTP_R_RESULT_STATUS, method, "POST") != 0)
				return KHO_EINVAL;
		} else if (strcmp(rest, "/qr") == 0) {
			if (set(out, HTTP_R_RESULT_QR, method, "GET") != 0)
				return KHO_EINVAL;
		} else {
			return KHO_ENOTFOUND;
		}
		return record_is_result_code(out->arg) ? 0 : KHO_EFORMAT;
	}
	return KHO_ENOTFOUND;
}

int http_bearer(const char *h, char out[TOKEN_LEN + 1])
{
	size_t n;

	out[0] = '\0';
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return KHO_EAUTH;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n != TOKEN_LEN)
		return KHO_EAUTH;
	memcpy(out, h, n);
	out[n] = '\0';
	return 0;
}

int http_is_date(const char *s)
{
	time_t t;

	return s != NULL && strlen(s) == 10 && kho_time_parse(&t, s) == 0;
}

static int get_str(json_t *o, const char *key, char *out, size_t n, int required, kho_err *err)
{
	json_t *v = json_object_get(o, key);

	out[0] = '\0';
	if (v == NULL || json_is_null(v)) {
		if (required)
			return kho_err_set(err, KHO_EFORMAT, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return kho_err_set(err, KHO_EFORMAT, "\"%s\" must be a string", key);
	if (json_string_length(v) >= n || strlen(json_string_value(v)) != json_string_length(v))
		return kho_err_set(err, KHO_EFORMAT, "\"%s\" is too long or contains NUL", key);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int http_parse_status_body(http_status_req *out, const void *data, size_t len, kho_err *err)
{
	json_error_t je;
	json_t *o;
	const char *k;
	json_t *v;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (len > HTTP_STATUS_BODY_MAX)
		return kho_err_set(err, KHO_ETOOBIG, "body too large");
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return kho_err_set(err, KHO_EFORMAT, "JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(o)) {
		rc = kho_err_set(err, KHO_EFORMAT, "the body must be a JSON object");
		goto out;
	}
	json_object_foreach(o, k, v) {
		if (strcmp(k, "status") != 0 && strcmp(k, "decision") != 0 &&
		    strcmp(k, "superseded_by") != 0 && strcmp(k, "effective") != 0) {
			rc = kho_err_set(err, KHO_EFORMAT, "unknown member \"%.64s\"", k);
			goto out;
		}
	}
	if ((rc = get_str(o, "status", out->status, sizeof out->status, 1, err)) != 0 ||
	    (rc = get_str(o, "decision", out->decision, sizeof out->decision, 1, err)) != 0 ||
	    (rc = get_str(o, "superseded_by", out->superseded_by, sizeof out->superseded_by, 0,
	                  err)) != 0)
		goto out;
	if (out->superseded_by[0] != '\0' && !record_is_result_code(out->superseded_by))
		rc = kho_err_set(err, KHO_EFORMAT, "superseded_by must be a result code");
	else if (get_str(o, "effective", out->effective, sizeof out->effective, 0, err) != 0 ||
	         (out->effective[0] != '\0' && !http_is_date(out->effective)))
		rc = kho_err_set(err, KHO_EFORMAT, "effective must be a date YYYY-MM-DD");
out:
	json_decref(o);
	return rc;
}

static int b64_member(kho_buf *out, json_t *v, const char *what, kho_err *err)
{
	if (!json_is_string(v))
		return kho_err_set(err, KHO_EFORMAT, "%s must be a base64 string", what);
	if (kho_base64_decode(out, json_string_value(v), json_string_length(v)) != 0)
		return kho_err_set(err, KHO_EFORMAT, "%s is not valid base64 or too large", what);
	return 0;
}

/* only_members: KHO_EFORMAT naming the first member of o that is not one
 * of the names given (a NULL-terminated list); where prefixes the name. */
static int only_members(json_t *o, const char *where, const char *a, const char *b,
                        const char *c, kho_err *err)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if ((a != NULL && strcmp(k, a) == 0) || (b != NULL && strcmp(k, b) == 0) ||
		    (c != NULL && strcmp(k, c) == 0))
			continue;
		return kho_err_set(err, KHO_EFORMAT, "unknown member \"%s%.64s\"", where, k);
	}
	return 0;
}

int http_parse_results_body(http_results_req *out, const void *data, size_t len, size_t max,
                            kho_err *err)
{
	json_error_t je;
	json_t *o, *files, *f;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof *out);
	kho_buf_init(&out->record_xml, 256u * 1024);
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return kho_err_set(err, KHO_EFORMAT, "JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(o)) {
		rc = kho_err_set(err, KHO_EFORMAT, "the body must be a JSON object");
		goto out;
	}
	/* Unknown members are refused, as in the status body: a misspelt
	 * member ("fiels") must not seal something other than what was meant. */
	if ((rc = only_members(o, "", "record_xml", "files", NULL, err)) != 0)
		goto out;
	if ((rc = b64_member(&out->record_xml, json_object_get(o, "record_xml"), "record_xml",
	                     err)) != 0)
		goto out;
	files = json_object_get(o, "files");
	if (!json_is_array(files) || json_array_size(files) == 0 ||
	    json_array_size(files) > HTTP_RESULTS_MAX_FILES) {
		rc = kho_err_set(err, KHO_EFORMAT, "\"files\" must be an array of 1 to %d files",
		                 HTTP_RESULTS_MAX_FILES);
		goto out;
	}
	json_array_foreach(files, i, f) {
		json_t *name = json_object_get(f, "name"), *mime = json_object_get(f, "mime");
		char where[32];
		snprintf(where, sizeof where, "files[%zu].", i);
		if (json_is_object(f) && (rc = only_members(f, where, "name", "mime", "data", err)) != 0)
			goto out;
		if (!json_is_object(f) || !json_is_string(name) || json_string_length(name) == 0 ||
		    json_string_length(name) > 255 ||
		    strlen(json_string_value(name)) != json_string_length(name)) {
			rc = kho_err_set(err, KHO_EFORMAT, "files[%zu].name must be a string of 1..255 bytes", i);
			goto out;
		}
		if (mime != NULL && !json_is_null(mime) &&
		    (!json_is_string(mime) || json_string_length(mime) > 127)) {
			rc = kho_err_set(err, KHO_EFORMAT, "files[%zu].mime must be a short string", i);
			goto out;
		}
		out->files[i].name = strdup(json_string_value(name));
		out->files[i].mime = json_is_string(mime) ? strdup(json_string_value(mime)) : NULL;
		kho_buf_init(&out->files[i].data, max);
		out->nfiles = i + 1;
		if (out->files[i].name == NULL) {
			rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = b64_member(&out->files[i].data, json_object_get(f, "data"), "files[].data",
		                     err)) != 0)
			goto out;
	}
out:
	json_decref(o);
	return rc;
}

void http_results_req_free(http_results_req *r)
{
	size_t i;

	if (r == NULL)
		return;
	kho_buf_free(&r->record_xml);
	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i].name);
		free(r->files[i].mime);
		kho_buf_free(&r->files[i].data);
	}
	r->nfiles = 0;
}
