/*
 * The disk model, reader side: a file system of a given capacity over a
 * rule's path, shared by every process of the run through the control
 * block. Linked into libfaultshim.so, so: atomics, plain memory and raw
 * system calls only (raw_syscall.h), no malloc, no libc function the shim
 * interposes.
 *
 * What it follows is what tmpfs does when it fills (measured by
 * tests/disk/measure-full.sh; docs/faults.md "disk"): space is taken by
 * the blocks a file's data occupies, not by bytes written; a write that
 * does not fit is short up to the last free block, then ENOSPC; a file
 * that lost its last link keeps its blocks while a process holds it open.
 *
 * Each file is followed by one entry: the blocks it holds, as a few
 * ranges of block numbers. A write charges the blocks it covers that the
 * file does not hold yet (a CAS on the rule's free space, slot->budget),
 * so appends, writes into holes and fallocate take space and overwrites
 * do not. A file's ranges change under its own lock (a few stores, signals
 * blocked); an overwrite of blocks it holds reads them without the lock
 * (a sequence lock, control.h) and takes nothing.
 */
#define _GNU_SOURCE
#include <faultrun/control.h>
#include "raw_syscall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

uint64_t fr_disk_block(const struct fr_rule *r)
{
	unsigned sh = r->block_shift ? r->block_shift : FR_DISK_BLOCK_SHIFT;

	if (sh < FR_DISK_BLOCK_MIN_SHIFT || sh > FR_DISK_BLOCK_MAX_SHIFT)
		sh = FR_DISK_BLOCK_SHIFT;
	return 1ull << sh;
}

/* bytes -> whole blocks, rounded up */
static uint64_t blocks(uint64_t bytes, uint64_t bs)
{
	return bytes / bs + (bytes % bs != 0);
}

static uint64_t file_key(uint64_t dev, uint64_t ino)
{
	uint64_t x = dev * 0x9e3779b97f4a7c15ull ^ ino;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x ? x : 1;
}

/* ---- free space ------------------------------------------------------ */

/* Take up to `want` bytes (whole blocks) from rule's free space; returns how many. */
static uint64_t take(struct fr_ctl *c, unsigned rule, uint64_t want, uint64_t bs, bool all)
{
	struct fr_ctl_slot *s = &c->slots[rule];
	int64_t left = atomic_load_explicit(&s->budget, memory_order_relaxed), give;

	do {
		uint64_t have = left > 0 ? (uint64_t)left / bs * bs : 0;

		if (!have || (all && have < want))
			return 0;
		give = (int64_t)(have < want ? have : want);
	} while (!atomic_compare_exchange_weak_explicit(
		&s->budget, &left, left - give, memory_order_relaxed, memory_order_relaxed));
	atomic_fetch_add_explicit(&s->bytes, (uint64_t)give, memory_order_relaxed);
	return (uint64_t)give;
}

void fr_disk_give(struct fr_ctl *c, unsigned rule, uint64_t bytes)
{
	if (rule >= FR_MAX_RULES || !bytes)
		return;
	atomic_fetch_add_explicit(&c->slots[rule].budget, (int64_t)bytes, memory_order_relaxed);
}

int fr_disk_take_blocks(struct fr_ctl *c, unsigned rule, uint64_t bytes)
{
	if (rule >= FR_MAX_RULES)
		return 0;
	return take(c, rule, bytes, fr_disk_block(&c->slots[rule].rule), true) == bytes ? 0 :
											  -ENOSPC;
}

/* ---- the file table -------------------------------------------------- */

/*
 * The block's locks (files_lock, a file's lock): a word holding the tid
 * of the thread inside, 0 when free. Held for a few stores, never across
 * a system call, with every signal blocked, so a handler cannot deadlock
 * on its own thread. A holder that died with it (killed in those few
 * instructions) is detected and the lock taken over.
 */
static void word_lock(_Atomic uint32_t *w, sigset_t *old)
{
	sigset_t all;
	uint32_t tid = (uint32_t)fr_syscall(SYS_gettid), cur;
	unsigned long spins = 0;

	sigfillset(&all);
	fr_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, sizeof(long));
	for (;;) {
		cur = 0;
		if (atomic_compare_exchange_weak_explicit(w, &cur, tid, memory_order_acquire,
							  memory_order_relaxed))
			return;
		if (++spins % (1u << 16) == 0) {
			/* the holder's thread is gone: it died holding the lock */
			if (cur && fr_syscall(SYS_kill, (long)cur, 0L) < 0 && errno == ESRCH)
				atomic_compare_exchange_strong(w, &cur, 0);
			else
				fr_syscall(SYS_sched_yield);
		}
	}
}

static void word_unlock(_Atomic uint32_t *w, const sigset_t *old)
{
	atomic_store_explicit(w, 0, memory_order_release);
	fr_syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, sizeof(long));
}

/*
 * files_lock: claiming and freeing entries is serialised so that a key is
 * never in the table twice (two processes' first writes to one new file).
 */
static void files_lock(struct fr_ctl *c, sigset_t *old)
{
	word_lock(&c->files_lock, old);
}

static void files_unlock(struct fr_ctl *c, const sigset_t *old)
{
	word_unlock(&c->files_lock, old);
}

static bool is_file(const struct fr_ctl_file *f, uint64_t key, uint64_t dev, uint64_t ino)
{
	return atomic_load_explicit(&f->key, memory_order_acquire) == key &&
	       atomic_load_explicit(&f->state, memory_order_acquire) != FR_FILE_DEAD &&
	       atomic_load_explicit(&f->dev, memory_order_relaxed) == dev &&
	       atomic_load_explicit(&f->ino, memory_order_relaxed) == ino;
}

/* Lock-free lookup: the live entry of (dev, ino), or -1. */
static int lookup(struct fr_ctl *c, uint64_t key, uint64_t dev, uint64_t ino)
{
	for (unsigned n = 0, i = (unsigned)(key % FR_CTL_FILES); n < FR_CTL_FILES;
	     n++, i = (i + 1) % FR_CTL_FILES) {
		const struct fr_ctl_file *f = &c->files[i];
		uint64_t k = atomic_load_explicit(&f->key, memory_order_acquire);

		if (!k)
			return -1;
		if (is_file(f, key, dev, ino))
			return (int)i;
	}
	return -1;
}

int fr_disk_file(struct fr_ctl *c, unsigned rule, uint64_t dev, uint64_t ino, uint64_t size)
{
	uint64_t key = file_key(dev, ino);
	int i = lookup(c, key, dev, ino), free_at = -1;
	sigset_t old;

	if (i >= 0 || rule >= FR_MAX_RULES)
		return i;
	files_lock(c, &old);
	/* again under the lock: another process may have claimed it meanwhile */
	i = lookup(c, key, dev, ino);
	/* absent: the first free entry of its chain (lookups pass a reused one) */
	for (unsigned n = 0, j = (unsigned)(key % FR_CTL_FILES); i < 0 && n < FR_CTL_FILES;
	     n++, j = (j + 1) % FR_CTL_FILES) {
		if (atomic_load_explicit(&c->files[j].state, memory_order_relaxed) ==
		    FR_FILE_DEAD) {
			free_at = (int)j;
			break;
		}
	}
	if (i < 0 && free_at >= 0) {
		struct fr_ctl_file *f = &c->files[free_at];
		uint64_t bs = fr_disk_block(&c->slots[rule].rule);
		uint32_t seq = atomic_load_explicit(&f->seq, memory_order_relaxed);

		atomic_store_explicit(&f->dev, dev, memory_order_relaxed);
		atomic_store_explicit(&f->ino, ino, memory_order_relaxed);
		/* what it holds already: its size, as the arming measured it */
		atomic_store_explicit(&f->next, size ? 1 : 0, memory_order_relaxed);
		atomic_store_explicit(&f->ext[0].first, 0, memory_order_relaxed);
		atomic_store_explicit(&f->ext[0].last, blocks(size, bs), memory_order_relaxed);
		atomic_store_explicit(&f->ghost, 0, memory_order_relaxed);
		atomic_store_explicit(&f->end, size, memory_order_relaxed);
		atomic_store_explicit(&f->lock, 0, memory_order_relaxed);
		atomic_store_explicit(&f->seq, (seq + 1) & ~1u, memory_order_relaxed);
		atomic_store_explicit(&f->rule, rule, memory_order_relaxed);
		atomic_store_explicit(&f->key, key, memory_order_release);
		atomic_store_explicit(&f->state, FR_FILE_LIVE, memory_order_release);
		i = free_at;
	}
	files_unlock(c, &old);
	if (i < 0)
		atomic_fetch_add_explicit(&c->files_overflow, 1, memory_order_relaxed);
	return i;
}

/* ---- a file's ranges ------------------------------------------------- */

/*
 * A file's ranges in plain memory: copied out of its entry, changed, and
 * stored back under its lock. One range more than an entry holds, for
 * the moment between adding one and merging.
 */
struct ranges {
	unsigned n;
	uint64_t ghost, end;
	uint64_t first[FR_FILE_EXTENTS + 1], last[FR_FILE_EXTENTS + 1];
};

static void ranges_load(const struct fr_ctl_file *f, struct ranges *r)
{
	r->n = atomic_load_explicit(&f->next, memory_order_relaxed);
	/* the block is shared with the target: never trust a count */
	if (r->n > FR_FILE_EXTENTS)
		r->n = FR_FILE_EXTENTS;
	r->ghost = atomic_load_explicit(&f->ghost, memory_order_relaxed);
	r->end = atomic_load_explicit(&f->end, memory_order_relaxed);
	for (unsigned i = 0; i < r->n; i++) {
		r->first[i] = atomic_load_explicit(&f->ext[i].first, memory_order_relaxed);
		r->last[i] = atomic_load_explicit(&f->ext[i].last, memory_order_relaxed);
	}
}

static void ranges_store(struct fr_ctl_file *f, const struct ranges *r)
{
	atomic_store_explicit(&f->next, r->n, memory_order_relaxed);
	atomic_store_explicit(&f->ghost, r->ghost, memory_order_relaxed);
	atomic_store_explicit(&f->end, r->end, memory_order_relaxed);
	for (unsigned i = 0; i < r->n; i++) {
		atomic_store_explicit(&f->ext[i].first, r->first[i], memory_order_relaxed);
		atomic_store_explicit(&f->ext[i].last, r->last[i], memory_order_relaxed);
	}
}

/* A consistent copy without the lock; false while a change is under way. */
static bool ranges_peek(const struct fr_ctl_file *f, struct ranges *r)
{
	uint32_t s1 = atomic_load_explicit(&f->seq, memory_order_acquire);

	if (s1 & 1)
		return false;
	ranges_load(f, r);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&f->seq, memory_order_relaxed) == s1;
}

static void ranges_lock(struct fr_ctl_file *f, struct ranges *r, sigset_t *old)
{
	word_lock(&f->lock, old);
	ranges_load(f, r);
}

/*
 * Store r (when changed: seq odd while the stores are under way) and
 * unlock; returns the file's seq. A seq left odd by a holder that died
 * is made even again.
 */
static uint32_t ranges_unlock(struct fr_ctl_file *f, const struct ranges *r, bool changed,
			      const sigset_t *old)
{
	uint32_t s = atomic_load_explicit(&f->seq, memory_order_relaxed) & ~1u;

	if (changed) {
		atomic_store_explicit(&f->seq, s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		ranges_store(f, r);
		s += 2;
		atomic_store_explicit(&f->seq, s, memory_order_release);
	}
	word_unlock(&f->lock, old);
	return s;
}

/* How many blocks of [b0, b1) r does not hold. */
static uint64_t missing(const struct ranges *r, uint64_t b0, uint64_t b1)
{
	uint64_t n = b1 > b0 ? b1 - b0 : 0;

	for (unsigned i = 0; i < r->n; i++) {
		uint64_t lo = r->first[i] > b0 ? r->first[i] : b0;
		uint64_t hi = r->last[i] < b1 ? r->last[i] : b1;

		if (hi > lo)
			n -= hi - lo;
	}
	return n;
}

/* The block number of the k-th (from 0) block from b0 on that r does not hold. */
static uint64_t nth_missing(const struct ranges *r, uint64_t b0, uint64_t k)
{
	uint64_t pos = b0;

	for (unsigned i = 0; i < r->n; i++) {
		if (r->last[i] <= pos)
			continue;
		if (r->first[i] > pos) {
			if (k < r->first[i] - pos)
				return pos + k;
			k -= r->first[i] - pos;
		}
		pos = r->last[i];
	}
	return pos + k;
}

/*
 * Add blocks [b0, b1): ranges stay sorted and apart. Past
 * FR_FILE_EXTENTS ranges, the two closest merge and the blocks between
 * them, held but never charged, go to ghost.
 */
static void hold(struct ranges *r, uint64_t b0, uint64_t b1)
{
	unsigned i, j, k;

	if (b1 <= b0)
		return;
	for (i = r->n; i > 0 && r->first[i - 1] > b0; i--) {
		r->first[i] = r->first[i - 1];
		r->last[i] = r->last[i - 1];
	}
	r->first[i] = b0;
	r->last[i] = b1;
	r->n++;
	/* merge ranges that overlap or touch */
	for (i = 0, j = 1; j < r->n; j++) {
		if (r->first[j] <= r->last[i]) {
			if (r->last[j] > r->last[i])
				r->last[i] = r->last[j];
		} else {
			i++;
			r->first[i] = r->first[j];
			r->last[i] = r->last[j];
		}
	}
	r->n = i + 1;
	if (r->n <= FR_FILE_EXTENTS)
		return;
	for (k = 0, i = 1; i + 1 < r->n; i++)
		if (r->first[i + 1] - r->last[i] < r->first[k + 1] - r->last[k])
			k = i;
	r->ghost += r->first[k + 1] - r->last[k];
	r->last[k] = r->last[k + 1];
	for (i = k + 1; i + 1 < r->n; i++) {
		r->first[i] = r->first[i + 1];
		r->last[i] = r->last[i + 1];
	}
	r->n--;
}

/* Let go of every block from b on; returns how many of them were charged. */
static uint64_t drop_from(struct ranges *r, uint64_t b)
{
	uint64_t gone = 0, g;
	unsigned n = 0;

	for (unsigned i = 0; i < r->n; i++) {
		if (r->first[i] >= b) {
			gone += r->last[i] - r->first[i];
			continue;
		}
		if (r->last[i] > b) {
			gone += r->last[i] - b;
			r->last[i] = b;
		}
		n = i + 1;
	}
	r->n = n;
	/* ghost blocks were never charged: where they were is not known */
	g = gone < r->ghost ? gone : r->ghost;
	r->ghost = n ? r->ghost - g : 0;
	return gone - g;
}

/* A removed file lets go of everything: the charged blocks it held. */
static uint64_t drop_all(struct fr_ctl_file *f)
{
	struct ranges r;
	sigset_t old;
	uint64_t n;

	ranges_lock(f, &r, &old);
	n = drop_from(&r, 0);
	r.end = 0;
	ranges_unlock(f, &r, true, &old);
	return n;
}

/* ---- charging -------------------------------------------------------- */

/* The file's ranges before a change, kept in tk to undo it. */
static void take_note(struct fr_disk_take *tk, const struct ranges *r)
{
	tk->next = r->n;
	tk->ghost = r->ghost;
	tk->end = r->end;
	for (unsigned i = 0; i < r->n; i++) {
		tk->first[i] = r->first[i];
		tk->last[i] = r->last[i];
	}
}

uint64_t fr_disk_grow(struct fr_ctl *c, unsigned rule, int file, uint64_t start, uint64_t len,
		      bool append, bool all, struct fr_disk_take *tk)
{
	uint64_t bs, s, b0, b1, need, got = 0, fit = len;
	struct fr_ctl_file *f;
	struct ranges r;
	sigset_t old;

	tk->file = -1;
	tk->charge = 0;
	if (file < 0 || (unsigned)file >= FR_CTL_FILES || rule >= FR_MAX_RULES || !len)
		return len;
	bs = fr_disk_block(&c->slots[rule].rule);
	f = &c->files[file];
	/*
	 * Blocks the file holds (an overwrite, or an append within its last
	 * block): no lock, and at most the end moves, by compare-and-swap.
	 * A locked change that stores its copy of the end over this one
	 * loses it; an O_APPEND write then lands at the size fstat saw.
	 */
	if (ranges_peek(f, &r)) {
		s = append && r.end > start ? r.end : start;
		if (!missing(&r, s / bs, blocks(s + len, bs))) {
			uint64_t e = r.end;

			while (!all && s + len > e &&
			       !atomic_compare_exchange_weak_explicit(&f->end, &e, s + len,
								      memory_order_relaxed,
								      memory_order_relaxed))
				;
			tk->file = file;
			tk->lockfree = true;
			tk->start = s;
			tk->fit = len;
			tk->end = e;
			return len;
		}
	}
	ranges_lock(f, &r, &old);
	take_note(tk, &r);
	s = append && r.end > start ? r.end : start;
	b0 = s / bs;
	b1 = blocks(s + len, bs);
	need = missing(&r, b0, b1);
	if (need && (got = take(c, rule, need * bs, bs, all) / bs) < need) {
		/* what fits: up to the first block it did not get */
		uint64_t lim = nth_missing(&r, b0, got) * bs;

		fit = lim > s ? lim - s : 0;
		if (!fit || all) {
			fr_disk_give(c, rule, got * bs);
			atomic_fetch_sub_explicit(&c->slots[rule].bytes, got * bs,
						  memory_order_relaxed);
			ranges_unlock(f, &r, false, &old);
			return 0;
		}
		b1 = lim / bs;
	}
	hold(&r, b0, b1);
	if (!all && s + fit > r.end)
		r.end = s + fit;
	tk->seq = ranges_unlock(f, &r, true, &old);
	tk->file = file;
	tk->lockfree = false;
	tk->start = s;
	tk->fit = fit;
	tk->charge = got * bs;
	tk->all = all;
	return fit;
}

void fr_disk_settle(struct fr_ctl *c, unsigned rule, const struct fr_disk_take *tk, int64_t done)
{
	uint64_t real = done > 0 ? (uint64_t)done : 0, bs, keep = 0, back;
	struct fr_ctl_file *f;
	struct ranges r;
	sigset_t old;

	if (tk->file < 0 || (unsigned)tk->file >= FR_CTL_FILES || rule >= FR_MAX_RULES ||
	    real >= tk->fit)
		return;
	f = &c->files[tk->file];
	if (tk->lockfree) {
		/* nothing was charged: the end goes back if nothing moved it since */
		uint64_t e = tk->start + tk->fit, back_to = tk->start + real;

		if (tk->end > back_to)
			back_to = tk->end;
		if (e > back_to)
			atomic_compare_exchange_strong(&f->end, &e, back_to);
		return;
	}
	word_lock(&f->lock, &old);
	/* undo only while nothing changed the file since (else keep the charge) */
	if (atomic_load_explicit(&f->seq, memory_order_relaxed) != tk->seq) {
		word_unlock(&f->lock, &old);
		return;
	}
	bs = fr_disk_block(&c->slots[rule].rule);
	/* a take from a torn read must not make missing() read past the arrays */
	r.n = tk->next < FR_FILE_EXTENTS ? tk->next : FR_FILE_EXTENTS;
	r.ghost = tk->ghost;
	r.end = tk->end;
	for (unsigned i = 0; i < r.n; i++) {
		r.first[i] = tk->first[i];
		r.last[i] = tk->last[i];
	}
	if (real) {
		keep = missing(&r, tk->start / bs, blocks(tk->start + real, bs));
		hold(&r, tk->start / bs, blocks(tk->start + real, bs));
		if (!tk->all && tk->start + real > r.end)
			r.end = tk->start + real;
	}
	ranges_unlock(f, &r, true, &old);
	back = tk->charge > keep * bs ? tk->charge - keep * bs : 0;
	fr_disk_give(c, rule, back);
	atomic_fetch_sub_explicit(&c->slots[rule].bytes, back, memory_order_relaxed);
}

void fr_disk_shrink(struct fr_ctl *c, unsigned rule, int file, uint64_t len)
{
	struct fr_ctl_file *f;
	struct ranges r;
	sigset_t old;
	uint64_t bs, freed;

	if (file < 0 || (unsigned)file >= FR_CTL_FILES || rule >= FR_MAX_RULES)
		return;
	f = &c->files[file];
	bs = fr_disk_block(&c->slots[rule].rule);
	/* nothing held past len (ftruncate up): no lock */
	if (ranges_peek(f, &r) && r.end <= len && (!r.n || r.last[r.n - 1] <= blocks(len, bs)))
		return;
	ranges_lock(f, &r, &old);
	freed = drop_from(&r, blocks(len, bs));
	if (r.end > len)
		r.end = len;
	ranges_unlock(f, &r, true, &old);
	fr_disk_give(c, rule, freed * bs);
}

/* ---- removed files --------------------------------------------------- */

/*
 * Whether process pid holds (dev, ino) open: a look through
 * /proc/pid/fd (fstatat follows each link to the open file itself).
 * Files only mapped (mmap) are not seen.
 */
static bool pid_holds(long pid, uint64_t dev, uint64_t ino)
{
	char path[40], buf[2048];
	long dfd, n;
	bool held = false;
	int k = 0;
	unsigned long p = (unsigned long)pid;
	char digits[24];

	/* "/proc/<pid>/fd" without snprintf (not async-signal-safe) */
	do
		digits[k++] = (char)('0' + p % 10);
	while ((p /= 10) && k < (int)sizeof(digits));
	memcpy(path, "/proc/", 6);
	for (int j = 0; j < k; j++)
		path[6 + j] = digits[k - 1 - j];
	memcpy(path + 6 + k, "/fd", 4);
	dfd = fr_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	while (!held && (n = fr_syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !held;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			struct stat st;

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			if (fr_syscall(SYS_newfstatat, dfd, d->d_name, &st, 0) == 0 &&
			    (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino)
				held = true;
		}
	}
	fr_syscall(SYS_close, dfd);
	return held;
}

/* Whether any process of the run (the block's process table) holds the file open. */
static bool run_holds(struct fr_ctl *c, uint64_t dev, uint64_t ino)
{
	unsigned n = atomic_load_explicit(&c->nprocs, memory_order_acquire);

	if (n > FR_CTL_PROCS)
		n = FR_CTL_PROCS;
	for (unsigned i = 0; i < n; i++) {
		uint32_t st = atomic_load_explicit(&c->procs[i].state, memory_order_acquire);

		if ((st == FR_PROC_ATTACHED || st == FR_PROC_FORKED) &&
		    pid_holds(c->procs[i].pid, dev, ino))
			return true;
	}
	return false;
}

/* Free an orphan's blocks if nobody holds it: the entry goes back to the table. */
static void reclaim_one(struct fr_ctl *c, unsigned rule, int file)
{
	struct fr_ctl_file *f = &c->files[file];
	uint64_t bs = fr_disk_block(&c->slots[rule].rule);
	uint32_t st = FR_FILE_ORPHAN;
	sigset_t old;
	bool freed;

	if (run_holds(c, atomic_load(&f->dev), atomic_load(&f->ino)))
		return;
	files_lock(c, &old);
	freed = atomic_compare_exchange_strong(&f->state, &st, FR_FILE_DEAD);
	files_unlock(c, &old);
	if (freed)
		fr_disk_give(c, rule, drop_all(f) * bs);
}

void fr_disk_release(struct fr_ctl *c, unsigned rule, int file)
{
	uint32_t st = FR_FILE_LIVE;

	if (file < 0 || (unsigned)file >= FR_CTL_FILES || rule >= FR_MAX_RULES)
		return;
	if (atomic_compare_exchange_strong(&c->files[file].state, &st, FR_FILE_ORPHAN))
		reclaim_one(c, rule, file);
}

void fr_disk_reclaim(struct fr_ctl *c, unsigned rule)
{
	for (unsigned i = 0; i < FR_CTL_FILES; i++)
		if (atomic_load_explicit(&c->files[i].state, memory_order_relaxed) ==
			    FR_FILE_ORPHAN &&
		    atomic_load_explicit(&c->files[i].rule, memory_order_relaxed) == rule)
			reclaim_one(c, rule, (int)i);
}
