/*
 * config.h: the daemon's configuration file (JSON, read with jansson,
 * documented in docs/config.md).
 *
 * One JSON object; every member is optional and has a default, unknown
 * members are refused (a typo must not silently fall back to a default).
 * Relative paths are taken relative to the directory of the config file.
 * Command-line flags of `kho serve` override the file (config_* setters are
 * not needed: the tool writes the fields directly).
 */
#ifndef KHO_CONFIG_H
#define KHO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CONFIG_MAX_SIZE (1u << 20)       /* the config file itself */
#define CONFIG_MAX_LIST 64               /* trust files, agencies, policy entries */

/* An agency whose results the daemon may seal itself (POST /v1/results). */
typedef struct config_agency {
	char *code;        /* agency code, ddd.dd.dd.Ldd */
	char *key;         /* PEM private key file */
	char *cert;        /* PEM signing certificate */
	char *chain;       /* PEM intermediates, may be NULL */
	int pss;           /* 1 = sign RSA keys with RSASSA-PSS (Circular 15/2025) */
} config_agency;

typedef struct config {
	char *listen;                 /* "127.0.0.1:8600" */
	char *data;                   /* data directory, may be NULL (flag --data) */
	unsigned threads;             /* libmicrohttpd thread pool size, default 4 */
	unsigned ingest_workers;      /* threads that run package ingests, default 8 (0: none) */
	char **trust;                 /* PEM files of trust anchors */
	size_t ntrust;
	char **crls;                  /* PEM files of CRLs given to the validator */
	size_t ncrls;
	char *master_key_file;        /* default DATA/keys/master.key */
	char *keys;                   /* package key store, default DATA.keys (keystore.h) */
	char *enterprise_code;        /* the archive's tax code, for destruction certificates */
	int keep_unclassified;        /* 1: ingest records no retention class applies to */
	char *subject_key_file;       /* default DATA/keys/subject.key */
	/* TSA for server-side sealing: built-in (key+cert) or remote (url). */
	char *tsa_url;
	char *tsa_key, *tsa_cert, *tsa_chain;
	config_agency *agencies;
	size_t nagencies;
	/* caps */
	uint64_t max_upload;          /* package upload, default 256 MiB (413 beyond) */
	uint64_t max_json;            /* JSON bodies and POST /v1/results, default 64 MiB */
	unsigned connection_timeout;  /* seconds of inactivity, default 30 */
	unsigned max_connections;     /* default 512 */
	unsigned max_connections_per_ip; /* concurrent connections of one address, default 128; 0 = no limit */
	uint64_t min_upload_rate;     /* bytes/s a body must average once connection_timeout has
	                                 passed, default 1024 (408 and close below); 0 = none */
	uint64_t max_body_memory;     /* request bodies held in memory, all connections together,
	                                 default 256 MiB (503 beyond) */
	/* acceptance policy: INDETERMINATE sub-indications that are still stored (marked) */
	char **accept_indeterminate;
	size_t naccept;
	/* periodic fixity check */
	unsigned fixity_interval;     /* seconds between runs, 0 = never; default 86400 */
	uint64_t fixity_bytes_per_second; /* rate limit of the re-read, default 32 MiB/s */
	/* archive timestamps (docs/operations.md): the fixity run renews, with
	 * the configured TSA, each current package whose evidence (its newest
	 * valid token's TSA certificate) ends within this many days */
	unsigned renew_margin_days;   /* default 730; 0 = never */
	/* the audit head written to the log for a witness (kho audit verify --witness) */
	unsigned audit_head_interval; /* seconds between such lines, 0 = never; default 3600 */
	/* rate limit per bearer token (token bucket); 0 = unlimited */
	unsigned rate_per_second;     /* default 0 */
	unsigned rate_burst;          /* default 2 * rate */
	/* the public verification page (docs/verify-page.md) */
	char *public_url;             /* base of QR URLs, e.g. "https://kho.example.gov.vn";
	                                 NULL = "http://" + listen */
	uint64_t verify_max_upload;   /* one public upload, default 32 MiB (413 beyond) */
	unsigned verify_rate_per_minute; /* public verifications per client address, default 30; 0 = unlimited */
	unsigned verify_rate_burst;   /* bucket size, 0 = max(5, rate / 4) */
	/* reverse proxies (IP literals) whose X-Forwarded-For names the client */
	char **trusted_proxies;
	size_t ntrusted_proxies;
	char *path;                   /* the file read, or NULL */
} config;

/* config_defaults: fill c with the defaults (all lists empty). */
void config_defaults(config *c);

/*
 * config_load: defaults, then the file at path. KHO_ENOTFOUND, KHO_EIO,
 * KHO_EFORMAT (JSON error with its line, a wrong type, an unknown member).
 * On failure c is left freeable.
 */
int config_load(config *c, const char *path, kho_err *err);

/* config_set_str: replace *slot by a copy of s (for flags). 0 or KHO_ENOMEM. */
int config_set_str(char **slot, const char *s);

/* config_add_str: append a copy of s to a list. KHO_ETOOBIG past CONFIG_MAX_LIST. */
int config_add_str(char ***list, size_t *n, const char *s);

/* config_accepts: 1 if the INDETERMINATE sub-indication name is accepted by policy. */
int config_accepts(const config *c, const char *sub_name);

void config_free(config *c);

#endif
