// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * log_time.c - times for the audit log reader: RFC 3339 record times and
 * the --since/--until forms (local dates, relative "30m", "now").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log_reader.h"

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "YYYY-MM-DD" then 'T' or ' ' and "HH:MM[:SS[.frac]]" then an optional
 * zone (Z or +hh:mm); *has_zone tells whether one was given. Returns the
 * characters consumed or 0. */
static size_t parse_datetime(const char *s, int64_t *us_out, bool *has_zone, bool *date_only)
{
	int year, mon, day, hour = 0, min = 0, sec = 0, zh, zm;
	int64_t frac_us = 0, offset_s = 0, scale = 100000;
	size_t i = 10;

	*has_zone = false;
	*date_only = false;
	if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) || s[7] != '-' ||
	    !digits(s + 8, 2, &day) || mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	if (s[10] == 'T' || s[10] == 't' || s[10] == ' ') {
		if (!digits(s + 11, 2, &hour) || s[13] != ':' || !digits(s + 14, 2, &min))
			return 0;
		i = 16;
		if (s[i] == ':') {
			if (!digits(s + i + 1, 2, &sec))
				return 0;
			i += 3;
			if (s[i] == '.') {
				i++;
				if (s[i] < '0' || s[i] > '9')
					return 0;
				for (; s[i] >= '0' && s[i] <= '9'; i++) {
					frac_us += (s[i] - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (hour > 23 || min > 59 || sec > 60)
			return 0;
		if (s[i] == 'Z' || s[i] == 'z') {
			*has_zone = true;
			i++;
		} else if ((s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2, &zh) && s[i + 3] == ':' &&
			   digits(s + i + 4, 2, &zm)) {
			offset_s = (zh * 3600 + zm * 60) * (s[i] == '-' ? -1 : 1);
			*has_zone = true;
			i += 6;
		}
	} else {
		*date_only = true;
	}
	*us_out = ((days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hour * 3600 + min * 60 + sec -
		    offset_s) * 1000000) + frac_us;
	return i;
}

int64_t kg_log_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A zone-less time is local: find the UTC instant whose local reading is
 * the given one. */
static int64_t local_to_utc(int64_t naive_us)
{
	time_t t = (time_t)(naive_us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000000 + naive_us % 1000000;
}

int kg_log_parse_time(const char *text, int64_t now_us, int64_t *out_us)
{
	static const struct { char unit; int64_t seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	bool has_zone, date_only;
	int64_t us;
	size_t n;
	char *end;

	if (!text || !*text)
		return -EINVAL;
	if (strcmp(text, "now") == 0) {
		*out_us = now_us;
		return 0;
	}
	n = parse_datetime(text, &us, &has_zone, &date_only);
	if (n) {
		if (text[n] != '\0')
			return -EINVAL;
		*out_us = has_zone ? us : local_to_utc(us);
		return 0;
	}
	if (text[0] >= '0' && text[0] <= '9') {
		unsigned long long v;

		errno = 0;
		v = strtoull(text, &end, 10);
		if (errno || end[0] == '\0' || end[1] != '\0' || v > 100ull * 365 * 86400)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (units[i].unit == end[0]) {
				*out_us = now_us - (int64_t)v * units[i].seconds * 1000000;
				return 0;
			}
		}
	}
	return -EINVAL;
}


int kg_log_parse_record_time(const char *text, int64_t *out_us)
{
	bool has_zone, date_only;

	if (!parse_datetime(text, out_us, &has_zone, &date_only) || !has_zone)
		return -EINVAL;
	return 0;
}
