#!/usr/bin/env node
// The live-connections test's two sides.
//   live-app.mjs --serve HOST PORT BYTES
//       the peer: accepts TCP connections, sends BYTES to each and keeps it open until the client closes it
//   live-app.mjs --app READY_FILE BYTES LISTEN_PORT (tcp|udp HOST PORT)...
//       the app: listens on TCP LISTEN_PORT, opens each TCP connection (sends BYTES, waits for the peer's
//       bytes) and each connected UDP socket (sends one datagram), then writes its local ports to READY_FILE
//       as JSON and holds everything open. SIGUSR2 closes the first TCP connection; SIGTERM ends it all.
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';

const args = process.argv.slice(2);

if (args[0] === '--serve') {
  const [, host, port, bytes] = args;
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', () => {});
    s.write(Buffer.alloc(Number(bytes), 0x62));
  });
  srv.listen(Number(port), host);
} else if (args[0] === '--app') {
  const [, readyFile, bytes, listenPort, ...rest] = args;
  const targets = [];
  for (let i = 0; i + 2 < rest.length; i += 3) targets.push({ proto: rest[i], host: rest[i + 1], port: Number(rest[i + 2]) });
  const listener = net.createServer((s) => s.on('error', () => {}));
  await new Promise((ok) => listener.listen(Number(listenPort), '0.0.0.0', ok));
  const tcp = [];
  const udp = [];
  for (const t of targets) {
    if (t.proto === 'tcp') {
      const s = net.connect(t.port, t.host);
      s.on('error', (e) => {
        process.stderr.write(`${t.host}:${t.port}: ${e.message}\n`);
        process.exit(1);
      });
      await new Promise((ok) => s.once('connect', ok));
      await new Promise((ok) => s.write(Buffer.alloc(Number(bytes), 0x61), ok));
      await new Promise((ok) => s.once('data', ok));
      tcp.push(s);
    } else {
      const u = dgram.createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
      u.on('error', () => {});
      await new Promise((ok) => u.connect(t.port, t.host, ok));
      await new Promise((ok) => u.send(Buffer.from('hello'), ok));
      udp.push(u);
    }
  }
  writeFileSync(readyFile, JSON.stringify({ tcp: tcp.map((s) => s.localPort), udp: udp.map((u) => u.address().port) }));
  process.on('SIGUSR2', () => tcp[0]?.end());
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => {}, 1 << 30);
} else {
  process.stderr.write('usage: live-app.mjs --serve HOST PORT BYTES | --app READY_FILE BYTES LISTEN_PORT (tcp|udp HOST PORT)...\n');
  process.exit(2);
}
