/*
 * faultrun — HTTP for probes, load and timeline requests: libcurl's multi
 * interface driven by the runner's event loop (its sockets are loop
 * watches, its timeout a loop timer), so a hung server never blocks
 * anything else.
 */
#ifndef FAULTRUN_HTTP_H
#define FAULTRUN_HTTP_H

#include "util/loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fr_http_client;
struct fr_http_xfer;

struct fr_http_result {
	bool answered; /* a complete HTTP response (any status) */
	bool timeout;  /* hit the timeout */
	long status;   /* HTTP status, 0 when none */
	uint64_t start_ns, latency_ns;
	char detail[160];
	const char *body; /* the first 64 KiB of the body (NUL-terminated) */
	size_t body_len;
};

typedef void (*fr_http_fn)(void *arg, const struct fr_http_result *r);

struct fr_http_client *fr_http_client_create(struct fr_loop *l);
/* Abort every transfer (no callbacks) and free. NULL is a no-op. */
void fr_http_client_destroy(struct fr_http_client *c);

/*
 * Start a request. method NULL: GET (POST when body is given). headers
 * are "Name: value" strings. fn runs once, from the loop, when it ends.
 * Each request uses a fresh connection (like a health checker).
 * Returns the transfer (for fr_http_cancel) or NULL on failure.
 */
struct fr_http_xfer *fr_http_send(struct fr_http_client *c, const char *method, const char *url,
				  const char *const *headers, size_t nheaders, const char *body,
				  uint64_t timeout_ns, fr_http_fn fn, void *arg);

/* Abort a transfer without calling its callback. */
void fr_http_cancel(struct fr_http_client *c, struct fr_http_xfer *x);

/*
 * Abort every transfer (no callbacks). Safe from inside a callback, unlike
 * fr_http_client_destroy().
 */
void fr_http_cancel_all(struct fr_http_client *c);

#endif /* FAULTRUN_HTTP_H */
