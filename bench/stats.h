/* SPDX-License-Identifier: MIT */
/* What every benchmark needs to time runs and summarise them: a monotonic clock and medians. */
#ifndef MICROVM_BENCH_STATS_H
#define MICROVM_BENCH_STATS_H

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds, milliseconds and nanoseconds. */
static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double bench_now_ms(void)
{
	return bench_now_s() * 1e3;
}

static inline double bench_now_ns(void)
{
	return bench_now_s() * 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* v[0..n) sorted in place. */
static inline void bench_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
}

/* The median of v[0..n) (sorts v; the mean of the middle two for an even n). */
static inline double bench_median(double *v, int n)
{
	bench_sort(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The p-quantile (0 < p <= 1, nearest rank) of v[0..n) (sorts v). */
static inline double bench_pct(double *v, int n, double p)
{
	int i = (int)ceil(p * n) - 1;

	bench_sort(v, n);
	return v[i < 0 ? 0 : i];
}

#endif
