// SPDX-License-Identifier: GPL-2.0
/*
 * For comparison only, not part of appnet: the counting appnet does in nft sets, done instead
 * by a cgroup_skb BPF program, per (socket cgroup id, interface index, direction). The kernel
 * runs cgroup_skb programs on a socket's packets after it found the socket, so attribution
 * needs no lookup of its own. Built with clang -target bpf by bench/bpf.ts when clang, libbpf's
 * headers and bpftool are installed, and attached only to the sandbox's system.slice.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key {
  __u64 cgroup;
  __u32 ifindex;
  __u32 dir;
};

struct val {
  __u64 bytes;
  __u64 packets;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct key);
  __type(value, struct val);
} counts SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 dir) {
  struct key k = { .cgroup = bpf_skb_cgroup_id(skb), .ifindex = skb->ifindex, .dir = dir };
  struct val *v = bpf_map_lookup_elem(&counts, &k);
  if (v) {
    v->bytes += skb->len;
    v->packets += 1;
  } else {
    struct val first = { skb->len, 1 };
    bpf_map_update_elem(&counts, &k, &first, BPF_NOEXIST);
  }
  return 1; /* let the packet through */
}

SEC("cgroup_skb/ingress") int count_ingress(struct __sk_buff *skb) { return count(skb, 0); }
SEC("cgroup_skb/egress") int count_egress(struct __sk_buff *skb) { return count(skb, 1); }

char LICENSE[] SEC("license") = "GPL";
