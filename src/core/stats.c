#include "core/stats.h"

#include <math.h>

void stats_wilson(double p, long n, double *lo, double *hi)
{
    const double z = 1.959963984540054; /* the normal's 0.975 quantile */
    double nn = (double)n, d = 1.0 + z * z / nn;
    double centre = (p + z * z / (2.0 * nn)) / d;
    double half = z / d * sqrt(p * (1.0 - p) / nn + z * z / (4.0 * nn * nn));
    /* exactly 0 and 1 at the ends, where centre -+ half would round */
    *lo = p <= 0.0 ? 0.0 : fmax(centre - half, 0.0);
    *hi = p >= 1.0 ? 1.0 : fmin(centre + half, 1.0);
}
