/*
 * server.h: the archive daemon behind `kho serve`: libmicrohttpd with a
 * thread pool and per-connection timeouts, JSON with jansson, the routes of
 * docs/api.md, one log line per request (method, path without query, status,
 * duration, actor: never a personal number), Prometheus metrics, rate limits
 * per token, and a background fixity check.
 *
 * The caller (tools/cmd_serve.c) owns signals: it calls server_stop from its
 * main thread after SIGTERM; server_stop stops accepting, lets in-flight
 * requests finish (up to a grace period), then stops the threads.
 */
#ifndef KHO_SERVER_H
#define KHO_SERVER_H

#include <stdio.h>

#include "archive/config.h"
#include "common/err.h"

typedef struct server server;

/*
 * server_start: open the data directory (data_dir, else cfg->data), recover
 * from a crash (temporary and uncommitted store files), load trust and the
 * sealing keys, and listen on cfg->listen ("HOST:PORT"; port 0 picks a free
 * one). log receives the request log (may be NULL). *out owned by the
 * caller. One daemon per data directory (an exclusive lock: KHO_EEXIST).
 */
int server_start(server **out, const config *cfg, const char *data_dir, FILE *log,
                 kho_err *err);

/* server_check_listen: 0 if l is a listen address server_start takes
 * (IPv4 HOST:PORT, "localhost" allowed), else KHO_EINVAL with the reason. */
int server_check_listen(const char *l, kho_err *err);

/* server_port: the port actually bound. */
unsigned server_port(const server *s);

/* server_stop: graceful stop (see above) and free. NULL is a no-op. */
void server_stop(server *s);

#endif
