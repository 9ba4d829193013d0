/*
 * test_due.c: civil-date arithmetic of retention/due.h: day numbers against
 * the C library's timegm over three centuries, strict date parsing, the
 * calendar-year cut-off (dossiers closed on 1 January and 31 December of
 * one year fall due together), both due rules, and 29 February
 * anniversaries under both per-schedule rules.
 */
#include <stdint.h>
#include <time.h>

#include "common/err.h"
#include "retention/due.h"
#include "tests/unit/test.h"

static int32_t D(const char *s)
{
	int32_t d = DUE_NONE;

	if (due_parse(&d, s) != 0) {
		fprintf(stderr, "  bad test date %s\n", s);
		return DUE_NONE;
	}
	return d;
}

static const char *F(int32_t d)
{
	static char buf[4][11];
	static int i;

	i = (i + 1) % 4;
	return due_format(buf[i], d);
}

static void t_day_numbers_match_timegm(void)
{
	int32_t day, prev = DUE_NONE;
	int y, m, d, bad = 0, days = 0;

	for (y = 1900; y <= 2200; y++) {
		for (m = 1; m <= 12; m++) {
			for (d = 1; d <= due_days_in_month(y, m); d++) {
				struct tm tm = { 0 };
				int yy, mm, dd;
				tm.tm_year = y - 1900;
				tm.tm_mon = m - 1;
				tm.tm_mday = d;
				if (due_from_ymd(&day, y, m, d) != 0 || (time_t)day * 86400 != timegm(&tm))
					bad++;
				if (prev != DUE_NONE && day != prev + 1)
					bad++;
				due_to_ymd(day, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					bad++;
				prev = day;
				days++;
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(days, 109938); /* 301 years: 301*365 + 73 leap days */
	CHECK_EQ_INT(D("1970-01-01"), 0);
	CHECK_EQ_INT(D("1969-12-31"), -1);
	CHECK(D("0001-01-01") != DUE_NONE);
	CHECK_STR(F(D("0001-01-01")), "0001-01-01");
	CHECK_STR(F(D("9999-12-31")), "9999-12-31");
}

static void t_leap_years(void)
{
	CHECK(due_is_leap(2024));
	CHECK(due_is_leap(2000));
	CHECK(!due_is_leap(1900));
	CHECK(!due_is_leap(2100));
	CHECK(!due_is_leap(2025));
	CHECK_EQ_INT(due_days_in_month(2024, 2), 29);
	CHECK_EQ_INT(due_days_in_month(2100, 2), 28);
	CHECK_EQ_INT(due_days_in_month(2025, 13), 0);
}

static void t_parse_is_strict(void)
{
	static const char *const bad[] = {
		"2025-02-29", "2100-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "2025-1-01",
		"2025-01-1", "2025-01-01Z", "2025-01-01T00:00:00Z", " 2025-01-01", "2025-01-01 ",
		"20250101", "", "0000-01-01", "abcd-ef-gh", "2025/01/01",
	};
	int32_t d = 7;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (due_parse(&d, bad[i]) != KHO_EFORMAT)
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
		CHECK_EQ_INT(due_parse(&d, bad[i]), KHO_EFORMAT);
	}
	CHECK_EQ_INT(due_parse(&d, NULL), KHO_EFORMAT);
	CHECK_EQ_INT(due_parse(&d, "2024-02-29"), 0);
	CHECK_STR(F(d), "2024-02-29");
	CHECK_STR(F(DUE_NONE), "none");
	CHECK_EQ_INT(due_from_ymd(&d, 10000, 1, 1), KHO_EINVAL);
	CHECK_EQ_INT(due_from_ymd(&d, 0, 12, 31), KHO_EINVAL);
}

/* Deliverable 11: dossiers closed on 1 January and 31 December of one year
 * fall due together, under either due rule, with the calendar-year cut-off. */
static void t_jan1_and_dec31_fall_due_together(void)
{
	int32_t a, b;

	CHECK_EQ_INT(due_compute(&a, D("2020-01-01"), 5, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_END_OF_YEAR, DUE_FEB29_MAR1), 0);
	CHECK_EQ_INT(due_compute(&b, D("2020-12-31"), 5, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_END_OF_YEAR, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(a), "2025-12-31");
	CHECK_STR(F(b), "2025-12-31");

	/* the other reading of Circular 10/2022: due during year+N, at its start */
	CHECK_EQ_INT(due_compute(&a, D("2020-01-01"), 5, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_ANNIVERSARY, DUE_FEB29_MAR1), 0);
	CHECK_EQ_INT(due_compute(&b, D("2020-12-31"), 5, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_ANNIVERSARY, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(a), "2025-01-01");
	CHECK_STR(F(b), "2025-01-01");

	/* without a cut-off they do not: the anniversaries are a year apart */
	CHECK_EQ_INT(due_compute(&a, D("2020-01-01"), 5, DUE_CUTOFF_NONE,
	                         DUE_RULE_ANNIVERSARY, DUE_FEB29_MAR1), 0);
	CHECK_EQ_INT(due_compute(&b, D("2020-12-31"), 5, DUE_CUTOFF_NONE,
	                         DUE_RULE_ANNIVERSARY, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(a), "2025-01-01");
	CHECK_STR(F(b), "2025-12-31");

	/* a dossier closed the next day belongs to the next year */
	CHECK_EQ_INT(due_compute(&a, D("2021-01-01"), 5, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_END_OF_YEAR, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(a), "2026-12-31");
}

/* Deliverable 11: 29 February, with the per-schedule rule. */
static void t_feb29(void)
{
	int32_t d, leapday = D("2024-02-29");

	CHECK_EQ_INT(due_add_years(&d, leapday, 1, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2025-03-01");
	CHECK_EQ_INT(due_add_years(&d, leapday, 1, DUE_FEB29_FEB28), 0);
	CHECK_STR(F(d), "2025-02-28");
	CHECK_EQ_INT(due_add_years(&d, leapday, 4, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2028-02-29");
	CHECK_EQ_INT(due_add_years(&d, leapday, 76, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2100-03-01"); /* 2100 is not a leap year */
	CHECK_EQ_INT(due_add_years(&d, leapday, 76, DUE_FEB29_FEB28), 0);
	CHECK_STR(F(d), "2100-02-28");
	CHECK_EQ_INT(due_add_years(&d, D("2000-02-29"), 400, DUE_FEB29_FEB28), 0);
	CHECK_STR(F(d), "2400-02-29");

	CHECK_EQ_INT(due_compute(&d, leapday, 5, DUE_CUTOFF_NONE, DUE_RULE_ANNIVERSARY,
	                         DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2029-03-01");
	CHECK_EQ_INT(due_compute(&d, leapday, 5, DUE_CUTOFF_NONE, DUE_RULE_ANNIVERSARY,
	                         DUE_FEB29_FEB28), 0);
	CHECK_STR(F(d), "2029-02-28");
	/* with the calendar-year cut-off 29 February plays no part */
	CHECK_EQ_INT(due_compute(&d, leapday, 5, DUE_CUTOFF_CALENDAR_YEAR, DUE_RULE_END_OF_YEAR,
	                         DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2029-12-31");
	/* other days are untouched by the rule */
	CHECK_EQ_INT(due_add_years(&d, D("2023-02-28"), 1, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2024-02-28");
	CHECK_EQ_INT(due_add_years(&d, D("2024-03-01"), -1, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "2023-03-01");
}

static void t_out_of_range(void)
{
	int32_t d = 42;

	CHECK_EQ_INT(due_add_years(&d, D("9999-06-01"), 1, DUE_FEB29_MAR1), KHO_EINVAL);
	CHECK_EQ_INT(due_compute(&d, D("9990-06-01"), 20, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_END_OF_YEAR, DUE_FEB29_MAR1), KHO_EINVAL);
	CHECK_EQ_INT(due_compute(&d, DUE_NONE, 5, DUE_CUTOFF_NONE, DUE_RULE_ANNIVERSARY,
	                         DUE_FEB29_MAR1), KHO_EINVAL);
	CHECK_EQ_INT(due_compute(&d, D("2020-01-01"), -1, DUE_CUTOFF_NONE, DUE_RULE_ANNIVERSARY,
	                         DUE_FEB29_MAR1), KHO_EINVAL);
	CHECK_EQ_INT(due_add_years(&d, DUE_NONE, 1, DUE_FEB29_MAR1), KHO_EINVAL);
	CHECK_EQ_INT(d, 42);
	CHECK_EQ_INT(due_compute(&d, D("9989-06-01"), 10, DUE_CUTOFF_CALENDAR_YEAR,
	                         DUE_RULE_END_OF_YEAR, DUE_FEB29_MAR1), 0);
	CHECK_STR(F(d), "9999-12-31");
}

TESTS(T(t_day_numbers_match_timegm), T(t_leap_years), T(t_parse_is_strict),
      T(t_jan1_and_dec31_fall_due_together), T(t_feb29), T(t_out_of_range))
