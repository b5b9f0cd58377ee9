// SPDX-License-Identifier: GPL-2.0
/*
 * fwdctl.c - command-line client of fwd's HTTP JSON API.
 *
 * Each command is a POST / with the original's action (top: one per
 * interval; verify: one, then the kernel's answers, see verify.h); the
 * reply is shown as an aligned table, or as it came with --json. Any error (no
 * connection, an error code from the server, no such entry) exits with
 * status 1 and the server's message; usage errors exit with 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "top.h"
#include "util.h"
#include "verify.h"

/* fwd's default --control: the API without TCP, guarded by file mode */
#define DEFAULT_SOCKET "/run/fwd/fwd.sock"
#define REPLY_MAX (64 << 20)

struct buf {
	char *data;
	size_t len;
};

/* fwdctl's options, one list: the getopt tables and --help come from it. */
#define FWDCTL_OPTIONS(X)                                                      \
	X("socket", 'S', "PATH",                                               \
	  "fwd's control socket (default " DEFAULT_SOCKET ", or $FWD_SOCKET)") \
	X("server", 's', "URL",                                                \
	  "fwd's TCP API instead, e.g. http://127.0.0.1:5555/ (or "            \
	  "$FWD_SERVER); needs the token")                                     \
	X("token-file", 't', "FILE", "send the bearer token in FILE")          \
	X("json", 'j', NULL, "print the server's JSON reply as is")            \
	X("bpffs", 'b', "DIR",                                                 \
	  "verify: where fwd pins hfwd and hfwd6 (default /sys/fs/bpf)")       \
	X("count", 'n', "COUNT", "top: show COUNT views, then exit")           \
	X("interval", 'i', "SEC", "top: seconds between views (default 1)")    \
	X("help", 'h', NULL, "this text")

#define AS_LONG(n, c, a, h) {n, a ? required_argument : no_argument, NULL, c},
#define AS_ROW(n, c, a, h) {n, c, a, h},

static const struct option opts[] = {FWDCTL_OPTIONS(AS_LONG){}};

static const struct {
	const char *name;
	int c;
	const char *arg, *help;
} rows[] = {FWDCTL_OPTIONS(AS_ROW)};

static const char commands[] =
	"usage: fwdctl [--socket PATH | --server URL] [--token-file FILE] "
	"[--json]\n"
	"              COMMAND\n"
	"\n"
	"  list                           every forwarding entry\n"
	"  get IP                         the entry for IP\n"
	"  set IP IFACE DSTMAC [SRCMAC]   override IP: out of IFACE (index\n"
	"                                 or name) to DSTMAC\n"
	"  del IP                         remove the override of IP\n"
	"  stats                          data-path counters, agent figures\n"
	"  verify                         every learned entry against the\n"
	"                                 kernel's answer and the pinned map;\n"
	"                                 exit 1 if any differs (run it in\n"
	"                                 fwd's network namespace)\n"
	"  top [-n COUNT] [-i SECONDS]    live rates by outcome and interface\n"
	"                                 (q or Ctrl-C quits; --json: lines)\n"
	"\n";

static void usage(FILE *f)
{
	fputs(commands, f);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char head[48];

		snprintf(head, sizeof(head), "-%c, --%s%s%s", rows[i].c,
			 rows[i].name, rows[i].arg ? " " : "",
			 rows[i].arg ? rows[i].arg : "");
		fprintf(f, "  %-21s", head);
		/* the help from column 25, wrapped before column 80 */
		for (const char *p = rows[i].help; *p;) {
			int n = (int)strlen(p);

			if (n > 54) {
				for (n = 54; n > 0 && p[n] != ' '; n--)
					;
				if (!n)
					n = 54; /* one long word: cut it */
			}
			fprintf(f, "%*s%.*s\n", p == rows[i].help ? 2 : 25, "",
				n, p);
			p += n;
			while (*p == ' ')
				p++;
		}
	}
}

/* getopt's short options, from the same list. */
static void short_opts(char *out)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		*out++ = (char)rows[i].c;
		if (rows[i].arg)
			*out++ = ':';
	}
	*out = '\0';
}

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * n;
	char *d;

	if (b->len + len > REPLY_MAX)
		return 0;
	d = realloc(b->data, b->len + len + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, p, len);
	b->data = d;
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* Why connecting to the socket at @path fails: curl only says it did. */
static const char *sock_error(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err = ENAMETOOLONG;

	if (strlen(path) < sizeof(sun.sun_path)) {
		memcpy(sun.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		err = fd < 0 || connect(fd, (struct sockaddr *)&sun,
					sizeof(sun))
			      ? errno
			      : 0;
		if (fd >= 0)
			close(fd);
	}
	switch (err) {
	case 0:
		return NULL;
	case ENOENT:
	case ECONNREFUSED:
		return "no fwd serves it (is fwd running, with this "
		       "--control?)";
	case EACCES:
		return "permission denied (the socket is for root and "
		       "fwd's --control-group)";
	default:
		return strerror(err);
	}
}

/* POST @req; on success @reply holds the parsed JSON reply. */
static int post(const char *server, const char *sock, const char *token,
		cJSON *req, cJSON **reply, struct buf *raw)
{
	char url[1024], auth[API_TOKEN_MAX + 32], err[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	char *body;
	long status = 0;
	CURLcode rc;
	CURL *c;

	body = cJSON_PrintUnformatted(req);
	c = curl_easy_init();
	if (!body || !c) {
		fprintf(stderr, "fwdctl: out of memory\n");
		free(body);
		return -ENOMEM;
	}
	if (server)
		snprintf(url, sizeof(url), "%s%s",
			 strstr(server, "://") ? "" : "http://", server);
	else
		snprintf(url, sizeof(url), "http://localhost/");
	h = curl_slist_append(h, "Content-Type: application/json");
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (!server)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, raw);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "fwdctl/" FWD_VERSION);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(body);
	if (rc == CURLE_COULDNT_CONNECT && !server && sock_error(sock)) {
		fprintf(stderr, "fwdctl: %s: %s\n", sock, sock_error(sock));
		return -EIO;
	}
	if (rc != CURLE_OK) {
		fprintf(stderr, "fwdctl: %s: %s\n", server ? url : sock,
			*err ? err : curl_easy_strerror(rc));
		return -EIO;
	}
	*reply = raw->data ? cJSON_Parse(raw->data) : NULL;
	if (!cJSON_IsObject(*reply) ||
	    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(*reply, "code"))) {
		fprintf(stderr, "fwdctl: %s: HTTP %ld without a JSON reply\n",
			server ? url : sock, status);
		cJSON_Delete(*reply);
		*reply = NULL;
		return -EPROTO;
	}
	return 0;
}

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "?";
}

static double num_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int print_tables(const cJSON *reply)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(reply, "Tables");
	int wip = 2, wif = 5, n = 0;
	const cJSON *row;
	char ifs[16];

	cJSON_ArrayForEach(row, tables)
	{
		int l = strlen(str_of(row, "Ip"));

		wip = l > wip ? l : wip;
		l = snprintf(ifs, sizeof(ifs), "%.0f", num_of(row, "Iface"));
		wif = l > wif ? l : wif;
		n++;
	}
	printf("%-*s  %-*s  %-17s  %-17s  %s\n", wip, "IP", wif, "IFACE",
	       "SRCMAC", "DSTMAC", "SOURCE");
	cJSON_ArrayForEach(row, tables)
	{
		snprintf(ifs, sizeof(ifs), "%.0f", num_of(row, "Iface"));
		printf("%-*s  %-*s  %-17s  %-17s  %s\n", wip, str_of(row, "Ip"),
		       wif, ifs, str_of(row, "SrcMac"), str_of(row, "DstMac"),
		       str_of(row, "Source"));
	}
	return n;
}

/* QueryStats' Demand as fwdctl stats shows it: label, key. */
static const char *const demand[][2] = {
	{"demand learned", "learned"},
	{"demand reports", "reports"},
	{"  ignored", "ignored"},
	{"  suppressed", "suppressed"},
	{"  over the rate", "limited"},
	{"  lost", "lost"},
	{"demand evicted idle", "evictedIdle"},
	{"demand evicted budget", "evictedBudget"},
};

static void print_stats(const cJSON *reply)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(reply, "Counters");
	const cJSON *ag = cJSON_GetObjectItemCaseSensitive(reply, "Agent");
	const cJSON *dm = cJSON_GetObjectItemCaseSensitive(reply, "Demand");
	const cJSON *o;
	unsigned long long up = num_of(ag, "uptimeSeconds");

	printf("%-24s %20s %20s\n", "OUTCOME", "PACKETS", "BYTES");
	cJSON_ArrayForEach(o, c)
	{
		printf("%-24s %20.0f %20.0f\n", o->string, num_of(o, "packets"),
		       num_of(o, "bytes"));
	}
	printf("\n%-24s %20.0f\n", "learned entries", num_of(ag, "learned"));
	printf("%-24s %20.0f\n", "overrides", num_of(ag, "overrides"));
	printf("%-24s %20.0f\n", "hfwd entries", num_of(ag, "hfwdEntries"));
	printf("%-24s %20.0f\n", "hfwd max entries", num_of(ag, "maxEntries"));
	printf("%-24s %20.0f\n", "resyncs", num_of(ag, "resyncs"));
	printf("%-24s %20.0f\n", "netlink events", num_of(ag, "netlinkEvents"));
	printf("%-24s %11llud%02lluh%02llum%02llus\n", "uptime", up / 86400,
	       up / 3600 % 24, up / 60 % 60, up % 60);
	printf("\n%-24s %20.0f of %.0f\n", "demand entries",
	       num_of(dm, "entries"), num_of(dm, "max"));
	for (size_t i = 0; i < sizeof(demand) / sizeof(demand[0]); i++)
		printf("%-24s %20.0f\n", demand[i][0],
		       num_of(dm, demand[i][1]));
}

/* fwdctl verify: 0 when every learned entry agrees, else 1. */
static int verify(const cJSON *reply, const char *bpffs)
{
	struct verify_result r;
	int err;

	err = verify_run(cJSON_GetObjectItemCaseSensitive(reply, "Tables"),
			 bpffs, stdout, &r);
	if (err) {
		fprintf(stderr, "fwdctl: verify: %s\n", strerror(-err));
		return 1;
	}
	if (!r.map_checked)
		fprintf(stderr,
			"fwdctl: verify: %s/hfwd, hfwd6 not readable: "
			"the maps not checked\n",
			bpffs);
	printf("%u learned entries checked, %u differ, %u not asked\n",
	       r.checked, r.differ, r.unknown);
	return r.differ || r.unknown ? 1 : 0;
}

/* Build the request for argv[0..]; NULL on a usage error. */
static cJSON *build(int argc, char **argv, const char **action)
{
	cJSON *req = cJSON_CreateObject();
	char ts[API_UUID_STRLEN];
	const char *cmd = argv[0];
	int want;

	if (!req)
		return NULL;
	if (!strcmp(cmd, "list") || !strcmp(cmd, "ls")) {
		*action = "QueryForward";
		want = 1;
	} else if (!strcmp(cmd, "get")) {
		*action = "QueryForward";
		want = 2;
	} else if (!strcmp(cmd, "set")) {
		*action = "UpdateForward";
		want = argc == 5 ? 5 : 4;
	} else if (!strcmp(cmd, "del") || !strcmp(cmd, "delete")) {
		*action = "DeleteForward";
		want = 2;
	} else if (!strcmp(cmd, "stats")) {
		*action = "QueryStats";
		want = 1;
	} else if (!strcmp(cmd, "verify")) {
		*action = "QueryForward";
		want = 1;
	} else {
		fprintf(stderr, "fwdctl: unknown command \"%s\"\n", cmd);
		cJSON_Delete(req);
		return NULL;
	}
	if (argc != want) {
		fprintf(stderr, "fwdctl: %s: wrong number of arguments\n", cmd);
		cJSON_Delete(req);
		return NULL;
	}
	cJSON_AddStringToObject(req, "action", *action);
	if (api_uuid4(ts) == 0)
		cJSON_AddStringToObject(req, "traceId", ts);
	if (want >= 2)
		cJSON_AddStringToObject(req, "ip", argv[1]);
	if (!strcmp(cmd, "set")) {
		/* an index goes as a number, as the original's clients do */
		if (strspn(argv[2], "0123456789") == strlen(argv[2]) &&
		    strlen(argv[2]) < 10)
			cJSON_AddNumberToObject(req, "iface", atoi(argv[2]));
		else
			cJSON_AddStringToObject(req, "iface", argv[2]);
		cJSON_AddStringToObject(req, "dstMac", argv[3]);
		if (argc == 5)
			cJSON_AddStringToObject(req, "srcMac", argv[4]);
	}
	return req;
}

/* `top`'s connection: what post() needs, and its token. */
struct top_conn {
	const char *server, *sock, *token;
};

static int top_fetch(void *arg, cJSON **reply)
{
	struct top_conn *tc = arg;
	cJSON *req = cJSON_CreateObject();
	struct buf raw = {};
	int err;

	if (!req || !cJSON_AddStringToObject(req, "action", "QueryStats")) {
		cJSON_Delete(req);
		return -ENOMEM;
	}
	err = post(tc->server, tc->sock, tc->token, req, reply, &raw);
	cJSON_Delete(req);
	free(raw.data);
	if (!err && num_of(*reply, "code") != 200) {
		fprintf(stderr, "fwdctl: %s (code %.0f)\n",
			str_of(*reply, "message"), num_of(*reply, "code"));
		cJSON_Delete(*reply);
		*reply = NULL;
		err = -EIO;
	}
	return err;
}

/*
 * fwdctl top, with -n @count and -i @interval (NULL: not given): 0, 1 on
 * an error, 2 on a usage error.
 */
static int cmd_top(int argc, const char *count, const char *interval,
		   struct top_conn *tc, const char *token_file, bool json)
{
	struct top_opts o = {.interval = 1, .json = json};
	size_t token_len;
	char *end, *token = NULL;
	int err;

	if (argc != 1)
		goto usage;
	if (count) {
		o.count = (int)strtol(count, &end, 10);
		if (*end || o.count < 1)
			goto usage;
	}
	if (interval) {
		o.interval = strtod(interval, &end);
		if (*end || !(o.interval >= 0.1 && o.interval <= 3600))
			goto usage;
	}
	if (token_file) {
		err = api_read_token(token_file, &token, &token_len);
		if (err) {
			fprintf(stderr, "fwdctl: token file %s: %s\n",
				token_file, strerror(-err));
			return 1;
		}
		tc->token = token;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		free(token);
		return 1;
	}
	err = top_run(&o, top_fetch, tc);
	curl_global_cleanup();
	free(token);
	if (err && err != -EIO && err != -EPROTO)
		fprintf(stderr, "fwdctl: top: %s\n", strerror(-err));
	return err ? 1 : 0;
usage:
	fprintf(stderr, "fwdctl: top: want [-n COUNT >= 1] [-i SECONDS, "
			"0.1 to 3600]\n");
	return 2;
}

int main(int argc, char **argv)
{
	char shorts[2 * sizeof(rows) / sizeof(rows[0]) + 1];
	const char *server = getenv("FWD_SERVER"), *token_file = NULL;
	const char *sock = getenv("FWD_SOCKET"), *bpffs = "/sys/fs/bpf";
	const char *count = NULL, *interval = NULL;
	const char *action = NULL;
	struct buf raw = {};
	cJSON *req, *reply = NULL;
	char *token = NULL;
	size_t token_len;
	bool json = false;
	int c, err, code, ret = 1;

	short_opts(shorts);
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			sock = optarg;
			server = NULL; /* the last one given wins */
			break;
		case 's':
			server = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'b':
			bpffs = optarg;
			break;
		case 'n':
			count = optarg;
			break;
		case 'i':
			interval = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (server && !*server)
		server = NULL;
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	if (!strcmp(argv[optind], "top")) {
		struct top_conn tc = {.server = server, .sock = sock};

		return cmd_top(argc - optind, count, interval, &tc, token_file,
			       json);
	}
	req = build(argc - optind, argv + optind, &action);
	if (!req) {
		usage(stderr);
		return 2;
	}
	if (token_file) {
		err = api_read_token(token_file, &token, &token_len);
		if (err) {
			fprintf(stderr, "fwdctl: token file %s: %s\n",
				token_file,
				err == -EINVAL ? "want one line of printable "
						 "ASCII without spaces"
					       : strerror(-err));
			goto out_req;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "fwdctl: cannot initialise libcurl\n");
		goto out_token;
	}
	if (post(server, sock, token, req, &reply, &raw))
		goto out_curl;

	code = num_of(reply, "code");
	if (json)
		printf("%s\n", raw.data);
	if (code != 200) {
		fprintf(stderr, "fwdctl: %s (code %d)\n",
			str_of(reply, "message"), code);
		goto out_reply;
	}
	ret = 0;
	if (!strcmp(argv[optind], "verify")) {
		ret = verify(reply, bpffs);
	} else if (!strcmp(action, "QueryForward")) {
		int n = json ? cJSON_GetArraySize(
				       cJSON_GetObjectItemCaseSensitive(
					       reply, "Tables"))
			     : print_tables(reply);

		if (n == 0 && !strcmp(argv[optind], "get")) {
			fprintf(stderr, "fwdctl: %s: no entry\n",
				argv[optind + 1]);
			ret = 1;
		}
	} else if (!strcmp(action, "QueryStats") && !json) {
		print_stats(reply);
	}

out_reply:
	cJSON_Delete(reply);
out_curl:
	free(raw.data);
	curl_global_cleanup();
out_token:
	free(token);
out_req:
	cJSON_Delete(req);
	return ret;
}
