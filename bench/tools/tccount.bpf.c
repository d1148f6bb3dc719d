// SPDX-License-Identifier: GPL-2.0
/*
 * A per-interface counter as a tc (clsact) program, for figure 1b only: what counting each
 * interface's totals in BPF at the interface would cost next to appnet's cgroup program, in
 * place of nft's chains. Bytes and packets per (ifindex, direction) in a per-CPU hash, as
 * count.bpf.c keeps its per-app counts. Not used by the collector.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct key {
	__u32 ifindex;
	__u32 dir;
};

struct val {
	__u64 bytes;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct key);
	__type(value, struct val);
} totals SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 dir)
{
	struct key k = { .ifindex = skb->ifindex, .dir = dir };
	struct val *v = bpf_map_lookup_elem(&totals, &k);
	if (!v) {
		struct val first = { 0, 0 };
		bpf_map_update_elem(&totals, &k, &first, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&totals, &k);
		if (!v)
			return TC_ACT_OK;
	}
	v->bytes += skb->len;
	v->packets += 1;
	return TC_ACT_OK;
}

SEC("tc")
int tc_in(struct __sk_buff *skb)
{
	return count(skb, 0);
}

SEC("tc")
int tc_out(struct __sk_buff *skb)
{
	return count(skb, 1);
}

char LICENSE[] SEC("license") = "GPL";
