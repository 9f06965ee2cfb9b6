/*
 * Delay distributions (dist.c): netem's distribution= and correlation
 * with integer arithmetic only, for the shim (which links no libm).
 */
#ifndef FAULTRUN_FAULT_DIST_H
#define FAULTRUN_FAULT_DIST_H

#include <stdint.h>

/*
 * netem's correlated random number: the fresh 32-bit draw u weighted
 * against the previous one, `last`, by corr_ppm millionths (0: u itself).
 * The caller keeps the result as the next call's `last`.
 */
uint32_t fr_dist_correlate(uint32_t u, uint32_t last, uint32_t corr_ppm);

/*
 * A delay around amount (ns) for a uniform 32-bit draw u: uniform is
 * amount +- jitter, every value as likely; normal, pareto and paretonormal
 * have jitter as their standard deviation (netem's meaning), the draw
 * going through a table of the distribution's quantiles. Never below 0,
 * never wraps.
 */
uint64_t fr_dist_delay(uint64_t amount, uint64_t jitter, uint32_t dist, uint32_t u);

/* The longest delay fr_dist_delay() can give for these. */
uint64_t fr_dist_delay_max(uint64_t amount, uint64_t jitter, uint32_t dist);

#endif /* FAULTRUN_FAULT_DIST_H */
