/*
 * Initialisation: bind the real functions, attach the control block.
 *
 * shim_init() is idempotent and cheap once done. Every wrapper reaches it
 * (through SHIM_BOUND, or its unbound_<name>) when its real function is
 * not bound yet, so a call from another library's constructor that runs
 * before ours still works and still obeys the rules. The block's path
 * comes from FAULTRUN_CTL; a missing, foreign or malformed block leaves
 * injection off (shim_armed_word keeps pointing at a zero word) and the
 * program runs as without the shim.
 * After exec the new image's constructor attaches again through the same
 * environment variable; after fork the child shares the parent's mapping.
 */
#include "shim.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>

struct fr_ctl *shim_ctl;
char shim_ctl_path[PATH_MAX];
static _Atomic uint32_t armed_none;
_Atomic uint32_t *shim_armed_word = &armed_none;
bool shim_debug;

static pthread_once_t init_once_ctl = PTHREAD_ONCE_INIT;
static _Atomic int init_done;

void shim_log(const char *fmt, ...)
{
	char buf[600];
	int saved = errno, n, m;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "faultshim[%ld]: ", (long)fr_syscall(SYS_getpid));
	if (n < 0)
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fr_syscall(SYS_write, STDERR_FILENO, buf, (size_t)n);
	errno = saved;
}

/*
 * fork: the prepare handler makes sure everything is bound before the
 * child exists (STYLE "Shim rules" 8). The shim holds no lock and no PRNG
 * state (probability decisions hash the block's seed with the call number),
 * so the child needs nothing re-initialised; it keeps the shared mapping
 * and its copy of the fd table. vfork and posix_spawn run no handlers and
 * need none: their child only execs.
 */
static void atfork_prepare(void)
{
	shim_init();
}

/* the image's name, as listed in the block, for forks of this process */
static char self_exe[FR_CTL_EXE_MAX];

/*
 * fork's child is a process of the run too: list it (it shares the
 * mapping, and its image, so it needs nothing else). Atomics and raw
 * syscalls only: a child of a multi-threaded parent may only call
 * async-signal-safe functions (fork(2)).
 */
_Atomic int shim_pid;

void shim_forked(void)
{
	int saved = errno;

	atomic_store_explicit(&shim_pid, (int)fr_syscall(SYS_getpid), memory_order_relaxed);
	if (shim_ctl)
		fr_ctl_register(shim_ctl, FR_PROC_FORKED, self_exe);
	errno = saved;
}

static void atfork_child(void)
{
	shim_forked();
}

static void attach(void)
{
	const char *path = getenv(FR_CTL_ENV);
	struct fr_ctl *c;
	int err = 0;

	if (!path || !*path)
		return;
	c = fr_ctl_join(path, &err);
	if (!c) {
		/* never silent: faultrun hears why this process gets no faults */
		fr_ctl_report_refusal(path, err);
		SHIM_DEBUG("cannot use control block \"%s\" (%s): injection off", path,
			   strerror(err));
		return;
	}
	shim_ctl = c;
	/* exec's wrappers compare an environment's FAULTRUN_CTL with it */
	strncpy(shim_ctl_path, path, sizeof(shim_ctl_path) - 1);
	fr_ctl_self_exe(self_exe);
	fr_ctl_register(c, FR_PROC_ATTACHED, self_exe);
	__atomic_store_n(&shim_armed_word, &c->armed_ops, __ATOMIC_RELEASE);
	SHIM_DEBUG("attached \"%s\" (%u rules)", path, fr_ctl_count(c));
}

static void init_once(void)
{
	const char *dbg = getenv("FAULTSHIM_DEBUG");

	shim_debug = dbg && *dbg && strcmp(dbg, "0") != 0;
	shim_resolve_all();
	attach();
	pthread_atfork(atfork_prepare, NULL, atfork_child);
}

void shim_init(void)
{
	int saved;

	if (likely(atomic_load_explicit(&init_done, memory_order_acquire)))
		return;
	/* called from inside our own initialisation (dlsym -> malloc -> ...) */
	if (shim_depth > 0)
		return;
	saved = errno;
	shim_guard_enter();
	pthread_once(&init_once_ctl, init_once);
	shim_guard_leave();
	atomic_store_explicit(&init_done, 1, memory_order_release);
	errno = saved;
}

__attribute__((constructor)) static void shim_constructor(void)
{
	shim_init();
}
