/*
 * What an injection on an fd names in the event ring (its `where`: the
 * file's path, or the socket's peer), kept per fd after the first
 * injection so that a fault firing on every call of a busy fd does not
 * pay a readlink(/proc/self/fd/N) (or getpeername) each time: that one
 * system call was most of an injected call's cost.
 *
 * A side table beside the fd table (fdtable.c), in chunks of the same
 * size, mapped on first use and never freed. An entry is valid while its
 * fd's entry carries SHIM_FD_HAVE_WHERE: every path that forgets or
 * replaces an fd's entry (close, dup onto it, a new open, a reconnect)
 * rewrites `info` without that bit, so a reused number is named anew.
 * The bit is set by compare-and-swap against the `info` seen before the
 * name was looked up: an entry cleared in between (a close racing with
 * the injection) is left without it.
 *
 * Async-signal-safe: atomics, memcpy and mmap only.
 */
#include "shim.h"

#include <string.h>
#include <sys/mman.h>

#define WHERE_WORDS ((FR_CTL_WHERE_MAX + 7) / 8)

/*
 * One fd's name, behind a sequence lock: odd while a writer fills it, so a
 * reader that meets an odd or changed sequence takes the name afresh
 * (readlink) instead of a torn one. The words are atomics so that the copy
 * itself is no data race (two threads injecting on one fd number while
 * another closes and reopens it).
 */
struct where_slot {
	_Atomic uint32_t seq;
	_Atomic uint64_t w[WHERE_WORDS];
};

static struct where_slot *_Atomic where_chunks[SHIM_FD_NCHUNKS];

/* Whether one of x's eight bytes is zero (the classic bit trick: a byte borrows only from 0). */
static inline bool has_zero_byte(uint64_t x)
{
	return ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull) != 0;
}

/* fd's slot if its chunk is mapped (the reader's lookup: no branch to the mapping) */
static inline struct where_slot *where_peek(int fd)
{
	unsigned u = (unsigned)fd, ci = u >> SHIM_FD_CHUNK_SHIFT;
	struct where_slot *ch;

	if (fd < 0 || ci >= SHIM_FD_NCHUNKS)
		return NULL;
	ch = atomic_load_explicit(&where_chunks[ci], memory_order_acquire);
	return ch ? &ch[u & (SHIM_FD_CHUNK - 1)] : NULL;
}

/* fd's slot, its chunk mapped now if need be */
static struct where_slot *where_slot(int fd)
{
	unsigned u = (unsigned)fd, ci = u >> SHIM_FD_CHUNK_SHIFT;
	struct where_slot *w = where_peek(fd), *ch, *expect = NULL;
	size_t sz = (size_t)SHIM_FD_CHUNK * sizeof(struct where_slot);
	int saved;

	if (w || fd < 0 || ci >= SHIM_FD_NCHUNKS)
		return w;
	saved = errno;
	ch = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = saved;
	if (ch == MAP_FAILED)
		return NULL;
	/* another thread mapped it first: use that one */
	if (!atomic_compare_exchange_strong_explicit(&where_chunks[ci], &expect, ch,
						     memory_order_acq_rel, memory_order_acquire)) {
		munmap(ch, sz);
		ch = expect;
	}
	return &ch[u & (SHIM_FD_CHUNK - 1)];
}

bool shim_fd_where_get(int fd, char *out, size_t len)
{
	struct shim_fd *e = shim_fd_peek(fd);
	struct where_slot *w;
	uint64_t buf[WHERE_WORDS];
	size_t k = 0, n;
	uint32_t s1;

	if (!e || len == 0 ||
	    !(atomic_load_explicit(&e->info, memory_order_acquire) & SHIM_FD_HAVE_WHERE))
		return false;
	w = where_peek(fd);
	if (!w)
		return false;
	s1 = atomic_load_explicit(&w->seq, memory_order_acquire);
	if (s1 & 1)
		return false;
	/*
	 * The name is NUL-padded (shim_fd_where_put): the words up to the
	 * first one holding a zero byte are all of it. Most names are a
	 * word or three of the twelve, and this runs on every injection.
	 */
	do
		buf[k] = atomic_load_explicit(&w->w[k], memory_order_relaxed);
	while (!has_zero_byte(buf[k]) && ++k < WHERE_WORDS);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&w->seq, memory_order_relaxed) != s1)
		return false;
	n = (k < WHERE_WORDS ? k + 1 : WHERE_WORDS) * 8;
	n = n < len - 1 ? n : len - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
	return true;
}

uint32_t shim_fd_where_begin(int fd)
{
	struct shim_fd *e = shim_fd_peek(fd);

	return e ? atomic_load_explicit(&e->info, memory_order_acquire) : 0;
}

void shim_fd_where_put(int fd, uint32_t info, const char *where)
{
	struct shim_fd *e = shim_fd_peek(fd);
	uint64_t buf[WHERE_WORDS] = { 0 };
	struct where_slot *w;
	uint32_t seq;

	/* an entry never resolved has nothing that would forget the name */
	if (!e || !where || (info & SHIM_FD_KIND_MASK) == SHIM_FD_UNKNOWN ||
	    (info & SHIM_FD_HAVE_WHERE))
		return;
	w = where_slot(fd);
	if (!w)
		return;
	/* claim the slot (even to odd); another writer holds it: leave it be */
	seq = atomic_load_explicit(&w->seq, memory_order_relaxed);
	if ((seq & 1) ||
	    !atomic_compare_exchange_strong_explicit(&w->seq, &seq, seq + 1, memory_order_acquire,
						     memory_order_relaxed))
		return;
	atomic_thread_fence(memory_order_release);
	memcpy(buf, where, strnlen(where, FR_CTL_WHERE_MAX - 1));
	for (size_t i = 0; i < WHERE_WORDS; i++)
		atomic_store_explicit(&w->w[i], buf[i], memory_order_relaxed);
	atomic_store_explicit(&w->seq, seq + 2, memory_order_release);
	atomic_compare_exchange_strong_explicit(&e->info, &info, info | SHIM_FD_HAVE_WHERE,
						memory_order_release, memory_order_relaxed);
}
