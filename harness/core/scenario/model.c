/*
 * Small helpers of the scenario model: the arena every scenario object is
 * allocated from, "FILE:LINE:COL: message" errors, names of enums, signal
 * names, duration formatting.
 */
#define _GNU_SOURCE
#include "scenario/scenario.h"
#include "scenario/scn_internal.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK (64 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

struct fr_arena {
	struct arena_block *head;
};

struct fr_arena *fr_arena_create(void)
{
	return fr_xcalloc(1, sizeof(struct fr_arena));
}

void fr_arena_destroy(struct fr_arena *a)
{
	if (!a)
		return;
	for (struct arena_block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *fr_arena_alloc(struct fr_arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t align = sizeof(max_align_t);

	size = (size + align - 1) / align * align;
	if (!size)
		size = align;
	if (!b || b->size - b->used < size) {
		size_t bsize = size > ARENA_BLOCK ? size : ARENA_BLOCK;
		b = fr_xcalloc(1, sizeof(*b) + bsize);
		b->size = bsize;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += size;
	return p;
}

char *fr_arena_strdup(struct fr_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = fr_arena_alloc(a, n);

	memcpy(p, s, n);
	return p;
}

char *fr_arena_printf(struct fr_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *tmp, *p;

	va_start(ap, fmt);
	tmp = fr_xvasprintf(fmt, ap);
	va_end(ap);
	p = fr_arena_strdup(a, tmp);
	free(tmp);
	return p;
}

int fr_errorf(char *err, size_t errlen, struct fr_mark m, const char *fmt, ...)
{
	va_list ap;
	int off;

	off = snprintf(err, errlen, "%s:%d:%d: ", m.file, m.line, m.col);
	if (off < 0 || (size_t)off >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *const check_names[FR_CHECK_COUNT] = {
	[FR_CHECK_HTTP] = "http", [FR_CHECK_TCP] = "tcp",	[FR_CHECK_EXEC] = "exec",
	[FR_CHECK_LOG] = "log",	  [FR_CHECK_TARGET] = "target", [FR_CHECK_MYSQL] = "mysql",
};

static const char *const step_names[FR_STEP_COUNT] = {
	[FR_STEP_INJECT] = "inject", [FR_STEP_CLEAR] = "clear",	    [FR_STEP_REQUEST] = "request",
	[FR_STEP_SIGNAL] = "signal", [FR_STEP_RESTART] = "restart", [FR_STEP_RUN] = "run",
	[FR_STEP_MYSQL] = "mysql",   [FR_STEP_END] = "end",	    [FR_STEP_DISK] = "disk",
};

static const char *const expect_names[FR_EXP_COUNT] = {
	[FR_EXP_AVAILABILITY] = "availability",
	[FR_EXP_LATENCY] = "latency",
	[FR_EXP_RECOVERS] = "recovers-within",
	[FR_EXP_DETECTS] = "detects-within",
	[FR_EXP_RESPONDS] = "responds-within",
	[FR_EXP_STATUS] = "status",
	[FR_EXP_OUT_OF_ROTATION] = "out-of-rotation",
	[FR_EXP_RESTARTS] = "restarts",
	[FR_EXP_EXITS] = "exits",
	[FR_EXP_FIRED] = "fired",
	[FR_EXP_ATTACHED] = "attached",
};

const char *fr_check_kind_name(enum fr_check_kind k)
{
	return (unsigned)k < FR_CHECK_COUNT ? check_names[k] : "?";
}

const char *fr_step_kind_name(enum fr_step_kind k)
{
	return (unsigned)k < FR_STEP_COUNT ? step_names[k] : "?";
}

const char *fr_expect_kind_name(enum fr_expect_kind k)
{
	return (unsigned)k < FR_EXP_COUNT ? expect_names[k] : "?";
}

const char *fr_restart_name(enum fr_restart_policy p)
{
	switch (p) {
	case FR_RESTART_NEVER:
		return "never";
	case FR_RESTART_ON_FAILURE:
		return "on-failure";
	case FR_RESTART_ALWAYS:
		return "always";
	}
	return "?";
}

static const struct {
	int signo;
	const char *name;
} signals[] = {
	{ SIGHUP, "HUP" },	 { SIGINT, "INT" },   { SIGQUIT, "QUIT" },   { SIGILL, "ILL" },
	{ SIGTRAP, "TRAP" },	 { SIGABRT, "ABRT" }, { SIGBUS, "BUS" },     { SIGFPE, "FPE" },
	{ SIGKILL, "KILL" },	 { SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" },   { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" },	 { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },   { SIGCHLD, "CHLD" },
	{ SIGCONT, "CONT" },	 { SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" },   { SIGTTIN, "TTIN" },
	{ SIGTTOU, "TTOU" },	 { SIGURG, "URG" },   { SIGXCPU, "XCPU" },   { SIGXFSZ, "XFSZ" },
	{ SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" }, { SIGWINCH, "WINCH" }, { SIGIO, "IO" },
	{ SIGPWR, "PWR" },	 { SIGSYS, "SYS" },
};

int fr_signal_from_name(const char *name)
{
	char *end;

	if (!name || !*name)
		return 0;
	if (isdigit((unsigned char)name[0])) {
		long v = strtol(name, &end, 10);
		return (*end || v <= 0 || v >= NSIG) ? 0 : (int)v;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(signals[i].name, name) == 0)
			return signals[i].signo;
	return 0;
}

const char *fr_signal_name(int signo)
{
	static __thread char buf[16];

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].signo == signo) {
			snprintf(buf, sizeof(buf), "SIG%s", signals[i].name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "signal %d", signo);
	return buf;
}

void fr_fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns == 0)
		snprintf(buf, len, "0s");
	else if (ns % 60000000000ull == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ns / 60000000000ull));
	else if (ns % 1000000000ull == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ull));
	else if (ns >= 1000000000ull)
		snprintf(buf, len, "%.3gs", ns / 1e9);
	else if (ns % 1000000ull == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
	else if (ns >= 1000000ull)
		snprintf(buf, len, "%.3gms", ns / 1e6);
	else if (ns % 1000ull == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ull));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}
