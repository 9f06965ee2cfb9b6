/*
 * What a rule's selectors mean, for both backends: the preload shim
 * (harness/shim/fdtable.c, control.c) and the seccomp supervisor
 * (harness/seccomp/sec_decide.c) each gather the facts of a call their own
 * way (the shim's fd table, /proc and pidfd_getfd copies) and decide with
 * these, so that one rule selects the same calls under either.
 *
 * Static inline and free of libc calls but memcmp: the shim's decision
 * path includes it (async-signal-safe, no allocation). Globs are the
 * caller's to match (the shim's compiled per slot, the supervisor's
 * fr_glob_match): they come in as a function.
 */
#ifndef FAULTRUN_FAULT_SELECT_H
#define FAULTRUN_FAULT_SELECT_H

#include <faultrun/rule.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Matches a rule's glob field (r->path or r->unix_path, len bytes) against s. */
typedef bool (*fr_select_glob)(const struct fr_rule *r, const char *glob, size_t len,
			       const char *s);

/* Whether rule r has selectors only a socket can meet (a file never does). */
static inline bool fr_rule_is_sock(const struct fr_rule *r)
{
	return r->unix_path[0] || (r->flags & FR_RULE_HOST) || r->port || r->lport;
}

/*
 * Whether file rule r covers path (NULL: not known, when only a rule
 * without a path applies).
 */
static inline bool fr_rule_match_file(const struct fr_rule *r, const char *path,
				      fr_select_glob glob)
{
	if (fr_rule_is_sock(r))
		return false;
	if (!r->path[0])
		return true;
	return path && glob(r, r->path, sizeof(r->path), path);
}

/*
 * Whether an open's mode admits rule r's mode=: writes is 1 for an open
 * that writes (O_WRONLY, O_RDWR, O_CREAT or O_TRUNC), 0 for a read-only
 * one, -1 when the flags could not be read (only mode=any then).
 */
static inline bool fr_rule_mode_admits(const struct fr_rule *r, int writes)
{
	uint32_t mode = r->open_mode;

	return mode == FR_MODE_ANY ||
	       (writes >= 0 && mode == (writes ? FR_MODE_WRITE : FR_MODE_READ));
}

/* A socket's addresses as a rule sees them. */
struct fr_sock_facts {
	bool peer, local;		    /* known (connected, bound) */
	uint16_t peer_family, local_family; /* AF_INET, AF_INET6, AF_UNIX */
	uint16_t peer_port, local_port;	    /* host order */
	const uint8_t *peer_addr;	    /* 16 bytes, IPv4 in the first 4 */
	const char *unix_path;		    /* the unix socket's path; NULL: none */
};

/* Whether host=, the rule's address, is addr (of family). */
static inline bool fr_rule_host_equal(const struct fr_rule *r, uint16_t family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == r->host_family)
		return memcmp(addr, r->host, family == AF_INET ? 4 : 16) == 0;
	/* an IPv4 rule also matches ::ffff:a.b.c.d on a dual-stack socket (ipv6(7)) */
	if (family == AF_INET6 && r->host_family == AF_INET)
		return memcmp(addr, mapped, 12) == 0 && memcmp(addr + 12, r->host, 4) == 0;
	return false;
}

/* Whether socket rule r (host=, port=, lport=, unix=; no path=) selects a socket of facts f. */
static inline bool fr_rule_match_sock(const struct fr_rule *r, const struct fr_sock_facts *f,
				      fr_select_glob glob)
{
	if (r->path[0])
		return false;
	if ((r->flags & FR_RULE_HOST) &&
	    !(f->peer && fr_rule_host_equal(r, f->peer_family, f->peer_addr)))
		return false;
	if (r->port && !(f->peer && f->peer_family != AF_UNIX && f->peer_port == r->port))
		return false;
	if (r->lport && !(f->local && f->local_family != AF_UNIX && f->local_port == r->lport))
		return false;
	if (r->unix_path[0] &&
	    !(f->unix_path && glob(r, r->unix_path, sizeof(r->unix_path), f->unix_path)))
		return false;
	return true;
}

#endif /* FAULTRUN_FAULT_SELECT_H */
