/*
 * bpfcount: loads, attaches and reads appnet's cgroup_skb counter (count.bpf.c) through
 * libbpf, for the collector; and removes it again for `appnet uninstall`.
 *
 *   bpfcount serve PINDIR CGROUPDIR OBJECT [dests|no-dests]
 *   bpfcount remove PINDIR
 *
 * serve loads OBJECT with its map pinned at PINDIR/counts (an existing pin of the same layout
 * is reused, so counts survive the collector's restarts and crashes), attaches the programs
 * to CGROUPDIR with bpf_links pinned at PINDIR/link_ingress and PINDIR/link_egress (links
 * always attach with BPF_F_ALLOW_MULTI semantics; a pinned link still attached to CGROUPDIR is
 * kept and moved to the new program with one atomic update, so nothing is counted twice or
 * missed), and answers on stdout:
 *   ready MAP_ID MAX_ENTRIES created|reused / dests ID MAX on|off / netns apart|together / end
 *   or    error MESSAGE / end   (and exit 1)
 * (netns apart: packets of sockets in other network namespaces are counted under DIR 4 and 5,
 * with that namespace's interface index and IFNAME null; together: the kernel cannot tell them
 * apart for cgroup_skb programs, before Linux 6.15)
 * Then, per line on stdin:
 *   dump                  → bpfcount 1 / map ID COUNT MAX / entries [[CGROUP,IFINDEX,"IFNAME"|null,DIR,BYTES,PACKETS],...] / end
 *   delete C:I:D ...      → deleted C:I:D (one line per entry removed) / end   (entries of gone cgroups or interfaces)
 *   dests                 → bpfcount 1 / dests ID COUNT MAX / entries [[CGROUP,IFINDEX,"IFNAME"|null,DIR,"ADDR",PROTO,PORT,LOCAL,BYTES,PACKETS],...] / end
 *   ddelete C,I,D,A,P,N,L ... → deleted C,I,D,A,P,N,L (one line per destination removed) / end
 *   destinations on|off   → destinations on|off / end   (whether the program counts destinations)
 * While destinations are counted, the program also copies each DNS answer a socket receives
 * into the ring buffer PINDIR/dns_ring (drops counted in PINDIR/dns_lost), read by dnsring.
 * The destinations map (PINDIR/dests, an LRU hash per CPU) counts per remote address, protocol and port
 * (LOCAL 1: the port is ours, a connection made to us); it is counted only while switched on
 * (serve's last argument, default dests; then the `destinations` command).
 * DIR is 0 for ingress, 1 for egress (+ 2: segments' extra headers, + 4: another namespace's);
 * values are summed over CPUs; IFNAME is the interface's name in this network namespace, null
 * when no interface has that index (any more) or the entry is another namespace's.
 * remove detaches both links, unpins everything under PINDIR and removes it.
 * Exit 0 on success, 1 on error (message on stdout for serve, stderr for remove), 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>

struct key {
	uint64_t cgroup;
	uint32_t ifindex;
	uint32_t dir; /* 0 ingress, 1 egress; 2 and 3: their segments' extra headers; FOREIGN + 0 or 1: another network namespace's (count.bpf.c) */
};

#define FOREIGN 4

struct val {
	uint64_t bytes;
	uint64_t packets;
};

/* The destinations map's key (count.bpf.c struct dkey). */
struct dkey {
	uint64_t cgroup;
	uint8_t addr[16];
	uint32_t ifindex;
	uint16_t port;
	uint8_t proto;
	uint8_t flags;
};

static const char *const LINKS[2] = { "link_ingress", "link_egress" };
static const char *const PROGS[2] = { "count_ingress", "count_egress" };
static const enum bpf_attach_type TYPES[2] = { BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS };

static char libbpf_msg[512];

/* Keeps libbpf's last warning, to explain a failure in one line. */
static int keep_msg(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	size_t n = strlen(libbpf_msg);
	while (n && (libbpf_msg[n - 1] == '\n' || libbpf_msg[n - 1] == ' '))
		libbpf_msg[--n] = 0;
	return 0;
}

static void path_of(char *out, size_t n, const char *dir, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("error ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	if (libbpf_msg[0])
		printf(" (libbpf: %s)", libbpf_msg);
	fputs("\nend\n", stdout);
	fflush(stdout);
	return 1;
}

/* on_bpffs checks that PINDIR, or the directory it would be made in, is on a BPF filesystem. */
static int on_bpffs(const char *pindir)
{
	struct statfs st;
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", pindir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	const char *p = access(pindir, F_OK) == 0 ? pindir : parent;
	return statfs(p, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* cgroup_id is the id (inode) of a cgroup v2 directory; 0 if it is not one. */
static uint64_t cgroup_id(int fd)
{
	struct statfs sf;
	struct stat st;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC || fstat(fd, &st) < 0)
		return 0;
	return st.st_ino;
}

/* link_on reports whether a link fd is a cgroup link of the given attach type on the given cgroup. */
static int link_on(int fd, uint64_t cgid, enum bpf_attach_type type)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return 0;
	return info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == cgid && info.cgroup.attach_type == type;
}

/*
 * attach_one keeps the pinned link of one direction when it is still on our cgroup (moved to
 * the new program), and otherwise attaches the program anew and pins the link.
 */
static int attach_one(const char *pindir, int i, int prog_fd, int cg_fd, uint64_t cgid)
{
	char pin[4096];
	path_of(pin, sizeof(pin), pindir, LINKS[i]);
	int fd = bpf_obj_get(pin);
	if (fd >= 0) {
		if (link_on(fd, cgid, TYPES[i]) && bpf_link_update(fd, prog_fd, NULL) == 0) {
			close(fd);
			return 0;
		}
		/* A link of another cgroup (a changed root) or one that cannot be updated: replace it. */
		bpf_link_detach(fd);
		close(fd);
		unlink(pin);
	}
	fd = bpf_link_create(prog_fd, cg_fd, TYPES[i], NULL);
	if (fd < 0)
		return fail("attaching %s to the cgroup failed: %s", PROGS[i], strerror(errno));
	if (bpf_obj_pin(fd, pin) < 0) {
		int err = errno;
		close(fd);
		return fail("pinning %s failed: %s", pin, strerror(err));
	}
	close(fd);
	return 0;
}

static int map_fd = -1;
static uint32_t map_id, map_max;
static int ncpus;
static int dests_fd = -1, dest_cfg_fd = -1;
static uint32_t dests_id, dests_max;

/* The pinned maps: per-app counts, destinations, the DNS answers' ring and its drop counter (read by dnsring). */
static const char *const MAPS[4] = { "counts", "dests", "dns_ring", "dns_lost" };

/* pin_maps sets the pin paths of the pinned maps. */
static int pin_maps(struct bpf_object *obj, const char *pindir)
{
	char pin[4096];
	for (int i = 0; i < 4; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, MAPS[i]);
		path_of(pin, sizeof(pin), pindir, MAPS[i]);
		if (!m || bpf_map__set_pin_path(m, pin) < 0)
			return -1;
	}
	return 0;
}

/* set_dests switches destination counting on or off in the loaded program. */
static int set_dests(int on)
{
	uint32_t zero = 0, v = on ? 1 : 0;
	return bpf_map_update_elem(dest_cfg_fd, &zero, &v, BPF_ANY);
}

/* keep_dest_maps keeps the destinations map and the switch of a loaded object; prints nothing. */
static int keep_dest_maps(struct bpf_object *obj)
{
	struct bpf_map *d = bpf_object__find_map_by_name(obj, "dests");
	struct bpf_map *c = bpf_object__find_map_by_name(obj, "dest_cfg");
	if (!d || !c)
		return -1;
	dests_fd = dup(bpf_map__fd(d));
	dest_cfg_fd = dup(bpf_map__fd(c));
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (dests_fd < 0 || dest_cfg_fd < 0 || bpf_obj_get_info_by_fd(dests_fd, &info, &len) < 0)
		return -1;
	dests_id = info.id;
	dests_max = info.max_entries;
	return 0;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* own_netns_cookie is the cookie of our network namespace (the collector's); 0 before Linux 5.14. */
static uint64_t own_netns_cookie(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	if (fd >= 0)
		close(fd);
	return cookie;
}

/* set_netns sets the program's own_netns (count.bpf.c) in its read-only data, before loading. */
static int set_netns(struct bpf_object *obj, uint64_t cookie)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	int sec = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (!m || sec < 0)
		return -1;
	const struct btf_type *t = btf__type_by_id(btf, sec);
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	size_t size = 0;
	const void *init = bpf_map__initial_value(m, &size);
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), "own_netns") != 0)
			continue;
		if (!init || v->offset + sizeof(cookie) > size)
			return -1;
		char *copy = malloc(size);
		if (!copy)
			return -1;
		memcpy(copy, init, size);
		memcpy(copy + v->offset, &cookie, sizeof(cookie));
		int r = bpf_map__set_initial_value(m, copy, size);
		free(copy);
		return r;
	}
	return -1;
}

/* load_with opens and loads OBJPATH with its maps pinned under PINDIR, telling namespaces apart by NETNS (0: not); NULL when it failed. */
static struct bpf_object *load_with(const char *objpath, const char *pindir, uint64_t netns)
{
	struct bpf_object *obj = bpf_object__open_file(objpath, NULL);
	if (!obj)
		return NULL;
	if (pin_maps(obj, pindir) < 0 || (netns && set_netns(obj, netns) < 0) || bpf_object__load(obj) < 0) {
		int err = errno;
		bpf_object__close(obj);
		errno = err;
		return NULL;
	}
	return obj;
}

/*
 * load loads the counter telling the collector's network namespace apart from others, or,
 * where the kernel's cgroup_skb programs lack bpf_get_netns_cookie (before 6.15), without;
 * *netns says which (0: without).
 */
static struct bpf_object *load(const char *objpath, const char *pindir, uint64_t *netns)
{
	struct bpf_object *obj = *netns ? load_with(objpath, pindir, *netns) : NULL;
	if (obj)
		return obj;
	obj = load_with(objpath, pindir, 0);
	if (obj)
		*netns = 0;
	return obj;
}

/* setup loads and attaches everything; prints ready or error. */
static int setup(const char *pindir, const char *cgdir, const char *objpath, int dests_on)
{
	char pin[4096];
	if (!on_bpffs(pindir))
		return fail("no BPF filesystem is mounted at %s's parent (mount -t bpf bpf /sys/fs/bpf)", pindir);
	if (mkdir(pindir, 0700) < 0 && errno != EEXIST)
		return fail("cannot create %s: %s", pindir, strerror(errno));
	int cg_fd = open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return fail("cannot open the cgroup %s: %s", cgdir, strerror(errno));
	uint64_t cgid = cgroup_id(cg_fd);
	if (!cgid)
		return fail("%s is not a cgroup v2 directory", cgdir);
	if (access(objpath, R_OK) != 0)
		return fail("cannot open the BPF object %s: %s", objpath, strerror(errno));
	path_of(pin, sizeof(pin), pindir, "counts");
	int created = access(pin, F_OK) != 0;
	uint64_t netns = own_netns_cookie();
	struct bpf_object *obj = load(objpath, pindir, &netns);
	/*
	 * A pinned map of an older layout: first start the destinations map and the DNS maps over
	 * (the destinations went from shared to per CPU values), keeping the per-app counts; then
	 * the counts too (their counts are lost, and said so by a new id).
	 */
	for (int attempt = 0; !obj && !created && attempt < 2; attempt++) {
		for (int i = attempt == 0 ? 1 : 0; i < (attempt == 0 ? 4 : 1); i++) {
			path_of(pin, sizeof(pin), pindir, MAPS[i]);
			unlink(pin);
		}
		netns = own_netns_cookie();
		obj = load(objpath, pindir, &netns);
		created = attempt == 1;
	}
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, "counts") : NULL;
	if (!map)
		return fail("the kernel refused to load the counter: %s", strerror(errno));
	/* Switched before the programs are attached, so the new program counts destinations (or not) from its first packet. */
	if (keep_dest_maps(obj) < 0 || set_dests(dests_on) < 0)
		return fail("cannot set up the destinations map: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, PROGS[i]);
		if (!prog)
			return fail("%s has no program %s", objpath, PROGS[i]);
		if (attach_one(pindir, i, bpf_program__fd(prog), cg_fd, cgid))
			return 1;
	}
	map_fd = dup(bpf_map__fd(map));
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (map_fd < 0 || bpf_obj_get_info_by_fd(map_fd, &info, &len) < 0)
		return fail("cannot read the map's id: %s", strerror(errno));
	map_id = info.id;
	map_max = info.max_entries;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return fail("cannot count the possible CPUs");
	/* The programs stay attached through the pinned links; our copies are not needed. */
	bpf_object__close(obj);
	close(cg_fd);
	printf("ready %" PRIu32 " %" PRIu32 " %s\ndests %" PRIu32 " %" PRIu32 " %s\nnetns %s\nend\n", map_id, map_max, created ? "created" : "reused", dests_id,
	       dests_max, dests_on ? "on" : "off", netns ? "apart" : "together");
	return fflush(stdout) == 0 ? 0 : 1;
}

#define BATCH 4096

struct names {
	uint32_t index[64];
	char name[64][IF_NAMESIZE];
	int n;
};

/* put_ifname writes the interface's name as a JSON string, or null when none has that index. */
static void put_ifname(FILE *out, struct names *c, uint32_t ifindex)
{
	int i;
	for (i = 0; i < c->n && c->index[i] != ifindex; i++)
		;
	char buf[IF_NAMESIZE];
	const char *name = buf;
	if (i < c->n) {
		name = c->name[i];
	} else {
		if (!if_indextoname(ifindex, buf))
			buf[0] = 0;
		if (c->n < 64) {
			c->index[c->n] = ifindex;
			memcpy(c->name[c->n++], buf, IF_NAMESIZE);
		}
	}
	/* Interface names never hold '"', '\\' or control characters (the kernel refuses them). */
	if (name[0])
		fprintf(out, "\"%s\"", name);
	else
		fputs("null", out);
}

/* A map's entry as one JSON array (after its leading comma, if any). */
typedef void (*row_fn)(FILE *out, struct names *names, const void *key, const void *val);

/*
 * dump_map writes every entry of a map (`what`, for errors), read with batched lookups, as
 *   bpfcount 1 / HEAD ID COUNT MAX / entries [ROW,...] / end
 * KEYS and VALS hold BATCH entries (a value of VSIZE bytes: per CPU, all CPUs' values).
 */
static void dump_map(int fd, const char *what, const char *head, uint32_t id, uint32_t max, void *keys, size_t ksize, void *vals, size_t vsize, row_fn row)
{
	struct names names = { .n = 0 };
	uint32_t in = 0, out = 0, total = 0;
	int first = 1, started = 0, err = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *body = open_memstream(&text, &len);
	if (!vals || !body) {
		printf("bpfcount 1\nerror out of memory\nend\n");
		fflush(stdout);
		if (body)
			fclose(body);
		free(text);
		return;
	}
	for (;;) {
		uint32_t count = BATCH;
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
		int r = bpf_map_lookup_batch(fd, started ? &in : NULL, &out, keys, vals, &count, &opts);
		err = r < 0 ? errno : 0;
		for (uint32_t k = 0; k < count; k++) {
			if (!first)
				fputc(',', body);
			row(body, &names, (const char *)keys + k * ksize, (const char *)vals + k * vsize);
			first = 0;
		}
		total += count;
		if (r < 0)
			break;
		in = out;
		started = 1;
	}
	fclose(body);
	if (err != ENOENT)
		printf("bpfcount 1\nerror reading the %s map: %s\nend\n", what, strerror(err));
	else
		printf("bpfcount 1\n%s %" PRIu32 " %" PRIu32 " %" PRIu32 "\nentries [%.*s]\nend\n", head, id, total, max, (int)len, text ? text : "");
	free(text);
	fflush(stdout);
}

/* count_row writes a per-app counter, summed over CPUs: [CGROUP,IFINDEX,"IFNAME"|null,DIR,BYTES,PACKETS]. */
static void count_row(FILE *out, struct names *names, const void *key, const void *val)
{
	const struct key *k = key;
	const struct val *v = val;
	uint64_t bytes = 0, packets = 0;
	for (int c = 0; c < ncpus; c++) {
		bytes += v[c].bytes;
		packets += v[c].packets;
	}
	fprintf(out, "[%" PRIu64 ",%" PRIu32 ",", k->cgroup, k->ifindex);
	if (k->dir & FOREIGN)
		fputs("null", out); /* another namespace's index: our name for it would be wrong */
	else
		put_ifname(out, names, k->ifindex);
	fprintf(out, ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 "]", k->dir, bytes, packets);
}

/* dump writes every per-app counter. */
static void dump(void)
{
	static struct key keys[BATCH];
	static struct val *vals;
	if (!vals)
		vals = calloc((size_t)BATCH * ncpus, sizeof(struct val));
	dump_map(map_fd, "counter", "map", map_id, map_max, keys, sizeof(keys[0]), vals, ncpus * sizeof(struct val), count_row);
}

/* delete_keys removes the entries named on a delete line ("C:I:D" words after the command). */
static void delete_keys(char *args)
{
	for (char *w = strtok(args, " \n"); w; w = strtok(NULL, " \n")) {
		struct key k = { 0 };
		if (sscanf(w, "%" SCNu64 ":%" SCNu32 ":%" SCNu32, &k.cgroup, &k.ifindex, &k.dir) != 3 || k.dir > (FOREIGN | 3))
			continue;
		if (bpf_map_delete_elem(map_fd, &k) == 0)
			printf("deleted %" PRIu64 ":%" PRIu32 ":%" PRIu32 "\n", k.cgroup, k.ifindex, k.dir);
	}
	fputs("end\n", stdout);
	fflush(stdout);
}

/* put_addr writes a destination's address as a JSON string: dotted IPv4 for a mapped one. */
static void put_addr(FILE *out, const uint8_t addr[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char buf[INET6_ADDRSTRLEN];
	if (memcmp(addr, mapped, 12) == 0)
		inet_ntop(AF_INET, addr + 12, buf, sizeof(buf));
	else
		inet_ntop(AF_INET6, addr, buf, sizeof(buf));
	fprintf(out, "\"%s\"", buf);
}

/* dest_row writes a destination: [CGROUP,IFINDEX,"IFNAME"|null,DIR,"ADDR",PROTO,PORT,LOCAL,BYTES,PACKETS]. */
static void dest_row(FILE *out, struct names *names, const void *key, const void *val)
{
	const struct dkey *d = key;
	const struct val *v = val;
	uint64_t bytes = 0, packets = 0;
	for (int c = 0; c < ncpus; c++) {
		bytes += v[c].bytes;
		packets += v[c].packets;
	}
	fprintf(out, "[%" PRIu64 ",%" PRIu32 ",", d->cgroup, d->ifindex);
	put_ifname(out, names, d->ifindex);
	fprintf(out, ",%u,", d->flags & 1);
	put_addr(out, d->addr);
	fprintf(out, ",%u,%u,%u,%" PRIu64 ",%" PRIu64 "]", d->proto, d->port, (d->flags >> 1) & 1, bytes, packets);
}

/* dump_dests writes every destination, summed over CPUs (the map is per CPU, as the counts). */
static void dump_dests(void)
{
	static struct dkey keys[BATCH];
	static struct val *vals;
	if (!vals)
		vals = calloc((size_t)BATCH * ncpus, sizeof(struct val));
	dump_map(dests_fd, "destinations", "dests", dests_id, dests_max, keys, sizeof(keys[0]), vals, ncpus * sizeof(struct val), dest_row);
}

/* delete_dests removes the destinations named on a ddelete line ("C,I,D,ADDR,PROTO,PORT,LOCAL" words). */
static void delete_dests(char *args)
{
	for (char *w = strtok(args, " \n"); w; w = strtok(NULL, " \n")) {
		struct dkey k;
		memset(&k, 0, sizeof(k));
		char addr[INET6_ADDRSTRLEN + 1];
		unsigned dir, proto, port, local;
		if (sscanf(w, "%" SCNu64 ",%" SCNu32 ",%u,%46[0-9a-fA-F:.],%u,%u,%u", &k.cgroup, &k.ifindex, &dir, addr, &proto, &port, &local) != 7 ||
		    dir > 1 || proto > 255 || port > 65535 || local > 1)
			continue;
		if (inet_pton(AF_INET, addr, k.addr + 12) == 1) {
			k.addr[10] = k.addr[11] = 0xff;
		} else if (inet_pton(AF_INET6, addr, k.addr) != 1) {
			continue;
		}
		k.proto = proto;
		k.port = port;
		k.flags = dir | (local << 1);
		if (bpf_map_delete_elem(dests_fd, &k) == 0)
			printf("deleted %s\n", w);
	}
	fputs("end\n", stdout);
	fflush(stdout);
}

/* switch_dests answers a `destinations on|off` line. */
static void switch_dests(const char *arg)
{
	int on = strncmp(arg, " on", 3) == 0;
	if (!on && strncmp(arg, " off", 4) != 0)
		printf("error destinations takes on or off\nend\n");
	else if (set_dests(on) < 0)
		printf("error cannot switch destinations: %s\nend\n", strerror(errno));
	else
		printf("destinations %s\nend\n", on ? "on" : "off");
	fflush(stdout);
}

static int serve(const char *pindir, const char *cgdir, const char *objpath, int dests_on)
{
	if (setup(pindir, cgdir, objpath, dests_on))
		return 1;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, stdin) > 0) {
		if (strncmp(line, "dump", 4) == 0)
			dump();
		else if (strncmp(line, "ddelete", 7) == 0)
			delete_dests(line + 7);
		else if (strncmp(line, "dests", 5) == 0)
			dump_dests();
		else if (strncmp(line, "destinations", 12) == 0)
			switch_dests(line + 12);
		else if (strncmp(line, "delete", 6) == 0)
			delete_keys(line + 6);
		else {
			printf("error unknown command\nend\n");
			fflush(stdout);
		}
	}
	free(line);
	return 0;
}

/* remove_all detaches both links and unpins everything appnet pinned. */
static int remove_all(const char *pindir)
{
	char pin[4096];
	int removed = 0;
	if (access(pindir, F_OK) != 0) {
		printf("nothing pinned at %s\n", pindir);
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		path_of(pin, sizeof(pin), pindir, LINKS[i]);
		int fd = bpf_obj_get(pin);
		if (fd >= 0) {
			if (bpf_link_detach(fd) < 0 && errno != ENOLINK)
				fprintf(stderr, "bpfcount: detaching %s: %s\n", pin, strerror(errno));
			close(fd);
		}
		if (unlink(pin) == 0)
			removed++;
	}
	for (int i = 0; i < 4; i++) {
		path_of(pin, sizeof(pin), pindir, MAPS[i]);
		if (unlink(pin) == 0)
			removed++;
	}
	if (rmdir(pindir) < 0) {
		fprintf(stderr, "bpfcount: cannot remove %s: %s\n", pindir, strerror(errno));
		return 1;
	}
	printf("removed %d pins and %s\n", removed, pindir);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(keep_msg);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "serve") == 0) {
		if (argc == 6 && strcmp(argv[5], "dests") != 0 && strcmp(argv[5], "no-dests") != 0) {
			fprintf(stderr, "bpfcount: the last argument of serve is dests or no-dests\n");
			return 2;
		}
		return serve(argv[2], argv[3], argv[4], argc == 5 || strcmp(argv[5], "dests") == 0);
	}
	if (argc == 3 && strcmp(argv[1], "remove") == 0)
		return remove_all(argv[2]);
	fprintf(stderr, "usage: bpfcount serve PINDIR CGROUPDIR OBJECT [dests|no-dests] | bpfcount remove PINDIR\n");
	return 2;
}
