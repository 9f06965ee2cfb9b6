/*
 * Paths as the shim matches them: the kernel's path of an fd
 * (readlink of /proc/self/fd/N) and a written path made absolute and
 * lexically normal. An absolute path that is already normal, the common
 * case, is used where it lies: no copy.
 *
 * Everything here is async-signal-safe: readlink, getcwd, no allocation.
 */
#include "shim.h"

#include "../fault/glob.h"

#include <limits.h>
#include <string.h>
#include <sys/syscall.h>

/* "/proc/self/fd/" followed by fd in decimal, without snprintf. */
static void proc_fd_name(int fd, char buf[32])
{
	static const char pre[] = "/proc/self/fd/";
	char digits[12];
	unsigned u = (unsigned)fd;
	int n = 0;

	memcpy(buf, pre, sizeof(pre) - 1);
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (int i = 0; i < n; i++)
		buf[sizeof(pre) - 1 + i] = digits[n - 1 - i];
	buf[sizeof(pre) - 1 + n] = '\0';
}

int shim_fd_path(int fd, char *out, size_t len)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	char name[32];
	long n;

	if (fd < 0 || len < 2)
		return -EBADF;
	proc_fd_name(fd, name);
	n = fr_syscall(SYS_readlink, name, out, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	if ((size_t)n > dl && out[0] == '/' && memcmp(out + n - dl, deleted, dl) == 0)
		out[n - dl] = '\0';
	return 0;
}

int shim_fd_path_tail(int fd, char *out, size_t len)
{
	char full[PATH_MAX + 1];
	int r = shim_fd_path(fd, full, sizeof(full));

	if (r < 0 || len == 0)
		return r < 0 ? r : -ENAMETOOLONG;
	fr_where_copy(out, len, full);
	return 0;
}

char *shim_abspath(int dirfd, const char *path, char *out, size_t len)
{
	size_t bl = 0, pl;

	if (!path || len < 2)
		return NULL;
	pl = strlen(path);
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD) {
			if (fr_syscall(SYS_getcwd, out, len) < 0)
				return NULL;
		} else if (shim_fd_path(dirfd, out, len) < 0 || out[0] != '/') {
			return NULL;
		}
		bl = strlen(out);
		if (bl + 1 >= len)
			return NULL;
		out[bl++] = '/';
	}
	if (bl + pl + 1 > len)
		return NULL;
	memcpy(out + bl, path, pl + 1);
	fr_path_normalize(out);
	return out;
}

size_t shim_path_clean(const char *path)
{
	return path[0] == '/' ? fr_path_clean_len(path) : 0;
}

const char *shim_path_view(int dirfd, const char *path, char *buf, size_t len)
{
	if (path && path[0] == '/' && fr_path_clean_len(path))
		return path;
	return shim_abspath(dirfd, path, buf, len);
}

/*
 * The open no rule concerns, the common one while rules are armed: an
 * absolute path, already normal, that begins with none of the published
 * path rules' literal prefixes (the prefix index: no rule's glob is even
 * run), and no armed open rule that selects every path. Then nothing is
 * decided and the new fd's entry gets the rules without a path, the path
 * rules left for the kernel's path (shim_fd_record_open). Otherwise *of
 * keeps what was looked at for shim_decide_open_rest (control.c).
 */
bool shim_open_quiet(const char *path, size_t len, struct shim_open_facts *of)
{
	struct fr_ctl *c = shim_ctl;
	uint64_t pathm, any, known, cand = 0;
	unsigned n;

	of->valid = false;
	of->looked = false;
	if (!c || shim_depth > 0 || !path || path[0] != '/')
		return false;
	n = fr_ctl_count(c);
	known = shim_rule_classes(c, n, &pathm, &any);
	/* the path as written, when it is normal; else made so by the rest */
	if (!pathm)
		len = 0;
	else if (len == SIZE_MAX)
		len = fr_path_clean_len(path);
	if (len)
		cand = fr_slot_glob_candidates_len(c, pathm, path, len);
	if ((pathm && (!len || cand)) ||
	    (any & atomic_load_explicit(&c->armed_rules[FR_OP_OPEN], memory_order_acquire))) {
		of->looked = true;
		of->known = known;
		of->pathm = pathm;
		of->any = any;
		of->cand = cand;
		of->len = len;
		return false;
	}
	of->valid = true;
	of->known = known & ~pathm; /* they wait for the kernel's path */
	of->pathm = pathm;
	of->match = any;
	of->path = 0;
	return true;
}

struct shim_quiet shim_quiet;

/*
 * Build shim_quiet for the first n slots once they are all classified
 * (a slot not ready yet: the long way until it is), unless another
 * caller of this process is at it. A builder that forked mid-build (a
 * thread of the parent) leaves the child's copy odd: the child takes it
 * over, as the prefix index does (glob_slot.c).
 */
void shim_quiet_refresh(struct fr_ctl *c, unsigned n)
{
	struct shim_quiet *q = &shim_quiet;
	uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1, pathm, any;
	uint32_t seq = atomic_load_explicit(&q->seq, memory_order_acquire), me, mine;

	if (shim_rule_classes(c, n, &pathm, &any) != all)
		return;
	/* the system call: a vfork child shares the parent's cached id */
	me = (uint32_t)fr_syscall_raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if ((seq & 1) && atomic_load_explicit(&q->builder, memory_order_relaxed) == me)
		return;
	mine = seq + ((seq & 1) ? 2 : 1); /* odd: ours */
	if (!atomic_compare_exchange_strong_explicit(&q->seq, &seq, mine, memory_order_acquire,
						     memory_order_relaxed))
		return;
	atomic_store_explicit(&q->builder, me, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&q->pathm, pathm, memory_order_relaxed);
	atomic_store_explicit(&q->any, any, memory_order_relaxed);
	atomic_store_explicit(&q->known, all & ~pathm, memory_order_relaxed);
	fr_slot_glob_heads(c, pathm, &q->heads);
	atomic_store_explicit(&q->key, n + 1, memory_order_relaxed);
	atomic_store_explicit(&q->seq, mine + 1, memory_order_release);
}
