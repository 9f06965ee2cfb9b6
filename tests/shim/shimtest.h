/*
 * Support for the shim tests: run the test binary itself under the shim
 * with a private control block, and drive rules from inside it.
 *
 * st_init() is the first call in main(). Started by meson (FAULTRUN_CTL
 * unset), it makes a private directory with a control block, exports
 * FAULTRUN_CTL and LD_PRELOAD=$FAULTSHIM (the built shim), runs itself
 * again with them and removes the directory afterwards, exiting with the
 * child's status. In that second run the shim attached the block at start,
 * exactly as in a target started by faultrun, and st_init() maps the same
 * block as a writer so that tests can add, arm and disarm rules while the
 * process runs. It fails the run if the shim is not really loaded, so a
 * test can never pass without it.
 */
#ifndef FAULTRUN_TESTS_SHIMTEST_H
#define FAULTRUN_TESTS_SHIMTEST_H

#include <faultrun/control.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The block (writer mapping) and the private directory of this run. */
extern struct fr_ctl *st_ctl;
extern char st_dir[256];

void st_init(int argc, char **argv);

/*
 * Publish a rule from a SPEC (disarmed), or find the one already published
 * from the same SPEC. Returns the slot; aborts the test run on a bad SPEC.
 * "%D" in spec is replaced by st_dir.
 */
int st_rule(const char *spec);
void st_arm(int slot);
void st_disarm(int slot);
void st_disarm_all(void);
/*
 * Disarm every armed rule until st_quiet_end() re-arms them (a case
 * preparing state the rule must not see, e.g. data in a stdio buffer).
 */
void st_quiet_begin(void);
void st_quiet_end(void);
uint64_t st_injected(int slot);
uint64_t st_matched(int slot);

/* "<st_dir>/<rel>" in a static ring of buffers (valid for a few calls). */
const char *st_path(const char *rel);
/* mkdir -p of "<st_dir>/<rel>". */
void st_mkdir(const char *rel);
/* Write content to a file (truncating); returns 0 or -errno. */
int st_write_file(const char *path, const char *content);
/* Read a whole (small) file into buf; returns its length or -errno. */
long st_read_file(const char *path, char *buf, size_t len);
/* The file's size, or -1. */
long long st_file_size(const char *path);

/* The built shim (for helper programs started with a clean environment). */
const char *st_shim(void);
/*
 * Run argv (argv[0] a path) with the test's environment plus the extra
 * "NAME=value" strings in env (NULL-terminated, may be NULL); returns its
 * wait status. stdout_path, if set, receives the child's stdout.
 */
int st_run(char *const argv[], char *const env[], const char *stdout_path);

#endif /* FAULTRUN_TESTS_SHIMTEST_H */
