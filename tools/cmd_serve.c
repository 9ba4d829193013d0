/*
 * cmd_serve.c: `kho serve`, the archive daemon. Reads the config file (if
 * any), applies the flags over it, starts the server and waits for SIGTERM
 * or SIGINT, then stops gracefully (in-flight requests finish).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/config.h"
#include "archive/server.h"
#include "common/util.h"
#include "tools/cmds.h"
#include "verify/verify.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kho serve --data DIR [--listen HOST:PORT] [--trust PEM]... [--crl PEM]...\n"
"                 [--keys DIR] [--config FILE] [--threads N] [--port-file FILE]\n"
"\n"
"Run the archive daemon: ingest of sealed packages (POST /v1/packages),\n"
"server-side sealing (POST /v1/results), re-verified retrieval, records and\n"
"their validity status, the once-only lookup API, metrics. See docs/api.md,\n"
"docs/config.md and docs/operations.md.\n"
"\n"
"  --data DIR         data directory: catalog.db (SQLite, WAL), store/ (one\n"
"                     AES-256-GCM encrypted file per package), keys/ (master key\n"
"                     and subject key, created 0600 on first start)\n"
"  --keys DIR         the package key store, one key file per package, kept\n"
"                     OUTSIDE the data directory (default DATA.keys, created\n"
"                     0700); back it up separately (docs/operations.md)\n"
"  --listen HOST:PORT IPv4 address to listen on, or localhost for 127.0.0.1\n"
"                     (default 127.0.0.1:8600; port 0 picks a free port, see\n"
"                     --port-file)\n"
"  --trust PEM        trust anchors for validation (repeatable; required here or\n"
"                     in the config file)\n"
"  --crl PEM          CRLs given to the validator (repeatable)\n"
"  --config FILE      JSON configuration (docs/config.md); flags override it\n"
"  --threads N        libmicrohttpd thread pool size (default 4)\n"
"  --port-file FILE   write the bound port to FILE once listening (if it cannot\n"
"                     be written, the daemon stops: exit 5)\n"
"  -h, --help         this help\n"
"\n"
"Logs one line per request on standard error (no query strings, and a number of\n"
"9 or more digits in a path as [number]: no personal numbers). SIGTERM,\n"
"SIGINT or SIGHUP: stop accepting, finish in-flight requests, exit 0.\n"
"Environment: KHO_NOW=RFC3339-TIME replaces the clock (tests and demos; a\n"
"warning says so at start).\n"
"Exit status: 0 stopped cleanly, 3 usage (a bad flag, config file or listen\n"
"address, no trust anchors or a --trust file that does not exist: refused\n"
"before anything is created), 5 could not start (data directory, keys, port in\n"
"use: the address is bound first, so a port in use creates nothing; --port-file\n"
"not written).\n");
}

/* file_ok: path names a regular file (what says which option named it). */
static int file_ok(const char *what, const char *path)
{
	struct stat st;
	const char *why;

	if (path == NULL)
		return 0;
	why = stat(path, &st) != 0 ? strerror(errno) : !S_ISREG(st.st_mode) ? "not a regular file" : NULL;
	if (why == NULL)
		return 0;
	fprintf(stderr, "kho serve: %s %s: %s\n", what, path, why);
	return -1;
}

static int files_check(const config *cfg)
{
	kho_err err;
	size_t i;

	for (i = 0; i < cfg->ntrust; i++) {
		STACK_OF(X509) *st = NULL;
		if (file_ok("trust anchors", cfg->trust[i]) != 0)
			return -1;
		if (verify_load_certs(&st, cfg->trust[i], &err) != 0) {
			fprintf(stderr, "kho serve: trust anchors %s: %s\n", cfg->trust[i], err.msg);
			return -1;
		}
		sk_X509_pop_free(st, X509_free);
	}
	for (i = 0; i < cfg->ncrls; i++) {
		STACK_OF(X509_CRL) *st = NULL;
		if (file_ok("CRLs", cfg->crls[i]) != 0)
			return -1;
		if (verify_load_crls(&st, cfg->crls[i], &err) != 0) {
			fprintf(stderr, "kho serve: CRLs %s: %s\n", cfg->crls[i], err.msg);
			return -1;
		}
		sk_X509_CRL_pop_free(st, X509_CRL_free);
	}
	for (i = 0; i < cfg->nagencies; i++)
		if (file_ok("agency key", cfg->agencies[i].key) != 0 ||
		    file_ok("agency cert", cfg->agencies[i].cert) != 0 ||
		    file_ok("agency chain", cfg->agencies[i].chain) != 0)
			return -1;
	if (file_ok("tsa.key", cfg->tsa_key) != 0 || file_ok("tsa.cert", cfg->tsa_cert) != 0 ||
	    file_ok("tsa.chain", cfg->tsa_chain) != 0)
		return -1;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "listen", required_argument, NULL, 'l' },
		{ "trust", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 'n' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *listen = NULL, *cfgfile = NULL, *portfile = NULL, *keys = NULL;
	char **trust = NULL, **crls = NULL;
	size_t ntrust = 0, ncrls = 0, i;
	int threads = 0, o, ret = 0;
	sigset_t stop_sigs;
	int sig;
	server *s = NULL;
	kho_err err;
	config cfg;

	trust = calloc((size_t)argc + 1, sizeof *trust);
	crls = calloc((size_t)argc + 1, sizeof *crls);
	if (trust == NULL || crls == NULL)
		return EXIT_FAIL;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': data = optarg; break;
		case 'k': keys = optarg; break;
		case 'l': listen = optarg; break;
		case 't': trust[ntrust++] = optarg; break;
		case 'r': crls[ncrls++] = optarg; break;
		case 'c': cfgfile = optarg; break;
		case 'n': {
			/* Digits only, 1..256: atoi took "abc" and "0" as "from the
			 * config" and "7x" as 7. */
			uint64_t v;
			threads = kho_parse_uint(&v, optarg, 1, 256) == 0 ? (int)v : -1;
			if (threads < 0) {
				fprintf(stderr, "kho serve: --threads must be a number 1..256, not '%s'\n",
				        optarg);
				free(trust);
				free(crls);
				return EXIT_USAGE;
			}
			break;
		}
		case 'p': portfile = optarg; break;
		case 'h': usage(stdout); free(trust); free(crls); return 0;
		default: usage(stderr); free(trust); free(crls); return EXIT_USAGE;
		}
	}
	if (optind != argc || threads < 0 || threads > 256) {
		fprintf(stderr, "kho serve: %s\n\n", optind != argc ? "unexpected argument"
		                                                     : "--threads must be 1..256");
		usage(stderr);
		free(trust);
		free(crls);
		return EXIT_USAGE;
	}
	config_defaults(&cfg);
	if (cfgfile != NULL && config_load(&cfg, cfgfile, &err) != 0) {
		fprintf(stderr, "kho serve: %s\n", err.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	/* Flags override the file; --trust and --crl replace its lists. */
	if ((data && config_set_str(&cfg.data, data)) || (listen && config_set_str(&cfg.listen, listen)) ||
	    (keys && config_set_str(&cfg.keys, keys)))
		goto oom;
	if (ntrust > 0) {
		for (i = 0; i < cfg.ntrust; i++)
			free(cfg.trust[i]);
		cfg.ntrust = 0;
		for (i = 0; i < ntrust; i++)
			if (config_add_str(&cfg.trust, &cfg.ntrust, trust[i]) != 0)
				goto oom;
	}
	if (ncrls > 0) {
		for (i = 0; i < cfg.ncrls; i++)
			free(cfg.crls[i]);
		cfg.ncrls = 0;
		for (i = 0; i < ncrls; i++)
			if (config_add_str(&cfg.crls, &cfg.ncrls, crls[i]) != 0)
				goto oom;
	}
	if (threads > 0)
		cfg.threads = (unsigned)threads;
	if (cfg.data == NULL) {
		fprintf(stderr, "kho serve: --data DIR is required (or \"data\" in the config)\n");
		ret = EXIT_USAGE;
		goto out;
	}
	if (cfg.listen != NULL && server_check_listen(cfg.listen, &err) != 0) {
		fprintf(stderr, "kho serve: %s%s%s\n", listen == NULL && cfgfile != NULL ? cfgfile : "",
		        listen == NULL && cfgfile != NULL ? ": " : "", err.msg);
		ret = EXIT_USAGE;
		goto out;
	}
	/* Refused before anything is created: server_start makes the data
	 * directory, its keys and catalog, and only then found it had no trust
	 * anchors (exit 5, with a new empty archive left behind). */
	if (cfg.ntrust == 0) {
		fprintf(stderr, "kho serve: no trust anchors: give --trust PEM or \"trust\" in the"
		        " config\n");
		ret = EXIT_USAGE;
		goto out;
	}
	/* Every file the configuration names, read before anything is
	 * created (found by review: a missing --crl, an empty trust file or a
	 * missing agency key stopped the start with exit 5 after a new archive
	 * had been made). */
	if (files_check(&cfg) != 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	/* No core dump: one would hold the master and subject keys and the
	 * personal numbers of the requests in flight (found by review,
	 * 2026-12-08: nothing turned them off). Before any key is read. */
	{
		struct rlimit none = { 0, 0 };
		if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
			fprintf(stderr, "kho serve: warning: core dumps could not be turned off: %s\n",
			        strerror(errno));
	}
	/* SIGTERM, SIGINT and SIGHUP are blocked before any thread exists, so
	 * every thread inherits the mask and only sigwait below takes them.
	 * (With a handler and pause(), the kernel could deliver the signal to
	 * any thread, and pause() in this one never returned.) SIGHUP (a closed
	 * terminal, a careless logrotate) stops as cleanly as SIGTERM: it used
	 * to kill the daemon mid-request, with no stop event (found by review,
	 * 2026-12-07). */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (server_start(&s, &cfg, cfg.data, stderr, &err) != 0) {
		fprintf(stderr, "kho serve: %s\n", err.msg);
		ret = EXIT_FAIL;
		goto out;
	}
	{
		/* The address as configured (an IPv6 one in brackets); 0.0.0.0 and
		 * [::] listen everywhere, reachable here as loopback. It said
		 * 127.0.0.1 for every address (found by review). */
		char host[128];
		const char *l = cfg.listen != NULL ? cfg.listen : "127.0.0.1:8600";
		const char *colon = strrchr(l, ':');
		size_t hl = colon != NULL ? (size_t)(colon - l) : strlen(l);
		if (hl >= sizeof host)
			hl = sizeof host - 1;
		memcpy(host, l, hl);
		host[hl] = '\0';
		if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
			snprintf(host, sizeof host, "127.0.0.1");
		else if (strcmp(host, "[::]") == 0)
			snprintf(host, sizeof host, "[::1]");
		fprintf(stderr, "kho serve: listening on http://%s:%u/ (data %s)\n", host, server_port(s),
		        cfg.data);
	}
	if (getenv("KHO_NOW") != NULL && getenv("KHO_NOW")[0] != '\0')
		/* The test clock (common/util.h kho_now): every date the daemon
		 * writes follows it. Said at start, so that a stray setting in a
		 * unit file shows in the log. */
		fprintf(stderr, "kho serve: warning: KHO_NOW=%s replaces the clock: ingest, audit, "
		        "retention and timestamp dates are simulated (tests and demos only)\n",
		        getenv("KHO_NOW"));
	if (portfile != NULL) {
		char num[16];
		int n = snprintf(num, sizeof num, "%u\n", server_port(s));
		/* Whoever asked for the port file waits for it: a daemon it cannot
		 * find must not keep running unseen. */
		if (kho_write_file_durable(portfile, num, (size_t)n, 0644, &err) != 0) {
			fprintf(stderr, "kho serve: --port-file: %s; stopping\n", err.msg);
			server_stop(s);
			ret = EXIT_FAIL;
			goto out;
		}
	}
	while (sigwait(&stop_sigs, &sig) != 0)
		;
	fprintf(stderr, "kho serve: %s: stopping (finishing in-flight requests)\n",
	        sig == SIGHUP ? "SIGHUP" : sig == SIGINT ? "SIGINT" : "SIGTERM");
	server_stop(s);
	fprintf(stderr, "kho serve: stopped\n");
	goto out;
oom:
	fprintf(stderr, "kho serve: out of memory\n");
	ret = EXIT_FAIL;
out:
	config_free(&cfg);
	free(trust);
	free(crls);
	return ret;
}
