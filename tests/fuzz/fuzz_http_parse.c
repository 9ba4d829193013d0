/*
 * fuzz_http_parse.c: the daemon's parsers of untrusted request parts
 * (archive/http_util.h): the first byte chooses the parser, the rest is its
 * input: a request line "METHOD PATH", an Authorization value, a status
 * body, a results body, a date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/http_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	unsigned sel;

	if (size == 0)
		return 0;
	sel = data[0] % 5;
	data++;
	size--;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	switch (sel) {
	case 0: {
		http_match m;
		char *sp = strchr(s, ' ');
		if (sp != NULL) {
			*sp = '\0';
			(void)http_route_parse(s, sp + 1, &m);
		} else {
			(void)http_route_parse("GET", s, &m);
		}
		break;
	}
	case 1: {
		char tok[TOKEN_LEN + 1];
		(void)http_bearer(s, tok);
		break;
	}
	case 2: {
		http_status_req r;
		(void)http_parse_status_body(&r, data, size, NULL);
		break;
	}
	case 3: {
		http_results_req r;
		(void)http_parse_results_body(&r, data, size, 1u << 20, NULL);
		http_results_req_free(&r);
		break;
	}
	default:
		(void)http_is_date(s);
		break;
	}
	free(s);
	return 0;
}
