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

#define WHERE_LEN FR_CTL_WHERE_MAX

static char *_Atomic where_chunks[SHIM_FD_NCHUNKS];

static char *where_slot(int fd, bool create)
{
	unsigned u = (unsigned)fd, ci = u >> SHIM_FD_CHUNK_SHIFT;
	char *ch, *expect = NULL;
	int saved;

	if (fd < 0 || ci >= SHIM_FD_NCHUNKS)
		return NULL;
	ch = atomic_load_explicit(&where_chunks[ci], memory_order_acquire);
	if (!ch && create) {
		saved = errno;
		ch = mmap(NULL, (size_t)SHIM_FD_CHUNK * WHERE_LEN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		errno = saved;
		if (ch == MAP_FAILED)
			return NULL;
		if (!atomic_compare_exchange_strong_explicit(&where_chunks[ci], &expect, ch,
							     memory_order_acq_rel,
							     memory_order_acquire)) {
			munmap(ch, (size_t)SHIM_FD_CHUNK * WHERE_LEN);
			ch = expect;
		}
	}
	return ch ? ch + (size_t)(u & (SHIM_FD_CHUNK - 1)) * WHERE_LEN : NULL;
}

bool shim_fd_where_get(int fd, char *out, size_t len)
{
	struct shim_fd *e = shim_fd_peek(fd);
	const char *w;

	if (!e || len == 0 ||
	    !(atomic_load_explicit(&e->info, memory_order_acquire) & SHIM_FD_HAVE_WHERE))
		return false;
	w = where_slot(fd, false);
	if (!w)
		return false;
	len = len < WHERE_LEN ? len : WHERE_LEN;
	memcpy(out, w, len - 1);
	out[len - 1] = '\0';
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
	size_t n;
	char *w;

	/* an entry never resolved has nothing that would forget the name */
	if (!e || !where || (info & SHIM_FD_KIND_MASK) == SHIM_FD_UNKNOWN ||
	    (info & SHIM_FD_HAVE_WHERE))
		return;
	w = where_slot(fd, true);
	if (!w)
		return;
	n = strnlen(where, WHERE_LEN - 1);
	memcpy(w, where, n);
	memset(w + n, 0, WHERE_LEN - n);
	atomic_compare_exchange_strong_explicit(&e->info, &info, info | SHIM_FD_HAVE_WHERE,
						memory_order_release, memory_order_relaxed);
}
