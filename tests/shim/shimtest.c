/*
 * Support for the shim tests (see shimtest.h).
 */
#define _GNU_SOURCE
#include "shimtest.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct fr_ctl *st_ctl;
char st_dir[256];

static struct {
	char *spec;
	int slot;
} rules[FR_MAX_RULES];
static unsigned nrules;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "shimtest: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/*
 * Under ASan/TSan built with gcc the sanitizer runtime is a shared library
 * that must stay first in LD_PRELOAD (as fr_launch_setenv keeps it for
 * faultrun): the one this test was linked with, or NULL.
 */
static const char *sanitizer_runtime(void)
{
	static const char *const inits[] = { "__asan_init", "__tsan_init" };
	Dl_info info;

	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
		void *p = dlsym(RTLD_DEFAULT, inits[i]);

		if (p && dladdr(p, &info) && info.dli_fname &&
		    strstr(info.dli_fname, ".so"))
			return info.dli_fname;
	}
	return NULL;
}

/* The first run: make the block, run ourselves under the shim, clean up. */
static void supervise(char **argv)
{
	char preload[PATH_MAX * 2];
	const char *rt = sanitizer_runtime();
	const char *shim = getenv("FAULTSHIM");
	char ctl[300];
	struct fr_ctl *c;
	int status, ret;
	pid_t pid;

	if (!shim || access(shim, R_OK) != 0)
		die("FAULTSHIM must name the built libfaultshim.so (got '%s')",
		    shim ? shim : "");
	snprintf(st_dir, sizeof(st_dir), "%s/faultshim-test-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(st_dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(ctl, sizeof(ctl), "%s/ctl", st_dir);
	ret = fr_ctl_create(ctl, 0x5eedULL, &c);
	if (ret < 0)
		die("cannot create the control block: %s", strerror(-ret));
	fr_ctl_close(c);
	setenv(FR_CTL_ENV, ctl, 1);
	snprintf(preload, sizeof(preload), "%s%s%s", rt ? rt : "", rt ? ":" : "",
		 shim);
	setenv("LD_PRELOAD", preload, 1);
	setenv("SHIMTEST_DIR", st_dir, 1);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	nftw(st_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "shimtest: killed by signal %d\n",
			WTERMSIG(status));
		exit(1);
	}
	exit(WEXITSTATUS(status));
}

void st_init(int argc, char **argv)
{
	const char *ctl = getenv(FR_CTL_ENV), *dir = getenv("SHIMTEST_DIR");
	Dl_info info;
	void *w;
	int ret;

	(void)argc;
	if (!ctl || !dir)
		supervise(argv);
	snprintf(st_dir, sizeof(st_dir), "%s", dir);
	ret = fr_ctl_open(ctl, &st_ctl);
	if (ret < 0)
		die("cannot map the control block: %s", strerror(-ret));
	/* the shim must really be in front of libc, or nothing is tested */
	w = dlsym(RTLD_DEFAULT, "write");
	if (w && sanitizer_runtime() && dladdr(w, &info) && info.dli_fname &&
	    strcmp(info.dli_fname, sanitizer_runtime()) == 0) {
		/* a sanitizer's interceptor is in front: the shim must be next */
		void *h = dlopen(getenv("FAULTSHIM"), RTLD_LAZY | RTLD_NOLOAD);

		w = h ? dlsym(h, "write") : NULL;
	}
	if (!w || !dladdr(w, &info) || !info.dli_fname ||
	    !strstr(info.dli_fname, "libfaultshim"))
		die("write() is not the shim's (LD_PRELOAD=%s)",
		    getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
}

int st_rule(const char *spec)
{
	char buf[512], err[256];
	struct fr_rule r;
	const char *p;
	size_t n = 0;
	int slot;

	for (p = spec; *p && n + 1 < sizeof(buf); p++) {
		if (p[0] == '%' && p[1] == 'D') {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
					      st_dir);
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	for (unsigned i = 0; i < nrules; i++)
		if (strcmp(rules[i].spec, buf) == 0)
			return rules[i].slot;
	if (fr_spec_parse(buf, &r, fr_ctl_count(st_ctl), err, sizeof(err)) < 0)
		die("bad spec: %s", err);
	slot = fr_ctl_add(st_ctl, &r, false);
	if (slot < 0 || nrules >= FR_MAX_RULES)
		die("cannot add rule '%s'", buf);
	rules[nrules].spec = strdup(buf);
	rules[nrules++].slot = slot;
	return slot;
}

void st_arm(int slot)
{
	fr_ctl_set_armed(st_ctl, (unsigned)slot, true);
}

void st_disarm(int slot)
{
	fr_ctl_set_armed(st_ctl, (unsigned)slot, false);
}

void st_disarm_all(void)
{
	for (unsigned i = 0; i < fr_ctl_count(st_ctl); i++)
		if (fr_ctl_armed(st_ctl, i))
			fr_ctl_set_armed(st_ctl, i, false);
}

static uint64_t quieted;

void st_quiet_begin(void)
{
	quieted = 0;
	for (unsigned i = 0; i < fr_ctl_count(st_ctl); i++)
		if (fr_ctl_armed(st_ctl, i)) {
			quieted |= 1ull << i;
			fr_ctl_set_armed(st_ctl, i, false);
		}
}

void st_quiet_end(void)
{
	for (unsigned i = 0; i < fr_ctl_count(st_ctl); i++)
		if (quieted & (1ull << i))
			fr_ctl_set_armed(st_ctl, i, true);
	quieted = 0;
}

uint64_t st_injected(int slot)
{
	return atomic_load(&st_ctl->slots[slot].injected);
}

uint64_t st_matched(int slot)
{
	return atomic_load(&st_ctl->slots[slot].matched);
}

const char *st_path(const char *rel)
{
	/* per thread: test_threads calls this from several at once */
	static __thread char ring[8][PATH_MAX];
	static __thread unsigned next;
	char *b = ring[next++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", st_dir, rel);
	return b;
}

void st_mkdir(const char *rel)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", st_dir, rel);
	for (char *s = buf + strlen(st_dir) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(buf, 0700);
			*s = '/';
		}
	}
	mkdir(buf, 0700);
}

int st_write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(content);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, content, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -EIO;
}

long st_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -EIO;
	buf[r] = '\0';
	return r;
}

long long st_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

const char *st_shim(void)
{
	const char *s = getenv("FAULTSHIM");

	return s ? s : getenv("LD_PRELOAD");
}

int st_run(char *const argv[], char *const env[], const char *stdout_path)
{
	int status = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (unsigned i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (stdout_path) {
			int fd = open(stdout_path,
				      O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(126);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}
