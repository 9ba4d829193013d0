/*
 * config.c: read the daemon's JSON configuration (see config.h and
 * docs/config.md). jansson does the parsing; this file only maps members to
 * fields, checks their types and ranges, and resolves relative paths against
 * the config file's directory.
 */
#include "archive/config.h"

#include <arpa/inet.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/util.h"

void config_defaults(config *c)
{
	memset(c, 0, sizeof *c);
	c->threads = 4;
	c->ingest_workers = 8;
	c->max_upload = 256ull << 20;
	c->max_json = 64ull << 20;
	c->connection_timeout = 30;
	c->max_connections = 512;
	c->max_connections_per_ip = 128;
	c->min_upload_rate = 1024;
	c->max_body_memory = 256ull << 20;
	c->fixity_interval = 86400;
	c->renew_margin_days = 730;
	c->fixity_bytes_per_second = 32ull << 20;
	c->audit_head_interval = 3600;
	c->verify_max_upload = 32ull << 20;
	c->verify_rate_per_minute = 30;
}

int config_set_str(char **slot, const char *s)
{
	char *d = NULL;

	if (s != NULL && (d = strdup(s)) == NULL)
		return KHO_ENOMEM;
	free(*slot);
	*slot = d;
	return 0;
}

int config_add_str(char ***list, size_t *n, const char *s)
{
	char **nl;

	if (*n >= CONFIG_MAX_LIST)
		return KHO_ETOOBIG;
	nl = realloc(*list, (*n + 1) * sizeof *nl);
	if (nl == NULL)
		return KHO_ENOMEM;
	*list = nl;
	if ((nl[*n] = strdup(s)) == NULL)
		return KHO_ENOMEM;
	(*n)++;
	return 0;
}

/* A path from the file: absolute as is, else relative to the file's directory. */
static char *resolve(const char *base_dir, const char *p)
{
	char *out;
	size_t n;

	if (p[0] == '/' || base_dir == NULL)
		return strdup(p);
	n = strlen(base_dir) + strlen(p) + 2;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s/%s", base_dir, p);
	return out;
}

static int get_path(char **slot, json_t *v, const char *name, const char *dir, kho_err *err)
{
	char *s;

	if (!json_is_string(v))
		return kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be a string", name);
	s = resolve(dir, json_string_value(v));
	if (s == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	free(*slot);
	*slot = s;
	return 0;
}

static int get_uint(uint64_t *out, json_t *v, const char *name, uint64_t max, kho_err *err)
{
	json_int_t i;

	if (!json_is_integer(v))
		return kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be an integer", name);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return kho_err_set(err, KHO_EFORMAT, "config: \"%s\" out of range (0..%llu)",
		                   name, (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int get_unsigned(unsigned *out, json_t *v, const char *name, unsigned max, kho_err *err)
{
	uint64_t u = 0;
	int rc = get_uint(&u, v, name, max, err);

	if (rc == 0)
		*out = (unsigned)u;
	return rc;
}

static int is_ip_literal(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int get_list(char ***list, size_t *n, json_t *v, const char *name, const char *dir,
                    kho_err *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be an array of strings", name);
	json_array_foreach(v, i, e) {
		char *s;
		int rc;
		if (!json_is_string(e))
			return kho_err_set(err, KHO_EFORMAT, "config: \"%s\"[%zu] must be a string", name, i);
		s = dir ? resolve(dir, json_string_value(e)) : strdup(json_string_value(e));
		if (s == NULL)
			return kho_err_set(err, KHO_ENOMEM, "out of memory");
		rc = config_add_str(list, n, s);
		free(s);
		if (rc != 0)
			return kho_err_set(err, rc, "config: \"%s\" has too many entries", name);
	}
	return 0;
}

/*
 * A name in accept_indeterminate must be a sub-indication an INDETERMINATE
 * answer can carry (EN 319 102-1, those kho gives): a misspelt one made a
 * policy that silently accepted nothing (found by review).
 */
static int check_indeterminate(const char *name, kho_err *err)
{
	static const char *const ok[] = {
		"FORMAT_FAILURE", "NOT_YET_VALID", "NO_CERTIFICATE_CHAIN_FOUND",
		"NO_SIGNING_CERTIFICATE_FOUND", "SIGNED_DATA_NOT_FOUND", "OUT_OF_BOUNDS_NO_POE",
		"REVOKED_NO_POE", "TIMESTAMP_ORDER_FAILURE", "CRYPTO_CONSTRAINTS_FAILURE", "EXPIRED",
		"TRY_LATER", "CHAIN_CONSTRAINTS_FAILURE", "SIG_CONSTRAINTS_FAILURE",
	};
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(name, ok[i]) == 0)
			return 0;
	if (strcmp(name, "HASH_FAILURE") == 0 || strcmp(name, "SIG_CRYPTO_FAILURE") == 0 ||
	    strcmp(name, "REVOKED") == 0)
		return kho_err_set(err, KHO_EFORMAT, "config: accept_indeterminate: %s is a sub-indication"
		                   " of TOTAL-FAILED, which is never stored", name);
	return kho_err_set(err, KHO_EFORMAT, "config: accept_indeterminate: unknown sub-indication"
	                   " \"%.64s\" (one of FORMAT_FAILURE, NOT_YET_VALID, NO_CERTIFICATE_CHAIN_FOUND,"
	                   " NO_SIGNING_CERTIFICATE_FOUND, SIGNED_DATA_NOT_FOUND, OUT_OF_BOUNDS_NO_POE,"
	                   " REVOKED_NO_POE, TIMESTAMP_ORDER_FAILURE, CRYPTO_CONSTRAINTS_FAILURE, EXPIRED,"
	                   " TRY_LATER, CHAIN_CONSTRAINTS_FAILURE, SIG_CONSTRAINTS_FAILURE)", name);
}

static int load_tsa(config *c, json_t *o, const char *dir, kho_err *err)
{
	const char *k;
	json_t *v;
	int rc;

	if (!json_is_object(o))
		return kho_err_set(err, KHO_EFORMAT, "config: \"tsa\" must be an object");
	json_object_foreach(o, k, v) {
		if (strcmp(k, "url") == 0) {
			if (!json_is_string(v) || strncmp(json_string_value(v), "http://", 7) != 0)
				return kho_err_set(err, KHO_EFORMAT, "config: tsa.url must be an http:// URL");
			if (config_set_str(&c->tsa_url, json_string_value(v)) != 0)
				return kho_err_set(err, KHO_ENOMEM, "out of memory");
			continue;
		}
		if (strcmp(k, "key") == 0)
			rc = get_path(&c->tsa_key, v, "tsa.key", dir, err);
		else if (strcmp(k, "cert") == 0)
			rc = get_path(&c->tsa_cert, v, "tsa.cert", dir, err);
		else if (strcmp(k, "chain") == 0)
			rc = get_path(&c->tsa_chain, v, "tsa.chain", dir, err);
		else
			return kho_err_set(err, KHO_EFORMAT, "config: unknown member tsa.%s", k);
		if (rc != 0)
			return rc;
	}
	/* One TSA, whole (found by review: a key without its cert started
	 * with no TSA at all, and a url beside a key used the url). */
	if (c->tsa_url != NULL && (c->tsa_key != NULL || c->tsa_cert != NULL || c->tsa_chain != NULL))
		return kho_err_set(err, KHO_EFORMAT, "config: tsa: either \"url\" (an external TSA) or"
		                   " \"key\" and \"cert\" (the built-in one), not both");
	if (c->tsa_url == NULL && (c->tsa_key == NULL || c->tsa_cert == NULL))
		return kho_err_set(err, KHO_EFORMAT, "config: tsa: \"key\" and \"cert\" go together"
		                   " (the built-in TSA), or give \"url\" (an external one)");
	return 0;
}

static int load_agencies(config *c, json_t *a, const char *dir, kho_err *err)
{
	size_t i;
	json_t *o;

	if (!json_is_array(a))
		return kho_err_set(err, KHO_EFORMAT, "config: \"agencies\" must be an array");
	if (json_array_size(a) > CONFIG_MAX_LIST)
		return kho_err_set(err, KHO_ETOOBIG, "config: too many agencies");
	c->agencies = calloc(json_array_size(a) + 1, sizeof *c->agencies);
	if (c->agencies == NULL)
		return kho_err_set(err, KHO_ENOMEM, "out of memory");
	json_array_foreach(a, i, o) {
		config_agency *ag = &c->agencies[c->nagencies++];
		const char *k;
		json_t *v;
		int rc = 0;

		if (!json_is_object(o))
			return kho_err_set(err, KHO_EFORMAT, "config: agencies[%zu] must be an object", i);
		json_object_foreach(o, k, v) {
			if (strcmp(k, "code") == 0) {
				if (!json_is_string(v))
					return kho_err_set(err, KHO_EFORMAT, "config: agencies[%zu].code", i);
				rc = config_set_str(&ag->code, json_string_value(v));
			} else if (strcmp(k, "key") == 0) {
				rc = get_path(&ag->key, v, "agencies[].key", dir, err);
			} else if (strcmp(k, "cert") == 0) {
				rc = get_path(&ag->cert, v, "agencies[].cert", dir, err);
			} else if (strcmp(k, "chain") == 0) {
				rc = get_path(&ag->chain, v, "agencies[].chain", dir, err);
			} else if (strcmp(k, "pss") == 0) {
				if (!json_is_boolean(v))
					return kho_err_set(err, KHO_EFORMAT, "config: agencies[%zu].pss must be true or false", i);
				ag->pss = json_is_true(v);
			} else {
				return kho_err_set(err, KHO_EFORMAT, "config: unknown member agencies[%zu].%s", i, k);
			}
			if (rc != 0)
				return rc;
		}
		if (ag->code == NULL || ag->key == NULL || ag->cert == NULL)
			return kho_err_set(err, KHO_EFORMAT, "config: agencies[%zu] needs code, key and cert", i);
	}
	return 0;
}

static int load_obj(config *c, json_t *root, const char *dir, kho_err *err)
{
	const char *k;
	json_t *v;
	int rc = 0;

	if (!json_is_object(root))
		return kho_err_set(err, KHO_EFORMAT, "config: the top level must be an object");
	json_object_foreach(root, k, v) {
		if (strcmp(k, "listen") == 0) {
			if (!json_is_string(v))
				return kho_err_set(err, KHO_EFORMAT, "config: \"listen\" must be \"HOST:PORT\"");
			rc = config_set_str(&c->listen, json_string_value(v));
		} else if (strcmp(k, "data") == 0) {
			rc = get_path(&c->data, v, k, dir, err);
		} else if (strcmp(k, "threads") == 0) {
			if (json_is_integer(v) && (json_integer_value(v) < 1 || json_integer_value(v) > 256))
				return kho_err_set(err, KHO_EFORMAT, "config: \"threads\" out of range (1..256)");
			rc = get_unsigned(&c->threads, v, k, 256, err);
		} else if (strcmp(k, "ingest_workers") == 0) {
			rc = get_unsigned(&c->ingest_workers, v, k, 64, err);
		} else if (strcmp(k, "trust") == 0) {
			rc = get_list(&c->trust, &c->ntrust, v, k, dir, err);
		} else if (strcmp(k, "crls") == 0) {
			rc = get_list(&c->crls, &c->ncrls, v, k, dir, err);
		} else if (strcmp(k, "keys") == 0) {
			rc = get_path(&c->keys, v, k, dir, err);
		} else if (strcmp(k, "enterprise_code") == 0) {
			if (!json_is_string(v))
				return kho_err_set(err, KHO_EFORMAT, "config: \"enterprise_code\" must be a string");
			rc = config_set_str(&c->enterprise_code, json_string_value(v));
		} else if (strcmp(k, "keep_unclassified") == 0) {
			if (!json_is_boolean(v))
				return kho_err_set(err, KHO_EFORMAT, "config: \"keep_unclassified\" must be true or false");
			c->keep_unclassified = json_is_true(v);
		} else if (strcmp(k, "master_key_file") == 0) {
			rc = get_path(&c->master_key_file, v, k, dir, err);
		} else if (strcmp(k, "subject_key_file") == 0) {
			rc = get_path(&c->subject_key_file, v, k, dir, err);
		} else if (strcmp(k, "tsa") == 0) {
			rc = load_tsa(c, v, dir, err);
		} else if (strcmp(k, "agencies") == 0) {
			rc = load_agencies(c, v, dir, err);
		/* 0 is no value here: it refused every upload, every connection,
		 * or (MHD) turned the idle timeout off (found by review). */
		} else if (strcmp(k, "max_upload") == 0) {
			if ((rc = get_uint(&c->max_upload, v, k, 1ull << 40, err)) == 0 && c->max_upload == 0)
				rc = kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be at least 1", k);
		} else if (strcmp(k, "max_json") == 0) {
			if ((rc = get_uint(&c->max_json, v, k, 1ull << 32, err)) == 0 && c->max_json == 0)
				rc = kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be at least 1", k);
		} else if (strcmp(k, "connection_timeout") == 0) {
			if ((rc = get_unsigned(&c->connection_timeout, v, k, 3600, err)) == 0 &&
			    c->connection_timeout == 0)
				rc = kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be at least 1", k);
		} else if (strcmp(k, "max_connections") == 0) {
			if ((rc = get_unsigned(&c->max_connections, v, k, 65536, err)) == 0 &&
			    c->max_connections == 0)
				rc = kho_err_set(err, KHO_EFORMAT, "config: \"%s\" must be at least 1", k);
		} else if (strcmp(k, "max_connections_per_ip") == 0) {
			rc = get_unsigned(&c->max_connections_per_ip, v, k, 65536, err);
		} else if (strcmp(k, "min_upload_rate") == 0) {
			rc = get_uint(&c->min_upload_rate, v, k, 1ull << 40, err);
		} else if (strcmp(k, "max_body_memory") == 0) {
			rc = get_uint(&c->max_body_memory, v, k, 1ull << 40, err);
		} else if (strcmp(k, "accept_indeterminate") == 0) {
			rc = get_list(&c->accept_indeterminate, &c->naccept, v, k, NULL, err);
			for (size_t i = 0; rc == 0 && i < c->naccept; i++)
				rc = check_indeterminate(c->accept_indeterminate[i], err);
		} else if (strcmp(k, "fixity_interval") == 0) {
			rc = get_unsigned(&c->fixity_interval, v, k, UINT_MAX, err);
		} else if (strcmp(k, "renew_margin_days") == 0) {
			rc = get_unsigned(&c->renew_margin_days, v, k, 36500, err);
		} else if (strcmp(k, "audit_head_interval") == 0) {
			rc = get_unsigned(&c->audit_head_interval, v, k, UINT_MAX, err);
		} else if (strcmp(k, "fixity_bytes_per_second") == 0) {
			rc = get_uint(&c->fixity_bytes_per_second, v, k, 1ull << 40, err);
		} else if (strcmp(k, "rate_per_second") == 0) {
			rc = get_unsigned(&c->rate_per_second, v, k, 1000000, err);
		} else if (strcmp(k, "rate_burst") == 0) {
			rc = get_unsigned(&c->rate_burst, v, k, 10000000, err);
		} else if (strcmp(k, "public_url") == 0) {
			/* Checked here so that a typo fails at start, not when an
			 * officer prints a QR code: http(s), no query, no fragment. */
			const char *u = json_string_value(v);
			if (u == NULL || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
			    strpbrk(u, "?# \t\r\n\"<>") != NULL || strlen(u) > 512)
				return kho_err_set(err, KHO_EFORMAT,
				                   "config: \"public_url\" must be an http(s) URL without query");
			rc = config_set_str(&c->public_url, u);
		} else if (strcmp(k, "verify_max_upload") == 0) {
			rc = get_uint(&c->verify_max_upload, v, k, 1ull << 30, err);
			if (rc == 0 && c->verify_max_upload == 0)
				return kho_err_set(err, KHO_EFORMAT, "config: \"verify_max_upload\" must be at least 1");
		} else if (strcmp(k, "verify_rate_per_minute") == 0) {
			rc = get_unsigned(&c->verify_rate_per_minute, v, k, 1000000, err);
		} else if (strcmp(k, "verify_rate_burst") == 0) {
			rc = get_unsigned(&c->verify_rate_burst, v, k, 1000000, err);
		} else if (strcmp(k, "trusted_proxies") == 0) {
			rc = get_list(&c->trusted_proxies, &c->ntrusted_proxies, v, k, NULL, err);
			for (size_t i = 0; rc == 0 && i < c->ntrusted_proxies; i++)
				if (!is_ip_literal(c->trusted_proxies[i]))
					rc = kho_err_set(err, KHO_EFORMAT,
					                 "config: \"trusted_proxies\"[%zu] \"%s\" is not an IPv4 "
					                 "or IPv6 address", i, c->trusted_proxies[i]);
		} else if (strcmp(k, "comment") == 0 || k[0] == '_') {
			continue; /* documentation inside the file */
		} else {
			return kho_err_set(err, KHO_EFORMAT, "config: unknown member \"%s\"", k);
		}
		if (rc == KHO_ENOMEM)
			return kho_err_set(err, rc, "out of memory");
		if (rc != 0)
			return rc;
	}
	return 0;
}

int config_load(config *c, const char *path, kho_err *err)
{
	json_error_t jerr;
	json_t *root = NULL;
	kho_buf b;
	char *dir = NULL, *slash;
	int rc;

	kho_buf_init(&b, CONFIG_MAX_SIZE);
	rc = kho_read_file(&b, path, err);
	if (rc != 0)
		goto out;
	root = json_loadb(b.data ? (const char *)b.data : "", b.len,
	                  JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = kho_err_set(err, KHO_EFORMAT, "%s:%d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if ((dir = strdup(path)) == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = strdup(".");
	} else {
		*slash = '\0';
		if (dir[0] == '\0')
			strcpy(dir, "/");
	}
	if (dir == NULL) {
		rc = kho_err_set(err, KHO_ENOMEM, "out of memory");
		goto out;
	}
	rc = load_obj(c, root, dir, err);
	if (rc == 0 && (c->max_body_memory < c->max_json || c->max_body_memory < c->verify_max_upload))
		rc = kho_err_set(err, KHO_EFORMAT,
		                 "config: \"max_body_memory\" (%llu) is less than \"%s\" (%llu): such a "
		                 "body could never be held",
		                 (unsigned long long)c->max_body_memory,
		                 c->max_body_memory < c->max_json ? "max_json" : "verify_max_upload",
		                 (unsigned long long)(c->max_body_memory < c->max_json
		                                          ? c->max_json : c->verify_max_upload));
	if (rc != 0 && err != NULL && strncmp(err->msg, "config: ", 8) == 0) {
		/* The file in front of a member's error, as a syntax error has it. */
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg + 8);
		kho_err_set(err, rc, "%s: %s", path, m);
	}
	if (rc == 0)
		rc = config_set_str(&c->path, path);
out:
	json_decref(root);
	kho_buf_free(&b);
	free(dir);
	return rc;
}

int config_accepts(const config *c, const char *sub_name)
{
	size_t i;

	for (i = 0; i < c->naccept; i++)
		if (strcmp(c->accept_indeterminate[i], sub_name) == 0)
			return 1;
	return 0;
}

static void free_list(char **l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void config_free(config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->listen);
	free(c->data);
	free_list(c->trust, c->ntrust);
	free_list(c->trusted_proxies, c->ntrusted_proxies);
	free_list(c->crls, c->ncrls);
	free(c->master_key_file);
	free(c->keys);
	free(c->enterprise_code);
	free(c->subject_key_file);
	free(c->tsa_url);
	free(c->public_url);
	free(c->tsa_key);
	free(c->tsa_cert);
	free(c->tsa_chain);
	for (i = 0; i < c->nagencies; i++) {
		free(c->agencies[i].code);
		free(c->agencies[i].key);
		free(c->agencies[i].cert);
		free(c->agencies[i].chain);
	}
	free(c->agencies);
	free_list(c->accept_indeterminate, c->naccept);
	free(c->path);
	memset(c, 0, sizeof *c);
}
