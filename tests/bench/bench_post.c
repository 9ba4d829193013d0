/*
 * bench_post.c PORT TOKEN CONNS LIST: the load client of the ingest
 * benchmark. Posts every package named in LIST (one path per line) to
 * http://127.0.0.1:PORT/v1/packages over CONNS keep-alive connections, each
 * connection posting its share (packages i, i + CONNS, ...) one after the
 * other, as a counter's client waits for its answer before the next upload.
 *
 * Every request (headers and package) is built in memory before the clock
 * starts, and each connection is open before it starts, so the timed window
 * holds the uploads and the daemon's answers only: the client's own cost per
 * request is one writev of the bytes and the read of a short answer. (wrk
 * with a Lua script, used before, built every 100 KB request anew and spent
 * about as much CPU per package as the daemon, on the same two CPUs.)
 *
 * The clock stops when the last connection has its last answer. Every answer
 * must be 201 Created: an acknowledged package is one whose 201 the client
 * read. Prints one line, "stored=N failed=F seconds=S rate=R"; exits 1 if
 * any request failed, 2 on a usage or set-up error.
 *
 * It reads the daemon's answers only as far as a benchmark needs: the status
 * code and Content-Length (the daemon's JSON answers always carry one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct req {
	char *head;
	size_t head_len;
	char *body;
	size_t body_len;
};

struct conn {
	int fd;
	size_t first;          /* index of its first package; then every nconn-th */
	size_t stored, failed;
	double start, end;     /* CLOCK_MONOTONIC seconds: released, last answer */
	pthread_t th;
};

static struct req *reqs;
static size_t nreq, nconn;
static pthread_barrier_t start;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(*out = malloc((size_t)n + 1)) || fread(*out, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

static int send_all(int fd, const struct req *r)
{
	struct iovec iov[2] = { { r->head, r->head_len }, { r->body, r->body_len } };
	struct iovec *v = iov;
	int cnt = 2;

	while (cnt > 0) {
		ssize_t n = writev(fd, v, cnt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		while (cnt > 0 && (size_t)n >= v->iov_len) {
			n -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* One answer: its status code, or -1 if the connection broke or the answer
 * is not what this client reads (no Content-Length). */
static int read_answer(int fd)
{
	char buf[8192];
	size_t have = 0;
	char *end = NULL, *cl;
	long body;
	int status;

	while (!end) {
		ssize_t n;

		if (have == sizeof buf - 1)
			return -1;
		n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*end = '\0';
	cl = strcasestr(buf, "\r\ncontent-length:");
	if (!cl)
		return -1;
	body = strtol(cl + 17, NULL, 10);
	body -= (long)(have - (size_t)(end + 4 - buf));
	while (body > 0) {
		ssize_t n = read(fd, buf, sizeof buf < (size_t)body ? sizeof buf : (size_t)body);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		body -= n;
	}
	return body == 0 ? status : -1;
}

static void *run(void *arg)
{
	struct conn *c = arg;

	pthread_barrier_wait(&start);
	c->start = now();
	for (size_t i = c->first; i < nreq; i += nconn) {
		int st = c->fd < 0 || send_all(c->fd, &reqs[i]) != 0 ? -1 : read_answer(c->fd);

		if (st == 201) {
			c->stored++;
		} else {
			c->failed++;
			fprintf(stderr, "bench_post: package %zu: %s %d\n", i + 1,
				st < 0 ? "connection failed" : "status", st);
			if (st < 0 && c->fd >= 0) {
				close(c->fd);
				c->fd = -1;
			}
		}
	}
	c->end = now();
	return NULL;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval limit = { .tv_sec = 60 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;   /* for the caller's message, past close() */
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* a daemon that stops answering fails the run instead of hanging it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
	return fd;
}

int main(int argc, char **argv)
{
	struct conn *conns;
	char line[4096];
	int n;
	size_t cap = 0, stored = 0, failed = 0;
	double t0, t1 = 0;
	FILE *list;
	int port;

	if (argc != 5 || (port = atoi(argv[1])) <= 0 || port > 65535 ||
	    (nconn = strtoul(argv[3], NULL, 10)) == 0 || nconn > 1024) {
		fprintf(stderr, "usage: bench_post PORT TOKEN CONNS LIST\n");
		return 2;
	}
	if (!(list = fopen(argv[4], "r"))) {
		fprintf(stderr, "bench_post: %s: %s\n", argv[4], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof line, list)) {
		struct req *r;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (nreq == cap) {
			cap = cap ? 2 * cap : 1024;
			if (!(reqs = realloc(reqs, cap * sizeof *reqs)))
				return 2;
		}
		r = &reqs[nreq];
		if (read_file(line, &r->body, &r->body_len) != 0) {
			fprintf(stderr, "bench_post: %s: cannot read\n", line);
			return 2;
		}
		n = asprintf(&r->head,
			"POST /v1/packages HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			"Authorization: Bearer %s\r\nContent-Type: application/vnd.etsi.asic-e+zip\r\n"
			"Content-Length: %zu\r\n\r\n", port, argv[2], r->body_len);
		if (n < 0)
			return 2;
		r->head_len = (size_t)n;
		nreq++;
	}
	fclose(list);
	if (!(conns = calloc(nconn, sizeof *conns)) ||
	    pthread_barrier_init(&start, NULL, (unsigned)nconn + 1) != 0)
		return 2;
	for (size_t i = 0; i < nconn; i++) {
		conns[i].first = i;
		if ((conns[i].fd = connect_to(port)) < 0) {
			fprintf(stderr, "bench_post: cannot connect to 127.0.0.1:%d: %s\n", port,
				strerror(errno));
			return 2;
		}
		if (pthread_create(&conns[i].th, NULL, run, &conns[i]) != 0)
			return 2;
	}
	pthread_barrier_wait(&start);
	t0 = now();   /* then the earliest start of a connection, below */
	for (size_t i = 0; i < nconn; i++) {
		pthread_join(conns[i].th, NULL);
		if (conns[i].start < t0)
			t0 = conns[i].start;
		stored += conns[i].stored;
		failed += conns[i].failed;
		if (conns[i].end > t1)
			t1 = conns[i].end;
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	}
	printf("stored=%zu failed=%zu seconds=%.6f rate=%.3f\n", stored, failed, t1 - t0,
	       t1 > t0 ? (double)stored / (t1 - t0) : 0.0);
	return failed ? 1 : 0;
}
