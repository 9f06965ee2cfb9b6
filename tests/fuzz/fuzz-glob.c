/*
 * Fuzz target: the path glob matchers, which the shim runs inside the
 * target's open() and, lazily, its write(), possibly in a signal handler:
 * fr_glob_match (the automaton read from the pattern) and fr_glob_compile
 * + fr_glob_run (the form the shim compiles once per rule). They must
 * terminate quickly on any pattern (neither backtracks), never read past
 * the pattern's bound (the control block holds patterns that may fill
 * their array with no NUL), agree with each other on every pattern short
 * enough to compile, and with plain string comparison for a pattern
 * without metacharacters.
 *
 * Input: PATTERN '\0' STRING (no NUL: the whole input is matched
 * against itself).
 */
#include <faultrun/rule.h>

#include "glob.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	size_t slen = nul ? size - plen - 1 : size;
	const uint8_t *sdata = nul ? nul + 1 : data;
	char *pat, *str, *bounded;
	bool m, mb;

	if (plen > 4 * FR_GLOB_MAX || slen > 8192)
		return 0;
	pat = malloc(plen + 1);
	str = malloc(slen + 1);
	/* the pattern as the block holds it: exactly plen bytes, no NUL */
	bounded = malloc(plen ? plen : 1);
	if (!pat || !str || !bounded)
		abort();
	memcpy(pat, data, plen);
	pat[plen] = '\0';
	memcpy(str, sdata, slen);
	str[slen] = '\0';
	memcpy(bounded, data, plen);

	m = fr_glob_match(pat, plen + 1, str);
	mb = fr_glob_match(bounded, plen, str);
	if (m != mb) {
		fprintf(stderr, "fuzz-glob: bounded and terminated patterns disagree\n");
		abort();
	}
	if (!strpbrk(pat, "*?[\\") && strlen(pat) == plen &&
	    m != (strcmp(pat, str) == 0)) {
		fprintf(stderr, "fuzz-glob: literal '%s' vs '%s': %d\n", pat, str, m);
		abort();
	}
	if (plen <= FR_GLOB_COMPILE_MAX) {
		/* static: the compiled form is 9 KB, and libFuzzer's stack is not ours */
		static struct fr_glob g;

		if (fr_glob_compile(&g, bounded, plen) != 0) {
			fprintf(stderr, "fuzz-glob: a %zu-byte pattern does not compile\n", plen);
			abort();
		}
		if (fr_glob_run(&g, str) != m) {
			fprintf(stderr, "fuzz-glob: '%s' vs '%s': compiled says %d, automaton %d\n",
				pat, str, !m, m);
			abort();
		}
	}
	if (!fr_glob_match("**", 3, str)) {
		fprintf(stderr, "fuzz-glob: '**' does not match '%s'\n", str);
		abort();
	}
	free(pat);
	free(str);
	free(bounded);
	return 0;
}
