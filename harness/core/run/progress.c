/*
 * faultrun — the runner's progress: one line per event on o->progress
 * ("[name  12.345s] ..."), and on a terminal a live status line below
 * them.
 */
#define _GNU_SOURCE
#include "run/run_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>

void run_status_clear(struct run *r)
{
	if (r->status_shown && r->o->progress) {
		fputs("\r\033[K", r->o->progress);
		r->status_shown = false;
	}
}

void run_status_draw(struct run *r)
{
	FILE *out = r->o->progress;
	struct fr_buf b = { 0 };
	struct winsize ws;
	size_t width = 100;

	if (!out || !r->o->tty || r->o->verbosity < 1)
		return;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		width = ws.ws_col - 1;
	if (r->phase == PH_STARTING) {
		fr_buf_printf(&b, "%s  starting the target (%.1fs)", r->s->name,
			      (double)(fr_loop_now(r->loop) - r->run_start) / 1e9);
	} else if (r->phase == PH_RUNNING || r->phase == PH_DRAINING) {
		fr_buf_printf(&b, "%s  %5.1fs/%.0fs", r->s->name, (double)run_rel_now(r) / 1e9,
			      (double)r->s->duration_ns / 1e9);
		bool any = false;
		for (size_t i = 0; i < r->s->nfaults; i++)
			if (r->armed[i]) {
				fr_buf_printf(&b, "%s%s",
					      any ? "," : "  armed: ", r->s->faults[i].name);
				any = true;
			}
		for (size_t i = 0; i < r->s->nprobes; i++) {
			struct probe *p = &r->probes[i];
			fr_buf_printf(&b, "  %s %s", p->p->name,
				      p->state < 0 ? "…" :
				      p->state	   ? "ok" :
				      p->p->lb.on  ? "OUT" :
						     "RED");
		}
		if (!r->tg.running)
			fr_buf_printf(&b, "  target DOWN");
	} else {
		fr_buf_printf(&b, "%s  stopping", r->s->name);
	}
	if (b.len > width) {
		b.len = width;
		b.p[width] = 0;
	}
	fprintf(out, "\r\033[K%s", b.p ? b.p : "");
	fflush(out);
	r->status_shown = true;
	fr_buf_free(&b);
}

void run_say(struct run *r, const char *fmt, ...)
{
	FILE *out = r->o->progress;
	va_list ap;

	if (!out || r->o->verbosity < 1)
		return;
	run_status_clear(r);
	if (r->t0)
		fprintf(out, "[%s %7.3fs] ", r->s->name, (double)run_rel_now(r) / 1e9);
	else
		fprintf(out, "[%s   setup] ", r->s->name);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	if (r->o->tty)
		run_status_draw(r);
	else
		fflush(out);
}
