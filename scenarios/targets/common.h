/*
 * What the incident targets share besides HTTP (target-http.h): the
 * --variant switch, strict numeric flags, the monotonic clock, messages,
 * writing a small file whole (a state file, a pidfile), and the app that a
 * PM2-like supervisor keeps (supervised-log, daemon-supervisor): its
 * states, its exit, its stop and restart deadlines, signals as a signalfd.
 */
#ifndef FAULTRUN_TARGET_COMMON_H
#define FAULTRUN_TARGET_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- command line ------------------------------------------------------ */

enum tc_variant { TC_BUGGY, TC_FIXED };

/*
 * Parse --variant's value. On bad input prints "<prog>: invalid value 'x'
 * for --variant (expected buggy or fixed)" and returns false.
 */
bool tc_parse_variant(const char *prog, const char *s, enum tc_variant *out);

const char *tc_variant_name(enum tc_variant v);

/*
 * Parse the value of a numeric flag into [min, max]. On bad input prints
 * "<prog>: invalid value 'x' for --flag (expected min..max)" and returns
 * false.
 */
bool tc_parse_uint(const char *prog, const char *flag, const char *s, unsigned long min,
		   unsigned long max, unsigned long *out);

/* ---- time, messages, files ------------------------------------------------ */

/* Seconds on the monotonic clock. */
double tc_now(void);

/*
 * "<prefix>: message\n" on stderr in one write (cut at 2 KiB), flushed at
 * once (stderr may be a file that a disk fault fills). The prefix is set
 * once, before the first message, by tc_say_prefix.
 */
void tc_say_prefix(const char *prefix);
void tc_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Write a small file whole, as a state file or a pidfile is: one
 * open(O_WRONLY|O_CREAT|O_TRUNC) and one write(), the calls faultrun's shim
 * fails by path (dump.pm2's EACCES). Returns 0 or -errno.
 */
int tc_write_file(const char *path, const char *buf, size_t len, mode_t mode);

/* ---- a supervisor's app -------------------------------------------------- */

enum tc_app_status {
	TC_APP_ONLINE,
	TC_APP_WAITING,	     /* exited; restarted at restart_at */
	TC_APP_RESURRECTING, /* buggy: stopped after an uncaught error */
	TC_APP_ERRORED,	     /* buggy: the resurrection failed, never restarted */
	TC_APP_STOPPING,     /* the supervisor is shutting down */
};

/* PM2's words for a status, as the state file says them */
const char *tc_app_status_name(enum tc_app_status s);

struct tc_app {
	const char *name;
	unsigned long restart_delay_ms;
	pid_t pid; /* 0 when not running */
	enum tc_app_status status;
	unsigned int restarts;
	double restart_at, stop_deadline;
};

/*
 * Block SIGCHLD, SIGTERM, SIGINT and SIGHUP and return a signalfd for
 * them (the supervisor's loop polls it), or -1 with errno set.
 */
int tc_supervisor_signals(void);

/*
 * Reap every child that exited; returns true, with its wait status, when
 * the app was one of them (the app's pid is left for tc_app_exited).
 */
bool tc_app_reap(const struct tc_app *a, int *wstatus);

/*
 * Fork the app: SUPERVISED_LOG_RESTARTS in its environment (supervised-log's
 * app shows it in /status), no signal blocked in the child. Returns 0 in
 * the child (which execs the app); in the supervisor its pid, with the app
 * online and said so. Exits 1 when fork fails.
 */
pid_t tc_app_fork(struct tc_app *a);

/* Say how the app ended, and forget its pid. */
void tc_app_exited(struct tc_app *a, int wstatus);

/* Restart the app after its restart delay (tc_app_tick says when). */
void tc_app_restart_later(struct tc_app *a);

/*
 * Buggy: the resurrection saved the process list first, with save_ret (0
 * or -errno): when that failed the app is never restarted (PM2 "tried to
 * resurrect itself and save its process list to ~/.pm2/dump.pm2; that
 * open() failed with EACCES ... The application was not restarted").
 */
void tc_app_resurrect(struct tc_app *a, const char *state_path, int save_ret);

/*
 * Buggy, after PM2's uncaught error: stop the app to resurrect it once it
 * has exited. Returns false when no app runs (resurrect it now).
 */
bool tc_app_stop_to_resurrect(struct tc_app *a);

/* The supervisor got signo: SIGTERM the app, SIGKILL it after the grace. */
void tc_app_stop(struct tc_app *a, unsigned int signo);

/*
 * At every turn of the loop: SIGKILL an app that outlived its stop grace,
 * and return true (with restarts counted) when a restart is due.
 */
bool tc_app_tick(struct tc_app *a);

/* The poll timeout until next, or the app's own deadline if sooner. */
int tc_app_timeout_ms(const struct tc_app *a, double next);

#endif /* FAULTRUN_TARGET_COMMON_H */
