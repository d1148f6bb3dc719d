#!/usr/bin/env node
// Traffic generator and sink for the sandbox (tests, demo, benchmarks). Prints one
// JSON line per finished transfer so callers can compare with what appnet counted.
//   serve-tcp HOST PORT sink|source:BYTES     accept forever; read all, or send BYTES then close
//   tcp-send HOST PORT BYTES                  connect, send BYTES, close
//   tcp-recv HOST PORT [HOLD_MS]              connect, read until the server closes (then stay HOLD_MS ms, as apt unpacks)
//   serve-udp HOST PORT                       count datagrams
//   udp-send HOST PORT COUNT SIZE [GAP_MS]    send COUNT datagrams of SIZE bytes
//   every MS tcp-recv|tcp-send|udp-send ARGS  the same transfer every MS ms, in this one process, until killed
//                                             (a long-running app: no process start per transfer)
import net from 'node:net';
import dgram from 'node:dgram';

// The name of the program this stands in for, when the caller gives one (see cgexec.mjs).
if (process.env.APPNET_PROCESS_NAME) process.title = process.env.APPNET_PROCESS_NAME;

const argv = process.argv.slice(2);
const repeatMs = argv[0] === 'every' ? Number(argv[1]) : 0;
const [mode, host, portS, a, b, c] = repeatMs ? argv.slice(2) : argv;
const port = Number(portS);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const chunk = Buffer.alloc(64 * 1024, 0x61);

/** finish ends a one-shot transfer (exit) or, repeating, schedules the next one. */
function finish(code, again) {
  if (!repeatMs) process.exit(code);
  setTimeout(again, repeatMs);
}

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
  const run = () => {
    const s = net.connect(port, host, () => writeN(s, Number(a), () => s.end()));
    let failed = false;
    s.on('data', () => {});
    s.on('close', (err) => {
      if (failed) return;
      say({ event: 'sent', bytes: Number(a), error: err });
      finish(err ? 1 : 0, run);
    });
    s.on('error', (e) => {
      failed = true;
      say({ event: 'error', message: e.message });
      finish(1, run);
    });
  };
  run();
} else if (mode === 'tcp-recv') {
  const run = () => {
    let got = 0;
    let failed = false;
    const s = net.connect(port, host);
    s.on('data', (d) => (got += d.length));
    s.on('close', () => {
      if (failed) return;
      say({ event: 'received', bytes: got });
      if (!repeatMs && Number(a) > 0) setTimeout(() => process.exit(0), Number(a));
      else finish(0, run);
    });
    s.on('error', (e) => {
      failed = true;
      say({ event: 'error', message: e.message });
      finish(1, run);
    });
  };
  run();
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
      if (repeatMs) {
        sent = 0;
        setTimeout(one, repeatMs);
      } else sock.close();
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
