/*
 * Starting a program under the shim (faultrun exec and the runner).
 *
 * A preload library only reaches dynamically linked programs that call
 * libc: fr_launch_check() refuses, with a reason, what it cannot reach
 * (docs/limitations.md) instead of running it and injecting nothing.
 */
#define _GNU_SOURCE
#include "io/launch.h"
#include "util/fsutil.h"
#include "util/err.h"
#include "util/xalloc.h"
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/types.h>
#include <unistd.h>

/* Fill err (util/err.h) and return ret, for one-line failure paths. */
static int fail(char *err, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fr_vset_err(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

/* Resolve cmd like execvp(3): a name without '/' is looked up on PATH. */
static int resolve(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(cmd, '/')) {
		if (access(cmd, F_OK) < 0)
			return -ENOENT;
		if (snprintf(out, len, "%s", cmd) >= (int)len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char cand[PATH_MAX];
		struct stat st;

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, n ? path : ".", cmd);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			if (snprintf(out, len, "%s", cand) >= (int)len)
				return -ENAMETOOLONG;
			return 0;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return -ENOENT;
}

enum elf_kind { ELF_DYNAMIC, ELF_STATIC, ELF_GO, ELF_NOT_ELF, ELF_BROKEN };

/* Whether the ELF image has a PT_INTERP, and whether it is a Go program. */
static enum elf_kind classify_elf(const unsigned char *m, size_t size)
{
	if (size < EI_NIDENT || memcmp(m, ELFMAG, SELFMAG) != 0)
		return ELF_NOT_ELF;
	if (m[EI_CLASS] != ELFCLASS64 || size < sizeof(Elf64_Ehdr))
		return ELF_DYNAMIC; /* 32-bit: let the loader decide */

	const Elf64_Ehdr *eh = (const void *)m;
	bool interp = false, go = false;

	if (eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return ELF_BROKEN;
	const Elf64_Phdr *ph = (const void *)(m + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			interp = true;

	if (eh->e_shoff && eh->e_shoff < size && eh->e_shstrndx < eh->e_shnum &&
	    eh->e_shnum <= (size - eh->e_shoff) / sizeof(Elf64_Shdr)) {
		const Elf64_Shdr *sh = (const void *)(m + eh->e_shoff);
		const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
		for (unsigned i = 0; i < eh->e_shnum && strs->sh_offset < size; i++) {
			if (sh[i].sh_name >= size - strs->sh_offset)
				continue;
			const char *name = (const char *)m + strs->sh_offset + sh[i].sh_name;
			size_t room = size - strs->sh_offset - sh[i].sh_name;
			if (strnlen(name, room) == room)
				continue;
			if (strcmp(name, ".go.buildinfo") == 0 ||
			    strcmp(name, ".note.go.buildid") == 0 ||
			    strcmp(name, ".gopclntab") == 0)
				go = true;
		}
	}
	if (go)
		return ELF_GO;
	return interp ? ELF_DYNAMIC : ELF_STATIC;
}

static int check_file(const char *path, char *err, size_t errlen, int depth)
{
	struct stat st;
	unsigned char *m;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -ENOEXEC, "'%s' is not a program", path);
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		close(fd);
		return fail(err, errlen, -ENOTSUP,
			    "'%s' is setuid/setgid: the dynamic loader ignores "
			    "LD_PRELOAD for it, so no fault could be injected",
			    path);
	}
	if (st.st_size < 4) {
		close(fd);
		return fail(err, errlen, -ENOEXEC, "'%s' is not a program", path);
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return fail(err, errlen, -errno, "cannot read '%s': %s", path, strerror(errno));

	if (m[0] == '#' && m[1] == '!') {
		/* a script: check its interpreter ("#!/usr/bin/env node" too) */
		char line[PATH_MAX], interp[PATH_MAX];
		size_t n = 0;
		while (n + 2 < (size_t)st.st_size && n < sizeof(line) - 1 && m[n + 2] != '\n') {
			line[n] = (char)m[n + 2];
			n++;
		}
		line[n] = '\0';
		char *save, *prog = strtok_r(line, " \t", &save);
		char *arg = strtok_r(NULL, " \t", &save);
		if (prog && arg && strcmp(prog, "/usr/bin/env") == 0 && arg[0] != '-')
			prog = arg;
		if (!prog || depth > 2) {
			ret = fail(err, errlen, -ENOEXEC, "'%s' has no usable #! line", path);
		} else if (resolve(prog, interp, sizeof(interp)) < 0) {
			ret = fail(err, errlen, -ENOENT, "interpreter '%s' of '%s' not found", prog,
				   path);
		} else {
			ret = check_file(interp, err, errlen, depth + 1);
		}
		goto out;
	}
	switch (classify_elf(m, (size_t)st.st_size)) {
	case ELF_DYNAMIC:
		break;
	case ELF_STATIC:
		ret = fail(err, errlen, -ENOTSUP,
			   "'%s' is statically linked: LD_PRELOAD cannot reach it", path);
		break;
	case ELF_GO:
		ret = fail(err, errlen, -ENOTSUP,
			   "'%s' is a Go program: it makes system calls without "
			   "libc, so the shim cannot see its I/O",
			   path);
		break;
	case ELF_NOT_ELF:
	case ELF_BROKEN:
		ret = fail(err, errlen, -ENOEXEC, "'%s' is not an ELF program", path);
		break;
	}
out:
	munmap(m, (size_t)st.st_size);
	return ret;
}

int fr_launch_check(const char *cmd, char *resolved, size_t rlen, char *err, size_t errlen)
{
	int ret = resolve(cmd, resolved, rlen);

	if (ret == -ENOENT)
		return fail(err, errlen, -ENOENT, "'%s': no such program", cmd);
	if (ret < 0)
		return fail(err, errlen, ret, "'%s': %s", cmd, strerror(-ret));
	if (access(resolved, X_OK) < 0)
		return fail(err, errlen, -EACCES, "'%s' is not executable", resolved);
	return check_file(resolved, err, errlen, 0);
}

const char *fr_shim_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("FAULTRUN_SHIM");
	char exe[PATH_MAX];

	if (env && *env)
		return env;
	if (fr_self_dir(exe, sizeof(exe)) == 0) {
		/* build tree: <build>/harness/cli/faultrun */
		int n = snprintf(path, sizeof(path), "%s/../shim/libfaultshim.so", exe);

		if (n > 0 && (size_t)n < sizeof(path) && access(path, R_OK) == 0) {
			char *real = realpath(path, NULL);

			if (real) {
				snprintf(path, sizeof(path), "%s", real);
				free(real);
			}
			return path;
		}
	}
	return FR_SHIM_PATH;
}

/* Sanitizer runtimes must stay first in LD_PRELOAD or they refuse to run. */
static bool is_sanitizer(const char *entry, size_t n)
{
	static const char *const names[] = { "libasan", "libtsan", "libubsan", "libclang_rt.asan",
					     "libclang_rt.tsan" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (memmem(entry, n, names[i], strlen(names[i])))
			return true;
	return false;
}

/*
 * A sanitizer build of faultrun goes with a sanitizer build of the shim,
 * whose runtime (gcc: a shared libasan/libtsan) must come first in the
 * target or it refuses to start: the runtime this process uses, or NULL
 * in a normal build.
 */
static const char *own_sanitizer_runtime(void)
{
	static const char *const inits[] = { "__asan_init", "__tsan_init" };
	Dl_info info;

	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
		void *p = dlsym(RTLD_DEFAULT, inits[i]);

		if (p && dladdr(p, &info) && info.dli_fname && strstr(info.dli_fname, ".so"))
			return info.dli_fname;
	}
	return NULL;
}

/* what faultrun was started with and passes on (see launch.h); 0..2 always */
static int passed_fds[64];
static size_t npassed;

void fr_launch_note_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && npassed < sizeof(passed_fds) / sizeof(passed_fds[0])) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		int flags;

		if (*end || end == de->d_name || fd <= 2 || fd == dirfd(d))
			continue;
		flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			passed_fds[npassed++] = (int)fd;
	}
	closedir(d);
}

void fr_launch_close_fds(void)
{
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
		/* kernels before 5.11: one by one, as far as the limit goes */
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < npassed; i++)
		fcntl(passed_fds[i], F_SETFD, 0);
}

int fr_launch_set_underscore(const char *argv0)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(argv0, '/') || !path)
		return setenv("_", argv0, 1) < 0 ? -errno : 0;
	for (const char *p = path;; p += strcspn(p, ":") + 1) {
		size_t n = strcspn(p, ":");
		int len = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, p, n ? "/" : "", argv0);

		if (len > 0 && (size_t)len < sizeof(buf) && access(buf, X_OK) == 0)
			return setenv("_", buf, 1) < 0 ? -errno : 0;
		if (!p[n])
			break;
	}
	return setenv("_", argv0, 1) < 0 ? -errno : 0;
}

static int libc_set(void *arg, const char *name, const char *value)
{
	(void)arg;
	return setenv(name, value, 1) < 0 ? -errno : 0;
}

static int libc_unset(void *arg, const char *name)
{
	(void)arg;
	return unsetenv(name) < 0 ? -errno : 0;
}

int fr_launch_setenv(const char *shim, const char *ctl_path, uint64_t seed)
{
	const struct fr_env_ops ops = { .set = libc_set, .unset = libc_unset };

	return fr_launch_env(&ops, shim, ctl_path, seed);
}

int fr_launch_env(const struct fr_env_ops *ops, const char *shim, const char *ctl_path,
		  uint64_t seed)
{
	static const char *const own[] = { "FAULTRUN_SHIM", "FAULTRUN_TARGETS", "FAULTRUN_MARIADBD",
					   "FAULTRUN_MARIADB_INSTALL_DB", "FAULTRUN_REAP" };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		ops->unset(ops->arg, own[i]);
	const char *old = getenv("LD_PRELOAD"), *rt = own_sanitizer_runtime();
	char seedbuf[32];
	char *val;
	size_t len;

	len = strlen(shim) + (old ? strlen(old) : 0) + (rt ? strlen(rt) : 0) + 3;
	val = fr_xmalloc(len);
	if (rt && (!old || !strstr(old, rt))) {
		snprintf(val, len, "%s:%s%s%s", rt, shim, old && *old ? ":" : "", old ? old : "");
	} else if (!old || !*old) {
		snprintf(val, len, "%s", shim);
	} else if (strstr(old, shim)) {
		snprintf(val, len, "%s", old);
	} else {
		size_t first = strcspn(old, ": ");
		if (is_sanitizer(old, first))
			snprintf(val, len, "%.*s:%s%s", (int)first, old, shim, old + first);
		else
			snprintf(val, len, "%s:%s", shim, old);
	}
	snprintf(seedbuf, sizeof(seedbuf), "%llu", (unsigned long long)seed);
	int ret = 0;
	if (rt && (!old || !strstr(old, rt))) {
		/* the target itself was not built with it: its leaks are not ours */
		const char *ao = getenv("ASAN_OPTIONS");
		char opts[512];

		snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", ao ? ao : "",
			 ao && *ao ? ":" : "");
		ret = ops->set(ops->arg, "ASAN_OPTIONS", opts);
	}
	int e = ops->set(ops->arg, "LD_PRELOAD", val);

	if (!e && ctl_path)
		e = ops->set(ops->arg, "FAULTRUN_CTL", ctl_path);
	if (!e)
		e = ops->set(ops->arg, "FAULTRUN_SEED", seedbuf);
	if (!e)
		e = ops->set(ops->arg, "UV_USE_IO_URING", "0");
	free(val);
	return e ? e : ret;
}

/* why the last run directory could not be made, naming the directory */
static char rundir_why[PATH_MAX + 160];

const char *fr_rundir_why(int err)
{
	return rundir_why[0] ? rundir_why : strerror(-err);
}

/*
 * dir must be a directory owned by uid and closed to everyone else: a
 * symlink or someone else's directory planted in /tmp could hand our
 * control blocks to another user. Returns 0, or -errno with why set.
 */
static int private_dir(const char *dir, uid_t uid)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		int e = errno;

		snprintf(rundir_why, sizeof(rundir_why), "'%s': %s", dir, strerror(e));
		return -e;
	}
	if (S_ISLNK(st.st_mode))
		snprintf(rundir_why, sizeof(rundir_why),
			 "'%s' is a symbolic link: refused, it could point anywhere", dir);
	else if (!S_ISDIR(st.st_mode))
		snprintf(rundir_why, sizeof(rundir_why), "'%s' is not a directory", dir);
	else if (st.st_uid != uid)
		snprintf(rundir_why, sizeof(rundir_why),
			 "'%s' belongs to uid %u, not to uid %u: refused", dir, (unsigned)st.st_uid,
			 (unsigned)uid);
	else if (st.st_mode & 077)
		snprintf(rundir_why, sizeof(rundir_why),
			 "'%s' is open to other users (mode %03o): refused; make it 0700", dir,
			 (unsigned)(st.st_mode & 0777));
	else
		return 0;
	return -EPERM;
}

int fr_rundir_base(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	rundir_why[0] = '\0';
	if (xdg && *xdg && access(xdg, W_OK) == 0)
		snprintf(out, len, "%s/faultrun", xdg);
	else
		snprintf(out, len, "/tmp/faultrun-%u", (unsigned)geteuid());
	if (mkdir(out, 0700) < 0 && errno != EEXIST) {
		int e = errno;

		snprintf(rundir_why, sizeof(rundir_why), "'%s': %s", out, strerror(e));
		return -e;
	}
	return private_dir(out, geteuid());
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fr_rundir_remove(const char *dir)
{
	if (!dir || !*dir)
		return -EINVAL;
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

int fr_rundir_pid(const char *name, long *pid)
{
	const char *last = strrchr(name, '-');

	if (!last || last == name)
		return -EINVAL;
	/* the pid sits between the last two dashes */
	for (const char *p = last - 1; p >= name; p--)
		if (*p == '-') {
			*pid = strtol(p + 1, NULL, 10);
			return 0;
		}
	return -EINVAL;
}

/* Remove run directories "<tag>-<pid>-XXXXXX" whose pid is gone. */
static void reclaim_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		long pid;

		if (de->d_name[0] == '.')
			continue;
		if (fr_rundir_pid(de->d_name, &pid) < 0)
			continue;
		if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			if (snprintf(path, sizeof(path), "%s/%s", base, de->d_name) <
			    (int)sizeof(path))
				fr_rundir_remove(path);
		}
	}
	closedir(d);
}

int fr_user_lookup(const char *name, struct fr_user *u, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	long id = strtol(name, &end, 10);
	int n = (int)(sizeof(u->groups) / sizeof(u->groups[0]));

	memset(u, 0, sizeof(*u));
	if (*name && !*end && id >= 0)
		getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
	else
		getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (!res) {
		fr_set_err(err, errlen, "user '%s': no such user", name);
		return -ENOENT;
	}
	if (pw.pw_uid != geteuid() && geteuid() != 0) {
		fr_set_err(err, errlen, "user '%s': running a target as another user needs root",
			   name);
		return -EPERM;
	}
	snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir ? pw.pw_dir : "/");
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &n) < 0) {
		/* more than we keep: its primary group is enough to run it */
		u->groups[0] = pw.pw_gid;
		n = 1;
	}
	u->ngroups = n;
	return 0;
}

int fr_user_give(const struct fr_user *u, const char *path)
{
	if (!u || u->uid == geteuid())
		return 0;
	return lchown(path, u->uid, u->gid) < 0 ? -errno : 0;
}

int fr_user_become(const struct fr_user *u)
{
	if (setgroups((size_t)u->ngroups, u->groups) < 0 || setgid(u->gid) < 0 ||
	    setuid(u->uid) < 0)
		return -errno;
	if (setenv("HOME", u->home, 1) < 0 || setenv("USER", u->name, 1) < 0 ||
	    setenv("LOGNAME", u->name, 1) < 0)
		return -errno;
	return 0;
}

/* u's own base, /tmp/faultrun-<uid>: u's, 0700, a directory, never a link */
static int user_base(const struct fr_user *u, char *out, size_t len)
{
	rundir_why[0] = '\0';
	snprintf(out, len, "/tmp/faultrun-%u", (unsigned)u->uid);
	if (mkdir(out, 0700) == 0 && lchown(out, u->uid, u->gid) < 0) {
		int e = errno;

		snprintf(rundir_why, sizeof(rundir_why), "'%s': %s", out, strerror(e));
		return -e;
	}
	return private_dir(out, u->uid);
}

/* A new tag-PID-XXXXXX in base, after reclaiming what dead runs left */
static int mkdtemp_in(const char *base, const char *tag, char *out, size_t len)
{
	reclaim_stale(base);
	if (snprintf(out, len, "%s/%s-%d-XXXXXX", base, tag, (int)getpid()) >= (int)len)
		return -ENAMETOOLONG;
	return mkdtemp(out) ? 0 : -errno;
}

int fr_rundir_create_for(const char *tag, const struct fr_user *u, char *out, size_t len)
{
	char base[PATH_MAX];
	int ret;

	if (!u || u->uid == geteuid())
		return fr_rundir_create(tag, out, len);
	ret = user_base(u, base, sizeof(base));
	if (!ret)
		ret = mkdtemp_in(base, tag, out, len);
	if (!ret && lchown(out, u->uid, u->gid) < 0) {
		ret = -errno;
		rmdir(out);
	}
	return ret;
}

/*
 * /dev/shm/faultrun-<uid> when /dev/shm is a tmpfs we can write: a run
 * directory that only holds a control block costs a few microseconds to
 * make and remove there, against a millisecond or more on a disk's /tmp
 * (mkdir, create, fallocate, unlink, rmdir each wait for the file system's
 * journal), which is most of what `faultrun exec` adds to a short command.
 */
int fr_rundir_base_mem(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct statfs sf;

	if ((xdg && *xdg && access(xdg, W_OK) == 0) || statfs("/dev/shm", &sf) < 0 ||
	    sf.f_type != TMPFS_MAGIC || access("/dev/shm", W_OK) < 0)
		return fr_rundir_base(out, len);
	rundir_why[0] = '\0';
	snprintf(out, len, "/dev/shm/faultrun-%u", (unsigned)geteuid());
	if (mkdir(out, 0700) < 0 && errno != EEXIST) {
		int e = errno;

		snprintf(rundir_why, sizeof(rundir_why), "'%s': %s", out, strerror(e));
		return -e;
	}
	return private_dir(out, geteuid());
}

int fr_rundir_create_mem(const char *tag, const struct fr_user *u, char *out, size_t len)
{
	char base[PATH_MAX];
	int ret;

	if (u && u->uid != geteuid())
		return fr_rundir_create_for(tag, u, out, len);
	ret = fr_rundir_base_mem(base, sizeof(base));
	return ret < 0 ? ret : mkdtemp_in(base, tag, out, len);
}

int fr_rundir_create(const char *tag, char *out, size_t len)
{
	char base[PATH_MAX];
	int ret = fr_rundir_base(base, sizeof(base));

	return ret < 0 ? ret : mkdtemp_in(base, tag, out, len);
}
