/*
 * due.c: civil-date arithmetic for retention periods (see due.h).
 *
 * Day numbers follow the days_from_civil / civil_from_days algorithms of
 * Howard Hinnant ("chrono-Compatible Low-Level Date Algorithms"): exact for
 * the proleptic Gregorian calendar, integer-only, no table lookups, no
 * dependence on the C library's time zone machinery.
 */
#include "retention/due.h"

#include <stdio.h>

#include "common/err.h"

int due_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int due_days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && due_is_leap(y))
		return 29;
	return mdays[m - 1];
}

/* Hinnant's days_from_civil, for years >= 1 only (era is never negative). */
static int32_t days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

int due_from_ymd(int32_t *out, int y, int m, int d)
{
	if (y < DUE_YEAR_MIN || y > DUE_YEAR_MAX || d < 1 || d > due_days_in_month(y, m))
		return KHO_EINVAL;
	*out = days_from_civil(y, m, d);
	return 0;
}

void due_to_ymd(int32_t day, int *y, int *m, int *d)
{
	int32_t z = day + 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int due_parse(int32_t *out, const char *s)
{
	int y, m, d;

	if (s == NULL || digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &m) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) != 0 || s[10] != '\0')
		return KHO_EFORMAT;
	return due_from_ymd(out, y, m, d) == 0 ? 0 : KHO_EFORMAT;
}

char *due_format(char out[11], int32_t day)
{
	int y, m, d;

	if (day == DUE_NONE) {
		snprintf(out, 11, "none");
		return out;
	}
	due_to_ymd(day, &y, &m, &d);
	if (y < DUE_YEAR_MIN || y > DUE_YEAR_MAX) {
		snprintf(out, 11, "invalid");
		return out;
	}
	/* by hand: the ranges are known, and snprintf's width cannot be proven */
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
	return out;
}

int due_add_years(int32_t *out, int32_t from, int years, enum due_feb29 feb29)
{
	int y, m, d;

	if (from == DUE_NONE || years > DUE_YEAR_MAX || years < -DUE_YEAR_MAX)
		return KHO_EINVAL;
	due_to_ymd(from, &y, &m, &d);
	y += years;
	if (y < DUE_YEAR_MIN || y > DUE_YEAR_MAX)
		return KHO_EINVAL;
	if (m == 2 && d == 29 && !due_is_leap(y)) {
		/* see due.h: 1 March keeps the period whole; 28 February on request */
		if (feb29 == DUE_FEB29_FEB28) {
			d = 28;
		} else {
			m = 3;
			d = 1;
		}
	}
	return due_from_ymd(out, y, m, d);
}

int due_compute(int32_t *out, int32_t trigger, int years, enum due_cutoff cutoff,
                enum due_rule rule, enum due_feb29 feb29)
{
	int32_t start = trigger;
	int y, m, d;

	if (trigger == DUE_NONE || years < 0 || years > DUE_YEAR_MAX)
		return KHO_EINVAL;
	due_to_ymd(trigger, &y, &m, &d);
	if (y < DUE_YEAR_MIN || y > DUE_YEAR_MAX)
		return KHO_EINVAL;
	/* Circular 10/2022/TT-BNV: counted from the year the work ended */
	if (cutoff == DUE_CUTOFF_CALENDAR_YEAR && due_from_ymd(&start, y, 1, 1) != 0)
		return KHO_EINVAL;
	if (rule == DUE_RULE_END_OF_YEAR) {
		if (y > DUE_YEAR_MAX - years)
			return KHO_EINVAL;
		return due_from_ymd(out, y + years, 12, 31);
	}
	return due_add_years(out, start, years, feb29);
}
