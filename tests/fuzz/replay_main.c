/*
 * replay_main.c: runs a libFuzzer harness's LLVMFuzzerTestOneInput over every
 * file of a seed-corpus directory, so that `make test` replays the corpora
 * with the ordinary compiler (and under the sanitizers in the CI pass).
 * Prints "N passed, 0 failed"; a crash ends the program, which fails the run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (d == NULL) {
		fprintf(stderr, "%s: no corpus\n", argv[1]);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		kho_buf b;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
		kho_buf_init(&b, 64u << 20);
		if (kho_read_file(&b, path, NULL) == 0) {
			LLVMFuzzerTestOneInput(b.data ? b.data : (const uint8_t *)"", b.len);
			n++;
		}
		kho_buf_free(&b);
	}
	closedir(d);
	printf("%d passed, 0 failed\n", n);
	return n > 0 ? 0 : 1;
}
