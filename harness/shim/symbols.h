/*
 * Looking up a symbol the way dlsym(RTLD_NEXT, name) does, without
 * allocating (symbols.c).
 *
 * Kept apart from shim.h so that tests/shim/symcheck.c can link symbols.c
 * alone and compare it with dlsym in the shim's place.
 */
#ifndef FAULTRUN_SHIM_SYMBOLS_H
#define FAULTRUN_SHIM_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

enum shim_sym_result {
	SHIM_SYM_FOUND,	 /* *out is what dlsym(RTLD_NEXT) returns */
	SHIM_SYM_ABSENT, /* every object after us was read: dlsym fails too */
	SHIM_SYM_UNSURE, /* an object we cannot read: ask dlsym */
};

/*
 * Record the objects after the one whose dynamic section is `self_dynamic`
 * (the caller's own _DYNAMIC), in lookup order, and that object's address
 * range. False if it is not among the loaded objects: then every lookup is
 * SHIM_SYM_UNSURE.
 */
bool shim_sym_open(const void *self_dynamic);

/* The caller's object, as loaded: [*lo, *hi). Zero before shim_sym_open. */
void shim_sym_self_range(uintptr_t *lo, uintptr_t *hi);

/* Look `name` up in the objects recorded by shim_sym_open. */
enum shim_sym_result shim_sym_lookup(const char *name, void **out);

#endif
