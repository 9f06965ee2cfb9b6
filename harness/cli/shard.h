/*
 * A suite past one machine: `faultrun --shard I/N FILE|DIR...` runs the
 * I-th of N shares of the suite (shard.c), `--list` prints a share without
 * running it, and `faultrun report --merge OUT IN...` joins the shares'
 * JUnit files or journals into what one unsharded run writes (merge.c).
 * See docs/ci.md.
 */
#ifndef FAULTRUN_CLI_SHARD_H
#define FAULTRUN_CLI_SHARD_H

#include <stddef.h>
#include <stdint.h>

struct fr_scenario;

/* The most shards a suite is split into: more than any CI runs at once. */
#define FR_SHARD_MAX 1000

/*
 * Parse --shard's I/N (1 <= I <= N <= FR_SHARD_MAX, decimal digits only).
 * Returns 0, or -1 after a one-line error on stderr naming the argument.
 */
int fr_shard_parse(const char *arg, unsigned *index, unsigned *total);

/*
 * Split n scenarios of the given costs into total shards: out[k] is the
 * shard (0-based) of scenario k. Longest processing time first: the
 * scenarios by cost, longest first (equal costs in suite order), each to
 * the shard with the least cost so far (the lowest-numbered among equals).
 * Integers only, so every machine computes the same split.
 */
void fr_shard_assign(const uint64_t *cost, size_t n, unsigned total, unsigned *out);

/*
 * Keep shard index (1-based) of total: files[] and v[] (n of each, in
 * suite order) are compacted in place, the others freed. Says on stderr
 * what the shard holds unless quiet. Returns how many are kept.
 */
size_t fr_shard_keep(char **files, struct fr_scenario **v, size_t n, unsigned index, unsigned total,
		     int verbosity);

/* --list: the files, one a line on stdout. Returns 0, or 3 when stdout failed. */
int fr_suite_list(char *const *files, size_t n);

/*
 * faultrun report --merge OUT IN...: IN are all JUnit files or all
 * journals. Returns 0, or 2 after saying why on stderr.
 */
int fr_report_merge(const char *out, const char *const *in, size_t n, int quiet);

#endif /* FAULTRUN_CLI_SHARD_H */
