// SPDX-License-Identifier: GPL-2.0
/*
 * top.c - see top.h. No curses: the screen is redrawn whole once per
 * interval (home, clear, at most a screenful of lines no wider than the
 * terminal), which plain ANSI sequences do in a few bytes, and the only
 * input is one key. termios for the keys, the alternate screen so that
 * quitting leaves the shell's screen as it was.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "top.h"

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void count_parse(const cJSON *o, struct top_count *c)
{
	c->packets = num(o, "packets");
	c->bytes = num(o, "bytes");
}

int top_sample_parse(const cJSON *reply, double t, struct top_sample *s)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(reply, "Counters");
	const cJSON *ifs =
		cJSON_GetObjectItemCaseSensitive(reply, "Interfaces");
	const cJSON *o;
	int k;

	if (!cJSON_IsObject(c))
		return -EPROTO;
	s->t = t;
	for (k = 0; k < FWD_CNT_MAX; k++)
		count_parse(cJSON_GetObjectItemCaseSensitive(
				    c, fwd_counter_names[k]),
			    &s->out[k]);
	s->n_ifs = 0;
	cJSON_ArrayForEach(o, ifs)
	{
		struct top_iface_sample *is = &s->ifs[s->n_ifs];
		const cJSON *rx = cJSON_GetObjectItemCaseSensitive(o, "Rx");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "Name");

		if (s->n_ifs == TOP_MAX_IFACES || !cJSON_IsString(name))
			continue;
		snprintf(is->name, sizeof(is->name), "%s", name->valuestring);
		for (k = 0; k < FWD_CNT_MAX; k++)
			count_parse(cJSON_GetObjectItemCaseSensitive(
					    rx, fwd_counter_names[k]),
				    &is->rx[k]);
		count_parse(cJSON_GetObjectItemCaseSensitive(o, "Tx"), &is->tx);
		s->n_ifs++;
	}
	return 0;
}

/* Per second from @a to @b over @dt; a counter that went down restarted. */
static struct top_rate rate(const struct top_count *a,
			    const struct top_count *b, double dt)
{
	struct top_rate r;

	r.pps = (b->packets >= a->packets ? b->packets - a->packets
					  : b->packets) /
		dt;
	r.bps = (b->bytes >= a->bytes ? b->bytes - a->bytes : b->bytes) / dt;
	return r;
}

static bool fast_path(int k)
{
	return k == FWD_CNT_FWD_TABLE || k == FWD_CNT_FWD_FIB ||
	       k == FWD_CNT_FWD_TABLE6 || k == FWD_CNT_FWD_FIB6;
}

static int by_outcome_rate(const void *a, const void *b)
{
	const struct top_outcome_row *x = a, *y = b;

	if (x->r.pps != y->r.pps)
		return x->r.pps < y->r.pps ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int by_iface_rate(const void *a, const void *b)
{
	const struct top_iface_row *x = a, *y = b;
	double rx = x->rx.pps + x->tx.pps, ry = y->rx.pps + y->tx.pps;

	if (rx != ry)
		return rx < ry ? 1 : -1;
	return strcmp(x->name, y->name);
}

void top_view_make(const struct top_sample *prev, const struct top_sample *cur,
		   struct top_view *v)
{
	static const struct top_iface_sample zero;
	double dt = cur->t - prev->t, fast = 0;
	int i, j, k;

	memset(v, 0, sizeof(*v));
	if (dt <= 0)
		dt = 1e-9;
	v->interval = dt;
	for (k = 0; k < FWD_CNT_MAX; k++) {
		struct top_rate r = rate(&prev->out[k], &cur->out[k], dt);

		v->all.pps += r.pps;
		v->all.bps += r.bps;
		if (fast_path(k))
			fast += r.pps;
		if (r.pps > 0 || r.bps > 0)
			v->out[v->n_out++] = (struct top_outcome_row){
				.name = fwd_counter_names[k], .r = r};
	}
	v->fast = v->all.pps > 0 ? fast / v->all.pps : -1;
	qsort(v->out, v->n_out, sizeof(v->out[0]), by_outcome_rate);

	for (i = 0; i < cur->n_ifs && i < TOP_MAX_IFACES; i++) {
		const struct top_iface_sample *c = &cur->ifs[i], *p = &zero;
		struct top_iface_row *row = &v->ifs[v->n_ifs++];
		double rx_fast = 0;

		for (j = 0; j < prev->n_ifs; j++)
			if (!strcmp(prev->ifs[j].name, c->name))
				p = &prev->ifs[j];
		row->name = c->name;
		for (k = 0; k < FWD_CNT_MAX; k++) {
			struct top_rate r = rate(&p->rx[k], &c->rx[k], dt);

			row->rx.pps += r.pps;
			row->rx.bps += r.bps;
			if (fast_path(k))
				rx_fast += r.pps;
		}
		row->tx = rate(&p->tx, &c->tx, dt);
		row->fast = row->rx.pps > 0 ? rx_fast / row->rx.pps : -1;
	}
	qsort(v->ifs, v->n_ifs, sizeof(v->ifs[0]), by_iface_rate);
}

/* @x with an SI suffix in at most 7 characters: 999.9, 12.3k, 1.23M. */
static const char *si(char *buf, size_t len, double x)
{
	static const char *const sfx[] = {"", "k", "M", "G", "T"};
	int i = 0;

	while (x >= 999.95 && i < 4) {
		x /= 1000;
		i++;
	}
	snprintf(buf, len, i && x < 9.995 ? "%.2f%s" : "%.1f%s", x, sfx[i]);
	return buf;
}

static const char *pct(char *buf, size_t len, double share)
{
	if (share < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100 * share);
	return buf;
}

/* One line, cut at @width columns. */
static void line(FILE *f, int width, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void line(FILE *f, int width, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(f, "%.*s\n", width, buf);
}

void top_render(FILE *f, const struct top_view *v, int width, int height)
{
	/* bit/s columns only where they fit: pkt/s and the share first */
	bool wide = width >= 72;
	char a[16], b[16], c[16], d[16], e[16];
	int n_out = v->n_out, n_ifs = v->n_ifs, room;

	if (height > 0) {
		/* header, blank, two table heads, blank, footer: 6 lines */
		room = height - 6 - (n_out ? 0 : 1);
		if (n_ifs > room)
			n_ifs = room > 0 ? room : 0;
		room -= n_ifs;
		if (n_out > room)
			n_out = room > 0 ? room : 0;
	}
	line(f, width,
	     "fwd top: %s pkt/s, %s bit/s, fast path %s (every %.1f s)",
	     si(a, sizeof(a), v->all.pps), si(b, sizeof(b), 8 * v->all.bps),
	     pct(c, sizeof(c), v->fast), v->interval);
	fputc('\n', f);
	if (wide)
		line(f, width, "%-24s %10s %10s %8s", "OUTCOME", "PKT/S",
		     "BIT/S", "SHARE");
	else
		line(f, width, "%-24s %10s %8s", "OUTCOME", "PKT/S", "SHARE");
	for (int i = 0; i < n_out; i++) {
		const struct top_outcome_row *o = &v->out[i];

		si(a, sizeof(a), o->r.pps);
		si(b, sizeof(b), 8 * o->r.bps);
		pct(c, sizeof(c), v->all.pps > 0 ? o->r.pps / v->all.pps : -1);
		if (wide)
			line(f, width, "%-24s %10s %10s %8s", o->name, a, b, c);
		else
			line(f, width, "%-24s %10s %8s", o->name, a, c);
	}
	if (!v->n_out)
		line(f, width, "(no packets)");
	fputc('\n', f);
	if (wide)
		line(f, width, "%-15s %10s %10s %7s %10s %10s", "INTERFACE",
		     "RX PKT/S", "RX BIT/S", "FAST", "TX PKT/S", "TX BIT/S");
	else
		line(f, width, "%-15s %10s %7s %10s", "INTERFACE", "RX PKT/S",
		     "FAST", "TX PKT/S");
	for (int i = 0; i < n_ifs; i++) {
		const struct top_iface_row *r = &v->ifs[i];

		si(a, sizeof(a), r->rx.pps);
		si(b, sizeof(b), 8 * r->rx.bps);
		pct(c, sizeof(c), r->fast);
		si(d, sizeof(d), r->tx.pps);
		si(e, sizeof(e), 8 * r->tx.bps);
		if (wide)
			line(f, width, "%-15s %10s %10s %7s %10s %10s", r->name,
			     a, b, c, d, e);
		else
			line(f, width, "%-15s %10s %7s %10s", r->name, a, c, d);
	}
}

static void rate_json(cJSON *o, const char *pfx, const struct top_rate *r)
{
	char k[32];

	snprintf(k, sizeof(k), "%sPps", pfx);
	cJSON_AddNumberToObject(o, k, r->pps);
	snprintf(k, sizeof(k), "%sBytesPerSecond", pfx);
	cJSON_AddNumberToObject(o, k, r->bps);
}

void top_json(FILE *f, const struct top_view *v, double now)
{
	cJSON *o = cJSON_CreateObject(), *arr, *e;
	char *s;

	if (!o)
		return;
	cJSON_AddNumberToObject(o, "time", now);
	cJSON_AddNumberToObject(o, "interval", v->interval);
	rate_json(o, "", &v->all);
	if (v->fast >= 0)
		cJSON_AddNumberToObject(o, "fastPathShare", v->fast);
	else
		cJSON_AddNullToObject(o, "fastPathShare");
	arr = cJSON_AddArrayToObject(o, "outcomes");
	for (int i = 0; arr && i < v->n_out; i++) {
		e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e))
			break;
		cJSON_AddStringToObject(e, "outcome", v->out[i].name);
		rate_json(e, "", &v->out[i].r);
	}
	arr = cJSON_AddArrayToObject(o, "interfaces");
	for (int i = 0; arr && i < v->n_ifs; i++) {
		e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(arr, e))
			break;
		cJSON_AddStringToObject(e, "interface", v->ifs[i].name);
		rate_json(e, "rx", &v->ifs[i].rx);
		rate_json(e, "tx", &v->ifs[i].tx);
		if (v->ifs[i].fast >= 0)
			cJSON_AddNumberToObject(e, "fastPathShare",
						v->ifs[i].fast);
		else
			cJSON_AddNullToObject(e, "fastPathShare");
	}
	s = cJSON_PrintUnformatted(o);
	if (s)
		fprintf(f, "%s\n", s);
	free(s);
	cJSON_Delete(o);
}

/* ---- the loop ------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sample(top_fetch_fn fetch, void *arg, struct top_sample *s)
{
	cJSON *reply = NULL;
	int err = fetch(arg, &reply);

	if (!err)
		err = top_sample_parse(reply, now_s(CLOCK_MONOTONIC), s);
	cJSON_Delete(reply);
	return err;
}

/*
 * Wait until @deadline (monotonic); true if it came, false if 'q' or a
 * signal ended the wait. Keys are read only from a terminal.
 */
static bool wait_tick(double deadline, bool keys)
{
	for (;;) {
		double left = deadline - now_s(CLOCK_MONOTONIC);
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		char c;

		if (stop)
			return false;
		if (left <= 0)
			return true;
		if (poll(&p, keys ? 1 : 0, (int)(left * 1000) + 1) > 0 &&
		    read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
			return false;
	}
}

int top_run(const struct top_opts *o, top_fetch_fn fetch, void *arg)
{
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
	bool screen = !o->json && isatty(STDOUT_FILENO);
	bool keys = screen && isatty(STDIN_FILENO);
	struct top_sample a = {}, b = {}, *prev = &a, *cur = &b, *t;
	struct termios saved, raw;
	struct top_view *v;
	double next;
	int err = 0, shown = 0;

	a.ifs = calloc(TOP_MAX_IFACES, sizeof(*a.ifs));
	b.ifs = calloc(TOP_MAX_IFACES, sizeof(*b.ifs));
	v = calloc(1, sizeof(*v));
	if (!a.ifs || !b.ifs || !v) {
		err = -ENOMEM;
		goto out_free;
	}
	err = sample(fetch, arg, prev);
	if (err)
		goto out_free;

	/* no SA_RESTART: a signal must end the poll() at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (keys && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		/* one key at a time, unseen; ISIG stays: Ctrl-C is SIGINT */
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		keys = false;
	}
	if (screen) /* the alternate screen, cursor hidden */
		fputs("\033[?1049h\033[?25l", stdout);

	next = prev->t + o->interval;
	while (!o->count || shown < o->count) {
		if (!wait_tick(next, keys))
			break;
		next += o->interval;
		err = sample(fetch, arg, cur);
		if (err)
			break;
		top_view_make(prev, cur, v);
		if (o->json) {
			top_json(stdout, v, now_s(CLOCK_REALTIME));
		} else if (screen) {
			struct winsize ws = {.ws_col = 80, .ws_row = 24};

			ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
			fputs("\033[H\033[2J", stdout);
			top_render(stdout, v, ws.ws_col ? ws.ws_col : 80,
				   ws.ws_row ? ws.ws_row - 1 : 23);
			printf("%.*s", ws.ws_col ? ws.ws_col : 80,
			       keys ? "q or Ctrl-C quits" : "Ctrl-C quits");
		} else {
			if (shown)
				fputc('\n', stdout);
			top_render(stdout, v, 200, 0);
		}
		fflush(stdout);
		shown++;
		t = prev;
		prev = cur;
		cur = t;
		/* a slow fetch must not make the next views catch up */
		if (next < now_s(CLOCK_MONOTONIC))
			next = now_s(CLOCK_MONOTONIC) + o->interval;
	}

	if (screen) {
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out_free:
	free(a.ifs);
	free(b.ifs);
	free(v);
	return err;
}
