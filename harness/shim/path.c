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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

#ifdef __SSE2__
/*
 * The length of absolute path p if it needs no cleaning (no "//", no
 * segment that starts with "." (which takes in "." and "..", and, to stay
 * simple, hidden names: those only take the copying way), no "/" before
 * the end unless p is "/"), else 0. Sixteen bytes at a time from p's
 * aligned block, as glibc's strlen reads: an aligned load never crosses
 * into another page, so the bytes read past the terminator are mapped;
 * the sanitizers would still report them, hence the attributes.
 */
__attribute__((no_sanitize_address, no_sanitize_thread)) static inline size_t
abs_clean(const char *p)
{
	/* '.' is '/' but for the low bit: (byte | 1) == '/' finds both at once */
	const __m128i slash = _mm_set1_epi8('/'), one = _mm_set1_epi8(1);
	const __m128i nul = _mm_setzero_si128();
	uintptr_t off = (uintptr_t)p & 15;
	const __m128i *b = (const __m128i *)(const void *)(p - off);
	unsigned keep = 0xffffu << off, carry = 0;

	if (p[1] == '\0')
		return 1; /* "/" */
	for (;;) {
		__m128i v = _mm_load_si128(b++);
		__m128i zv = _mm_cmpeq_epi8(v, nul);
		unsigned s = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, slash)) & keep;
		unsigned z = (unsigned)_mm_movemask_epi8(zv) & keep;
		unsigned sd = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, one), slash), zv));

		/* a '/' followed by '/', '.' or the end */
		unsigned bad = (s << 1 | carry) & sd;

		/* one test for both ways out, most blocks take neither */
		if (unlikely(bad | z)) {
			/* only bytes up to the first NUL count (z ^ (z - 1): the
			 * lowest bit of z and those below it, all when z is 0) */
			if (bad & (z ^ (z - 1)))
				return 0;
			return (size_t)((const char *)(b - 1) + __builtin_ctz(z) - p);
		}
		carry = s >> 15;
		keep = 0xffffu;
	}
}
#else
static size_t abs_clean(const char *p)
{
	const char *q = p;

	if (p[1] == '\0')
		return 1;
	for (; *q; q++)
		if (*q == '/' && (q[1] == '/' || q[1] == '.' || q[1] == '\0'))
			return 0;
	return (size_t)(q - p);
}
#endif

size_t shim_path_clean(const char *path)
{
	return path[0] == '/' ? abs_clean(path) : 0;
}

const char *shim_path_view(int dirfd, const char *path, char *buf, size_t len)
{
	if (path && path[0] == '/' && abs_clean(path))
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
bool shim_open_quiet(const char *path, struct shim_open_facts *of)
{
	struct fr_ctl *c = shim_ctl;
	uint64_t pathm, any, known, cand = 0;
	size_t len = 0;
	unsigned n;

	of->valid = false;
	of->looked = false;
	if (!c || shim_depth > 0 || !path || path[0] != '/')
		return false;
	n = fr_ctl_count(c);
	known = shim_rule_classes(c, n, &pathm, &any);
	/* the path as written, when it is normal; else made so by the rest */
	if (pathm && (len = abs_clean(path)))
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
	of->match = any;
	of->path = 0;
	return true;
}
