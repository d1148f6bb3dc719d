#!/usr/bin/env node
// Traffic generator and sink for the sandbox (tests, demo, benchmarks). Prints one
// JSON line per finished transfer so callers can compare with what appnet counted.
//   serve-tcp HOST PORT sink|source:BYTES     accept forever; read all, or send BYTES then close
//   tcp-send HOST PORT BYTES                  connect, send BYTES, close
//   tcp-recv HOST PORT                        connect, read until the server closes
//   serve-udp HOST PORT                       count datagrams
//   udp-send HOST PORT COUNT SIZE [GAP_MS]    send COUNT datagrams of SIZE bytes
import net from 'node:net';
import dgram from 'node:dgram';

// The name of the program this stands in for, when the caller gives one (see cgexec.mjs).
if (process.env.APPNET_PROCESS_NAME) process.title = process.env.APPNET_PROCESS_NAME;

const [mode, host, portS, a, b, c] = process.argv.slice(2);
const port = Number(portS);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const chunk = Buffer.alloc(64 * 1024, 0x61);

function writeN(sock, n, done) {
  let left = n;
  const pump = () => {
    while (left > 0) {
      const k = Math.min(left, chunk.length);
      left -= k;
      if (!sock.write(k === chunk.length ? chunk : chunk.subarray(0, k))) return sock.once('drain', pump);
    }
    done();
  };
  pump();
}

if (mode === 'serve-tcp') {
  const srv = net.createServer((s) => {
    let got = 0;
    s.on('data', (d) => (got += d.length));
    s.on('error', () => {});
    s.on('close', () => say({ event: 'conn', received: got }));
    if (a.startsWith('source:')) writeN(s, Number(a.slice(7)), () => s.end());
  });
  srv.listen(port, host, () => say({ event: 'listening', port }));
} else if (mode === 'tcp-send') {
  const s = net.connect(port, host, () => writeN(s, Number(a), () => s.end()));
  s.on('data', () => {});
  s.on('close', (err) => {
    say({ event: 'sent', bytes: Number(a), error: err });
    process.exit(err ? 1 : 0);
  });
  s.on('error', (e) => {
    say({ event: 'error', message: e.message });
    process.exit(1);
  });
} else if (mode === 'tcp-recv') {
  let got = 0;
  const s = net.connect(port, host);
  s.on('data', (d) => (got += d.length));
  s.on('close', () => {
    say({ event: 'received', bytes: got });
    process.exit(0);
  });
  s.on('error', (e) => {
    say({ event: 'error', message: e.message });
    process.exit(1);
  });
} else if (mode === 'serve-udp') {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  let n = 0;
  let bytes = 0;
  sock.on('message', (m) => {
    n++;
    bytes += m.length;
    say({ event: 'datagram', count: n, bytes });
  });
  sock.bind(port, host, () => say({ event: 'listening', port }));
} else if (mode === 'udp-send') {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const count = Number(a);
  const payload = Buffer.alloc(Number(b), 0x62);
  const gap = Number(c ?? 0);
  let sent = 0;
  const one = () => {
    if (sent === count) {
      say({ event: 'sent', datagrams: sent });
      sock.close();
      return;
    }
    sock.send(payload, port, host, (err) => {
      if (err) {
        say({ event: 'error', message: err.message });
        process.exit(1);
      }
      sent++;
      if (gap) setTimeout(one, gap);
      else setImmediate(one);
    });
  };
  one();
} else {
  process.stderr.write(`traffic: unknown mode ${mode}\n`);
  process.exit(2);
}
