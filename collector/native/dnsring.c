/*
 * dnsring: reads the DNS answers appnet's cgroup_skb program (count.bpf.c) copies into its
 * ring buffer, pinned by bpfcount at PINDIR/dns_ring, for the collector to learn which host
 * name each address it sees traffic to was looked up as (issue 19) without any nft rule
 * (issue 15). It speaks dnslog's protocol, so lib/dns.ts reads both alike, and parses nothing.
 *
 *   dnsring PINDIR
 *
 * Output, one line each: `ready` once the ring is open, `p HEX` per answer (the IP packet from
 * its network header, cut at 512 bytes by the program), `lost` per answer the program found no
 * room for (PINDIR/dns_lost, summed over CPUs, checked at least once a second; drops from
 * before the start are not reported). Runs until stdin closes or it is killed. Exit 1 on error
 * (message on stderr), 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The ring's record (count.bpf.c struct dns_packet). */
struct dns_packet {
	uint32_t len;
	uint8_t packet[512];
};

static int lost_fd = -1;
static int ncpus;
static uint64_t *lost_vals;

static int print_packet(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct dns_packet *d = data;
	if (size < sizeof(d->len))
		return 0;
	uint32_t len = d->len;
	if (len > sizeof(d->packet) || sizeof(d->len) + len > size)
		return 0;
	static const char hex[] = "0123456789abcdef";
	fputs("p ", stdout);
	for (uint32_t i = 0; i < len; i++) {
		putchar(hex[d->packet[i] >> 4]);
		putchar(hex[d->packet[i] & 15]);
	}
	putchar('\n');
	return 0;
}

/* lost_total is the program's count of answers it found the ring full for, summed over CPUs. */
static uint64_t lost_total(void)
{
	uint32_t zero = 0;
	uint64_t sum = 0;
	if (bpf_map_lookup_elem(lost_fd, &zero, lost_vals) < 0)
		return 0;
	for (int c = 0; c < ncpus; c++)
		sum += lost_vals[c];
	return sum;
}

int main(int argc, char **argv)
{
	if (argc != 2 || !argv[1][0]) {
		fprintf(stderr, "usage: dnsring PINDIR (bpfcount's pin directory)\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/dns_ring", argv[1]);
	int ring_fd = bpf_obj_get(path);
	if (ring_fd < 0) {
		fprintf(stderr, "dnsring: cannot open the DNS ring %s: %s (is the BPF counter loaded by a current bpfcount?)\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/dns_lost", argv[1]);
	lost_fd = bpf_obj_get(path);
	ncpus = libbpf_num_possible_cpus();
	if (lost_fd < 0 || ncpus <= 0 || !(lost_vals = calloc(ncpus, sizeof(uint64_t)))) {
		fprintf(stderr, "dnsring: cannot open the DNS drop counter %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct ring_buffer *rb = ring_buffer__new(ring_fd, print_packet, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "dnsring: cannot map the DNS ring: %s\n", strerror(errno));
		return 1;
	}
	uint64_t seen = lost_total();
	puts("ready");
	fflush(stdout);
	struct pollfd fds[2] = { { .fd = ring_buffer__epoll_fd(rb), .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents) {
			char c[256];
			if (read(0, c, sizeof(c)) <= 0)
				break; /* the collector is gone */
		}
		if (ring_buffer__consume(rb) < 0 && errno != EINTR) {
			fprintf(stderr, "dnsring: reading the DNS ring: %s\n", strerror(errno));
			return 1;
		}
		uint64_t now = lost_total();
		if (now < seen)
			seen = now; /* the counter was made anew (bpfcount started the maps over) */
		for (; seen < now; seen++)
			puts("lost");
		fflush(stdout);
	}
	ring_buffer__free(rb);
	return 0;
}
