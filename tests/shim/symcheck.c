/*
 * libsymcheck.so: preloaded where libfaultshim.so goes (after a sanitizer
 * runtime, before everything else), it looks every wrapped.def name up
 * with the shim's own lookup (harness/shim/symbols.c) and with
 * dlsym(RTLD_NEXT) from the same place, and prints one line:
 *
 *   symcheck: N names, F found, A absent, U unsure, D differ, M mallocs
 *             in the lookups, K in a failing dlsym
 *
 * then one "symcheck: differs: ..." line per name whose two addresses
 * differ. The mallocs are counted to show the lookup allocates nothing
 * (the shim may bind from inside an allocator's initialisation) while a
 * dlsym that fails does (its error message): the second count proves the
 * first one sees what it should. Used by tests/shim/test-shim-symbols.sh.
 */
#define _GNU_SOURCE
#include "symbols.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const names[] = {
#define WRAP(name, ret, params, args, op, shape, fail, errnos) #name,
#include "wrapped.def"
#undef WRAP
};

static _Atomic unsigned long mallocs;

#if defined(__SANITIZE_ADDRESS__)
/* ASan owns malloc: count through its hooks (sanitizer/allocator_interface.h) */
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *));

static void count_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	mallocs++;
}

static void count_free(const volatile void *p)
{
	(void)p;
}

static void start_counting(void)
{
	__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
}
#else
/* interpose the allocator (as a preload may: malloc(3) "Replacing malloc") */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n)
{
	mallocs++;
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	mallocs++;
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	mallocs++;
	return __libc_realloc(p, n);
}

static void start_counting(void)
{
}
#endif

__attribute__((constructor)) static void symcheck(void)
{
	static void *fast[sizeof(names) / sizeof(names[0])];
	static enum shim_sym_result res[sizeof(names) / sizeof(names[0])];
	const size_t n = sizeof(names) / sizeof(names[0]);
	unsigned long in_lookup, in_dlsym;
	unsigned found = 0, absent = 0, unsure = 0, differ = 0;

	start_counting();
	mallocs = 0;
	shim_sym_open(_DYNAMIC);
	for (size_t i = 0; i < n; i++)
		res[i] = shim_sym_lookup(names[i], &fast[i]);
	in_lookup = mallocs;

	mallocs = 0;
	if (dlsym(RTLD_NEXT, "symcheck_no_such_symbol"))
		fprintf(stderr, "symcheck: symcheck_no_such_symbol exists?\n");
	in_dlsym = mallocs;

	for (size_t i = 0; i < n; i++) {
		void *slow = dlsym(RTLD_NEXT, names[i]);

		found += res[i] == SHIM_SYM_FOUND;
		absent += res[i] == SHIM_SYM_ABSENT;
		unsure += res[i] == SHIM_SYM_UNSURE;
		if (res[i] != SHIM_SYM_UNSURE && fast[i] != slow) {
			differ++;
			fprintf(stderr, "symcheck: differs: %s: lookup %p, dlsym %p\n", names[i],
				fast[i], slow);
		}
	}
	fprintf(stderr,
		"symcheck: %zu names, %u found, %u absent, %u unsure, %u differ, "
		"%lu mallocs in the lookups, %lu in a failing dlsym\n",
		n, found, absent, unsure, differ, in_lookup, in_dlsym);
}
