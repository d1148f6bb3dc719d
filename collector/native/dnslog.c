/*
 * dnslog: reads the DNS answers our nft table logs to an NFLOG group (`udp sport 53 log
 * group N` in appnet's input accounting chain), for the collector to learn which host name
 * each address it sees traffic to was looked up as (issue 19). It parses nothing: each logged
 * packet (the IP packet, from its network header) goes out as hex, and lib/dns.ts reads it.
 *
 *   dnslog GROUP
 *
 * Output, one line each: `ready` once bound, `p HEX` per packet, `lost` when the kernel's
 * queue overflowed (answers were dropped: their names are not learned). Runs until stdin
 * closes or it is killed. Exit 1 on error (message on stderr), 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

static struct nlmsghdr *config_msg(char *buf, uint16_t group, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	return nlh;
}

/* request sends one config message and waits for its acknowledgement. */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh, uint32_t portid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	int n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, NULL, NULL) < 0 ? -1 : 0;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (mnl_attr_type_valid(attr, NFULA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	const struct nlattr *tb[NFULA_MAX + 1];
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb);
	if (!tb[NFULA_PAYLOAD])
		return MNL_CB_OK;
	const unsigned char *p = mnl_attr_get_payload(tb[NFULA_PAYLOAD]);
	uint16_t len = mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]);
	static const char hex[] = "0123456789abcdef";
	fputs("p ", stdout);
	for (uint16_t i = 0; i < len; i++) {
		putchar(hex[p[i] >> 4]);
		putchar(hex[p[i] & 15]);
	}
	putchar('\n');
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	char *end;
	long group = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || *end || group < 0 || group > 65535) {
		fprintf(stderr, "usage: dnslog GROUP (0-65535)\n");
		return 2;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "dnslog: cannot open a netfilter netlink socket: %s\n", strerror(errno));
		return 1;
	}
	uint32_t portid = mnl_socket_get_portid(nl);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = config_msg(buf, (uint16_t)group, 1);
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	if (request(nl, nlh, portid) < 0) {
		fprintf(stderr, "dnslog: cannot bind NFLOG group %ld: %s (another reader holds it?)\n", group, strerror(errno));
		return 1;
	}
	nlh = config_msg(buf, (uint16_t)group, 2);
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(0xffff), .copy_mode = NFULNL_COPY_PACKET };
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	/* Hand each answer over at once (the default batches them for up to a second). */
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	if (request(nl, nlh, portid) < 0) {
		fprintf(stderr, "dnslog: cannot set NFLOG group %ld to copy packets: %s\n", group, strerror(errno));
		return 1;
	}
	puts("ready");
	fflush(stdout);
	struct pollfd fds[2] = { { .fd = mnl_socket_get_fd(nl), .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	char rbuf[1 << 16];
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents) {
			char c[256];
			if (read(0, c, sizeof(c)) <= 0)
				break; /* the collector is gone */
		}
		if (!(fds[0].revents & POLLIN))
			continue;
		int n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (n < 0) {
			if (errno == ENOBUFS) {
				puts("lost");
				fflush(stdout);
				continue;
			}
			fprintf(stderr, "dnslog: reading NFLOG: %s\n", strerror(errno));
			return 1;
		}
		mnl_cb_run(rbuf, n, 0, 0, packet_cb, NULL);
		fflush(stdout);
	}
	return 0;
}
