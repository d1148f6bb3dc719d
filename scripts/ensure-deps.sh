#!/usr/bin/env bash
# Installs what appnet needs on a Debian 12 machine with Node 20, once:
#   ensure-deps.sh runtime   nftables, iproute2, node modules, the netlink counter and socket helpers, the BPF
#                            counter and its loader, the compiled
#                            command line, the production build of the dashboard
#   ensure-deps.sh test      the above plus what the test suite drives (Chromium, iperf3, promtool, ethtool, ping, …)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-runtime}

runtime_pkgs=(nftables iproute2 procps gcc libc6-dev libmnl-dev libbpf-dev clang)
test_pkgs=(iptables chromium iperf3 socat prometheus systemd python3 ethtool iputils-ping)

missing=()
want=("${runtime_pkgs[@]}")
[ "$what" = test ] && want+=("${test_pkgs[@]}")
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "appnet: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "appnet: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# native_helper NAME LIB WHY: builds collector/native/out/NAME from collector/native/NAME.c,
# linked with LIB, when missing or older than its source; WHY says what is lost when it cannot be built.
native_helper() {
  local out=collector/native/out/$1 src=collector/native/$1.c
  if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
    mkdir -p collector/native/out
    if cc -O2 -Wall -o "$out.tmp" "$src" "$2"; then
      mv -f "$out.tmp" "$out"
    else
      rm -f "$out.tmp"
      echo "appnet: could not build $out: $3" >&2
    fi
  fi
}

# The collector reads its counters over netlink with a small C helper (collector/native);
# without it, it falls back to nft's JSON listing, which is far slower on big tables.
native_helper nftdump -lmnl 'the collector will list counters with nft -j instead (slower)'
# Host names of destinations come from the DNS answers our table logs over NFLOG, read by dnslog.
native_helper dnslog -lmnl 'destinations are shown by address only'
# The app page's live connections come from the sockets the kernel lists over sock_diag, read by sockdiag.
native_helper sockdiag -lmnl 'the app page shows no live connections'

# Per-app counting runs in a cgroup_skb BPF program (collector/native/count.bpf.c), loaded and
# read by a small libbpf helper; without them `appnet collect` counts with nft sets instead.
bpfcount=collector/native/out/bpfcount
bpfobj=collector/native/out/count.bpf.o
if [ ! -x "$bpfcount" ] || [ collector/native/bpfcount.c -nt "$bpfcount" ] || [ ! -f "$bpfobj" ] || [ collector/native/count.bpf.c -nt "$bpfobj" ]; then
  mkdir -p collector/native/out
  if clang -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch)" -c collector/native/count.bpf.c -o "$bpfobj.tmp" &&
    cc -O2 -Wall -o "$bpfcount.tmp" collector/native/bpfcount.c -lbpf; then
    mv -f "$bpfobj.tmp" "$bpfobj"
    mv -f "$bpfcount.tmp" "$bpfcount"
  else
    rm -f "$bpfobj.tmp" "$bpfcount.tmp"
    echo "appnet: could not build the BPF counter ($bpfcount): the collector will count with nft sets instead" >&2
  fi
fi
# Next to the BPF counter, host names come from the DNS answers the program copies to a ring
# buffer, read by dnsring (no nft rule needed); without it, from the nft rule and dnslog as with nft.
native_helper dnsring -lbpf 'next to the BPF counter, host names are learned through nft and dnslog'

# The command line runs compiled (.build/cli), so it starts without transpiling TypeScript;
# rebuilt when any of its sources is newer than the build.
node scripts/build-cli.mjs --if-stale

# The dashboard runs from a production build; rebuild when any source is newer than it.
# The lock keeps two builds (say, a test run and a developer's build) off the same .next. It
# lives in the project directory, which only its owners can write: a fixed name in /tmp could
# be held (stalling every build) or planted as a link by any local user.
if [ ! -f .next/BUILD_ID ] || [ -n "$(find app components lib db public next.config.js package-lock.json -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]; then
  flock .next-build.lock npx next build >&2
fi
