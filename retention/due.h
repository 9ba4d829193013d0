/*
 * due.h: civil-date arithmetic for retention periods (docs/retention.md,
 * "Due dates").
 *
 * Retention is counted in calendar days and years, never in seconds: a date
 * is a day of the proleptic Gregorian calendar, held as the number of days
 * since 1970-01-01 (an int32_t, negative before 1970). No time zone, no
 * time_t, no mktime: "2025-12-31" is the same day in Hà Nội and in UTC, and
 * a dossier closed at 23:30 on 31 December belongs to that year whatever the
 * server's TZ. Years outside 1..9999 are refused.
 *
 * Counting a period (Circular 10/2022/TT-BNV: "tính từ năm công việc kết
 * thúc", counted from the year the work ended):
 *   cut-off   calendar-year: the counting point is 1 January of the
 *             trigger's year, so every dossier closed in one year falls due
 *             on the same day; none: the counting point is the trigger date.
 *   due rule  end-of-year: due on 31 December of (counting year + N);
 *             anniversary: due on the counting point + N years.
 * With a calendar-year cut-off the two rules are the two readings that
 * domain.md calls unsettled: end-of-year falls due on 31/12 of year+N,
 * anniversary on 1/1 of year+N ("during year+N", at its first day).
 *
 * 29 February: an anniversary of 29 February in a year without one falls
 * on 1 March by default (DUE_FEB29_MAR1) so that a period is never cut
 * short by a day; DUE_FEB29_FEB28 (the last day of February, the reading of
 * the Civil Code 2015 art. 148 for periods in months) is a per-schedule
 * choice.
 *
 * All functions are pure, allocation-free and thread-safe.
 */
#ifndef KHO_DUE_H
#define KHO_DUE_H

#include <stdint.h>

/* DUE_NONE: "no date" (an unset optional date). Never a valid day. */
#define DUE_NONE INT32_MIN

/* The smallest and largest years a date may have. */
#define DUE_YEAR_MIN 1
#define DUE_YEAR_MAX 9999

/* Where counting starts (see above). */
enum due_cutoff {
	DUE_CUTOFF_CALENDAR_YEAR = 0,
	DUE_CUTOFF_NONE = 1,
};

/* Which day of the last year the period ends on (see above). */
enum due_rule {
	DUE_RULE_END_OF_YEAR = 0,
	DUE_RULE_ANNIVERSARY = 1,
};

/* Where an anniversary of 29 February falls in a common year. */
enum due_feb29 {
	DUE_FEB29_MAR1 = 0,
	DUE_FEB29_FEB28 = 1,
};

/* due_is_leap: 1 if y is a Gregorian leap year, else 0. */
int due_is_leap(int y);

/* due_days_in_month: 28..31 for a month 1..12 of year y, 0 for a bad month. */
int due_days_in_month(int y, int m);

/*
 * due_from_ymd: the day number of y-m-d into *out. KHO_EINVAL (and *out
 * untouched) if it is not a real date in years DUE_YEAR_MIN..DUE_YEAR_MAX.
 */
int due_from_ymd(int32_t *out, int y, int m, int d);

/* due_to_ymd: split a day number (from due_from_ymd) into year, month, day. */
void due_to_ymd(int32_t day, int *y, int *m, int *d);

/*
 * due_parse: exactly "YYYY-MM-DD" (no time, no zone, no surrounding space)
 * naming a real date, into *out. KHO_EFORMAT otherwise.
 */
int due_parse(int32_t *out, const char *s);

/*
 * due_format: "YYYY-MM-DD" into out (at least 11 bytes); "none" for
 * DUE_NONE. Returns out.
 */
char *due_format(char out[11], int32_t day);

/*
 * due_add_years: the anniversary of from, years later (years may be
 * negative), with the 29 February rule feb29. KHO_EINVAL if from is
 * DUE_NONE or the result leaves DUE_YEAR_MIN..DUE_YEAR_MAX.
 */
int due_add_years(int32_t *out, int32_t from, int years, enum due_feb29 feb29);

/*
 * due_compute: the day a period of `years` counted from the trigger date
 * falls due (the first day the record may be disposed of), with the given
 * cut-off, due rule and 29 February rule. years >= 0. KHO_EINVAL on a bad
 * argument or a due date after DUE_YEAR_MAX.
 */
int due_compute(int32_t *out, int32_t trigger, int years, enum due_cutoff cutoff,
                enum due_rule rule, enum due_feb29 feb29);

#endif
