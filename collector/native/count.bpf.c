// SPDX-License-Identifier: GPL-2.0
/*
 * appnet's per-app counter: cgroup_skb programs on ingress and egress, attached (by
 * bpfcount.c) at the root of the cgroup tree appnet watches, counting bytes and packets per
 * (cgroup id of the packet's socket, interface index, direction). The kernel runs these
 * programs on a full socket's packets once it has found the socket, so attribution costs no
 * lookup of its own, and covers what nft's `socket cgroupv2` cannot see: a listener's SYN-ACKs
 * (sent from a request socket, run here with the listener) and ICMP echo replies to a ping
 * socket. Packets without a full local socket (forwarded, kernel resets, TIME_WAIT ACKs,
 * dropped before delivery) never reach these programs: they are the interface's total (its
 * own statistics, lib/link-totals.ts) minus what is counted here.
 *
 * Counts are what crossed the link (issue #20): a GSO packet on the way out and a GRO packet
 * on the way in are one skb for up to 45 segments on the wire, each with its own IP and TCP
 * (or UDP) headers; wire_size() adds those headers and counts the segments. What that adds
 * is also kept apart, under the same cgroup and interface with direction SEGMENTS + dir, so
 * that on an interface that passes the merged packet whole (loopback, a veth with TSO on) the
 * collector counts the apps as whole packets, as the interface's statistics do (lib/segments.ts).
 *
 * Destinations (issue #19) are counted in a second map by the packet as the stack sees it
 * (skb->len): the collector decides per interface whether segments count (lib/segments.ts),
 * and an app's "other destinations" row takes up the difference.
 *
 * Sockets in other network namespaces under the watched root (a container's: docker and
 * podman give it its own namespace and its own cgroup) send and receive on that namespace's
 * interfaces, whose indexes name nothing, or another interface, in the collector's namespace.
 * Their packets are counted under FOREIGN + dir, with the index their namespace gives the
 * interface (the collector names it from there), without the segments' extra headers (those
 * raise the collector's own interfaces' totals) and without destinations.
 *
 * Helpers used: bpf_skb_cgroup_id, bpf_skb_load_bytes, bpf_map_lookup_elem,
 * bpf_map_update_elem, bpf_ringbuf_reserve/submit/discard (5.8), all present for cgroup_skb
 * programs before Linux 6.1 (Debian 12);
 * bpf_get_netns_cookie, which cgroup_skb programs have since Linux 6.15: on older kernels
 * bpfcount loads the program with own_netns 0, the verifier then never reaches the call, and
 * other namespaces' packets are counted as the collector's own (named by index, as before);
 * __sk_buff's gso_segs (5.0) and gso_size (5.7) are readable by cgroup_skb programs. Built
 * with clang -target bpf by scripts/ensure-deps.sh; the key and value layouts are read by
 * bpfcount.c.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct key {
	__u64 cgroup;
	__u32 ifindex;
	__u32 dir; /* 0 ingress, 1 egress; SEGMENTS + either: what that direction's segments added; FOREIGN + either: another namespace's */
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

/* Added to the direction in the key of the segments' extra headers (see the file comment). */
#define SEGMENTS 2
/* Added to the direction in the key of a packet of a socket in another network namespace. */
#define FOREIGN 4

/* The cookie of the collector's network namespace, set by bpfcount before loading; 0: not told apart. */
const volatile __u64 own_netns = 0;
/* skb_shinfo(skb)->gso_size of SCTP's GSO: segments of uneven size, not derivable from it. */
#define GSO_BY_FRAGS 0xFFFF

/*
 * header_len reads the network and transport header length of the packet the program sees
 * (cgroup_skb programs see it from its network header): IPv4 options, IPv6 extension headers
 * and TCP options included, 8 for UDP, none for other transports. 0 when unreadable.
 */
static __always_inline __u32 header_len(struct __sk_buff *skb)
{
	__u8 b[2];
	__u8 proto;
	__u32 off;

	if (bpf_skb_load_bytes(skb, 0, b, 1))
		return 0;
	if ((b[0] >> 4) == 4) {
		off = (b[0] & 0xf) * 4;
		if (bpf_skb_load_bytes(skb, 9, &proto, 1))
			return 0;
	} else if ((b[0] >> 4) == 6) {
		off = 40;
		if (bpf_skb_load_bytes(skb, 6, &proto, 1))
			return 0;
		/* Hop-by-hop, routing and destination options: (length + 1) × 8 bytes each. */
#pragma unroll
		for (int i = 0; i < 4; i++) {
			if (proto != 0 && proto != 43 && proto != 60)
				break;
			if (bpf_skb_load_bytes(skb, off, b, 2))
				return off;
			proto = b[0];
			off += ((__u32)b[1] + 1) * 8;
		}
	} else {
		return 0;
	}
	if (proto == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, off + 12, b, 1))
			return off;
		return off + (b[0] >> 4) * 4;
	}
	if (proto == IPPROTO_UDP)
		return off + 8;
	return off;
}

/*
 * wire_size is what a packet was, or will be, on the link: a GSO/GRO packet of n segments is
 * len + (n − 1) × its headers in n packets (every segment carries the headers once, the
 * payload is split); any other packet is len in one. A GSO packet whose segment count is not
 * set yet (gso_segs 0) gets it from gso_size.
 */
static __always_inline struct val wire_size(struct __sk_buff *skb)
{
	struct val w = { skb->len, 1 };
	__u32 size = skb->gso_size;
	if (size == 0)
		return w;
	__u32 hdr = header_len(skb);
	__u32 segs = skb->gso_segs;
	if (segs == 0 && size != GSO_BY_FRAGS && skb->len > hdr)
		segs = (skb->len - hdr + size - 1) / size;
	if (segs > 1) {
		w.bytes += (__u64)(segs - 1) * hdr;
		w.packets = segs;
	}
	return w;
}

/* add adds bytes and packets to a key's counter, making it on its first packet. */
/*
 * add_to adds bytes and packets to a key's counter on this CPU, in either per-CPU map (the
 * per-app counts, the destinations): plain adds, no atomics. A new entry holds them on this CPU
 * and zero on every other.
 */
static __always_inline void add_to(void *map, const void *k, __u64 bytes, __u64 packets)
{
	struct val *v = bpf_map_lookup_elem(map, k);
	if (!v) {
		struct val first = { bytes, packets };
		if (bpf_map_update_elem(map, k, &first, BPF_NOEXIST) == 0)
			return;
		/* Another CPU made it meanwhile; or the map is full: not counted (the collector reports the fill). */
		v = bpf_map_lookup_elem(map, k);
		if (!v)
			return;
	}
	v->bytes += bytes;
	v->packets += packets;
}

/*
 * Destinations (issue 19): bytes and packets per (cgroup, remote address, protocol, port,
 * interface, direction), in an LRU hash of its own so that an app talking to a million hosts
 * evicts its oldest destinations instead of filling the map (what is evicted is still in the
 * per-app counts above: the collector books it as "other destinations").
 *
 * Per CPU (BPF_MAP_TYPE_LRU_PERCPU_HASH), as the per-app counts: a packet adds to its CPU's
 * copy with plain adds, where a shared value needed two atomic read-modify-writes per packet
 * on a cache line every CPU counting that destination writes to. The cost is memory: the map
 * is preallocated, 16 bytes per entry and possible CPU on top of the shared entries (16,384
 * entries: 512 KiB more with 2 CPUs, 2 MiB with 8, 16 MiB with 64). bpfcount sums the CPUs.
 */
struct dkey {
	__u64 cgroup;
	__u8 addr[16]; /* IPv6, or IPv4 mapped (::ffff:a.b.c.d) */
	__u32 ifindex;
	__u16 port;    /* host order; 0 when the protocol has none */
	__u8 proto;    /* IPPROTO_* */
	__u8 flags;    /* bit 0: egress; bit 1: port is the local one (a connection made to us) */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dkey);
	__type(value, struct val);
} dests SEC(".maps");

/* dest_cfg[0] != 0: count destinations (set by bpfcount: --no-destinations leaves it 0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} dest_cfg SEC(".maps");

/* Linux hands out ephemeral ports from 32768 up (ip_local_port_range): a lower local port facing a higher remote one is a service's. */
#define EPHEMERAL_FROM 32768

/* dest_port sets the key's port from the transport header's two ports (network order): the remote one, or the local one for a connection made to us. */
static __always_inline void dest_port(struct dkey *k, __u16 sport, __u16 dport, __u32 dir)
{
	__u16 src = bpf_ntohs(sport), dst = bpf_ntohs(dport);
	__u16 local = dir ? src : dst, remote = dir ? dst : src;
	if (local < EPHEMERAL_FROM && remote >= EPHEMERAL_FROM) {
		k->port = local;
		k->flags |= 2;
	} else {
		k->port = remote;
	}
}

/*
 * dest_key fills the key's address, protocol and port from the packet; 0 when the packet is
 * neither IPv4 nor IPv6 or cannot be read. The headers are read straight from the packet: the
 * stack has the network header and the transport header of TCP and UDP in the skb's linear
 * data on both paths (ingress pulled them before the socket was found), so the copies through
 * bpf_skb_load_bytes (a helper call each) are only the fallback where that is not so.
 */
static __always_inline int dest_key(struct __sk_buff *skb, struct dkey *k, __u32 dir)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 l4 = 0;
	__u16 ports[2] = { 0, 0 };
	int have_ports = 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ipb;
		struct iphdr *ip = data;
		if (data + sizeof(*ip) > end) {
			if (bpf_skb_load_bytes(skb, 0, &ipb, sizeof(ipb)))
				return 0;
			ip = &ipb;
		}
		k->proto = ip->protocol;
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		__builtin_memcpy(&k->addr[12], dir ? &ip->daddr : &ip->saddr, 4);
		if (!(ip->frag_off & bpf_htons(0x1fff))) /* not a later fragment: ports follow the header */
			l4 = ip->ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ipb;
		struct ipv6hdr *ip6 = data;
		if (data + sizeof(*ip6) > end) {
			if (bpf_skb_load_bytes(skb, 0, &ipb, sizeof(ipb)))
				return 0;
			ip6 = &ipb;
		}
		k->proto = ip6->nexthdr; /* an extension header first: counted under it, without a port */
		__builtin_memcpy(k->addr, dir ? &ip6->daddr : &ip6->saddr, 16);
		l4 = sizeof(*ip6);
	} else {
		return 0;
	}
	if (!l4 || (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP))
		return 1;
	if (l4 <= 60 && data + l4 + sizeof(ports) <= end) {
		/* l4 bounded for the verifier: an IPv4 header is at most 60 bytes. */
		__u16 *p = data + l4;
		if ((void *)(p + 2) <= end) {
			ports[0] = p[0];
			ports[1] = p[1];
			have_ports = 1;
		}
	}
	if (!have_ports && bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)))
		return 1;
	dest_port(k, ports[0], ports[1], dir);
	return 1;
}

/*
 * DNS answers (issue 19's host names, without any nft rule: issue 15): while destinations
 * are counted, every UDP packet from port 53 a socket receives is copied, from its network
 * header and up to DNS_COPY bytes (a longer answer is cut: lib/dns.ts keeps the records
 * before the cut), into a ring buffer that collector/native/dnsring reads and prints as the
 * NFLOG reader dnslog does. Only a socket's own namespace's answers (those of other
 * namespaces are not counted as destinations either). An answer that finds the ring full is
 * counted in dns_lost, for the reader to report.
 */
#define DNS_COPY 512

struct dns_packet {
	__u32 len; /* bytes of packet that follow */
	__u8 packet[DNS_COPY];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} dns_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dns_lost SEC(".maps");

/* copy_dns puts the packet (an answer from port 53) in the ring, or counts it lost when the ring is full. */
static __always_inline void copy_dns(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct dns_packet *d = bpf_ringbuf_reserve(&dns_ring, sizeof(*d), 0);
	if (!d) {
		__u64 *lost = bpf_map_lookup_elem(&dns_lost, &zero);
		if (lost)
			*lost += 1;
		return;
	}
	__u32 len = skb->len;
	if (len > DNS_COPY)
		len = DNS_COPY;
	if (len == 0 || bpf_skb_load_bytes(skb, 0, d->packet, len)) {
		bpf_ringbuf_discard(d, 0);
		return;
	}
	d->len = len;
	bpf_ringbuf_submit(d, 0);
}

/*
 * count_dest adds the packet to its destination's counter, when destinations are counted;
 * then an answer from port 53 on the way in goes to the DNS ring: the key already says so
 * (UDP, remote port 53: dest_port() takes the local port only when it is below 32768 and the
 * remote one above), so any other packet pays three compares for it.
 */
static __always_inline void count_dest(struct __sk_buff *skb, __u64 cgroup, __u32 ifindex, __u32 dir)
{
	__u32 zero = 0;
	__u32 *on = bpf_map_lookup_elem(&dest_cfg, &zero);
	if (!on || !*on)
		return;
	struct dkey k;
	__builtin_memset(&k, 0, sizeof(k));
	k.cgroup = cgroup;
	k.ifindex = ifindex;
	k.flags = dir;
	if (!dest_key(skb, &k, dir))
		return;
	add_to(&dests, &k, skb->len, 1);
	/* dir first: a constant in each program, so the egress one has none of this. */
	if (dir == 0 && k.port == 53 && k.flags == 0 && k.proto == IPPROTO_UDP)
		copy_dns(skb);
}

static __always_inline int count(struct __sk_buff *skb, __u32 dir)
{
	__u32 ifindex = skb->ifindex;
	if (ifindex == 0 && dir == 0)
		ifindex = skb->ingress_ifindex;
	struct key k = { .cgroup = bpf_skb_cgroup_id(skb), .ifindex = ifindex, .dir = dir };
	struct val w = wire_size(skb);
	if (own_netns && bpf_get_netns_cookie(skb) != own_netns) {
		k.dir = FOREIGN + dir;
		add_to(&counts, &k, w.bytes, w.packets);
		return 1;
	}
	add_to(&counts, &k, w.bytes, w.packets);
	if (w.packets > 1) {
		struct key seg = { .cgroup = k.cgroup, .ifindex = ifindex, .dir = SEGMENTS + dir };
		add_to(&counts, &seg, w.bytes - skb->len, w.packets - 1);
	}
	count_dest(skb, k.cgroup, ifindex, dir);
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
