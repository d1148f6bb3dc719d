/*
 * nftdump: reads the counters of one nftables table over netlink, for the appnet
 * collector. nft 1.0.6's `nft -j list table` costs about a third of a second at 10,000
 * set elements (JSON building and printing); the kernel's own dump takes milliseconds.
 *
 *   nftdump [--serve] [-f inet|ip|ip6|arp|bridge|netdev] TABLE [SET...] [--dests SET...]
 *
 * With --serve it stays running and dumps once per line read on stdin (the collector
 * keeps one running: no process start per poll); a failed dump then prints
 * `error MESSAGE` and `end -` instead of exiting.
 *
 * Output, one record per line, space-separated (parsed by lib/nft/dump.ts):
 *   nftdump 2                     format version
 *   absent                        the table does not exist (nothing else follows but end)
 *   table HANDLE
 *   set NAME SIZE KEYLEN          each requested set that exists (SIZE 0: unbounded)
 *   elems NAME [[ID,IFNAME,BYTES,PACKETS,EXPIRES_MS],...]   its elements as one JSON array:
 *                                 24-byte keys are a cgroup id (8 bytes, host order) and an
 *                                 interface name, 16-byte keys an interface name (ID null);
 *                                 BYTES/PACKETS null without a counter, EXPIRES_MS null without a timeout
 *   delems NAME [[ID,PROTO,"ADDR",PORT,IFINDEX,BYTES,PACKETS,EXPIRES_MS],...]
 *                                 the elements of a set named after --dests, keyed
 *                                 `socket cgroupv2 . meta l4proto . ip(6) addr . th port . meta oif`
 *                                 (24-byte keys IPv4, 36-byte IPv6; lib/nft/dest-sets.ts): the
 *                                 address as inet_ntop writes it (an IPv4-mapped one dotted)
 *   chain NAME RULES              rule count of each chain of the table that has rules
 *   counter NAME PACKETS BYTES    named counters
 *   quota NAME BYTES USED         named quotas
 *   end HANDLE|-
 * The elements are JSON because that is what the collector parses fastest (natively).
 * Nothing is resolved (cgroup ids stay numbers: no walk of /sys/fs/cgroup). The whole
 * dump is retried when the ruleset changed under it (NLM_F_DUMP_INTR) or the table was
 * re-created between the first and the last read. Exit 0 on success, 1 on error
 * (message on stderr), 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#define MAX_SETS 64
#define MAX_CHAINS 4096
#define RECV_BUF (64 * 1024)

struct set_info {
	char name[256];
	uint32_t size;
	uint32_t keylen;
	int found;
	int dests; /* a destination set (named after --dests): printed as delems */
};

struct dump {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint8_t family;
	const char *table;
	FILE *out;
	struct set_info sets[MAX_SETS];
	int nsets;
	char *chains[MAX_CHAINS];
	unsigned rules[MAX_CHAINS];
	int nchains;
	int first_elem;
	int cur_dests;
	uint64_t handle;
	int has_handle;
};

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static struct nlmsghdr *request(struct dump *d, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++d->seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = d->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* talk sends one request and feeds every reply to cb; -1 with errno on failure. */
static int talk(struct dump *d, struct nlmsghdr *nlh, mnl_cb_t cb)
{
	static char buf[RECV_BUF];
	uint32_t seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		int ret = mnl_cb_run(buf, n, seq, d->portid, cb, d);
		if (ret < 0)
			return -1;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* attrs collects the attributes of one nesting level by type (the last one wins). */
struct attrs {
	const struct nlattr *a[64];
};

static int collect(const struct nlattr *attr, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(attr);
	if (type < 64)
		t->a[type] = attr;
	return MNL_CB_OK;
}

static void parse_msg(const struct nlmsghdr *nlh, struct attrs *t)
{
	memset(t, 0, sizeof(*t));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, t);
}

static void parse_nested(const struct nlattr *nest, struct attrs *t)
{
	memset(t, 0, sizeof(*t));
	if (nest)
		mnl_attr_parse_nested(nest, collect, t);
}

static uint64_t get_u64(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == 8 ? be64toh(mnl_attr_get_u64(a)) : 0;
}

static uint32_t get_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

/* name_of returns a string attribute if it is a valid name; "" otherwise. */
static const char *name_of(const struct nlattr *a)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return "";
	const char *s = mnl_attr_get_str(a);
	return valid_name(s) ? s : "";
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct attrs t;
	parse_msg(nlh, &t);
	if (strcmp(name_of(t.a[NFTA_TABLE_NAME]), d->table) == 0 && t.a[NFTA_TABLE_HANDLE]) {
		d->handle = get_u64(t.a[NFTA_TABLE_HANDLE]);
		d->has_handle = 1;
	}
	return MNL_CB_OK;
}

/* table_handle reads the table's handle; 0 when it exists, 1 when absent, -1 on error. */
static int table_handle(struct dump *d, uint64_t *handle)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(d, buf, NFT_MSG_GETTABLE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, d->table);
	d->has_handle = 0;
	if (talk(d, nlh, table_cb) < 0)
		return errno == ENOENT ? 1 : -1;
	if (!d->has_handle)
		return 1;
	*handle = d->handle;
	return 0;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct attrs t, desc;
	parse_msg(nlh, &t);
	const char *name = name_of(t.a[NFTA_SET_NAME]);
	for (int i = 0; i < d->nsets; i++) {
		if (strcmp(d->sets[i].name, name) != 0)
			continue;
		parse_nested(t.a[NFTA_SET_DESC], &desc);
		d->sets[i].found = 1;
		d->sets[i].size = get_u32(desc.a[NFTA_SET_DESC_SIZE]);
		d->sets[i].keylen = get_u32(t.a[NFTA_SET_KEY_LEN]);
	}
	return MNL_CB_OK;
}

/* counter_of reads bytes and packets from a "counter" expression; 0 when it is another kind. */
static int counter_of(const struct nlattr *expr, uint64_t *bytes, uint64_t *packets)
{
	struct attrs e, c;
	parse_nested(expr, &e);
	if (!e.a[NFTA_EXPR_NAME] || mnl_attr_validate(e.a[NFTA_EXPR_NAME], MNL_TYPE_NUL_STRING) < 0 || strcmp(mnl_attr_get_str(e.a[NFTA_EXPR_NAME]), "counter") != 0)
		return 0;
	parse_nested(e.a[NFTA_EXPR_DATA], &c);
	*bytes = get_u64(c.a[NFTA_COUNTER_BYTES]);
	*packets = get_u64(c.a[NFTA_COUNTER_PACKETS]);
	return 1;
}

#define IFNAMSIZ_ 16

/* put_ifname writes a NUL-padded interface name as a JSON string (bytes outside printable ASCII as \u00XX). */
static void put_ifname(FILE *out, const uint8_t *p)
{
	fputc('"', out);
	for (int i = 0; i < IFNAMSIZ_ && p[i]; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(out, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(out, "\\u%04x", p[i]);
		else
			fputc(p[i], out);
	}
	fputc('"', out);
}

/*
 * put_dest_key writes a destination set's key as ID,PROTO,"ADDR",PORT,IFINDEX: each part of the
 * concatenation padded to 4 bytes; the cgroup id and the interface index in host order, the
 * address and the port in network order.
 */
static void put_dest_key(FILE *out, const uint8_t *p, uint16_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char buf[INET6_ADDRSTRLEN];
	int alen = n == 24 ? 4 : n == 36 ? 16 : 0;
	if (!alen) {
		fputs("null,null,null,null,null", out); /* not a layout of ours: the parser refuses the set */
		return;
	}
	uint64_t id;
	uint32_t ifindex;
	uint16_t port;
	memcpy(&id, p, sizeof(id));
	memcpy(&port, p + 12 + alen, sizeof(port));
	memcpy(&ifindex, p + 16 + alen, sizeof(ifindex));
	if (alen == 16 && memcmp(p + 12, mapped, 12) == 0)
		inet_ntop(AF_INET, p + 24, buf, sizeof(buf));
	else
		inet_ntop(alen == 4 ? AF_INET : AF_INET6, p + 12, buf, sizeof(buf));
	fprintf(out, "%" PRIu64 ",%u,\"%s\",%u,%" PRIu32, id, p[8], buf, ntohs(port), ifindex);
}

static void print_elem(struct dump *d, const struct nlattr *elem)
{
	struct attrs t, key;
	parse_nested(elem, &t);
	if (get_u32(t.a[NFTA_SET_ELEM_FLAGS]) & (NFT_SET_ELEM_INTERVAL_END | NFT_SET_ELEM_CATCHALL))
		return;
	parse_nested(t.a[NFTA_SET_ELEM_KEY], &key);
	const struct nlattr *v = key.a[NFTA_DATA_VALUE];
	if (!v)
		return;
	uint64_t bytes = 0, packets = 0;
	int counted = 0;
	if (t.a[NFTA_SET_ELEM_EXPR])
		counted = counter_of(t.a[NFTA_SET_ELEM_EXPR], &bytes, &packets);
	if (!counted && t.a[NFTA_SET_ELEM_EXPRESSIONS]) {
		const struct nlattr *x;
		mnl_attr_for_each_nested(x, t.a[NFTA_SET_ELEM_EXPRESSIONS])
		{
			if (mnl_attr_get_type(x) == NFTA_LIST_ELEM && counter_of(x, &bytes, &packets)) {
				counted = 1;
				break;
			}
		}
	}
	const uint8_t *p = mnl_attr_get_payload(v);
	uint16_t n = mnl_attr_get_payload_len(v);
	fputs(d->first_elem ? "[" : ",[", d->out);
	d->first_elem = 0;
	if (d->cur_dests) {
		put_dest_key(d->out, p, n);
	} else if (n == 8 + IFNAMSIZ_) {
		uint64_t id;
		memcpy(&id, p, sizeof(id));
		fprintf(d->out, "%" PRIu64 ",", id);
		put_ifname(d->out, p + 8);
	} else if (n == IFNAMSIZ_) {
		fputs("null,", d->out);
		put_ifname(d->out, p);
	} else {
		fputs("null,null", d->out); /* not a layout of ours: the parser refuses the set */
	}
	if (counted)
		fprintf(d->out, ",%" PRIu64 ",%" PRIu64, bytes, packets);
	else
		fputs(",null,null", d->out);
	if (t.a[NFTA_SET_ELEM_EXPIRATION])
		fprintf(d->out, ",%" PRIu64 "]", get_u64(t.a[NFTA_SET_ELEM_EXPIRATION]));
	else
		fputs(",null]", d->out);
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct attrs t;
	parse_msg(nlh, &t);
	const struct nlattr *list = t.a[NFTA_SET_ELEM_LIST_ELEMENTS];
	if (!list)
		return MNL_CB_OK;
	const struct nlattr *x;
	mnl_attr_for_each_nested(x, list)
	{
		if (mnl_attr_get_type(x) == NFTA_LIST_ELEM)
			print_elem(d, x);
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct attrs t;
	parse_msg(nlh, &t);
	if (strcmp(name_of(t.a[NFTA_RULE_TABLE]), d->table) != 0)
		return MNL_CB_OK;
	const char *chain = name_of(t.a[NFTA_RULE_CHAIN]);
	if (!*chain)
		return MNL_CB_OK;
	for (int i = 0; i < d->nchains; i++) {
		if (strcmp(d->chains[i], chain) == 0) {
			d->rules[i]++;
			return MNL_CB_OK;
		}
	}
	if (d->nchains < MAX_CHAINS) {
		d->chains[d->nchains] = strdup(chain);
		d->rules[d->nchains++] = 1;
	}
	return MNL_CB_OK;
}

static int obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct attrs t, o;
	parse_msg(nlh, &t);
	if (strcmp(name_of(t.a[NFTA_OBJ_TABLE]), d->table) != 0)
		return MNL_CB_OK;
	const char *name = name_of(t.a[NFTA_OBJ_NAME]);
	if (!*name)
		return MNL_CB_OK;
	parse_nested(t.a[NFTA_OBJ_DATA], &o);
	switch (get_u32(t.a[NFTA_OBJ_TYPE])) {
	case NFT_OBJECT_COUNTER:
		fprintf(d->out, "counter %s %" PRIu64 " %" PRIu64 "\n", name, get_u64(o.a[NFTA_COUNTER_PACKETS]), get_u64(o.a[NFTA_COUNTER_BYTES]));
		break;
	case NFT_OBJECT_QUOTA:
		fprintf(d->out, "quota %s %" PRIu64 " %" PRIu64 "\n", name, get_u64(o.a[NFTA_QUOTA_BYTES]), get_u64(o.a[NFTA_QUOTA_CONSUMED]));
		break;
	}
	return MNL_CB_OK;
}

static void reset_chains(struct dump *d)
{
	for (int i = 0; i < d->nchains; i++)
		free(d->chains[i]);
	d->nchains = 0;
}

/* dump_once writes one full dump to d->out; 0 on success, -1 with errno on failure. */
static int dump_once(struct dump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint64_t first, last;
	struct nlmsghdr *nlh;
	fputs("nftdump 2\n", d->out);
	int r = table_handle(d, &first);
	if (r < 0)
		return -1;
	if (r == 1) {
		fputs("absent\nend -\n", d->out);
		return 0;
	}
	fprintf(d->out, "table %" PRIu64 "\n", first);

	nlh = request(d, buf, NFT_MSG_GETSET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, d->table);
	for (int i = 0; i < d->nsets; i++)
		d->sets[i].found = 0;
	if (talk(d, nlh, set_cb) < 0)
		return -1;
	/*
	 * Destination sets first: the ruleset counts a packet to its app before its destination, so
	 * read in this order an app's destinations never exceed its own counters.
	 */
	for (int k = 0; k < 2 * d->nsets; k++) {
		struct set_info *s = &d->sets[k % d->nsets];
		if (!s->found || s->dests != (k < d->nsets))
			continue;
		fprintf(d->out, "set %s %" PRIu32 " %" PRIu32 "\n", s->name, s->size, s->keylen);
		nlh = request(d, buf, NFT_MSG_GETSETELEM, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, d->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
		fprintf(d->out, "%s %s [", s->dests ? "delems" : "elems", s->name);
		d->first_elem = 1;
		d->cur_dests = s->dests;
		if (talk(d, nlh, elem_cb) < 0)
			return -1;
		fputs("]\n", d->out);
	}

	nlh = request(d, buf, NFT_MSG_GETRULE, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, d->table);
	reset_chains(d);
	if (talk(d, nlh, rule_cb) < 0)
		return -1;
	for (int i = 0; i < d->nchains; i++)
		fprintf(d->out, "chain %s %u\n", d->chains[i], d->rules[i]);

	nlh = request(d, buf, NFT_MSG_GETOBJ, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, d->table);
	if (talk(d, nlh, obj_cb) < 0)
		return -1;

	r = table_handle(d, &last);
	if (r < 0)
		return -1;
	if (r == 1 || last != first) {
		errno = EAGAIN; /* re-created or deleted while we read it */
		return -1;
	}
	fprintf(d->out, "end %" PRIu64 "\n", last);
	return 0;
}

static int open_socket(struct dump *d)
{
	d->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!d->nl || mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (d->nl)
			mnl_socket_close(d->nl);
		d->nl = NULL;
		return -1;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	return 0;
}

/*
 * dump_to_stdout writes one complete dump, retried while the ruleset changes under it.
 * On failure: a message on stderr and 1 (one-shot), or an error record (serve).
 */
static int dump_to_stdout(struct dump *d, int serve)
{
	char *text = NULL;
	size_t len = 0;
	const char *why = NULL;
	for (int attempt = 1; !why; attempt++) {
		if (!d->nl && open_socket(d) < 0) {
			why = strerror(errno);
			break;
		}
		free(text);
		text = NULL;
		d->out = open_memstream(&text, &len);
		if (!d->out) {
			why = "out of memory";
			break;
		}
		int r = dump_once(d);
		int err = errno;
		fclose(d->out);
		if (r == 0)
			break;
		if ((err != EINTR && err != EAGAIN) || attempt >= 5)
			why = err == EAGAIN ? "the table was re-created during the dump" : strerror(err);
		/* An interrupted dump leaves its unread rest queued on the socket: start afresh. */
		mnl_socket_close(d->nl);
		d->nl = NULL;
	}
	if (why) {
		free(text);
		if (!serve) {
			fprintf(stderr, "nftdump: listing table %s: %s\n", d->table, why);
			return 1;
		}
		printf("nftdump 2\nerror listing table %s: %s\nend -\n", d->table, why);
		fflush(stdout);
		return 1;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int family_of(const char *s)
{
	static const struct { const char *name; int family; } fams[] = {
		{ "inet", NFPROTO_INET }, { "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 },
		{ "arp", NFPROTO_ARP }, { "bridge", NFPROTO_BRIDGE }, { "netdev", NFPROTO_NETDEV },
	};
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		if (strcmp(fams[i].name, s) == 0)
			return fams[i].family;
	return -1;
}

static int usage(const char *why)
{
	fprintf(stderr, "nftdump: %s\nusage: nftdump [--serve] [-f FAMILY] TABLE [SET...] [--dests SET...]\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	struct dump d = { .family = NFPROTO_INET };
	int i = 1, serve = 0;
	if (i < argc && strcmp(argv[i], "--serve") == 0) {
		serve = 1;
		i++;
	}
	if (i < argc && strcmp(argv[i], "-f") == 0) {
		if (i + 1 >= argc || family_of(argv[i + 1]) < 0)
			return usage("unknown family");
		d.family = (uint8_t)family_of(argv[i + 1]);
		i += 2;
	}
	if (i >= argc || !valid_name(argv[i]))
		return usage("a table name is required (letters, digits, _ - .)");
	d.table = argv[i++];
	int dests = 0;
	for (; i < argc; i++) {
		if (!dests && strcmp(argv[i], "--dests") == 0) {
			dests = 1;
			continue;
		}
		if (!valid_name(argv[i]) || d.nsets >= MAX_SETS)
			return usage("bad set name, or too many sets");
		d.sets[d.nsets].dests = dests;
		snprintf(d.sets[d.nsets++].name, sizeof(d.sets[0].name), "%s", argv[i]);
	}

	d.seq = (uint32_t)time(NULL);

	if (!serve)
		return dump_to_stdout(&d, 0);
	char line[64];
	while (fgets(line, sizeof(line), stdin))
		dump_to_stdout(&d, 1); /* a failure is an error record; the next request starts afresh */
	reset_chains(&d);
	if (d.nl)
		mnl_socket_close(d.nl);
	return 0;
}

