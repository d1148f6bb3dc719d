/*
 * sockdiag: lists the TCP and UDP sockets (IPv4 and IPv6) of the network namespace it runs in,
 * over NETLINK_SOCK_DIAG, for the app page's live connections (issue 19). Each socket comes
 * with the cgroup it was created in (INET_DIAG_CGROUP_ID, Linux 5.7 and later), so the
 * collector can tell which app holds it, and a TCP socket with its byte counters (tcp_info's
 * bytes_received and bytes_acked). Sockets without a full socket behind them (TIME_WAIT, the
 * request sockets of a half-open connection) have no cgroup and are not asked for.
 *
 *   sockdiag [--serve]
 *
 * With --serve it stays running and lists once per line read on stdin (the collector keeps one
 * running while somebody watches); a failed listing then prints `error MESSAGE` and `end -`.
 *
 * Output (parsed by lib/live.ts):
 *   sockdiag 1                    format version
 *   sockets [[PROTO,STATE,CGROUP,"LOCAL",LPORT,"REMOTE",RPORT,RX,TX],...]   one JSON array:
 *                                 PROTO 6 (tcp) or 17 (udp); STATE the kernel's TCP state number
 *                                 (a UDP socket: 1 connected, 7 not); CGROUP null when the kernel
 *                                 does not say; addresses as inet_ntop writes them; RX/TX null
 *                                 for UDP
 *   end COUNT
 * Exit 0 on success, 1 on error (message on stderr), 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>

#define RECV_BUF (64 * 1024)
/* Every state but TIME_WAIT (6) and NEW_SYN_RECV (12): those are mini sockets without a cgroup. */
#define STATES (0xfff & ~((1u << 6) | (1u << 12)))

struct listing {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint8_t proto;
	FILE *out;
	unsigned long count;
};

struct attrs {
	const struct nlattr *a[INET_DIAG_MAX + 1];
};

static int collect(const struct nlattr *attr, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(attr);
	if (type <= INET_DIAG_MAX)
		t->a[type] = attr;
	return MNL_CB_OK;
}

/* put_addr writes a socket's address as a JSON string ("" for none: the unspecified address). */
static void put_addr(FILE *out, uint8_t family, const uint32_t *addr)
{
	char text[INET6_ADDRSTRLEN] = "";
	static const uint32_t zero[4];
	if (memcmp(addr, zero, family == AF_INET ? 4 : 16) != 0)
		inet_ntop(family, addr, text, sizeof(text));
	fprintf(out, "\"%s\"", text);
}

/* tcp_bytes reads bytes_received and bytes_acked from tcp_info, when the kernel's is long enough. */
static int tcp_bytes(const struct nlattr *info, uint64_t *rx, uint64_t *tx)
{
	if (!info)
		return 0;
	size_t len = mnl_attr_get_payload_len(info);
	if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(uint64_t))
		return 0;
	struct tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, mnl_attr_get_payload(info), len < sizeof(ti) ? len : sizeof(ti));
	*rx = ti.tcpi_bytes_received;
	*tx = ti.tcpi_bytes_acked;
	return 1;
}

static int socket_cb(const struct nlmsghdr *nlh, void *data)
{
	struct listing *l = data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct inet_diag_msg))
		return MNL_CB_OK;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	struct attrs t;
	memset(&t, 0, sizeof(t));
	mnl_attr_parse(nlh, sizeof(*m), collect, &t);
	fputs(l->count ? ",[" : "[", l->out);
	l->count++;
	fprintf(l->out, "%u,%u,", l->proto, m->idiag_state);
	const struct nlattr *cg = t.a[INET_DIAG_CGROUP_ID];
	if (cg && mnl_attr_get_payload_len(cg) == sizeof(uint64_t))
		fprintf(l->out, "%" PRIu64 ",", mnl_attr_get_u64(cg));
	else
		fputs("null,", l->out);
	put_addr(l->out, m->idiag_family, m->id.idiag_src);
	fprintf(l->out, ",%u,", ntohs(m->id.idiag_sport));
	put_addr(l->out, m->idiag_family, m->id.idiag_dst);
	fprintf(l->out, ",%u,", ntohs(m->id.idiag_dport));
	uint64_t rx, tx;
	if (l->proto == IPPROTO_TCP && tcp_bytes(t.a[INET_DIAG_INFO], &rx, &tx))
		fprintf(l->out, "%" PRIu64 ",%" PRIu64 "]", rx, tx);
	else
		fputs("null,null]", l->out);
	return MNL_CB_OK;
}

/* dump_one lists one family's sockets of one protocol; -1 with errno on failure. */
static int dump_one(struct listing *l, uint8_t family, uint8_t proto)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	static char rbuf[RECV_BUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++l->seq;
	struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = STATES;
	if (proto == IPPROTO_TCP)
		req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	l->proto = proto;
	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(l->nl, rbuf, sizeof(rbuf));
		if (n < 0)
			return -1;
		int ret = mnl_cb_run(rbuf, n, nlh->nlmsg_seq, l->portid, socket_cb, l);
		if (ret < 0)
			return -1;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int open_socket(struct listing *l)
{
	l->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (l->nl)
			mnl_socket_close(l->nl);
		l->nl = NULL;
		return -1;
	}
	l->portid = mnl_socket_get_portid(l->nl);
	return 0;
}

/* list_once writes one complete listing to stdout; on failure a message (stderr, or an error record when serving) and 1. */
static int list_once(struct listing *l, int serve)
{
	char *text = NULL;
	size_t len = 0;
	const char *why = NULL;
	if (!l->nl && open_socket(l) < 0)
		why = strerror(errno);
	if (!why && !(l->out = open_memstream(&text, &len)))
		why = "out of memory";
	if (!why) {
		static const uint8_t families[] = { AF_INET, AF_INET6 };
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
		l->count = 0;
		fputs("sockdiag 1\nsockets [", l->out);
		int r = 0;
		int err = 0;
		for (int f = 0; f < 2 && r == 0; f++)
			for (int p = 0; p < 2 && r == 0; p++) {
				r = dump_one(l, families[f], protos[p]);
				err = errno;
				/* No diag module for it (a kernel without IPv6 or UDP diag): none of those to list. */
				if (r < 0 && err == ENOENT)
					r = 0;
			}
		fprintf(l->out, "]\nend %lu\n", l->count);
		fclose(l->out);
		if (r < 0) {
			why = strerror(err);
			/* A failed dump may leave replies queued on the socket: start afresh next time. */
			mnl_socket_close(l->nl);
			l->nl = NULL;
		}
	}
	if (why) {
		free(text);
		if (!serve) {
			fprintf(stderr, "sockdiag: listing sockets: %s\n", why);
			return 1;
		}
		printf("sockdiag 1\nerror listing sockets: %s\nend -\n", why);
		fflush(stdout);
		return 1;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct listing l = { .seq = (uint32_t)time(NULL) };
	int serve = argc == 2 && strcmp(argv[1], "--serve") == 0;
	if (argc > 2 || (argc == 2 && !serve)) {
		fprintf(stderr, "usage: sockdiag [--serve]\n");
		return 2;
	}
	if (!serve)
		return list_once(&l, 0);
	char line[64];
	while (fgets(line, sizeof(line), stdin))
		list_once(&l, 1);
	if (l.nl)
		mnl_socket_close(l.nl);
	return 0;
}
