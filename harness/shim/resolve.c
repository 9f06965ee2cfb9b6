/*
 * Binding the real functions (STYLE "Shim rules" 2).
 *
 * One table of unions {fn; obj} generated from wrapped.def, filled with
 * what dlsym(RTLD_NEXT) would return (read from the symbol tables by
 * symbols.c) inside one pthread_once (init.c). RTLD_NEXT rather than
 * dlopen("libc.so.6") so that ASan, libfiu or another preload placed after
 * us keep working. A symbol the C library lacks stays NULL: its wrapper
 * then fails with ENOSYS, which only a program calling a function its own
 * libc does not have could see.
 */
#include "shim.h"
#include "symbols.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>

struct shim_real_table shim_real;

static const struct {
	const char *name;
	void **slot;
} bindings[] = {
#define WRAP(name, ret, params, args, op, shape, fail, errnos) { #name, &shim_real.name.obj },
#include "wrapped.def"
#undef WRAP
};

/* Print and abort: a preload that calls itself would loop forever. */
static void die_self_bound(const char *name)
{
	static const char pre[] = "faultshim: dlsym(RTLD_NEXT, \"";
	static const char post[] = "\") returned the shim itself\n";

	/* raw syscalls: our own write() is what may be unbound here */
	fr_syscall(SYS_write, STDERR_FILENO, pre, sizeof(pre) - 1);
	fr_syscall(SYS_write, STDERR_FILENO, name, strlen(name));
	fr_syscall(SYS_write, STDERR_FILENO, post, sizeof(post) - 1);
	abort();
}

/* How many names the table walk could not decide (symbols.c), for the log */
static unsigned asked_dlsym;

/*
 * What dlsym(RTLD_NEXT, name) returns, read from the symbol tables
 * (symbols.c): no allocation, a tenth of dlsym's instructions. dlsym only
 * where the walk cannot tell (an object it cannot read, a TLS or unique
 * symbol, LD_AUDIT): never for a name known to be absent, since a dlsym
 * that fails mallocs its error message.
 */
static void *next_sym(const char *name)
{
	void *p;

	if (shim_sym_lookup(name, &p) != SHIM_SYM_UNSURE)
		return p;
	asked_dlsym++;
	SHIM_DEBUG("%s: not decided by the symbol tables, asking dlsym", name);
	return dlsym(RTLD_NEXT, name);
}

/* next_sym of "__" + name, for a res_* name (at most 31 characters) */
static void *next_sym_res(const char *name)
{
	char alt[32] = "__";
	size_t len = strlen(name);

	if (len + 3 > sizeof(alt))
		return NULL;
	memcpy(alt + 2, name, len + 1);
	return next_sym(alt);
}

void shim_resolve_all(void)
{
	uintptr_t lo, hi;
	size_t i;

	/* ld names our own dynamic section _DYNAMIC (<link.h>) */
	shim_sym_open(_DYNAMIC);
	shim_sym_self_range(&lo, &hi);
	for (i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
		const char *name = bindings[i].name;
		void *p;

		/*
		 * The resolver's __res_query... (what programs linked before
		 * glibc 2.34 import) are only compat versions in libc.so.6
		 * since 2.34, which dlsym never returns; they are res_query...
		 * there, the same code. Before 2.34 it was the other way round
		 * (libresolv had only __res_*), so each name falls back on the
		 * other. res_* is asked first for both, the name that exists
		 * on a current glibc: should next_sym have to ask dlsym, the
		 * dlsym that fails mallocs its error message, and we may be
		 * here from inside a malloc (jemalloc calls syscall() while it
		 * initialises, with its lock held: redis-cli hung in it).
		 */
		if (!strncmp(name, "__res_", 6)) {
			p = next_sym(name + 2);
			if (!p)
				p = next_sym(name);
		} else {
			p = next_sym(name);
			if (!p && !strncmp(name, "res_", 4))
				p = next_sym_res(name);
		}

		if (p && (uintptr_t)p >= lo && (uintptr_t)p < hi)
			die_self_bound(name);
		/* publish: other threads test the pointer without the once */
		__atomic_store_n(bindings[i].slot, p, __ATOMIC_RELEASE);
	}
	if (asked_dlsym)
		SHIM_DEBUG("bound %zu names, %u of them through dlsym", i, asked_dlsym);
}
