/* stats: small statistics shared by the store's summaries and the report. */
#ifndef LESDE_CORE_STATS_H
#define LESDE_CORE_STATS_H

/* Wilson's score interval of a proportion p of n trials, 95% (Wilson
 * 1927; Brown, Cai and DasGupta 2001 recommend it for small n): unlike the
 * t-interval it neither collapses to a point at 0/n or n/n nor leaves
 * [0, 1]; exactly 0 and 1 at the ends. */
void stats_wilson(double p, long n, double *lo, double *hi);

#endif
