/*
 * Fuzz target: the path glob matcher (fr_glob_match), which the shim runs
 * inside the target's open() and, lazily, its write(), possibly in a
 * signal handler. It must terminate quickly on any pattern (past a step
 * bound it stops backtracking and follows every state of the pattern at
 * once), never read past the pattern's bound (the control
 * block holds patterns that may fill their array with no NUL), and agree
 * with plain string comparison for a pattern without metacharacters.
 *
 * Input: PATTERN '\0' STRING (no NUL: the whole input is matched
 * against itself).
 */
#include <faultrun/rule.h>

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
	if (!fr_glob_match("**", 3, str)) {
		fprintf(stderr, "fuzz-glob: '**' does not match '%s'\n", str);
		abort();
	}
	free(pat);
	free(str);
	free(bounded);
	return 0;
}
