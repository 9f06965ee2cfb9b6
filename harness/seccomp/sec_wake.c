/*
 * Waking edge-triggered epoll waiters when a stall ends.
 *
 * A stall answers EAGAIN to a non-blocking recv (sec_hold.c). A program
 * that waits in an edge-triggered epoll (Go's netpoller: EPOLLET, see
 * runtime/netpoll_epoll.go) then waits for the next edge, but the data
 * that came during the stall was signalled already: after the clear no
 * new edge comes, and the program sleeps until its own deadline. So when
 * the episode ends, faultrun re-arms the program's own registrations of
 * that socket: EPOLL_CTL_MOD re-polls the file and, when it is ready,
 * queues the item and wakes epoll_wait (fs/eventpoll.c, ep_modify: "If
 * the item is 'hot' and it is not registered inside the ready list, push
 * it inside"), whatever the item's EPOLLET.
 *
 * An epoll item is found by its file and the fd number it was added with
 * (epoll_ctl(2): the interest list is keyed by both), so the MOD is made
 * through a copy of the target's epoll file (pidfd_getfd(2)) with the
 * socket at the target's number, and with exactly the events and data
 * /proc/PID/fdinfo/EPFD shows (proc(5): "tfd: events: data:"), so
 * EPOLLET, EPOLLONESHOT and the program's user data (Go's pollDesc) are
 * kept. faultrun's own fd of that number must not be touched (other
 * threads use it), so the MOD is made by a short thread that first
 * unshares its fd table (unshare(2), CLONE_FILES): there the number is
 * free to take, and the copies go with the thread.
 */
#define _GNU_SOURCE
#include "sec_wake.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How often a noted socket looks whether its stall is over (sec_hold.c's tick). */
#define SEC_WAKE_TICK_MS 10

/* The flags of an item that are not events (fs/eventpoll.c, EP_PRIVATE_BITS). */
#define SEC_EP_PRIVATE (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

struct sec_wake {
	uint64_t ino, tag, until;
	int tgid, fd;
	unsigned rule;
};

/* One MOD, made by mod_thread. */
struct sec_mod {
	int ep, sock, n;
	uint32_t events;
	uint64_t data;
	int err;
};

/* A registration of the socket found in one epoll's fdinfo. */
struct sec_item {
	uint32_t events;
	uint64_t data;
};

void sec_wake_note(struct fr_sec *s, int tgid, int fd, uint64_t ino, unsigned rule, uint64_t tag,
		   uint64_t until)
{
	struct sec_wake w = {
		.ino = ino, .tag = tag, .until = until, .tgid = tgid, .fd = fd, .rule = rule
	};
	struct sec_wake *n;

	if (fd < 0 || !ino)
		return;
	for (size_t k = 0; k < s->nwakes; k++) {
		struct sec_wake *o = &s->wakes[k];

		if (o->tgid == tgid && o->fd == fd && o->ino == ino) {
			*o = w; /* the latest episode ends it */
			return;
		}
	}
	n = sec_grow(s->wakes, s->nwakes, &s->capwakes, 8, sizeof(*n));
	if (!n) {
		s->wake_failed++;
		fprintf(stderr,
			"faultrun: seccomp: cannot note fd %d of process %d for a wake "
			"after the stall (out of memory)\n",
			fd, tgid);
		return;
	}
	s->wakes = n;
	s->wakes[s->nwakes++] = w;
}

static void *mod_thread(void *arg)
{
	struct sec_mod *m = arg;
	struct epoll_event ev = { .events = m->events, .data.u64 = m->data };
	long ep = m->ep;

	/* raw system calls: a sanitizer's fd bookkeeping must not see this private table */
	if (syscall(SYS_unshare, CLONE_FILES) < 0) {
		m->err = errno;
		return NULL;
	}
	if (ep == m->n)
		ep = syscall(SYS_fcntl, m->ep, F_DUPFD_CLOEXEC, m->n + 1);
	if (ep < 0 || (m->sock != m->n && syscall(SYS_dup3, m->sock, m->n, O_CLOEXEC) < 0)) {
		m->err = errno;
		return NULL;
	}
	m->err = syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, m->n, &ev) < 0 ? errno : 0;
	return NULL;
}

/* MOD the item (n, it) of the epoll ep to what it is: 0 or an errno. */
static int mod_item(int ep, int sock, int n, const struct sec_item *it)
{
	struct sec_mod m = {
		.ep = ep, .sock = sock, .n = n, .events = it->events, .data = it->data
	};
	pthread_t t;
	int r = pthread_create(&t, NULL, mod_thread, &m);

	if (r)
		return r;
	pthread_join(t, NULL);
	return m.err;
}

/* The registrations of (fd, ino) in the epoll fdinfo file f: how many (at most max). */
static size_t items_of(FILE *f, int fd, uint64_t ino, struct sec_item *it, size_t max)
{
	char line[256];
	size_t n = 0;

	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long long data;
		unsigned long i;
		unsigned ev;
		int tfd;

		/* fs/eventpoll.c, ep_show_fdinfo: "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx" */
		if (sscanf(line, "tfd: %d events: %x data: %llx pos:%*d ino:%lx", &tfd, &ev, &data,
			   &i) != 4 ||
		    tfd != fd || i != ino)
			continue;
		it[n++] = (struct sec_item){ .events = ev, .data = data };
	}
	return n;
}

static void wake_fail(struct fr_sec *s, const struct sec_wake *w, int epfd, const char *why)
{
	s->wake_failed++;
	fprintf(stderr,
		"faultrun: seccomp: could not wake epoll fd %d of process %d for socket fd %d "
		"after the stall: %s\n",
		epfd, w->tgid, w->fd, why);
}

/* Re-arm the registrations of w's socket in the target's epoll epfd. */
static void wake_in(struct fr_sec *s, const struct sec_wake *w, int pidfd, int sock, int epfd)
{
	struct sec_item it[8];
	char path[64];
	size_t n;
	FILE *f;
	int ep;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", w->tgid, epfd);
	f = fopen(path, "re");
	if (!f)
		return; /* closed meanwhile */
	n = items_of(f, w->fd, w->ino, it, 8);
	fclose(f);
	if (!n)
		return;
	ep = (int)syscall(SYS_pidfd_getfd, pidfd, epfd, 0);
	if (ep < 0) {
		wake_fail(s, w, epfd, strerror(errno));
		return;
	}
	for (size_t k = 0; k < n; k++) {
		int err;

		/* a one-shot item that fired is disarmed: the program re-arms it itself */
		if (!(it[k].events & ~SEC_EP_PRIVATE))
			continue;
		/* epoll_ctl(2): EPOLL_CTL_MOD of an EPOLLEXCLUSIVE item fails (EINVAL) */
		if (it[k].events & EPOLLEXCLUSIVE) {
			wake_fail(s, w, epfd, "an EPOLLEXCLUSIVE registration cannot be modified");
			continue;
		}
		/* without CAP_BLOCK_SUSPEND the kernel would drop the item's EPOLLWAKEUP */
		if ((it[k].events & EPOLLWAKEUP) && geteuid() != 0) {
			wake_fail(s, w, epfd, "EPOLLWAKEUP needs CAP_BLOCK_SUSPEND to be kept");
			continue;
		}
		err = mod_item(ep, sock, w->fd, &it[k]);
		if (err)
			wake_fail(s, w, epfd, strerror(err));
		else
			s->woken++;
	}
	close(ep);
}

/* Whether /proc/PID/fd/FD is an epoll instance (proc(5): "anon_inode:[eventpoll]"). */
static bool is_epoll(int tgid, int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", tgid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:[eventpoll]");
}

/* Wake every epoll registration of w's socket in its process. */
static void wake_socket(struct fr_sec *s, const struct sec_wake *w)
{
	int pidfd = (int)syscall(SYS_pidfd_open, w->tgid, 0), sock = -1;
	char path[64];
	struct dirent *e;
	struct stat st;
	DIR *dir = NULL;

	if (pidfd < 0)
		return; /* the process is gone: nobody waits */
	sock = (int)syscall(SYS_pidfd_getfd, pidfd, w->fd, 0);
	/* closed, or the number is another file now: that socket has no waiter left */
	if (sock < 0 || fstat(sock, &st) < 0 || st.st_ino != w->ino)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/fd", w->tgid);
	dir = opendir(path);
	if (!dir) {
		wake_fail(s, w, -1, strerror(errno));
		goto out;
	}
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' && is_epoll(w->tgid, atoi(e->d_name)))
			wake_in(s, w, pidfd, sock, atoi(e->d_name));
	closedir(dir);
out:
	if (sock >= 0)
		close(sock);
	close(pidfd);
}

int sec_wake_due(struct fr_sec *s, struct fr_ctl *c)
{
	uint64_t now = fr_now_ns();
	size_t k = 0;

	for (size_t i = 0; i < s->nwakes; i++) {
		const struct sec_wake *w = &s->wakes[i];

		if (!sec_rule_live(c, w->rule, w->tag) || (w->until && now >= w->until))
			wake_socket(s, w);
		else
			s->wakes[k++] = *w;
	}
	s->nwakes = k;
	/*
	 * never silent: the summary, --json and a scenario's journal read
	 * the failures from the block (ctlread.c, ctlwatch.c), not stderr
	 */
	if (s->wake_failed > s->wake_failed_told) {
		atomic_fetch_add_explicit(&c->wakes_failed,
					  (uint32_t)(s->wake_failed - s->wake_failed_told),
					  memory_order_relaxed);
		s->wake_failed_told = s->wake_failed;
	}
	return k ? SEC_WAKE_TICK_MS : -1;
}

void sec_wake_clear(struct fr_sec *s)
{
	free(s->wakes);
	s->wakes = NULL;
	s->nwakes = s->capwakes = 0;
}
