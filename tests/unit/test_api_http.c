// SPDX-License-Identifier: GPL-2.0
/*
 * test_api_http.c - the HTTP server over real sockets with a fake table:
 * routes, methods, limits, tokens, group commit and the durability rule.
 *
 * The server runs in the real event loop on a thread of its own (it is
 * still the only thread touching the fake table); the test thread is the
 * client, with libcurl. Runs in its own network namespace under
 * isolate.sh, so the fixed port is free.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>

#include <dirent.h>
#include <sys/utsname.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "actions.h"
#include "api.h"
#include "api_fake.h"
#include "build_id.h"
#include "loop.h"
#include "metrics.h"

#define PORT "15555"
#define URL "http://127.0.0.1:" PORT
/* isolate.sh gives the suite a /run of its own */
#define CTL_DIR "/run/fwd-test"
#define CTL CTL_DIR "/api.sock"

struct server {
	struct loop *loop;
	struct api *api;
	struct fake fk;
	struct api_ops ops;
	int stop[2]; /* pipe: the test thread asks the loop to stop */
	pthread_t thread;
};

static struct server srv;

struct resp {
	long status;
	char body[1 << 17];
	size_t len;
	char allow[64];
};

static void on_stop(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	loop_stop(loop);
}

static void *serve(void *arg)
{
	struct server *s = arg;

	loop_run(s->loop);
	return NULL;
}

/* A walk the next start() gives its server instead of the fake's. */
static int (*walk_instead)(void *arg,
			   int (*fn)(const struct api_row *row, void *ctx),
			   void *ctx);

static int start(struct server *s, const struct api_opts *o)
{
	int err;

	memset(&s->fk, 0, sizeof(s->fk));
	s->ops = fake_ops(&s->fk);
	if (walk_instead)
		s->ops.walk = walk_instead;
	fake_learn(&s->fk, "10.10.3.10", 4, "08:00:27:f2:cb:f9");
	s->loop = loop_new();
	if (!s->loop || pipe(s->stop))
		return -1;
	err = api_open(&s->api, s->loop, o, &s->ops);
	if (err) {
		loop_free(s->loop);
		close(s->stop[0]);
		close(s->stop[1]);
		return err;
	}
	loop_add(s->loop, s->stop[0], EPOLLIN, on_stop, s);
	return pthread_create(&s->thread, NULL, serve, s) ? -1 : 0;
}

static void stop(struct server *s)
{
	if (write(s->stop[1], "x", 1) != 1)
		return;
	pthread_join(s->thread, NULL);
	api_close(s->api);
	loop_del(s->loop, s->stop[0]);
	loop_free(s->loop);
	close(s->stop[0]);
	close(s->stop[1]);
}

static int setup(void **state)
{
	struct api_opts o = {.control = CTL,
			     .control_gid = -1,
			     .listen = "127.0.0.1:" PORT,
			     .insecure_listen = true};

	(void)state;
	return start(&srv, &o);
}

static int teardown(void **state)
{
	(void)state;
	stop(&srv);
	return 0;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = sz * n;

	if (r->len + len >= sizeof(r->body))
		return 0;
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = sz * n;

	if (len > 7 && !strncasecmp(p, "Allow: ", 7))
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)len - 9,
			 p + 7);
	return len;
}

static CURL *request(const char *method, const char *path,
		     struct curl_slist *hdrs, const char *body, long len,
		     struct resp *r)
{
	CURL *c = curl_easy_init();
	char url[256];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", URL, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, len);
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	return c;
}

static long http(const char *method, const char *path, const char *hdr,
		 const char *body, struct resp *r)
{
	struct curl_slist *h = hdr ? curl_slist_append(NULL, hdr) : NULL;
	CURL *c = request(method, path, h, body, body ? (long)strlen(body) : 0,
			  r);
	CURLcode rc = curl_easy_perform(c);

	if (rc != CURLE_OK)
		print_error("curl: %s\n", curl_easy_strerror(rc));
	assert_int_equal(rc, CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r->status;
}

static int connect_raw(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(atoi(PORT))};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Closed by the server within @ms? */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) <= 0;
}

static long ctl_get(const char *sock, const char *path);
static int connect_from(const char *src);
static void restart_with_token(long control_gid);

#define JSON "Content-Type: application/json"
#define SEED_UPDATE                                             \
	"{\"action\":\"UpdateForward\","                        \
	"\"traceId\":\"1fabb3c6-bd56-48a7-ac41-132c8228f421\"," \
	"\"ip\":\"10.10.3.5\",\"iface\":\"4\","                 \
	"\"srcMac\":\"08:00:27:13:df:b6\",\"dstMac\":\"08:00:27:f2:cb:f9\"}"

static void test_seed_update_is_acknowledged_only_once_durable(void **st)
{
	struct resp r;

	(void)st;
	assert_int_equal(http("POST", "/", JSON, SEED_UPDATE, &r), 200);
	assert_string_equal(
		r.body,
		"{\"code\":200,"
		"\"traceId\":\"1fabb3c6-bd56-48a7-ac41-132c8228f421\"}");
	/* the reply came after a flush that covered the change */
	assert_int_equal(__atomic_load_n(&srv.fk.gen, __ATOMIC_SEQ_CST), 1);
	assert_int_equal(__atomic_load_n(&srv.fk.durable_gen, __ATOMIC_SEQ_CST),
			 1);
	assert_int_equal(__atomic_load_n(&srv.fk.flushes, __ATOMIC_SEQ_CST), 1);

	/* curl -d's default form content type, as the original's users */
	assert_int_equal(http("POST", "/", NULL,
			      "{\"action\":\"QueryForward\",\"traceId\":\"q\","
			      "\"ip\":\"10.10.3.5\"}",
			      &r),
			 200);
	assert_string_equal(r.body,
			    "{\"code\":200,\"traceId\":\"q\",\"Tables\":["
			    "{\"Ip\":\"10.10.3.5\",\"Iface\":4,"
			    "\"SrcMac\":\"08:00:27:13:df:b6\","
			    "\"DstMac\":\"08:00:27:f2:cb:f9\","
			    "\"Source\":\"override\"}]}");
	/* queries never flush */
	assert_int_equal(__atomic_load_n(&srv.fk.flushes, __ATOMIC_SEQ_CST), 1);
}

static void test_failed_flush_is_reported_as_1200(void **st)
{
	struct resp r;

	(void)st;
	__atomic_store_n(&srv.fk.fail_flush, -EIO, __ATOMIC_SEQ_CST);
	assert_int_equal(http("POST", "/", JSON, SEED_UPDATE, &r), 500);
	assert_non_null(strstr(r.body, "\"code\":1200"));
	assert_non_null(strstr(r.body, "not made durable"));
	assert_non_null(
		strstr(r.body, "\"traceId\":\"1fabb3c6-bd56-48a7-ac41-"));
	__atomic_store_n(&srv.fk.fail_flush, 0, __ATOMIC_SEQ_CST);
}

static void test_concurrent_updates_share_flushes(void **st)
{
	enum { N = 48 };
	static struct resp r[N];
	static char body[N][256];
	CURLM *m = curl_multi_init();
	CURL *c[N];
	int i, running, ok = 0, flushes;

	(void)st;
	/*
	 * A flush as slow as a disk's fsync: the requests that arrive while
	 * it runs must all ride on the next one.
	 */
	__atomic_store_n(&srv.fk.flush_us, 20000, __ATOMIC_SEQ_CST);
	for (i = 0; i < N; i++) {
		snprintf(body[i], sizeof(body[i]),
			 "{\"action\":\"UpdateForward\",\"ip\":\"10.1.0.%d\","
			 "\"iface\":4,\"dstMac\":\"02:00:00:00:00:%02x\"}",
			 i + 1, i + 1);
		c[i] = request("POST", "/", NULL, body[i],
			       (long)strlen(body[i]), &r[i]);
		curl_multi_add_handle(m, c[i]);
	}
	do {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	} while (running);
	for (i = 0; i < N; i++) {
		long status = 0;

		curl_easy_getinfo(c[i], CURLINFO_RESPONSE_CODE, &status);
		ok += status == 200;
		curl_multi_remove_handle(m, c[i]);
		curl_easy_cleanup(c[i]);
	}
	curl_multi_cleanup(m);
	flushes = __atomic_load_n(&srv.fk.flushes, __ATOMIC_SEQ_CST);
	print_message("# %d updates, %d flushes\n", ok, flushes);
	assert_int_equal(ok, N);
	assert_int_equal(srv.fk.nrows, N + 1);
	assert_int_equal(__atomic_load_n(&srv.fk.durable_gen, __ATOMIC_SEQ_CST),
			 N);
	assert_true(flushes >= 1 && flushes <= N / 4);
}

static void test_routes_methods_and_content_type(void **st)
{
	struct resp r;

	(void)st;
	assert_int_equal(http("GET", "/", NULL, NULL, &r), 405);
	assert_non_null(strstr(r.body, "\"code\":1004"));
	assert_string_equal(r.allow, "POST");
	assert_int_equal(http("PUT", "/metrics", NULL, "x", &r), 405);
	assert_string_equal(r.allow, "GET, HEAD");
	assert_int_equal(http("GET", "/nope", NULL, NULL, &r), 404);
	assert_non_null(strstr(r.body, "\"code\":1003"));
	assert_int_equal(http("POST", "/", "Content-Type: application/xml",
			      "{\"action\":\"QueryStats\"}", &r),
			 400);
	assert_non_null(strstr(r.body, "\"code\":1000"));
	assert_int_equal(http("POST", "/", JSON, "", &r), 400);
	assert_non_null(strstr(r.body, "\"code\":1000"));
	assert_int_equal(http("POST", "/", JSON, "{\"action\":\"X\"}", &r),
			 400);
	assert_non_null(strstr(r.body, "\"code\":1101"));
	assert_int_equal(http("GET", "/healthz", NULL, NULL, &r), 200);
	assert_string_equal(r.body, "ok\n");
	assert_int_equal(srv.fk.gen, 0);
}

static void test_metrics_are_prometheus_text(void **st)
{
	struct resp r;

	(void)st;
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "# HELP fwd_packets_total "));
	assert_non_null(strstr(r.body, "# TYPE fwd_packets_total counter\n"));
	/* the fake's counters: packets 10 * i + 1, bytes 1000 * i + 64 */
	assert_non_null(strstr(
		r.body, "\nfwd_packets_total{outcome=\"fwd_table\"} 1\n"));
	assert_non_null(strstr(
		r.body, "\nfwd_packets_total{outcome=\"fwd_fib\"} 11\n"));
	assert_non_null(strstr(
		r.body, "\nfwd_bytes_total{outcome=\"fwd_fib\"} 1064\n"));
	assert_non_null(
		strstr(r.body, "\nfwd_table_entries{source=\"learned\"} 1\n"));
	assert_non_null(strstr(r.body, "\nfwd_resyncs_total 2\n"));
	assert_non_null(strstr(r.body, "\nfwd_netlink_events_total 345\n"));
	assert_non_null(strstr(r.body, "\nfwd_uptime_seconds 67\n"));
}

/* Every series of one family, in @body: how many lines start with @name{. */
static int series_count(const char *body, const char *name)
{
	char pfx[128];
	int n = 0;

	snprintf(pfx, sizeof(pfx), "\n%s{", name);
	for (const char *p = body; (p = strstr(p, pfx)); p++)
		n++;
	return n;
}

static void test_metrics_per_interface_rx_by_outcome_and_tx(void **st)
{
	struct resp r;

	(void)st;
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "# TYPE fwd_interface_packets_total "
				       "counter\n"));
	assert_non_null(
		strstr(r.body, "# TYPE fwd_interface_bytes_total counter\n"));
	/* the fake: rx packets 100 * ifindex + outcome, tx 1000 * ifindex */
	assert_non_null(strstr(r.body, "\nfwd_interface_packets_total{"
				       "interface=\"enp0s3\",direction=\"rx\","
				       "outcome=\"fwd_table\"} 200\n"));
	assert_non_null(strstr(r.body, "\nfwd_interface_bytes_total{"
				       "interface=\"enp0s8\",direction=\"rx\","
				       "outcome=\"fwd_fib\"} 19264\n"));
	assert_non_null(strstr(r.body, "\nfwd_interface_packets_total{"
				       "interface=\"enp0s9\",direction=\"rx\","
				       "outcome=\"pass6_ndp\"} 437\n"));
	assert_non_null(strstr(r.body, "\nfwd_interface_packets_total{"
				       "interface=\"enp0s9\",direction=\"tx\","
				       "outcome=\"redirected\"} 4000\n"));
	/* a name with `"` and `\` comes out escaped */
	assert_non_null(strstr(r.body,
			       "\nfwd_interface_packets_total{"
			       "interface=\"a\\\"b\\\\c\",direction="
			       "\"tx\",outcome=\"redirected\"} 5000\n"));
	/* each interface: every outcome rx, and tx */
	assert_int_equal(series_count(r.body, "fwd_interface_packets_total"),
			 4 * (FWD_CNT_MAX + 1));
	assert_int_equal(series_count(r.body, "fwd_interface_bytes_total"),
			 4 * (FWD_CNT_MAX + 1));
}

static void test_metrics_build_info_names_what_runs(void **st)
{
	char want[512];
	struct utsname u;
	struct resp r;

	(void)st;
	assert_int_equal(uname(&u), 0);
	assert_true(strlen(FWD_COMMIT) > 0);
	snprintf(want, sizeof(want),
		 "\nfwd_build_info{version=\"%s\",commit=\"%s\",libbpf=\"%s\","
		 "kernel=\"%s\"} 1\n",
		 FWD_VERSION, FWD_COMMIT, libbpf_version_string(), u.release);
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "# TYPE fwd_build_info gauge\n"));
	if (!strstr(r.body, want))
		fail_msg("no %s in /metrics", want + 1);
}

static long fds_now(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", "..", the stream's own */
}

/*
 * The process collector's series, checked against what this process
 * (the server runs in it) is: started before now and not long ago,
 * about as many fds open as /proc/self/fd shows around the request.
 */
static void test_metrics_process_series_describe_this_process(void **st)
{
	double start, cpu;
	long fds, lo, hi, max, rss;
	struct resp r;
	const char *p;

	(void)st;
	lo = fds_now();
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 200);
	hi = fds_now();
	p = strstr(r.body, "\nprocess_start_time_seconds ");
	assert_non_null(p);
	start = strtod(p + 28, NULL);
	assert_true(start <= (double)time(NULL) + 1);
	assert_true(start > (double)time(NULL) - 3600);
	assert_non_null(strstr(r.body, "# TYPE process_cpu_seconds_total "
				       "counter\n"));
	p = strstr(r.body, "\nprocess_cpu_seconds_total ");
	assert_non_null(p);
	cpu = strtod(p + 27, NULL);
	assert_true(cpu >= 0 && cpu < 3600);
	p = strstr(r.body, "\nprocess_resident_memory_bytes ");
	assert_non_null(p);
	rss = strtol(p + 31, NULL, 10);
	assert_true(rss > 1024 * 1024);
	p = strstr(r.body, "\nprocess_open_fds ");
	assert_non_null(p);
	fds = strtol(p + 18, NULL, 10);
	/* the request's sockets, both ends, and curl's own are open */
	if (fds < (lo < hi ? lo : hi) || fds > (lo > hi ? lo : hi) + 8)
		fail_msg("process_open_fds %ld, /proc/self/fd %ld..%ld", fds,
			 lo, hi);
	p = strstr(r.body, "\nprocess_max_fds ");
	assert_non_null(p);
	max = strtol(p + 17, NULL, 10);
	assert_int_equal(max, sysconf(_SC_OPEN_MAX));
	assert_non_null(strstr(r.body, "\nprocess_virtual_memory_bytes "));
}

/* Cumulative buckets: each observation in every bucket at or above it. */
static void test_latency_histogram_buckets_are_cumulative(void **st)
{
	struct api_counts c = {};

	(void)st;
	api_latency_observe(&c, 50);	  /* <= 100 us */
	api_latency_observe(&c, 3000);	  /* <= 5 ms */
	api_latency_observe(&c, 5000);	  /* <= 5 ms: bounds are inclusive */
	api_latency_observe(&c, 2000000); /* beyond 1 s: +Inf only */
	assert_int_equal(c.latency_le[0], 1);  /* 0.0001 */
	assert_int_equal(c.latency_le[4], 1);  /* 0.0025 */
	assert_int_equal(c.latency_le[5], 3);  /* 0.005 */
	assert_int_equal(c.latency_le[11], 3); /* 1 */
	assert_int_equal(c.latency_count, 4);
	assert_int_equal(c.latency_sum_us, 2008050);
}

/* The server observes each response it sends, /metrics' own included. */
static void test_metrics_latency_histogram_counts_requests(void **st)
{
	struct resp r;
	const char *p;
	long count, inf;

	(void)st;
	for (int i = 0; i < 3; i++)
		assert_int_equal(http("GET", "/healthz", NULL, NULL, &r), 200);
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "# TYPE fwd_api_request_duration_"
				       "seconds histogram\n"));
	static const char cnt[] = "\nfwd_api_request_duration_seconds_count ";
	static const char all[] =
		"\nfwd_api_request_duration_seconds_bucket{le=\"+Inf\"} ";

	p = strstr(r.body, cnt);
	assert_non_null(p);
	count = strtol(p + strlen(cnt), NULL, 10);
	p = strstr(r.body, all);
	assert_non_null(p);
	inf = strtol(p + strlen(all), NULL, 10);
	/* the three /healthz; /metrics is counted once it is sent */
	assert_int_equal(count, 3);
	assert_int_equal(inf, 3);
	assert_non_null(strstr(
		r.body,
		"\nfwd_api_request_duration_seconds_bucket{le=\"1\"} 3\n"));
}

/* proc(5)'s fields counted from the last ')': a comm may hold both. */
static void test_proc_parse_reads_fields_after_the_last_paren(void **st)
{
	const char *stat =
		"4242 (fw) d (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
		"250 150 0 0 20 0 1 0 12345 1000000 50 18446744073709551615 "
		"1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	const char *proc_stat = "cpu  1 2 3 4\nintr 5\nctxt 6\n"
				"btime 1700000000\nprocesses 7\n";
	struct api_proc p;

	(void)st;
	assert_int_equal(api_proc_parse(stat, proc_stat, 100, 4096, &p), 0);
	assert_true(p.cpu_seconds > 3.999 && p.cpu_seconds < 4.001);
	assert_true(p.start_time_seconds > 1700000123.449 &&
		    p.start_time_seconds < 1700000123.451);
	assert_int_equal(p.virtual_bytes, 1000000);
	assert_int_equal(p.resident_bytes, 50 * 4096);
	/* no btime, a cut line, no ')' */
	assert_int_equal(api_proc_parse(stat, "cpu 1\n", 100, 4096, &p),
			 -EINVAL);
	assert_int_equal(
		api_proc_parse("4242 (fwd) S 1 2", proc_stat, 100, 4096, &p),
		-EINVAL);
	assert_int_equal(api_proc_parse("4242 fwd S", proc_stat, 100, 4096, &p),
			 -EINVAL);
}

static void test_oversized_bodies_get_413(void **st)
{
	static char big[API_BODY_MAX + 2];
	struct curl_slist *h;
	struct resp r;
	CURL *c;

	(void)st;
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "{\"action\":\"QueryStats\"}", 23);
	/* exactly the limit is fine */
	big[API_BODY_MAX] = '\0';
	assert_int_equal(http("POST", "/", JSON, big, &r), 200);
	/* one more byte: refused from Content-Length, before the body */
	big[API_BODY_MAX] = ' ';
	assert_int_equal(http("POST", "/", JSON, big, &r), 413);
	assert_non_null(strstr(r.body, "\"code\":1001"));

	/* chunked: no length up front, counted as it arrives */
	h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	c = request("POST", "/", h, big, (long)strlen(big), &r);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "\"code\":1001"));
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	/* still serving */
	assert_int_equal(http("GET", "/healthz", NULL, NULL, &r), 200);
}

/*
 * Issue 25 item 9: a body over 64 KiB on the control socket gets the 413
 * (code 1001) that TCP clients get, not a broken pipe: the server reads
 * and drops it (up to a bound), then answers. The client sends the body
 * only after the server had time to answer its headers, as a slow or
 * large upload does: a server that answered and closed at once makes
 * this send fail (EPIPE).
 */
static void test_oversized_body_on_the_control_socket_gets_413(void **st)
{
	static char big[300000];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t sizes[] = {API_BODY_MAX + 1, 70000, sizeof(big)};
	char hdr[256], reply[2048];
	size_t off, i;
	ssize_t n;
	int fd;

	(void)st;
	strcpy(sun.sun_path, CTL);
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"action\":\"QueryStats\"}", 23);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(
			connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
		n = snprintf(hdr, sizeof(hdr),
			     "POST / HTTP/1.1\r\nHost: x\r\n" JSON
			     "\r\nContent-Length: %zu\r\n\r\n",
			     sizes[i]);
		assert_int_equal(send(fd, hdr, n, MSG_NOSIGNAL), n);
		usleep(200000);
		for (off = 0; off < sizes[i]; off += n) {
			n = send(fd, big + off, sizes[i] - off, MSG_NOSIGNAL);
			if (n <= 0)
				print_error("send at %zu of %zu: %s\n", off,
					    sizes[i], strerror(errno));
			assert_true(n > 0);
		}
		off = 0;
		reply[0] = '\0';
		while (off < sizeof(reply) - 1 && !strstr(reply, "}")) {
			struct pollfd p = {.fd = fd, .events = POLLIN};

			assert_int_equal(poll(&p, 1, 5000), 1);
			n = read(fd, reply + off, sizeof(reply) - 1 - off);
			if (n <= 0)
				break;
			off += n;
			reply[off] = '\0';
		}
		assert_non_null(strstr(reply, "HTTP/1.1 413"));
		assert_non_null(strstr(reply, "\"code\":1001"));
		close(fd);
	}
	assert_int_equal(ctl_get(CTL, "/healthz"), 200);
}

/* Send @raw on a new TCP connection; the reply's first bytes in @buf. */
static void raw_request(const char *raw, char *buf, size_t size)
{
	struct pollfd p;
	size_t off = 0;
	ssize_t n;
	int fd = connect_raw();

	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	buf[0] = '\0';
	while (off < size - 1 && !strstr(buf, "}") && !strstr(buf, "ok\n")) {
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd, buf + off, size - 1 - off);
		if (n <= 0)
			break;
		off += n;
		buf[off] = '\0';
	}
	close(fd);
}

/*
 * Issue 25 item 10: RFC 9112 3.2: an HTTP/1.1 request without Host is
 * answered 400 (code 1005) and not served; HTTP/1.0 needs none.
 */
static void test_http11_without_host_is_400(void **st)
{
	static const char body[] =
		"{\"action\":\"UpdateForward\",\"ip\":\"10.1.0.1\","
		"\"iface\":4,\"dstMac\":\"02:00:00:00:00:01\"}";
	char req[512], buf[2048];

	(void)st;
	snprintf(req, sizeof(req),
		 "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	raw_request(req, buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 400"));
	assert_non_null(strstr(buf, "\"code\":1005"));
	assert_non_null(strstr(buf, "Host"));
	assert_int_equal(srv.fk.gen, 0); /* not served */
	raw_request("GET /healthz HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 400"));
	raw_request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", buf,
		    sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	raw_request("GET /healthz HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 200 "));
}

static void test_huge_headers_are_refused(void **st)
{
	static char hdr[20000];
	struct resp r;

	(void)st;
	memset(hdr, 'a', sizeof(hdr) - 1);
	memcpy(hdr, "X-Big: ", 7);
	assert_int_equal(http("GET", "/healthz", hdr, NULL, &r), 431);
	assert_int_equal(http("GET", "/healthz", NULL, NULL, &r), 200);
}

/* Restart the server with TCP behind the token "s3cret-token". */
static void restart_with_token(long control_gid)
{
	char path[] = "/tmp/fwd-token-XXXXXX";
	struct api_opts o = {.control = CTL,
			     .control_gid = control_gid,
			     .listen = "127.0.0.1:" PORT,
			     .token_file = path};
	int fd;

	stop(&srv);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret-token\n", 13), 13);
	close(fd);
	assert_int_equal(start(&srv, &o), 0);
	unlink(path);
}

static void test_token_is_required_when_configured(void **st)
{
	struct resp r;

	(void)st;
	restart_with_token(-1);

	assert_int_equal(http("POST", "/", NULL, SEED_UPDATE, &r), 401);
	assert_non_null(strstr(r.body, "\"code\":1002"));
	assert_int_equal(http("POST", "/", "Authorization: Bearer s3cret-tokeN",
			      SEED_UPDATE, &r),
			 401);
	assert_int_equal(http("POST", "/", "Authorization: Bearer s3cret-toke",
			      SEED_UPDATE, &r),
			 401);
	assert_int_equal(http("POST", "/", "Authorization: Basic s3cret-token",
			      SEED_UPDATE, &r),
			 401);
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 401);
	assert_int_equal(srv.fk.gen, 0);
	assert_int_equal(http("POST", "/", "Authorization: Bearer s3cret-token",
			      SEED_UPDATE, &r),
			 200);
	assert_int_equal(http("GET", "/metrics",
			      "authorization: bearer s3cret-token", NULL, &r),
			 200);
	assert_int_equal(srv.fk.gen, 1);
}

static void test_listen_addresses_are_checked(void **st)
{
	struct api_opts o = {};
	struct loop *loop = loop_new();
	struct api *api;
	const char *bad[] = {"127.0.0.1",	"localhost:5555",
			     "127.0.0.1:0",	"127.0.0.1:65536",
			     "127.0.0.1:+5",	"::1:5555",
			     "[::1]5555",	"[::1]:",
			     "127.0.0.1:5555x", ""};
	struct resp r;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.listen = bad[i];
		assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EINVAL);
	}
	/* any TCP address needs a token or the force flag, loopback too */
	o.listen = "127.0.0.1:15556";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	o.listen = "[::1]:15556";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	o.listen = "0.0.0.0:15556";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	o.listen = "[::]:15556";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	o.listen = "192.0.2.1:15556";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	o.insecure_listen = true;
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EADDRNOTAVAIL);
	loop_free(loop);

	/* IPv6 literal */
	stop(&srv);
	o.listen = "[::1]:" PORT;
	assert_int_equal(start(&srv, &o), 0);
	{
		CURL *c = request("GET", "", NULL, NULL, 0, &r);

		curl_easy_setopt(c, CURLOPT_URL,
				 "http://[::1]:" PORT "/healthz");
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
		curl_easy_cleanup(c);
	}
	assert_int_equal(r.status, 200);
}

/* Run build/fwdctl against the test server; stdout and stderr in @out. */
static int fwdctl(char *out, size_t size, const char *args)
{
	const char *top = getenv("FWD_TOP");
	char cmd[512];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "%s/build/fwdctl --server 127.0.0.1:" PORT " %s 2>&1",
		 top ? top : ".", args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < size && !feof(p))
		n += fread(out + n, 1, size - 1 - n, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_fwdctl_commands_and_their_output(void **st)
{
	char out[8192];

	(void)st;
	assert_int_equal(fwdctl(out, sizeof(out),
				"set 10.10.3.5 4 08:00:27:F2:CB:F9 "
				"08:00:27:13:DF:B6"),
			 0);
	assert_string_equal(out, "");
	assert_int_equal(fwdctl(out, sizeof(out),
				"set 10.10.3.7 enp0s8 02:00:00:00:00:07"),
			 0);
	assert_int_equal(fwdctl(out, sizeof(out), "list"), 0);
	assert_string_equal(out, "IP          IFACE  SRCMAC             DSTMAC "
				 "            SOURCE\n"
				 "10.10.3.5   4      08:00:27:13:df:b6  "
				 "08:00:27:f2:cb:f9  override\n"
				 "10.10.3.7   3      08:00:27:4a:9b:01  "
				 "02:00:00:00:00:07  override\n"
				 "10.10.3.10  4      08:00:27:13:df:b6  "
				 "08:00:27:f2:cb:f9  learned\n");
	assert_int_equal(fwdctl(out, sizeof(out), "get 10.10.3.7"), 0);
	assert_non_null(strstr(out, "\n10.10.3.7  3      08:00:27:4a:9b:01"));
	assert_int_equal(fwdctl(out, sizeof(out), "get 10.9.9.9"), 1);
	assert_non_null(strstr(out, "fwdctl: 10.9.9.9: no entry"));
	assert_int_equal(fwdctl(out, sizeof(out), "del 10.10.3.7"), 0);
	assert_int_equal(fwdctl(out, sizeof(out), "del 10.10.3.7"), 1);
	assert_string_equal(
		out, "fwdctl: override not found: 10.10.3.7 (code 1202)\n");
	assert_int_equal(
		fwdctl(out, sizeof(out), "set 10.10.3 4 02:00:00:00:00:01"), 1);
	assert_non_null(strstr(
		out,
		"ip: \"10.10.3\": not an IPv4 (dotted quad) or IPv6 address"));
	assert_non_null(strstr(out, "(code 1100)"));
	assert_int_equal(fwdctl(out, sizeof(out), "--json get 10.10.3.5"), 0);
	assert_non_null(strstr(out, "{\"code\":200,\"traceId\":\""));
	assert_non_null(strstr(out, "\"Source\":\"override\"}]}"));
	assert_int_equal(fwdctl(out, sizeof(out), "stats"), 0);
	assert_non_null(strstr(out, "\nfwd_fib "));
	assert_non_null(strstr(out, "\nnetlink events "));
	assert_int_equal(fwdctl(out, sizeof(out), "frob"), 2);
	assert_int_equal(fwdctl(out, sizeof(out), "get"), 2);
	/* 2 overrides set, one deleted: three acknowledged changes */
	assert_int_equal(srv.fk.gen, 3);
}

static void test_idle_connection_is_closed_after_timeout(void **st)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(atoi(PORT))};
	struct pollfd p;
	uint64_t t0, dt;
	char c;
	int fd;

	(void)st;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* half a request line, then silence */
	assert_int_equal(write(fd, "POST / HT", 9), 9);
	t0 = loop_now_us();
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 20000), 1);
	dt = loop_now_us() - t0;
	/* closed by the server (EOF), after its 5 s timeout, not before */
	assert_true(read(fd, &c, 1) <= 0);
	print_message("# closed after %.1f s\n", dt / 1e6);
	assert_true(dt >= 4500000 && dt < 8000000);
	close(fd);
}

/*
 * Connections that have not sent a whole request head are held at most
 * API_MAX_UNAUTH (64) per listener: a 65th evicts the oldest, so idle
 * connections replace each other and never fill the listener.
 */
static void test_idle_connections_replace_the_oldest_past_64(void **st)
{
	enum { N = 128 };
	int fds[N], i, closed_old = 0, closed_new = 0;
	struct resp r;

	(void)st;
	for (i = 0; i < N; i++) {
		fds[i] = connect_raw();
		assert_true(fds[i] >= 0);
		usleep(2000); /* accepted in this order */
	}
	usleep(300000);
	for (i = 0; i < N; i++) {
		bool c = closed_within(fds[i], 0);

		if (i < N - 64)
			closed_old += c;
		else
			closed_new += c;
	}
	print_message("# oldest 64: %d closed; newest 64: %d closed\n",
		      closed_old, closed_new);
	assert_int_equal(closed_old, N - 64);
	assert_int_equal(closed_new, 0);
	assert_int_equal(http("GET", "/healthz", NULL, NULL, &r), 200);
	for (i = 0; i < N; i++)
		close(fds[i]);
}

/*
 * Issue 25 item 8: 128 idle half-requests from each of two addresses
 * (what locked out every client: MHD's 256 slots were taken before the
 * token was checked) do not keep a client with the token out, from a
 * third address or from one of the two.
 */
static void test_unauthenticated_flood_does_not_starve_the_token(void **st)
{
	static const char half[] = "POST / HTTP/1.1\r\nHost: x\r\nX-A: ";
	enum { PER = 128 };
	const char *src[] = {"127.0.0.1", "127.0.0.2"};
	const char *from[] = {"host!127.0.0.3", "host!127.0.0.1"};
	int fds[2 * PER], i, j, open_ = 0;
	uint64_t t0, dt;
	struct resp r;

	(void)st;
	restart_with_token(-1);
	for (j = 0; j < 2; j++)
		for (i = 0; i < PER; i++) {
			struct pollfd p;
			int fd = connect_from(src[j]);

			fds[j * PER + i] = fd;
			if (fd < 0)
				continue;
			p = (struct pollfd){.fd = fd, .events = POLLOUT};
			if (poll(&p, 1, 1000) == 1 &&
			    write(fd, half, sizeof(half) - 1) < 0)
				continue;
		}
	usleep(300000);
	for (i = 0; i < 2 * PER; i++)
		if (fds[i] >= 0 && !closed_within(fds[i], 0))
			open_++;
	print_message("# %d of %d half-requests still open\n", open_, 2 * PER);
	assert_true(open_ <= 64);
	for (j = 0; j < 2; j++) {
		CURL *c = request("GET", "/metrics", NULL, NULL, 0, &r);
		struct curl_slist *h = curl_slist_append(
			NULL, "Authorization: Bearer s3cret-token");

		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_INTERFACE, from[j]);
		t0 = loop_now_us();
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		dt = loop_now_us() - t0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
		curl_easy_cleanup(c);
		curl_slist_free_all(h);
		print_message("# with the token from %s: %ld in %.3f s\n",
			      from[j] + 5, r.status, dt / 1e6);
		assert_int_equal(r.status, 200);
		assert_true(dt < 1000000);
		assert_non_null(
			strstr(r.body, "fwd_api_connections_evicted_total "));
	}
	for (i = 0; i < 2 * PER; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * An update whose bytes arrive while the flush of an earlier one runs is
 * read when the hook resumes the earlier one; it must still be flushed
 * and answered at once, not when some later event wakes the loop.
 */
static void test_update_arriving_during_a_flush_is_not_stranded(void **st)
{
	static const char req[] =
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s";
	static const char *const body[2] = {
		"{\"action\":\"UpdateForward\",\"ip\":\"10.1.0.1\","
		"\"iface\":4,\"dstMac\":\"02:00:00:00:00:01\"}",
		"{\"action\":\"UpdateForward\",\"ip\":\"10.1.0.2\","
		"\"iface\":4,\"dstMac\":\"02:00:00:00:00:02\"}",
	};
	char buf[1024];
	uint64_t t0, dt;
	int fd[2], i, n;
	struct pollfd p;

	(void)st;
	__atomic_store_n(&srv.fk.flush_us, 100000, __ATOMIC_SEQ_CST);
	/* both connections open and idle before anything is sent */
	for (i = 0; i < 2; i++) {
		fd[i] = connect_raw();
		assert_true(fd[i] >= 0);
	}
	usleep(50000);
	t0 = loop_now_us();
	for (i = 0; i < 2; i++) {
		n = snprintf(buf, sizeof(buf), req, strlen(body[i]), body[i]);
		assert_int_equal(write(fd[i], buf, n), n);
		/* the second lands in the middle of the first's flush */
		usleep(30000);
	}
	for (i = 0; i < 2; i++) {
		p = (struct pollfd){.fd = fd[i], .events = POLLIN};
		assert_int_equal(poll(&p, 1, 5000), 1);
		n = read(fd[i], buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_non_null(strstr(buf, "HTTP/1.1 200"));
		dt = loop_now_us() - t0;
		print_message("# update %d answered after %.3f s\n", i,
			      dt / 1e6);
		/* two 100 ms flushes at most, not an idle timer's wake-up */
		assert_true(dt < 400000);
		close(fd[i]);
	}
	assert_int_equal(__atomic_load_n(&srv.fk.durable_gen, __ATOMIC_SEQ_CST),
			 2);
}

/* GET @path over the control socket at @sock: the HTTP status, or 0. */
static long ctl_get(const char *sock, const char *path)
{
	CURL *c = curl_easy_init();
	struct resp *r = calloc(1, sizeof(*r));
	char url[128];
	long status = 0;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	free(r);
	return status;
}

static void test_control_socket_is_0660_in_a_0750_directory(void **st)
{
	struct stat sb;

	(void)st;
	assert_int_equal(lstat(CTL, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0660);
	assert_int_equal(stat(CTL_DIR, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(ctl_get(CTL, "/healthz"), 200);
	/* gone with the server */
	stop(&srv);
	assert_int_not_equal(access(CTL, F_OK), 0);
	assert_int_equal(setup(NULL), 0);
}

static void test_control_socket_needs_no_token(void **st)
{
	struct resp r;
	struct stat sb;

	(void)st;
	restart_with_token(4242);
	/* the socket's mode guards it; TCP wants the token */
	assert_int_equal(ctl_get(CTL, "/metrics"), 200);
	assert_int_equal(http("GET", "/metrics", NULL, NULL, &r), 401);
	assert_int_equal(lstat(CTL, &sb), 0);
	assert_int_equal(sb.st_gid, 4242);
}

static void test_stale_socket_is_replaced_a_live_one_kept(void **st)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct api_opts o = {.control = CTL_DIR "/other.sock",
			     .control_gid = -1};
	struct loop *loop = loop_new();
	struct api *api;
	int fd;

	(void)st;
	/* a live server on CTL: another instance must not take it */
	o.control = CTL;
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EADDRINUSE);
	assert_int_equal(ctl_get(CTL, "/healthz"), 200);
	/* a socket nobody accepts on: left by a crash, replaced */
	strcpy(sun.sun_path, CTL_DIR "/stale.sock");
	unlink(sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	o.control = sun.sun_path;
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), 0);
	api_close(api);
	/* not a socket: refused, left alone */
	fd = open(CTL_DIR "/file", O_CREAT | O_WRONLY, 0600);
	close(fd);
	o.control = CTL_DIR "/file";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EEXIST);
	assert_int_equal(access(CTL_DIR "/file", F_OK), 0);
	unlink(CTL_DIR "/file");
	loop_free(loop);
}

/*
 * Issue 25 item 6: a control socket in a directory someone else could
 * write (0777, group-writable, another user's, or any of these further
 * up the path) is refused before anything is bound: that user could
 * rename the socket away and bind their own. Sticky (/tmp's 1777) is
 * fine, as the owner alone may rename there.
 */
static void test_control_directory_others_can_write_is_refused(void **st)
{
	struct api_opts o = {.control_gid = -1};
	struct loop *loop = loop_new();
	struct api *api;

	(void)st;
	assert_int_equal(system("rm -rf " CTL_DIR "/d && mkdir -p " CTL_DIR
				"/d/open/sub " CTL_DIR "/d/group " CTL_DIR
				"/d/other " CTL_DIR
				"/d/sticky && chmod 0777 " CTL_DIR
				"/d/open && chmod 0700 " CTL_DIR
				"/d/open/sub && chmod 0770 " CTL_DIR
				"/d/group && chown 4242 " CTL_DIR
				"/d/other && chmod 1777 " CTL_DIR "/d/sticky"),
			 0);
	o.control = CTL_DIR "/d/open/api.sock";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	assert_int_not_equal(access(o.control, F_OK), 0);
	/* checked along the path: a safe directory under an unsafe one */
	o.control = CTL_DIR "/d/open/sub/api.sock";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	assert_int_not_equal(access(o.control, F_OK), 0);
	o.control = CTL_DIR "/d/group/api.sock";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	o.control = CTL_DIR "/d/other/api.sock";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), -EPERM);
	/* a missing directory is made (0750) under a safe parent, as before */
	o.control = CTL_DIR "/d/sticky/api.sock";
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), 0);
	api_close(api);
	o.control = CTL_DIR "/d/new/api.sock";
	o.control_gid = 4242;
	assert_int_equal(api_open(&api, loop, &o, &srv.ops), 0);
	{
		struct stat sb;

		assert_int_equal(lstat(o.control, &sb), 0);
		assert_int_equal(sb.st_gid, 4242);
		assert_int_equal(sb.st_mode & 07777, 0660);
	}
	api_close(api);
	loop_free(loop);
	assert_int_equal(system("rm -rf " CTL_DIR "/d"), 0);
}

/*
 * A TCP connection to the server from source address @src, not waiting
 * for the handshake: a full accept queue must not stall the flood.
 */
static int connect_from(const char *src)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(atoi(PORT))};
	struct sockaddr_in me = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	inet_pton(AF_INET, src, &me.sin_addr);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&me, sizeof(me)) ||
			(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
			 errno != EINPROGRESS))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_flood_locks_out_neither_socket_nor_other_address(void **st)
{
	enum { FLOOD = 300 };
	int fds[FLOOD], i, open_ = 0;
	struct resp r;
	CURL *c;

	(void)st;
	/* 300 idle connections from 127.0.0.1, as the attacker */
	for (i = 0; i < FLOOD; i++)
		fds[i] = connect_from("127.0.0.1");
	usleep(200000);
	for (i = 0; i < FLOOD; i++)
		if (fds[i] >= 0 && !closed_within(fds[i], 0))
			open_++;
	print_message("# %d of %d flood connections not closed\n", open_,
		      FLOOD);
	/* the control socket answers at once */
	assert_int_equal(ctl_get(CTL, "/healthz"), 200);
	/* so does TCP, from another address */
	c = request("GET", "/healthz", NULL, NULL, 0, &r);
	curl_easy_setopt(c, CURLOPT_INTERFACE, "host!127.0.0.2");
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_cleanup(c);
	assert_int_equal(r.status, 200);
	for (i = 0; i < FLOOD; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Become @uid, in the socket's group (65534) and root's (its dir's). */
static void become(uid_t uid)
{
	gid_t groups[] = {65534, 0};

	if (setgroups(2, groups) || setgid(65534) || setuid(uid))
		_exit(99);
}

/* GET /healthz on the control socket by hand: 1 if answered 200. */
static int ctl_raw_ok(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[256] = "";
	struct pollfd p;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

	strcpy(sun.sun_path, CTL);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		return 0;
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	ok = poll(&p, 1, 3000) == 1 && read(fd, buf, sizeof(buf) - 1) > 0 &&
	     strstr(buf, " 200 ");
	close(fd);
	return ok;
}

/*
 * Issue 25 item 8: on the control socket one user with 300 idle
 * connections (the socket's group lets them in) keeps at most 32: another
 * user and root still get answers.
 */
static void test_one_uid_cannot_fill_the_control_socket(void **st)
{
	enum { FLOOD = 300 };
	int ready[2], done[2], status, n = 0;
	pid_t flood, other;
	char line[32] = "";

	(void)st;
	restart_with_token(65534);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	flood = fork();
	assert_true(flood >= 0);
	if (!flood) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		int fds[FLOOD], i, open_ = 0;

		close(done[1]); /* or the parent's close never ends the read */
		close(ready[0]);
		become(65534);
		strcpy(sun.sun_path, CTL);
		for (i = 0; i < FLOOD; i++) {
			fds[i] =
				socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (fds[i] >= 0 &&
			    connect(fds[i], (struct sockaddr *)&sun,
				    sizeof(sun))) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
		usleep(500000);
		for (i = 0; i < FLOOD; i++)
			if (fds[i] >= 0 && !closed_within(fds[i], 0))
				open_++;
		dprintf(ready[1], "%d\n", open_);
		/* hold them until the parent is done */
		(void)!read(done[0], line, 1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	assert_true(read(ready[0], line, sizeof(line) - 1) > 0);
	n = atoi(line);
	print_message("# one uid's flood: %d of %d still open\n", n, FLOOD);
	assert_true(n <= 32);
	other = fork();
	assert_true(other >= 0);
	if (!other) {
		become(65533);
		_exit(ctl_raw_ok() ? 0 : 1);
	}
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(ctl_get(CTL, "/healthz"), 200);
	close(done[1]);
	waitpid(flood, &status, 0);
	close(ready[0]);
}

static void test_trickling_client_is_cut_at_the_deadline(void **st)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	uint64_t t0, dt;
	int fd, i;

	(void)st;
	fd = connect_raw();
	assert_true(fd >= 0);
	t0 = loop_now_us();
	/* a byte a second: never idle for MHD's 5 s, never done */
	for (i = 0; i < 20; i++) {
		if (closed_within(fd, 1000))
			break;
		if (write(fd, &req[i % (sizeof(req) - 1)], 1) != 1)
			break;
	}
	dt = loop_now_us() - t0;
	print_message("# cut after %.1f s\n", dt / 1e6);
	assert_true(dt >= 9500000 && dt < 13000000);
	close(fd);
}

/* ---- a QueryForward too long to build at once ------------------------- */

#define MANY_ROWS (2 * API_QUERY_INLINE + 3)

/* 10.0.x.y, MANY_ROWS of them, learned */
static int many_walk(void *arg, int (*fn)(const struct api_row *row, void *ctx),
		     void *ctx)
{
	struct api_row r = {.ip = {.family = AF_INET},
			    .entry = {.ifindex = 4,
				      .smac = {8, 0, 0x27, 0x13, 0xdf, 0xb6},
				      .dmac = {8, 0, 0x27, 0xf2, 0xcb, 0xf9}}};
	int err;

	(void)arg;
	for (uint32_t i = 0; i < MANY_ROWS; i++) {
		r.ip.v4 = htonl(0x0a000000U | i);
		err = fn(&r, ctx);
		if (err)
			return err;
	}
	return 0;
}

static int setup_many(void **state)
{
	walk_instead = many_walk;
	return setup(state);
}

static int teardown_many(void **state)
{
	walk_instead = NULL;
	return teardown(state);
}

struct big {
	char *body;
	size_t len;
	bool chunked;
};

static size_t big_body(char *p, size_t sz, size_t n, void *arg)
{
	struct big *b = arg;
	char *grown = realloc(b->body, b->len + sz * n + 1);

	if (!grown)
		return 0;
	b->body = grown;
	memcpy(b->body + b->len, p, sz * n);
	b->len += sz * n;
	b->body[b->len] = '\0';
	return sz * n;
}

static size_t big_header(char *p, size_t sz, size_t n, void *arg)
{
	struct big *b = arg;

	if (!strncasecmp(p, "Transfer-Encoding: chunked", 26))
		b->chunked = true;
	return sz * n;
}

/*
 * Streamed (chunked, formatted as the connection takes it) and whole:
 * every row, in order, in one JSON reply.
 */
static void test_query_of_many_rows_arrives_whole_and_chunked(void **st)
{
	static const char q[] =
		"{\"action\":\"QueryForward\",\"traceId\":\"m\"}";
	struct big b = {0};
	CURL *c = curl_easy_init();
	cJSON *root, *t;
	long status = 0;

	(void)st;
	curl_easy_setopt(c, CURLOPT_URL, URL "/");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, q);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, big_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, big_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	assert_int_equal(status, 200);
	assert_true(b.chunked);
	root = cJSON_Parse(b.body);
	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItem(root, "code")->valueint, 200);
	assert_string_equal(cJSON_GetObjectItem(root, "traceId")->valuestring,
			    "m");
	t = cJSON_GetObjectItem(root, "Tables");
	assert_int_equal(cJSON_GetArraySize(t), MANY_ROWS);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "Ip")
				    ->valuestring,
			    "10.0.0.0");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0x123), "Ip")
			->valuestring,
		"10.0.1.35");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(t, MANY_ROWS - 1), "Ip")
			->valuestring,
		"10.0.8.2");
	cJSON_Delete(root);
	free(b.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_seed_update_is_acknowledged_only_once_durable,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_query_of_many_rows_arrives_whole_and_chunked,
			setup_many, teardown_many),
		cmocka_unit_test_setup_teardown(
			test_failed_flush_is_reported_as_1200, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_concurrent_updates_share_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_update_arriving_during_a_flush_is_not_stranded,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_routes_methods_and_content_type, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_metrics_are_prometheus_text, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_metrics_per_interface_rx_by_outcome_and_tx, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_metrics_build_info_names_what_runs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_metrics_process_series_describe_this_process,
			setup, teardown),
		cmocka_unit_test(
			test_proc_parse_reads_fields_after_the_last_paren),
		cmocka_unit_test(test_latency_histogram_buckets_are_cumulative),
		cmocka_unit_test_setup_teardown(
			test_metrics_latency_histogram_counts_requests, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_oversized_bodies_get_413,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_headers_are_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_oversized_body_on_the_control_socket_gets_413,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_http11_without_host_is_400,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_token_is_required_when_configured, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_listen_addresses_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fwdctl_commands_and_their_output, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_idle_connection_is_closed_after_timeout, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_idle_connections_replace_the_oldest_past_64, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_unauthenticated_flood_does_not_starve_the_token,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_control_socket_is_0660_in_a_0750_directory, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_control_socket_needs_no_token, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_stale_socket_is_replaced_a_live_one_kept, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_control_directory_others_can_write_is_refused,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_flood_locks_out_neither_socket_nor_other_address,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_one_uid_cannot_fill_the_control_socket, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_trickling_client_is_cut_at_the_deadline, setup,
			teardown),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return ret;
}
