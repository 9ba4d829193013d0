/*
 * bench_ingest_bound.c DIR TRUST PACKAGE...: the bound of the ingest
 * benchmark, measured in the same run: the in-process verification rate
 * (verify_package_file on the given packages, packages/s) and the
 * durable-write rate of files of the same size in DIR (write, fsync, rename,
 * fsync the directory: kho_write_file_durable, files/s). Prints
 * "verify_rate=R write_rate=W size=BYTES".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/util.h"
#include "verify/verify.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	STACK_OF(X509) *anchors = NULL;
	verify_opts vo;
	kho_err err;
	kho_buf b;
	double t0, tv, tw;
	int i, n;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_ingest_bound DIR TRUST PACKAGE...\n");
		return 2;
	}
	if (verify_load_certs(&anchors, argv[2], &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	memset(&vo, 0, sizeof vo);
	vo.anchors = anchors;
	n = argc - 3;
	t0 = now();
	for (i = 0; i < n; i++) {
		verify_report *r = NULL;
		if (verify_package_file(&r, argv[3 + i], &vo, &err) != 0 || r->indication != VR_TOTAL_PASSED) {
			fprintf(stderr, "%s does not verify\n", argv[3 + i]);
			return 1;
		}
		verify_report_free(r);
	}
	tv = now() - t0;
	kho_buf_init(&b, 1u << 30);
	if (kho_read_file(&b, argv[3], &err) != 0)
		return 1;
	t0 = now();
	for (i = 0; i < n; i++) {
		char p[4096];
		snprintf(p, sizeof p, "%s/bound-%d", argv[1], i);
		if (kho_write_file_durable(p, b.data, b.len, 0600, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	tw = now() - t0;
	printf("verify_rate=%.3f write_rate=%.3f size=%zu\n", n / tv, n / tw, b.len);
	kho_buf_free(&b);
	sk_X509_pop_free(anchors, X509_free);
	return 0;
}
