/*
 * Per-function tests of the stdio family, one cmocka test per wrapped.def
 * entry (see fncase.h). A failure must look like a real one: the failure
 * value, errno, and the stream's error indicator (FERR) set.
 *
 * __NO_INLINE__: call getc_unlocked & co. themselves, not glibc's inline
 * bodies (which reach the shim only through __uflow/__overflow, tested on
 * their own below).
 */
#define __NO_INLINE__ 1
#define _GNU_SOURCE
#include "fncase.h"

/* ---- opens ---------------------------------------------------------- */

static int ok_stream(FILE *f)
{
	if (!f)
		return -1;
	fclose(f);
	return 0;
}

CASE(fopen) { return ok_stream(CALL(fopen(p, "r"))); }
CASE(fopen64) { return ok_stream(CALL(fopen64(p, "r"))); }
CASE(freopen) { return ok_stream(CALL(freopen(p, "r", fopen("/dev/null", "r")))); }
CASE(freopen64) { return ok_stream(CALL(freopen64(p, "r", fopen("/dev/null", "r")))); }

/* ---- writes --------------------------------------------------------- */

/* f was written with `ok` true if the call succeeded: check the file */
static int stream_wrote(FILE *f, bool ok, const char *p, const char *want)
{
	if (!ok) {
		FERR(f);
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return WRONG("fclose failed: %s", strerror(errno));
	return expect_content(p, want);
}

#define WF FILE *f = fopen(p, "w")

CASE(fwrite) { WF; return stream_wrote(f, CALL(fwrite("hello", 1, 5, f)) == 5, p, "hello"); }
CASE(fwrite_unlocked) { WF; return stream_wrote(f, CALL(fwrite_unlocked("hello", 1, 5, f)) == 5, p, "hello"); }
CASE(fputs) { WF; return stream_wrote(f, CALL(fputs("hello", f)) != EOF, p, "hello"); }
CASE(fputs_unlocked) { WF; return stream_wrote(f, CALL(fputs_unlocked("hello", f)) != EOF, p, "hello"); }
CASE(fputc) { WF; return stream_wrote(f, CALL(fputc('h', f)) == 'h', p, "h"); }
CASE(fputc_unlocked) { WF; return stream_wrote(f, CALL(fputc_unlocked('h', f)) == 'h', p, "h"); }
CASE(putc) { WF; return stream_wrote(f, CALL(putc('h', f)) == 'h', p, "h"); }
CASE(putc_unlocked) { WF; return stream_wrote(f, CALL(putc_unlocked('h', f)) == 'h', p, "h"); }
CASE(_IO_putc) { WF; return stream_wrote(f, CALL(_IO_putc('h', f)) == 'h', p, "h"); }
CASE(__overflow) { WF; return stream_wrote(f, CALL(__overflow(f, 'h')) == 'h', p, "h"); }
CASE(fprintf) { WF; return stream_wrote(f, CALL(fprintf(f, "%s%d", "hello", 42)) == 7, p, "hello42"); }
CASE(__fprintf_chk) { WF; return stream_wrote(f, CALL(__fprintf_chk(f, 1, "%s%d", "hello", 42)) == 7, p, "hello42"); }

static int call_vfprintf(FILE *f, bool chk, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = chk ? CALL(__vfprintf_chk(f, 1, fmt, ap)) : CALL(vfprintf(f, fmt, ap));
	va_end(ap);
	return r;
}

CASE(vfprintf) { WF; return stream_wrote(f, call_vfprintf(f, false, "%s%d", "hello", 42) == 7, p, "hello42"); }
CASE(__vfprintf_chk) { WF; return stream_wrote(f, call_vfprintf(f, true, "%s%d", "hello", 42) == 7, p, "hello42"); }

/* stdout-only functions: stdout goes to p for the case */
#define TO_STDOUT                                                          \
	do {                                                               \
		int fd_ = open(p, O_WRONLY | O_TRUNC);                     \
		fflush(stdout);                                            \
		dup2(fd_, 1);                                              \
		close(fd_);                                                \
	} while (0)

static int stdout_wrote(bool ok, const char *p, const char *want)
{
	if (!ok) {
		FERR(stdout);
		return -1;
	}
	if (fflush(stdout) != 0)
		return WRONG("fflush(stdout) failed");
	return expect_content(p, want);
}

static int call_vprintf(bool chk, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = chk ? CALL(__vprintf_chk(1, fmt, ap)) : CALL(vprintf(fmt, ap));
	va_end(ap);
	return r;
}

CASE(puts) { TO_STDOUT; return stdout_wrote(CALL(puts("hello")) != EOF, p, "hello\n"); }
CASE(putchar) { TO_STDOUT; return stdout_wrote(CALL(putchar('h')) == 'h', p, "h"); }
CASE(putchar_unlocked) { TO_STDOUT; return stdout_wrote(CALL(putchar_unlocked('h')) == 'h', p, "h"); }
CASE(printf) { TO_STDOUT; return stdout_wrote(CALL(printf("%s%d", "hello", 42)) == 7, p, "hello42"); }
CASE(__printf_chk) { TO_STDOUT; return stdout_wrote(CALL(__printf_chk(1, "%s%d", "hello", 42)) == 7, p, "hello42"); }
CASE(vprintf) { TO_STDOUT; return stdout_wrote(call_vprintf(false, "%s%d", "hello", 42) == 7, p, "hello42"); }
CASE(__vprintf_chk) { TO_STDOUT; return stdout_wrote(call_vprintf(true, "%s%d", "hello", 42) == 7, p, "hello42"); }

/* dprintf family: straight to an fd, no stream */
static int fd_wrote(int fd, int r, int want, const char *p, const char *content)
{
	close(fd);
	if (r < 0)
		return -1;
	if (r != want)
		return WRONG("returned %d, want %d", r, want);
	return expect_content(p, content);
}

static int call_vdprintf(int fd, bool chk, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = chk ? CALL(__vdprintf_chk(fd, 1, fmt, ap)) : CALL(vdprintf(fd, fmt, ap));
	va_end(ap);
	return r;
}

#define WFD int fd = open(p, O_WRONLY | O_TRUNC)

CASE(dprintf) { WFD; return fd_wrote(fd, CALL(dprintf(fd, "%s%d", "hello", 42)), 7, p, "hello42"); }
CASE(__dprintf_chk) { WFD; return fd_wrote(fd, CALL(__dprintf_chk(fd, 1, "%s%d", "hello", 42)), 7, p, "hello42"); }
CASE(vdprintf) { WFD; return fd_wrote(fd, call_vdprintf(fd, false, "%s%d", "hello", 42), 7, p, "hello42"); }
CASE(__vdprintf_chk) { WFD; return fd_wrote(fd, call_vdprintf(fd, true, "%s%d", "hello", 42), 7, p, "hello42"); }

/* fflush/fclose: buffered data put in while the rule is quiet */
static FILE *buffered(const char *p)
{
	FILE *f = fopen(p, "w");

	st_quiet_begin();
	fputs("hello", f);
	st_quiet_end();
	return f;
}

CASE(fflush) { FILE *f = buffered(p); return stream_wrote(f, CALL(fflush(f)) == 0, p, "hello"); }
CASE(fflush_unlocked) { FILE *f = buffered(p); return stream_wrote(f, CALL(fflush_unlocked(f)) == 0, p, "hello"); }

CASE(fclose)
{
	FILE *f = buffered(p);

	if (CALL(fclose(f)) != 0) {
		/* the stream is gone: its error is the EOF return itself */
		st_res.stream = 1;
		st_res.ferr = 1;
		return -1;
	}
	return expect_content(p, "hello");
}

/* ---- reads ------------------------------------------------------------ */

static int stream_read(FILE *f, bool ok, const char *buf, const char *want)
{
	if (!ok) {
		FERR(f);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (strcmp(buf, want) != 0)
		return WRONG("read \"%s\", want \"%s\"", buf, want);
	return 0;
}

#define RF                                                                 \
	char buf[64] = "";                                                 \
	FILE *f = fopen(p, "r")

CASE(fread) { RF; return stream_read(f, CALL(fread(buf, 1, 5, f)) == 5, buf, "01234"); }
CASE(fread_unlocked) { RF; return stream_read(f, CALL(fread_unlocked(buf, 1, 5, f)) == 5, buf, "01234"); }
CASE(__fread_chk) { RF; return stream_read(f, CALL(__fread_chk(buf, sizeof(buf), 1, 5, f)) == 5, buf, "01234"); }
CASE(__fread_unlocked_chk) { RF; return stream_read(f, CALL(__fread_unlocked_chk(buf, sizeof(buf), 1, 5, f)) == 5, buf, "01234"); }
CASE(fgets) { RF; return stream_read(f, CALL(fgets(buf, sizeof(buf), f)) != NULL, buf, CONTENT); }
CASE(fgets_unlocked) { RF; return stream_read(f, CALL(fgets_unlocked(buf, sizeof(buf), f)) != NULL, buf, CONTENT); }
CASE(__fgets_chk) { RF; return stream_read(f, CALL(__fgets_chk(buf, sizeof(buf), sizeof(buf), f)) != NULL, buf, CONTENT); }
CASE(__fgets_unlocked_chk) { RF; return stream_read(f, CALL(__fgets_unlocked_chk(buf, sizeof(buf), sizeof(buf), f)) != NULL, buf, CONTENT); }

#define GETC(call)                                                         \
	RF;                                                                \
	int c = CALL(call);                                                \
	buf[0] = (char)c;                                                  \
	return stream_read(f, c != EOF, buf, "0")

CASE(fgetc) { GETC(fgetc(f)); }
CASE(fgetc_unlocked) { GETC(fgetc_unlocked(f)); }
CASE(getc) { GETC(getc(f)); }
CASE(getc_unlocked) { GETC(getc_unlocked(f)); }
CASE(_IO_getc) { GETC(_IO_getc(f)); }
CASE(__uflow) { GETC(__uflow(f)); }
CASE(__underflow) { GETC(__underflow(f)); }

#define GETCHAR(call)                                                      \
	char buf[4] = "";                                                  \
	int fd = open(p, O_RDONLY), c;                                     \
	dup2(fd, 0);                                                       \
	close(fd);                                                         \
	c = CALL(call);                                                    \
	if (c == EOF) {                                                    \
		FERR(stdin);                                               \
		return -1;                                                 \
	}                                                                  \
	buf[0] = (char)c;                                                  \
	return strcmp(buf, "0") == 0 ? 0 : WRONG("read '%s'", buf)

CASE(getchar) { GETCHAR(getchar()); }
CASE(getchar_unlocked) { GETCHAR(getchar_unlocked()); }

#define GETLINE(call, want)                                                \
	char *line = NULL;                                                 \
	size_t cap = 0;                                                    \
	FILE *f = fopen(p, "r");                                           \
	ssize_t n = CALL(call);                                            \
	int r = stream_read(f, n >= 0, n >= 0 ? line : "", want);          \
	free(line);                                                        \
	return r

CASE(getline) { GETLINE(getline(&line, &cap, f), CONTENT); }
CASE(getdelim) { GETLINE(getdelim(&line, &cap, 'a', f), "0123456789a"); }
CASE(__getdelim) { GETLINE(__getdelim(&line, &cap, 'a', f), "0123456789a"); }

#define WRAP(name, ret, params, args, op, shape, fail, errnos)
#define WRAP_STDIO(name, ret, params, args, op, shape, fail, errnos)       \
	{ #name, ST_OP_##op, errnos, case_##name },
static const struct st_case cases[] = {
#include "wrapped.def"
};

int main(int argc, char **argv)
{
	st_init(argc, argv);
	umask(022);
	return run_cases("shim-stdio", cases, sizeof(cases) / sizeof(cases[0]));
}
