/*
 * netbench: lean traffic generators for the appnet benchmarks, so the cost measured
 * is the kernel's packet path and not a heavy user-space tool.
 *
 *   netbench udp-send HOST PORT SECONDS LEN   blast LEN-byte datagrams (sendmmsg, 64 a call)
 *   netbench udp-recv PORT SECONDS            count datagrams (recvmmsg) for up to SECONDS
 *   netbench rr-server PORT                   TCP echo of 1-byte requests, one client at a time, forever
 *   netbench rr-client HOST PORT SECONDS      1-byte TCP ping-pong; round-trip percentiles
 *
 * Each prints one JSON line. HOST is a literal IPv4 or IPv6 address.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "netbench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int addr_of(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    *len = sizeof *a4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    *len = sizeof *a6;
    return AF_INET6;
  }
  fprintf(stderr, "netbench: not an IP address: %s\n", host);
  exit(2);
}

static int listen_any(int type, int port) {
  int fd = socket(AF_INET6, type, 0);
  if (fd < 0) die("socket");
  int zero = 0, one = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in6 a = {0};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  a.sin6_port = htons(port);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  return fd;
}

static int udp_send(const char *host, int port, double secs, int len) {
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd = socket(addr_of(host, port, &ss, &sl), SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0) die("connect");
  static char buf[65536];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = buf;
    iov[i].iov_len = len;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0, errs = 0;
  double t0 = now_s(), t = t0;
  while (t - t0 < secs) {
    for (int k = 0; k < 16; k++) {
      int n = sendmmsg(fd, msgs, BATCH, 0);
      if (n > 0) sent += n;
      else errs++;
    }
    t = now_s();
  }
  printf("{\"packets\":%llu,\"seconds\":%.6f,\"errors\":%llu}\n", sent, t - t0, errs);
  return 0;
}

static int udp_recv(int port, double secs) {
  int fd = listen_any(SOCK_DGRAM, port);
  int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static char bufs[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  printf("{\"ready\":true}\n");
  fflush(stdout);
  unsigned long long got = 0;
  double start = now_s(), first = 0, last = 0;
  for (;;) {
    int n = recvmmsg(fd, msgs, BATCH, 0, NULL);
    double t = now_s();
    if (n > 0) {
      if (got == 0) first = t;
      got += n;
      last = t;
    } else if (got > 0 && t - last > 0.5) {
      break; /* the sender stopped */
    }
    if (t - start > secs) break;
  }
  printf("{\"packets\":%llu,\"seconds\":%.6f}\n", got, last - first);
  return 0;
}

static int rr_server(int port) {
  int fd = listen_any(SOCK_STREAM, port);
  if (listen(fd, 16) < 0) die("listen");
  printf("{\"ready\":true}\n");
  fflush(stdout);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) continue;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char b;
    while (read(c, &b, 1) == 1)
      if (write(c, &b, 1) != 1) break;
    close(c);
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int rr_client(const char *host, int port, double secs) {
  struct sockaddr_storage ss;
  socklen_t sl;
  int fd = socket(addr_of(host, port, &ss, &sl), SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0) die("connect");
  size_t cap = 4000000, n = 0;
  double *rtt = malloc(cap * sizeof *rtt);
  double t0 = now_s(), t = t0;
  char b = 'x';
  while (t - t0 < secs && n < cap) {
    double a = now_s();
    if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) die("ping-pong");
    t = now_s();
    rtt[n++] = (t - a) * 1e6;
  }
  close(fd);
  qsort(rtt, n, sizeof *rtt, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += rtt[i];
  printf("{\"n\":%zu,\"mean_us\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f}\n", n, n ? sum / n : 0,
         n ? rtt[n / 2] : 0, n ? rtt[(size_t)(n * 0.99)] : 0, n ? rtt[n - 1] : 0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 6 && !strcmp(argv[1], "udp-send")) return udp_send(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]));
  if (argc >= 4 && !strcmp(argv[1], "udp-recv")) return udp_recv(atoi(argv[2]), atof(argv[3]));
  if (argc >= 3 && !strcmp(argv[1], "rr-server")) return rr_server(atoi(argv[2]));
  if (argc >= 5 && !strcmp(argv[1], "rr-client")) return rr_client(argv[2], atoi(argv[3]), atof(argv[4]));
  fprintf(stderr, "usage: netbench udp-send HOST PORT SECONDS LEN | udp-recv PORT SECONDS | rr-server PORT | rr-client HOST PORT SECONDS\n");
  return 2;
}
