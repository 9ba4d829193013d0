/*
 * test.h: the unit-test harness. A test file defines test functions and a
 * table; each CHECK that fails prints the place and the expression and marks
 * the test failed. main() prints one line per test and the summary line
 * "N passed, N failed" that tests/run.sh adds up.
 *
 *   static void t_roundtrip(void) { CHECK(x == 1); CHECK_EQ_INT(rc, 0); }
 *   TESTS(T(t_roundtrip), T(t_other))
 */
#ifndef KHO_TEST_H
#define KHO_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_;
static int test_checks_;

#define CHECK(cond) do { test_checks_++; if (!(cond)) { \
	fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	test_failed_ = 1; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	test_checks_++; if (a_ != b_) { \
	fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
	        #a, a_, #b, b_); test_failed_ = 1; } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); test_checks_++; \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) { \
	fprintf(stderr, "  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
	        #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); test_failed_ = 1; } } while (0)
/* REQUIRE: like CHECK, but ends the test at once (for preconditions). */
#define REQUIRE(cond) do { test_checks_++; if (!(cond)) { \
	fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
	test_failed_ = 1; return; } } while (0)

struct test_case { const char *name; void (*fn)(void); };
#define T(fn) { #fn, fn }
#define TESTS(...) \
	int main(int argc, char **argv) { \
		static const struct test_case cases_[] = { __VA_ARGS__ }; \
		size_t i_, n_ = sizeof cases_ / sizeof cases_[0]; int pass_ = 0, fail_ = 0; \
		for (i_ = 0; i_ < n_; i_++) { \
			if (argc > 1 && strcmp(argv[1], cases_[i_].name) != 0) continue; \
			test_failed_ = 0; test_checks_ = 0; cases_[i_].fn(); \
			if (test_checks_ == 0) { test_failed_ = 1; \
				fprintf(stderr, "  %s asserted nothing\n", cases_[i_].name); } \
			printf("%s %s\n", test_failed_ ? "FAIL" : "ok  ", cases_[i_].name); \
			if (test_failed_) fail_++; else pass_++; \
		} \
		printf("%d passed, %d failed\n", pass_, fail_); \
		return fail_ ? 1 : 0; \
	}

#endif
