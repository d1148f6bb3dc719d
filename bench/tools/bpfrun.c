/*
 * bpfrun: the cost of appnet's cgroup_skb programs alone, through BPF_PROG_TEST_RUN (the
 * kernel runs the program N times on one packet and reports the mean time per run). Loads
 * OBJECT unpinned and unattached (nothing outside this process sees it), then for each
 * program, packet (64-byte UDP over IPv4 and IPv6) and destinations off/on prints one line
 *   {"prog":"count_ingress","packet":"udp4","dests":1,"ns":123}
 * Usage: bpfrun OBJECT REPEAT ROUNDS (the lines of every round; the reader takes medians).
 * Root (CAP_BPF, CAP_NET_ADMIN). For bench/dest-cost.ts's notes; not part of appnet.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static size_t packet(unsigned char *p, int v6)
{
	memset(p, 0, 128);
	size_t ip = v6 ? 40 : 20, len = 14 + ip + 8 + (v6 ? 2 : 22);
	p[12] = v6 ? 0x86 : 0x08;
	p[13] = v6 ? 0xdd : 0x00;
	unsigned char *h = p + 14;
	if (v6) {
		h[0] = 0x60;
		h[4] = 0;
		h[5] = 10;
		h[6] = 17;
		h[7] = 64;
		inet_pton(AF_INET6, "fd00::1", h + 8);
		inet_pton(AF_INET6, "fd00::2", h + 24);
	} else {
		h[0] = 0x45;
		h[3] = (unsigned char)(len - 14);
		h[8] = 64;
		h[9] = 17;
		inet_pton(AF_INET, "10.200.7.1", h + 12);
		inet_pton(AF_INET, "10.200.7.2", h + 16);
	}
	unsigned char *u = h + ip;
	u[0] = 0xa0; /* source port 41000 */
	u[1] = 0x28;
	u[2] = 0x23; /* destination port 9001 */
	u[3] = 0x29;
	u[5] = 8 + (v6 ? 2 : 22);
	return len;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bpfrun OBJECT REPEAT ROUNDS\n");
		return 2;
	}
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "bpfrun: cannot load %s\n", argv[1]);
		return 1;
	}
	int cfg = bpf_map__fd(bpf_object__find_map_by_name(obj, "dest_cfg"));
	const char *progs[2] = { "count_ingress", "count_egress" };
	unsigned char pkt[128];
	for (int round = 0; round < atoi(argv[3]); round++)
		for (int p = 0; p < 2; p++)
			for (int v6 = 0; v6 < 2; v6++)
				for (int on = 0; on < 2; on++) {
					uint32_t zero = 0, val = on;
					bpf_map_update_elem(cfg, &zero, &val, BPF_ANY);
					size_t len = packet(pkt, v6);
					LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = atoi(argv[2]));
					int fd = bpf_program__fd(bpf_object__find_program_by_name(obj, progs[p]));
					if (bpf_prog_test_run_opts(fd, &o)) {
						perror("bpfrun: test run");
						return 1;
					}
					printf("{\"prog\":\"%s\",\"packet\":\"udp%d\",\"dests\":%d,\"ns\":%u}\n", progs[p], v6 ? 6 : 4, on, o.duration);
				}
	return 0;
}
