// SPDX-License-Identifier: GPL-2.0
/*
 * actions.c - see actions.h.
 *
 * The body is checked in two passes: raw bytes first (NUL bytes, UTF-8,
 * "\u0000" escapes, which cJSON would silently cut strings at), then the
 * parsed tree (one object, no duplicate keys, each field of the right type
 * and range). Only a request that passed every check reaches the ops that
 * change state, and each action changes state with a single op, so a
 * rejected request never leaves a half-applied update behind.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <net/if.h>

#include "actions.h"
#include "util.h"

/* What the body's parsed fields and the reply being built share. */
struct act {
	const struct api_ops *ops;
	const cJSON *root;
	const char *trace; /* as sent; NULL until checked, then echoed */
	struct api_reply *r;
	int err; /* -ENOMEM while building the reply */
};

unsigned int api_code_status(int code)
{
	switch (code) {
	case API_OK:
		return 200;
	case API_ERR_TOO_LARGE:
		return 413;
	case API_ERR_UNAUTHORIZED:
		return 401;
	case API_ERR_NOT_FOUND:
	case API_ERR_NO_OVERRIDE:
		return 404;
	case API_ERR_METHOD:
		return 405;
	case API_ERR_UPDATE:
	case API_ERR_QUERY:
		return 500;
	default:
		return 400;
	}
}

void api_reply_free(struct api_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
	api_stream_free(r->stream);
	r->stream = NULL;
}

static void set_trace(struct api_reply *r, const char *trace_id)
{
	if (trace_id && *trace_id) {
		snprintf(r->trace_id, sizeof(r->trace_id), "%s", trace_id);
		return;
	}
	if (api_uuid4(r->trace_id))
		/* no entropy at all: still a well-formed, if useless, id */
		snprintf(r->trace_id, sizeof(r->trace_id), "%s",
			 "00000000-0000-4000-8000-000000000000");
}

/* Print @obj as the body of @r; consumes @obj. 0 or -ENOMEM. */
static int reply_set(struct api_reply *r, cJSON *obj, bool ok, int code)
{
	char *text = ok ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (!text)
		return -ENOMEM;
	api_reply_free(r);
	r->body = text;
	r->len = strlen(text);
	r->code = code;
	r->status = api_code_status(code);
	return 0;
}

static cJSON *reply_new(struct api_reply *r, int code, bool *ok)
{
	cJSON *obj = cJSON_CreateObject();

	*ok = obj && cJSON_AddNumberToObject(obj, "code", code) &&
	      cJSON_AddStringToObject(obj, "traceId", r->trace_id);
	return obj;
}

/* The error reply both api_error_reply() and fail() write. */
__attribute__((format(printf, 4, 0))) static int
error_reply_v(struct api_reply *r, int code, const char *trace_id,
	      const char *fmt, va_list ap)
{
	char msg[512];
	cJSON *obj;
	bool ok;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	r->flush = false;
	if (trace_id != r->trace_id)
		set_trace(r, trace_id);
	obj = reply_new(r, code, &ok);
	ok = ok && cJSON_AddStringToObject(obj, "message", msg);
	return reply_set(r, obj, ok, code);
}

int api_error_reply(struct api_reply *r, int code, const char *trace_id,
		    const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = error_reply_v(r, code, trace_id, fmt, ap);
	va_end(ap);
	return err;
}

/* Fail the action with an error reply; always returns -1 (handled). */
__attribute__((format(printf, 3, 4))) static int fail(struct act *a, int code,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	a->err = error_reply_v(a->r, code, a->trace, fmt, ap);
	va_end(ap);
	return -1;
}

#define JSON_ERR "json format error: "

/* Raw-byte checks cJSON does not make. */
static int check_bytes(struct act *a, const char *body, size_t len)
{
	size_t i;

	if (memchr(body, '\0', len))
		return fail(a, API_ERR_JSON, JSON_ERR "NUL byte in body");
	if (!api_utf8_valid(body, len))
		return fail(a, API_ERR_JSON,
			    JSON_ERR "body is not valid UTF-8");
	/*
	 * A backslash only occurs in valid JSON as the start of an escape
	 * inside a string, so skipping the escaped character is enough to
	 * tell "\u0000" (a NUL cJSON would cut the string at) from "\\u0000".
	 */
	for (i = 0; i + 1 < len; i++) {
		if (body[i] != '\\')
			continue;
		if (body[i + 1] == 'u' && len - i >= 6 &&
		    !memcmp(body + i + 2, "0000", 4))
			return fail(a, API_ERR_JSON,
				    JSON_ERR "\\u0000 in a string");
		i++;
	}
	return 0;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* cJSON keeps every duplicate; which one a reader sees is not JSON's. */
static int check_duplicates(struct act *a)
{
	const cJSON *it;
	const char **names;
	int n = 0, i, ret = 0;

	cJSON_ArrayForEach(it, a->root) n++;
	if (n < 2)
		return 0;
	names = calloc(n, sizeof(*names));
	if (!names) {
		a->err = -ENOMEM;
		return -1;
	}
	i = 0;
	cJSON_ArrayForEach(it, a->root) names[i++] = it->string;
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 1; i < n; i++) {
		if (!strcmp(names[i - 1], names[i])) {
			ret = fail(a, API_ERR_JSON,
				   JSON_ERR "duplicate field \"%.64s\"",
				   names[i]);
			break;
		}
	}
	free(names);
	return ret;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

/*
 * A string field: @out NULL when absent and optional. Returns 0 or -1
 * (error reply made).
 */
static int get_string(struct act *a, const char *name, bool required,
		      const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->root, name);

	*out = NULL;
	if (!v) {
		if (required)
			return fail(a, API_ERR_JSON, JSON_ERR "%s: missing",
				    name);
		return 0;
	}
	if (!cJSON_IsString(v))
		return fail(a, API_ERR_JSON,
			    JSON_ERR "%s: must be a string, not %s", name,
			    type_name(v));
	*out = v->valuestring;
	return 0;
}

static int get_ip(struct act *a, bool required, bool *present,
		  struct ip_addr *ip)
{
	const char *s, *why;

	if (get_string(a, "ip", required, &s))
		return -1;
	*present = s != NULL;
	if (s && api_parse_ip(s, ip, &why))
		return fail(a, API_ERR_JSON, JSON_ERR "ip: \"%.64s\": %s", s,
			    why);
	return 0;
}

static int get_mac(struct act *a, const char *name, bool required,
		   bool *present, uint8_t mac[6])
{
	static const uint8_t zero[6];
	const char *s;

	if (get_string(a, name, required, &s))
		return -1;
	*present = s != NULL;
	if (!s)
		return 0;
	if (api_parse_mac(s, mac))
		return fail(a, API_ERR_JSON,
			    JSON_ERR "%s: \"%.64s\" is not a MAC address "
				     "(08:00:27:13:df:b6)",
			    name, s);
	if ((mac[0] & 1) || !memcmp(mac, zero, 6))
		return fail(a, API_ERR_JSON,
			    JSON_ERR "%s: %.64s is not a unicast MAC address",
			    name, s);
	return 0;
}

/*
 * iface: 4, "4" or "enp0s9", resolved to a managed interface; @by_name
 * says which kind it was.
 */
static int get_iface(struct act *a, uint32_t *ifindex, uint8_t mac[6],
		     bool *by_name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a->root, "iface");
	char num[16];
	const char *name;
	int err;

	if (!v)
		return fail(a, API_ERR_JSON, JSON_ERR "iface: missing");
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		/* cJSON hands out doubles: 4.7 or 1e20 must not truncate */
		if (!isfinite(d) || d != floor(d) || d < 1 || d > INT32_MAX)
			return fail(a, API_ERR_JSON,
				    JSON_ERR "iface: %g is not an interface "
					     "index (an integer 1..%d)",
				    d, INT32_MAX);
		snprintf(num, sizeof(num), "%d", (int)d);
		name = num;
		*by_name = false;
	} else if (cJSON_IsString(v)) {
		name = v->valuestring;
		if (!*name || strlen(name) >= IFNAMSIZ)
			return fail(a, API_ERR_JSON,
				    JSON_ERR "iface: \"%.64s\" is not an "
					     "interface name or index",
				    name);
		/*
		 * One rule for numbers written as text, the one ip follows:
		 * decimal without leading zeros ("010.1.1.1" is refused, and
		 * so is "04", never taken as 4 nor as octal 4).
		 */
		if (name[0] == '0' && name[1] &&
		    strspn(name, "0123456789") == strlen(name))
			return fail(a, API_ERR_JSON,
				    JSON_ERR "iface: \"%s\": an index is "
					     "written without leading zeros",
				    name);
		*by_name = strspn(name, "0123456789") != strlen(name);
	} else {
		return fail(a, API_ERR_JSON,
			    JSON_ERR "iface: must be a number or a string, "
				     "not %s",
			    type_name(v));
	}
	err = a->ops->iface_resolve(a->ops->arg, name, ifindex, mac);
	if (err == -ENODEV)
		return fail(a, API_ERR_JSON,
			    JSON_ERR "iface: no such interface \"%s\"", name);
	if (err == -EPERM)
		return fail(a, API_ERR_JSON,
			    JSON_ERR "iface: \"%s\" is not managed by fwd",
			    name);
	if (err)
		return fail(a, API_ERR_UPDATE, "update error: iface %s: %s",
			    name, strerror(-err));
	return 0;
}

static int do_update(struct act *a)
{
	struct fwd_entry e = {};
	char ipstr[API_IP_STRLEN];
	struct ip_addr ip;
	const char *why;
	uint8_t ifmac[6];
	bool present, src, by_name = false;
	const char *ifname;
	int err;

	if (get_ip(a, true, &present, &ip))
		return -1;
	api_format_ip(&ip, ipstr);
	why = api_ip_not_unicast(&ip);
	if (why)
		return fail(a, API_ERR_JSON, JSON_ERR "ip: %s: %s", ipstr, why);
	if (get_mac(a, "dstMac", true, &present, e.dmac) ||
	    get_mac(a, "srcMac", false, &src, e.smac))
		return -1;
	/* last: the only check that asks the daemon */
	if (get_iface(a, &e.ifindex, ifmac, &by_name))
		return -1;
	if (!src)
		memcpy(e.smac, ifmac, 6);

	ifname = by_name ? cJSON_GetObjectItemCaseSensitive(a->root, "iface")
				   ->valuestring
			 : NULL;
	err = a->ops->override_set(a->ops->arg, &ip, &e, ifname, src);
	if (err == -ENOSPC || err == -E2BIG)
		return fail(a, API_ERR_UPDATE,
			    "update error: %s: the table is full", ipstr);
	if (err)
		return fail(a, API_ERR_UPDATE, "update error: %s: %s", ipstr,
			    strerror(-err));
	a->r->flush = true;
	return 0;
}

static int do_delete(struct act *a)
{
	char ipstr[API_IP_STRLEN];
	struct ip_addr ip;
	bool present;
	int err;

	if (get_ip(a, true, &present, &ip))
		return -1;
	api_format_ip(&ip, ipstr);
	err = a->ops->override_del(a->ops->arg, &ip);
	if (err == -ENOENT)
		return fail(a, API_ERR_NO_OVERRIDE, "override not found: %s",
			    ipstr);
	if (err)
		return fail(a, API_ERR_UPDATE, "update error: %s: %s", ipstr,
			    strerror(-err));
	a->r->flush = true;
	return 0;
}

/* A row of QueryForward's Tables; NULL on no memory. */
static cJSON *row_json(const struct api_row *row)
{
	cJSON *o = cJSON_CreateObject();
	char ip[API_IP_STRLEN], smac[API_MAC_STRLEN], dmac[API_MAC_STRLEN];
	const char *status = NULL;

	if (!o)
		return NULL;
	api_format_ip(&row->ip, ip);
	api_format_mac(row->entry.smac, smac);
	api_format_mac(row->entry.dmac, dmac);
	/* only when it is so: the original's rows have five fields */
	if (row->override && row->iface_gone)
		status = "interface gone: no interface fwd manages has this "
			 "index now";
	else if (row->absent)
		status = "not installed: the map is full (raise --max-entries)";
	if (!cJSON_AddStringToObject(o, "Ip", ip) ||
	    !cJSON_AddNumberToObject(o, "Iface", row->entry.ifindex) ||
	    !cJSON_AddStringToObject(o, "SrcMac", smac) ||
	    !cJSON_AddStringToObject(o, "DstMac", dmac) ||
	    !cJSON_AddStringToObject(o, "Source",
				     row->override ? "override" : "learned") ||
	    (status && !cJSON_AddStringToObject(o, "Status", status))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * A streamed QueryForward: its rows, copied when asked, and the bytes
 * still to send: @head (the reply up to Tables' "["), each row in turn,
 * then "]}". @pend holds the piece being sent, from @off.
 */
struct api_stream {
	struct api_row *rows;
	size_t n, cap, next; /* rows held, room, the next to format */
	char *head;
	char *pend;
	size_t pend_len, off;
	bool tail_done;
};

void api_stream_free(struct api_stream *s)
{
	if (!s)
		return;
	free(s->rows);
	free(s->head);
	free(s->pend);
	free(s);
}

/* The next piece of @s into s->pend; false at the end. -ENOMEM in @err. */
static bool stream_next(struct api_stream *s, int *err)
{
	cJSON *o;
	char *text;

	free(s->pend);
	s->pend = NULL;
	s->pend_len = s->off = 0;
	if (s->head) {
		s->pend = s->head;
		s->head = NULL;
	} else if (s->next < s->n) {
		o = row_json(&s->rows[s->next]);
		text = o ? cJSON_PrintUnformatted(o) : NULL;
		cJSON_Delete(o);
		if (!text) {
			*err = -ENOMEM;
			return false;
		}
		/* every row but the first after a comma */
		if (s->next++) {
			size_t len = strlen(text);

			s->pend = malloc(len + 2);
			if (s->pend) {
				s->pend[0] = ',';
				memcpy(s->pend + 1, text, len + 1);
			}
			free(text);
			if (!s->pend) {
				*err = -ENOMEM;
				return false;
			}
		} else {
			s->pend = text;
		}
	} else if (!s->tail_done) {
		s->tail_done = true;
		s->pend = strdup("]}");
		if (!s->pend) {
			*err = -ENOMEM;
			return false;
		}
	} else {
		return false;
	}
	s->pend_len = strlen(s->pend);
	return true;
}

long api_stream_read(struct api_stream *s, char *buf, size_t max)
{
	size_t done = 0, k;
	int err = 0;

	while (done < max) {
		if (s->off == s->pend_len && !stream_next(s, &err))
			break;
		k = s->pend_len - s->off;
		if (k > max - done)
			k = max - done;
		memcpy(buf + done, s->pend + s->off, k);
		s->off += k;
		done += k;
	}
	return err && !done ? err : (long)done;
}

static int copy_row(const struct api_row *row, void *ctx)
{
	struct api_stream *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct api_row *rows = realloc(s->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		s->rows = rows;
		s->cap = cap;
	}
	s->rows[s->n++] = *row;
	return 0;
}

/*
 * Every row as @obj's Tables: copied first, then, up to API_QUERY_INLINE
 * of them, formatted into @r's body at once; more are left to @r's
 * stream. @obj is consumed.
 */
static int query_all(struct act *a, cJSON *obj)
{
	struct api_stream *s = calloc(1, sizeof(*s));
	char *text, *all = NULL;
	size_t len;
	long got;
	int err;

	err = s ? a->ops->walk(a->ops->arg, copy_row, s) : -ENOMEM;
	if (err) {
		api_stream_free(s);
		cJSON_Delete(obj);
		return err;
	}
	/* {"code":200,"traceId":"...","Tables":[]} less its "]}" */
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	len = text ? strlen(text) : 0;
	if (!text || len < 2 || strcmp(text + len - 2, "]}")) {
		free(text);
		api_stream_free(s);
		return -ENOMEM;
	}
	text[len - 2] = '\0';
	s->head = text;
	api_reply_free(a->r);
	a->r->code = API_OK;
	a->r->status = api_code_status(API_OK);
	if (s->n > API_QUERY_INLINE) {
		a->r->stream = s;
		return 0;
	}
	/* small: the whole body now, as any other reply */
	len = 64 * (s->n + 1) + strlen(text) + 8;
	for (;;) {
		char *grown = realloc(all, len + 1);

		if (!grown) {
			free(all);
			api_stream_free(s);
			return -ENOMEM;
		}
		all = grown;
		got = api_stream_read(s, all + a->r->len, len - a->r->len);
		if (got < 0) {
			free(all);
			api_stream_free(s);
			return (int)got;
		}
		a->r->len += (size_t)got;
		if (a->r->len < len)
			break;
		len *= 2;
	}
	all[a->r->len] = '\0';
	a->r->body = all;
	api_stream_free(s);
	return 0;
}

static int do_query(struct act *a)
{
	struct api_row row;
	cJSON *obj, *tables, *o = NULL;
	struct ip_addr ip;
	bool present, ok;
	int err;

	if (get_ip(a, false, &present, &ip))
		return -1;
	obj = reply_new(a->r, API_OK, &ok);
	tables = ok ? cJSON_AddArrayToObject(obj, "Tables") : NULL;
	if (!tables) {
		cJSON_Delete(obj);
		a->err = -ENOMEM;
		return -1;
	}
	if (!present) {
		err = query_all(a, obj);
		obj = NULL;
	} else {
		err = a->ops->lookup(a->ops->arg, &ip, &row);
		if (err == 0) {
			o = row_json(&row);
			err = o && cJSON_AddItemToArray(tables, o) ? 0
								   : -ENOMEM;
			if (err)
				cJSON_Delete(o);
		} else if (err == -ENOENT) {
			err = 0; /* a filter that matches nothing */
		}
	}
	if (err == -ENOMEM) {
		cJSON_Delete(obj);
		a->err = -ENOMEM;
		return -1;
	}
	if (err) {
		cJSON_Delete(obj);
		return fail(a, API_ERR_QUERY, "query error: %s",
			    strerror(-err));
	}
	if (obj)
		a->err = reply_set(a->r, obj, true, API_OK);
	return 0;
}

/* {"packets":N,"bytes":N} as @key of @obj; false on no memory. */
static bool count_add(cJSON *obj, const char *key, const struct fwd_count *c)
{
	cJSON *o = cJSON_AddObjectToObject(obj, key);

	return o && cJSON_AddNumberToObject(o, "packets", c->packets) &&
	       cJSON_AddNumberToObject(o, "bytes", c->bytes);
}

/*
 * "Interfaces":[{"Iface":4,"Name":"enp0s9","Rx":{<outcome>:{packets,
 * bytes}...},"Tx":{packets,bytes}}]: per managed interface, the outcomes
 * of what arrived there (Counters' names) and what was redirected out.
 */
static int ifstats_add(struct act *a, cJSON *obj, bool *ok)
{
	struct api_ifstat *is;
	cJSON *arr, *o, *rx;
	int n, i, k;

	if (!a->ops->ifstats)
		return 0;
	is = calloc(FWD_MAX_IFACES, sizeof(*is));
	if (!is)
		return -ENOMEM;
	n = a->ops->ifstats(a->ops->arg, is, FWD_MAX_IFACES);
	arr = n >= 0 && *ok ? cJSON_AddArrayToObject(obj, "Interfaces") : NULL;
	*ok = *ok && (n < 0 || arr);
	for (i = 0; *ok && i < n; i++) {
		o = cJSON_CreateObject();
		*ok = o && cJSON_AddItemToArray(arr, o) &&
		      cJSON_AddNumberToObject(o, "Iface", is[i].ifindex) &&
		      cJSON_AddStringToObject(o, "Name", is[i].name);
		rx = *ok ? cJSON_AddObjectToObject(o, "Rx") : NULL;
		*ok = rx != NULL;
		for (k = 0; *ok && k < FWD_CNT_MAX; k++)
			*ok = count_add(rx, fwd_counter_names[k], &is[i].rx[k]);
		*ok = *ok && count_add(o, "Tx", &is[i].tx);
	}
	free(is);
	return n < 0 ? n : 0;
}

/* QueryStats' "Demand": demand learning's figures (docs/api.md). */
static bool demand_add(cJSON *obj, const struct api_stats *st)
{
	cJSON *o = cJSON_AddObjectToObject(obj, "Demand");

	return o && cJSON_AddNumberToObject(o, "max", st->demand.max) &&
	       cJSON_AddNumberToObject(o, "entries", st->demand.entries) &&
	       cJSON_AddNumberToObject(o, "learned", st->demand.learned) &&
	       cJSON_AddNumberToObject(o, "renewed", st->demand.renewed) &&
	       cJSON_AddNumberToObject(o, "ignored", st->demand.ignored) &&
	       cJSON_AddNumberToObject(o, "evictedIdle", st->demand.idle) &&
	       cJSON_AddNumberToObject(o, "evictedBudget", st->demand.budget) &&
	       cJSON_AddNumberToObject(o, "reports", st->demand.reports) &&
	       cJSON_AddNumberToObject(o, "suppressed",
				       st->demand.suppressed) &&
	       cJSON_AddNumberToObject(o, "limited", st->demand.limited) &&
	       cJSON_AddNumberToObject(o, "lost", st->demand.lost);
}

static int do_stats(struct act *a)
{
	struct api_stats st;
	cJSON *obj, *c, *ag;
	bool ok;
	int i, err;

	memset(&st, 0, sizeof(st));
	err = a->ops->stats(a->ops->arg, &st);
	if (err)
		return fail(a, API_ERR_QUERY, "query error: stats: %s",
			    strerror(-err));
	obj = reply_new(a->r, API_OK, &ok);
	c = ok ? cJSON_AddObjectToObject(obj, "Counters") : NULL;
	ok = c != NULL;
	for (i = 0; ok && i < FWD_CNT_MAX; i++) {
		cJSON *o = cJSON_AddObjectToObject(c, fwd_counter_names[i]);

		ok = o &&
		     cJSON_AddNumberToObject(o, "packets",
					     st.counters[i].packets) &&
		     cJSON_AddNumberToObject(o, "bytes", st.counters[i].bytes);
	}
	ag = ok ? cJSON_AddObjectToObject(obj, "Agent") : NULL;
	ok = ag && cJSON_AddNumberToObject(ag, "learned", st.learned) &&
	     cJSON_AddNumberToObject(ag, "overrides", st.overrides) &&
	     cJSON_AddNumberToObject(ag, "hfwdEntries", st.hfwd_entries) &&
	     cJSON_AddNumberToObject(ag, "learned6", st.learned6) &&
	     cJSON_AddNumberToObject(ag, "overrides6", st.overrides6) &&
	     cJSON_AddNumberToObject(ag, "hfwd6Entries", st.hfwd6_entries) &&
	     cJSON_AddNumberToObject(ag, "maxEntries", st.max_entries) &&
	     cJSON_AddNumberToObject(ag, "evicted", st.evicted) &&
	     cJSON_AddNumberToObject(ag, "resyncs", st.resyncs) &&
	     cJSON_AddNumberToObject(ag, "netlinkEvents", st.nl_events) &&
	     cJSON_AddNumberToObject(ag, "uptimeSeconds", st.uptime_s) &&
	     cJSON_AddNumberToObject(ag, "loopMaxMicroseconds",
				     st.loop_max_us) &&
	     cJSON_AddNumberToObject(ag, "loopSlowCallbacks", st.loop_slow);
	ok = ok && demand_add(obj, &st);
	err = ifstats_add(a, obj, &ok);
	if (err) {
		cJSON_Delete(obj);
		return fail(a, API_ERR_QUERY, "query error: stats: %s",
			    strerror(-err));
	}
	a->err = reply_set(a->r, obj, ok, API_OK);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct act *a);
} actions[] = {
	{"QueryForward", do_query},
	{"UpdateForward", do_update},
	{"DeleteForward", do_delete},
	{"QueryStats", do_stats},
};

static int run(struct act *a, const char *body, size_t len)
{
	const char *end = NULL, *action;
	const cJSON *tv;
	char *copy;
	size_t i;

	if (len == 0)
		return fail(a, API_ERR_READ,
			    "read request body error: empty body");
	if (check_bytes(a, body, len))
		return -1;
	/*
	 * cJSON's require_null_terminated only rejects trailing bytes when
	 * the terminating NUL is inside the given length.
	 */
	copy = malloc(len + 1);
	if (!copy) {
		a->err = -ENOMEM;
		return -1;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	a->root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (!a->root) {
		size_t off = end >= copy && end <= copy + len ? end - copy : 0;

		free(copy);
		return fail(a, API_ERR_JSON,
			    JSON_ERR "invalid JSON at byte %zu", off);
	}
	free(copy);
	if (!cJSON_IsObject(a->root))
		return fail(a, API_ERR_JSON,
			    JSON_ERR "body must be a JSON object, not %s",
			    type_name(a->root));
	tv = cJSON_GetObjectItemCaseSensitive(a->root, "traceId");
	if (tv && !cJSON_IsString(tv))
		return fail(a, API_ERR_JSON,
			    JSON_ERR "traceId: must be a string, not %s",
			    type_name(tv));
	if (tv && strlen(tv->valuestring) > API_TRACE_MAX)
		return fail(a, API_ERR_JSON,
			    JSON_ERR "traceId: longer than %d bytes",
			    API_TRACE_MAX);
	a->trace = tv ? tv->valuestring : NULL;
	set_trace(a->r, a->trace);
	a->trace = a->r->trace_id;
	if (check_duplicates(a))
		return -1;

	if (get_string(a, "action", true, &action) || !action)
		return -1;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(action, actions[i].name))
			return actions[i].fn(a);
	return fail(a, API_ERR_ACTION,
		    "not support action error: \"%.64s\" (QueryForward, "
		    "UpdateForward, DeleteForward, QueryStats)",
		    action);
}

int api_action(const struct api_ops *ops, const char *body, size_t len,
	       struct api_reply *r)
{
	struct act a = {.ops = ops, .r = r};
	bool ok;

	memset(r, 0, sizeof(*r));
	run(&a, body, len);
	cJSON_Delete((cJSON *)a.root);
	if (a.err) {
		api_reply_free(r);
		r->flush = false;
		return a.err;
	}
	if (!r->body && !r->stream) {
		/* an action that succeeded without a payload of its own */
		cJSON *obj = reply_new(r, API_OK, &ok);

		return reply_set(r, obj, ok, API_OK);
	}
	return 0;
}
