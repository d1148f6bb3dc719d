// SPDX-License-Identifier: GPL-2.0
/*
 * appnet's per-app counter: cgroup_skb programs on ingress and egress, attached (by
 * bpfcount.c) at the root of the cgroup tree appnet watches, counting bytes and packets per
 * (cgroup id of the packet's socket, interface index, direction). The kernel runs these
 * programs on a full socket's packets once it has found the socket, so attribution costs no
 * lookup of its own, and covers what nft's `socket cgroupv2` cannot see: a listener's SYN-ACKs
 * (sent from a request socket, run here with the listener) and ICMP echo replies to a ping
 * socket. Packets without a full local socket (forwarded, kernel resets, TIME_WAIT ACKs,
 * dropped before delivery) never reach these programs: they are the interface's total (nft)
 * minus what is counted here.
 *
 * Helpers used: bpf_skb_cgroup_id, bpf_map_lookup_elem, bpf_map_update_elem, all present for
 * cgroup_skb programs long before Linux 6.1 (Debian 12). Built with clang -target bpf by
 * scripts/ensure-deps.sh; the key and value layouts are read by bpfcount.c.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key {
	__u64 cgroup;
	__u32 ifindex;
	__u32 dir; /* 0 ingress, 1 egress */
};

struct val {
	__u64 bytes;
	__u64 packets;
};

/* Per CPU: no cache line shared between CPUs on the packet path. Allocated as entries appear. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct key);
	__type(value, struct val);
} counts SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 dir)
{
	__u32 ifindex = skb->ifindex;
	if (ifindex == 0 && dir == 0)
		ifindex = skb->ingress_ifindex;
	struct key k = { .cgroup = bpf_skb_cgroup_id(skb), .ifindex = ifindex, .dir = dir };
	struct val *v = bpf_map_lookup_elem(&counts, &k);
	if (!v) {
		struct val first = { 0, 0 };
		/* Another CPU may have added the key meanwhile: then look it up again. */
		bpf_map_update_elem(&counts, &k, &first, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&counts, &k);
		if (!v)
			return 1; /* the map is full: not counted (the collector reports the fill) */
	}
	v->bytes += skb->len;
	v->packets += 1;
	return 1; /* counting only: every packet goes on */
}

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb)
{
	return count(skb, 0);
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	return count(skb, 1);
}

char LICENSE[] SEC("license") = "GPL";
