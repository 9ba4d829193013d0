/*
 * cmd_qr.c: `kho qr`: the QR code to print on the paper copy of an archived
 * result: the verification URL BASE/verify/r/{code}?k={key}
 * (docs/verify-page.md) as PNG or SVG (archive/qr.h).
 *
 * The key comes from the catalog table verify_keys (filled at ingest, see
 * archive/catalog.h), wrapped under the archive's master key; it is
 * unwrapped here (qr_key_unwrap) and never printed. The base URL is
 * --base-url, else the config's public_url, else the config's listen
 * address (0.0.0.0 read as 127.0.0.1), as the daemon does, with a warning.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "archive/catalog.h"
#include "archive/config.h"
#include "archive/qr.h"
#include "archive/record.h"
#include "archive/store.h"
#include "archive/webverify.h"
#include "common/util.h"
#include "tools/cmds.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho qr --data DIR --result CODE -o FILE.png|FILE.svg\n"
"              [--base-url URL] [--scale N] [--config FILE]\n"
"\n"
"Write the QR code of the verification URL of the archived result CODE,\n"
"  BASE/verify/r/CODE?k=KEY\n"
"for printing on the paper copy. KEY is the result's random verification key,\n"
"kept in the catalog only hashed and wrapped under the master key; scanning the\n"
"code opens the public verification page of that record.\n"
"\n"
"  --data DIR        the daemon's data directory\n"
"  --result CODE     the result code, e.g. 000.31.20.H55-250310-0012-KQ1\n"
"  -o FILE           .png (1-bit, quiet zone of 4 modules) or .svg\n"
"  --base-url URL    the public address of the archive (default: the config's\n"
"                    public_url, else http://LISTEN from the config (its listen,\n"
"                    default 127.0.0.1:8600), as the daemon encodes it, with a\n"
"                    warning: a printed code cannot be changed)\n"
"  --scale N         pixels per module for PNG, 1..%u (default 8)\n"
"  --config FILE     the daemon's config (master_key_file, public_url, listen)\n"
"\n"
"Exit status: 0 written, 3 usage, 4 a file could not be read or written,\n"
"5 the result or its key is unknown.\n", QR_SCALE_MAX);
}

/* The wrapped key of code from the catalog table verify_keys (see above). */
static int wrapped_key(catalog *cat, const char *code, unsigned char out[QR_KEY_WRAPPED_LEN],
                       kho_err *err)
{
	static const char sql[] = "SELECT key_wrapped FROM verify_keys WHERE result_code = ?1";
	sqlite3_stmt *st;
	const void *blob;
	int rc = KHO_ENOTFOUND, step;

	catalog_lock(cat);
	st = catalog_stmt(cat, sql, err);
	if (st == NULL) {
		catalog_unlock(cat);
		return kho_err_set(err, KHO_ENOTFOUND,
		                   "the catalog has no verification keys (table verify_keys is missing: "
		                   "see docs/verify-page.md, Wiring)");
	}
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		blob = sqlite3_column_blob(st, 0);
		if (blob != NULL && sqlite3_column_bytes(st, 0) == QR_KEY_WRAPPED_LEN) {
			memcpy(out, blob, QR_KEY_WRAPPED_LEN);
			rc = 0;
		} else {
			rc = kho_err_set(err, KHO_EFORMAT, "the stored key of %s is damaged", code);
		}
	} else if (step == SQLITE_DONE) {
		rc = kho_err_set(err, KHO_ENOTFOUND, "%s has no verification key", code);
	} else {
		rc = kho_err_set(err, KHO_EIO, "catalog: %s", sqlite3_errmsg(catalog_db(cat)));
	}
	sqlite3_reset(st);
	catalog_unlock(cat);
	return rc;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

int cmd_qr(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "result", required_argument, NULL, 'r' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "scale", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *code = NULL, *outp = NULL, *base = NULL;
	char listen_base[300];
	const char *cfgpath = NULL;
	unsigned scale = 8;
	unsigned char master[STORE_KEY_LEN], wrapped[QR_KEY_WRAPPED_LEN];
	char key[QR_KEY_TEXT_LEN + 1], url[1024], path[4096], db[4096];
	catalog *cat = NULL;
	catalog_package pk;
	config cfg;
	kho_buf img;
	kho_err err;
	int c, rc, status = EXIT_FAIL;

	config_defaults(&cfg);
	kho_buf_init(&img, 16u << 20);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'r': code = optarg; break;
		case 'o': outp = optarg; break;
		case 'b': base = optarg; break;
		case 's': {
			/* strtoul took "5x" as 5. */
			uint64_t v;
			if (kho_parse_uint(&v, optarg, 1, QR_SCALE_MAX) != 0) {
				fprintf(stderr, "kho qr: --scale must be a number 1..%d, not '%s'\n",
				        (int)QR_SCALE_MAX, optarg);
				return EXIT_USAGE;
			}
			scale = (unsigned)v;
			break;
		}
		case 'c': cfgpath = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || data == NULL || code == NULL || outp == NULL ||
	    (!ends_with(outp, ".png") && !ends_with(outp, ".svg")) || scale < 1 ||
	    scale > QR_SCALE_MAX) {
		fprintf(stderr, "kho qr: %s\n\n",
		        optind != argc ? "unexpected argument"
		        : data == NULL || code == NULL || outp == NULL ? "--data, --result and -o are required"
		        : scale < 1 || scale > QR_SCALE_MAX ? "--scale is out of range"
		        : "-o must name a .png or .svg file");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!record_is_result_code(code)) {
		fprintf(stderr, "kho qr: '%s' is not a result code\n", code);
		return EXIT_USAGE;
	}
	if (cfgpath != NULL && config_load(&cfg, cfgpath, &err) != 0) {
		fprintf(stderr, "kho qr: %s\n", err.msg);
		status = EXIT_IO;
		goto out;
	}
	/* As the daemon does: the configured public address, else the
	 * address it listens on (found by review: the CLI encoded port 8600
	 * whatever the config's listen said, the daemon its own). */
	if (base == NULL && cfg.public_url != NULL) {
		base = cfg.public_url;
	} else if (base == NULL) {
		const char *l = cfg.listen != NULL ? cfg.listen : "127.0.0.1:8600";
		snprintf(listen_base, sizeof listen_base, "http://%s%s",
		         strncmp(l, "0.0.0.0:", 8) == 0 ? "127.0.0.1" : "",
		         strncmp(l, "0.0.0.0:", 8) == 0 ? l + 7 : l);
		base = listen_base;
		fprintf(stderr, "kho qr: warning: no --base-url and no public_url in the config: the code"
		        " encodes %s, which citizens may not reach; set public_url before printing\n",
		        base);
	}
	if ((size_t)snprintf(db, sizeof db, "%s/catalog.db", data) >= sizeof db ||
	    (size_t)snprintf(path, sizeof path, "%s",
	                     cfg.master_key_file ? cfg.master_key_file : "") >= sizeof path ||
	    (path[0] == '\0' &&
	     (size_t)snprintf(path, sizeof path, "%s/keys/master.key", data) >= sizeof path)) {
		fprintf(stderr, "kho qr: path too long\n");
		status = EXIT_USAGE;
		goto out;
	}
	/* Never create an archive or a master key here: both must exist. */
	if (access(db, R_OK) != 0 || access(path, R_OK) != 0) {
		fprintf(stderr, "kho qr: %s is not an archive (no catalog or master key)\n", data);
		status = EXIT_IO;
		goto out;
	}
	if (catalog_open(&cat, db, &err) != 0 || store_key_file(master, path, &err) != 0) {
		fprintf(stderr, "kho qr: %s\n", err.msg);
		status = EXIT_IO;
		goto out;
	}
	if (catalog_result_package(cat, code, &pk, &err) != 0) {
		fprintf(stderr, "kho qr: no archived result %s\n", code);
		goto out;
	}
	if ((rc = wrapped_key(cat, code, wrapped, &err)) != 0 ||
	    (rc = qr_key_unwrap(key, master, wrapped, &err)) != 0) {
		fprintf(stderr, "kho qr: %s\n", err.msg);
		goto out;
	}
	if (webverify_qr_url(url, sizeof url, base, code, key) != 0) {
		fprintf(stderr, "kho qr: --base-url must be an http(s) URL without query\n");
		status = EXIT_USAGE;
		goto out;
	}
	rc = ends_with(outp, ".png") ? qr_png(&img, url, scale, &err) : qr_svg(&img, url, scale, &err);
	if (rc != 0 || kho_write_file_durable(outp, img.data, img.len, 0644, &err) != 0) {
		fprintf(stderr, "kho qr: %s\n", err.msg);
		status = EXIT_IO;
		goto out;
	}
	printf("%s\n", outp);
	status = 0;
out:
	OPENSSL_cleanse(master, sizeof master);
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(url, sizeof url);
	kho_buf_free(&img);
	catalog_close(cat);
	config_free(&cfg);
	return status;
}
