/*
 * libcurl multi on the runner's loop. See http.h.
 */
#define _GNU_SOURCE
#include "io/http.h"
#include "util/xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <faultrun/control.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define BODY_MAX (64 * 1024)

struct fr_http_client {
	struct fr_loop *loop;
	CURLM *multi;
	struct fr_timer timer;
	struct fr_http_xfer *xfers; /* doubly linked */
};

struct fr_http_xfer {
	struct fr_http_client *c;
	struct fr_http_xfer *prev, *next;
	CURL *easy;
	struct curl_slist *hdrs;
	fr_http_fn fn;
	void *arg;
	uint64_t start, timeout;
	char errbuf[CURL_ERROR_SIZE];
	char *body;
	size_t body_len;
};

struct sockw {
	struct fr_watch w;
	struct fr_http_client *c;
	curl_socket_t fd;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void check_done(struct fr_http_client *c);

static void on_sock(struct fr_watch *w, uint32_t events)
{
	struct sockw *sw = w->arg;
	struct fr_http_client *c = sw->c;
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, sw->fd, flags, &running);
	check_done(c);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct fr_http_client *c = userp;
	struct sockw *sw = sockp;
	uint32_t ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (sw) {
			fr_watch_stop(c->loop, &sw->w);
			free(sw);
		}
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	if (!sw) {
		sw = fr_xcalloc(1, sizeof(*sw));
		sw->c = c;
		sw->fd = s;
		fr_watch_init(&sw->w, on_sock, sw);
		curl_multi_assign(c->multi, s, sw);
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (sw->w.fd < 0) {
		if (fr_watch_start(c->loop, &sw->w, s, ev) < 0)
			return -1;
	} else if (ev != sw->w.events) {
		fr_watch_modify(c->loop, &sw->w, ev);
	}
	return 0;
}

static void on_timer(struct fr_timer *t)
{
	struct fr_http_client *c = t->arg;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct fr_http_client *c = userp;

	(void)m;
	if (timeout_ms < 0)
		fr_timer_stop(c->loop, &c->timer);
	else
		fr_timer_start(c->loop, &c->timer,
			       fr_loop_now(c->loop) + (uint64_t)timeout_ms * 1000000ull);
	return 0;
}

struct fr_http_client *fr_http_client_create(struct fr_loop *l)
{
	struct fr_http_client *c;

	pthread_once(&curl_once, curl_init_once);
	c = fr_xcalloc(1, sizeof(*c));
	c->loop = l;
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return NULL;
	}
	fr_timer_init(&c->timer, on_timer, c);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

static void xfer_free(struct fr_http_client *c, struct fr_http_xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		c->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	curl_multi_remove_handle(c->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	free(x->body);
	free(x);
}

void fr_http_client_destroy(struct fr_http_client *c)
{
	if (!c)
		return;
	while (c->xfers)
		xfer_free(c, c->xfers);
	fr_timer_stop(c->loop, &c->timer);
	curl_multi_cleanup(c->multi);
	free(c);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fr_http_xfer *x = userdata;
	size_t n = size * nmemb, take = n;

	if (x->body_len + take > BODY_MAX)
		take = BODY_MAX - x->body_len;
	if (take) {
		if (!x->body)
			x->body = fr_xmalloc(BODY_MAX + 1);
		memcpy(x->body + x->body_len, ptr, take);
		x->body_len += take;
		x->body[x->body_len] = 0;
	}
	return n;
}

static void fmt_timeout(char *buf, size_t len, uint64_t ns)
{
	if (ns % 1000000000ull == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ull));
	else
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
}

static void finish(struct fr_http_client *c, struct fr_http_xfer *x, CURLcode rc)
{
	struct fr_http_result r;
	long os_errno = 0;
	char t[32];

	memset(&r, 0, sizeof(r));
	r.start_ns = x->start;
	r.latency_ns = fr_now_ns() - x->start;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
	r.body = x->body ? x->body : "";
	r.body_len = x->body_len;
	if (rc == CURLE_OK) {
		r.answered = true;
		snprintf(r.detail, sizeof(r.detail), "HTTP %ld", r.status);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		r.timeout = true;
		fmt_timeout(t, sizeof(t), x->timeout);
		snprintf(r.detail, sizeof(r.detail), "timeout after %s%s", t,
			 r.status ? " (response incomplete)" : "");
		r.status = 0;
	} else if (rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED) {
		snprintf(r.detail, sizeof(r.detail), "connection refused");
	} else if (rc == CURLE_GOT_NOTHING) {
		snprintf(r.detail, sizeof(r.detail), "empty reply (connection closed)");
	} else if (rc == CURLE_RECV_ERROR && os_errno == ECONNRESET) {
		snprintf(r.detail, sizeof(r.detail), "connection reset");
	} else {
		const char *m = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
		size_t ml = strcspn(m, "\n");
		snprintf(r.detail, sizeof(r.detail), "%.*s", (int)ml, m);
		r.status = 0;
	}
	fr_http_fn fn = x->fn;
	void *arg = x->arg;
	/* free before the callback: it may start the next request */
	char *body = x->body;
	x->body = NULL;
	xfer_free(c, x);
	fn(arg, &r);
	free(body);
}

static void check_done(struct fr_http_client *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct fr_http_xfer *x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			finish(c, x, m->data.result);
	}
}

struct fr_http_xfer *fr_http_send(struct fr_http_client *c, const char *method, const char *url,
				  const char *const *headers, size_t nheaders, const char *body,
				  uint64_t timeout_ns, fr_http_fn fn, void *arg)
{
	struct fr_http_xfer *x = fr_xcalloc(1, sizeof(*x));
	long ms = (long)((timeout_ns + 999999) / 1000000);

	x->easy = curl_easy_init();
	if (!x->easy) {
		free(x);
		return NULL;
	}
	x->c = c;
	x->fn = fn;
	x->arg = arg;
	x->timeout = timeout_ns;
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT,
			 "faultrun/"
			 "probe");
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	}
	if (method) {
		if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		else if (strcmp(method, "POST") == 0 && !body)
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}
	for (size_t i = 0; i < nheaders; i++) {
		struct curl_slist *h = curl_slist_append(x->hdrs, headers[i]);
		if (h)
			x->hdrs = h;
	}
	if (x->hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	x->start = fr_now_ns();
	x->next = c->xfers;
	if (c->xfers)
		c->xfers->prev = x;
	c->xfers = x;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		xfer_free(c, x);
		return NULL;
	}
	return x;
}

void fr_http_cancel_all(struct fr_http_client *c)
{
	while (c && c->xfers)
		xfer_free(c, c->xfers);
}

void fr_http_cancel(struct fr_http_client *c, struct fr_http_xfer *x)
{
	if (x)
		xfer_free(c, x);
}
