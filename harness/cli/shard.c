/*
 * faultrun --shard I/N [--list] FILE|DIR...: which scenarios of a suite
 * this machine runs.
 *
 * Every machine of a CI matrix is given the same arguments and computes
 * the whole split itself; nothing is exchanged. So the split depends only
 * on the suite (its order, command line then each directory's names in
 * order) and each scenario's duration (the end of its timeline, after
 * --set), and uses integer nanoseconds: no floating point, whose rounding
 * could differ between builds, decides a shard.
 */
#include "shard.h"
#include "scenario/scenario.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One decimal number of at most 9 digits (so it fits), nothing else. */
static bool parse_count(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 9)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

int fr_shard_parse(const char *arg, unsigned *index, unsigned *total)
{
	const char *slash = strchr(arg, '/');
	unsigned i, n;

	if (slash && parse_count(arg, (size_t)(slash - arg), &i) &&
	    parse_count(slash + 1, strlen(slash + 1), &n) && n >= 1 && n <= FR_SHARD_MAX &&
	    i >= 1 && i <= n) {
		*index = i;
		*total = n;
		return 0;
	}
	fprintf(stderr,
		"faultrun: --shard '%s': expected I/N, share I of N with 1 <= I <= N <= %d "
		"(e.g. 2/4)\n",
		arg, FR_SHARD_MAX);
	return -1;
}

struct by_cost {
	uint64_t cost;
	size_t k;
};

/* longest first; equal ones in suite order (qsort is not stable) */
static int cmp_cost(const void *a, const void *b)
{
	const struct by_cost *x = a, *y = b;

	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

void fr_shard_assign(const uint64_t *cost, size_t n, unsigned total, unsigned *out)
{
	struct by_cost *order = fr_xcalloc(n + 1, sizeof(*order));
	uint64_t *load = fr_xcalloc(total, sizeof(*load));

	for (size_t k = 0; k < n; k++) {
		order[k].cost = cost[k];
		order[k].k = k;
	}
	qsort(order, n, sizeof(*order), cmp_cost);
	for (size_t j = 0; j < n; j++) {
		unsigned best = 0;

		for (unsigned s = 1; s < total; s++)
			if (load[s] < load[best])
				best = s;
		load[best] += order[j].cost;
		out[order[j].k] = best;
	}
	free(load);
	free(order);
}

size_t fr_shard_keep(char **files, struct fr_scenario **v, size_t n, unsigned index, unsigned total,
		     int verbosity)
{
	uint64_t *cost = fr_xcalloc(n + 1, sizeof(*cost));
	unsigned *shard = fr_xcalloc(n + 1, sizeof(*shard));
	uint64_t kept_ns = 0;
	size_t kept = 0;

	for (size_t k = 0; k < n; k++)
		cost[k] = v[k]->duration_ns;
	fr_shard_assign(cost, n, total, shard);
	for (size_t k = 0; k < n; k++) {
		if (shard[k] != index - 1) {
			fr_scenario_destroy(v[k]);
			free(files[k]);
			continue;
		}
		kept_ns += cost[k];
		files[kept] = files[k];
		v[kept++] = v[k];
	}
	if (verbosity > 0) {
		char d[32];

		fr_fmt_duration(d, sizeof(d), kept_ns);
		fprintf(stderr, "faultrun: shard %u/%u: %zu of %zu scenario%s (%s of timeline)\n",
			index, total, kept, n, n == 1 ? "" : "s", d);
	}
	free(shard);
	free(cost);
	return kept;
}

int fr_suite_list(char *const *files, size_t n)
{
	for (size_t k = 0; k < n; k++)
		printf("%s\n", files[k]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "faultrun: --list: cannot write to stdout: %s\n",
			strerror(errno ? errno : EIO));
		return 3;
	}
	return 0;
}
