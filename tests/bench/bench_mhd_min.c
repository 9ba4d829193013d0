/*
 * bench_mhd_min.c PORTFILE THREADS: the reference for the lookup benchmark:
 * the smallest useful libmicrohttpd server, configured like the daemon
 * (internal polling thread, thread pool of THREADS, epoll), answering every
 * GET with a fixed 200 JSON body; queues on the second call of the access
 * handler, as the daemon does. Writes its port to PORTFILE; SIGTERM stops it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	static const char body[] = "{\"results\":[],\"found\":0,\"reusable\":0}";
	static int marker;
	struct MHD_Response *r;
	enum MHD_Result ok;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	*upload_size = 0;
	r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ok = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ok;
}

int main(int argc, char **argv)
{
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	FILE *f;

	if (argc != 3)
		return 2;
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
	                     handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
	                     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	f = fopen(argv[1], "w");
	if (f == NULL)
		return 1;
	fprintf(f, "%u\n", di->port);
	fclose(f);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
