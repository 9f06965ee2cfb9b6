/*
 * Replays fuzz inputs through a fuzz target without libFuzzer: the seed
 * corpus and every regression input (a crash the fuzzer once found) run
 * as a normal test in every build, gcc and sanitizers included.
 *
 *	fuzz-replay-<target> DIR|FILE...
 *
 * Each file is passed once to LLVMFuzzerTestOneInput, exactly as libFuzzer
 * would; a crash, a sanitizer report or an abort() in the target's own
 * property checks fails the test. Prints how many inputs ran.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long ran;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "fuzz-replay: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "fuzz-replay: %s (%zu bytes)\n", path, len);
	/* an exact-size copy, so ASan sees a read past the end of the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	ran++;
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent **list;
	int n, ret = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz-replay: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	n = scandir(path, &list, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz-replay: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (list[i]->d_name[0] != '.' &&
		    strcmp(list[i]->d_name, "README") != 0 &&
		    snprintf(sub, sizeof(sub), "%s/%s", path, list[i]->d_name) <
			    (int)sizeof(sub) &&
		    run_path(sub) < 0)
			ret = -1;
		free(list[i]);
	}
	free(list);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i]) < 0)
			ret = 1;
	printf("fuzz-replay: %lu inputs ran without a crash\n", ran);
	return ret ? 1 : (ran ? 0 : 1);
}
