/*
 * Fuzz target: the scenario loader (YAML -> model) and instantiation.
 *
 * fr_scenario_load_string on any bytes must return 0 with a scenario, or
 * -EINVAL with a message naming fuzz.yml:LINE:COL and no scenario; never
 * crash, leak (LeakSanitizer runs at exit under libFuzzer) or hang. A
 * loaded scenario then goes through fr_scenario_check (what `faultrun
 * check` does: placeholders filled with stand-ins, faults parsed into
 * rules) twice, as a second run would, and is destroyed.
 */
#include "scenario/scenario.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCN_MAX (64 * 1024)

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz-scenario: %s: '%s'\n", what, err);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fr_override ovr[] = {
		{ "variant", "buggy", false },
		{ "port", "8080", false },
	};
	struct fr_scenario *s = (void *)1;
	char err[512], *text;
	int ret;

	if (size > SCN_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	ret = fr_scenario_load_string("fuzz.yml", text, ovr, 2, &s, err,
				      sizeof(err));
	free(text); /* the scenario must not point into the caller's text */
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "fuzz-scenario: load: %d %s\n", ret, err);
	if (ret < 0) {
		if (s)
			die("failed load returned a scenario", err);
		/* "fuzz.yml:L:C: ..." or "faultrun: --set K=V: ... (fuzz.yml:L:C)" */
		if (!strstr(err, "fuzz.yml:"))
			die("message does not name the file", err);
		return 0;
	}
	if (ret != 0 || !s)
		die("load returned neither 0 and a scenario nor an error", err);
	for (int i = 0; i < 2; i++) {
		err[0] = '\0';
		ret = fr_scenario_check(s, err, sizeof(err));
		if (getenv("FUZZ_REPLAY_VERBOSE"))
			fprintf(stderr, "fuzz-scenario: check: %d %s\n", ret, err);
		if (ret < 0 && !strstr(err, "fuzz.yml:"))
			die("check message does not name the file", err);
	}
	for (size_t i = 0; i < s->nfaults; i++)
		if (ret == 0 && (!s->faults[i].rule.ops ||
				 !s->faults[i].rule.name[0]))
			die("an instantiated fault has no rule", s->faults[i].name);
	fr_scenario_destroy(s);
	return 0;
}
