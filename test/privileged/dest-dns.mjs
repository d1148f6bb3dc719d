#!/usr/bin/env node
// A tiny DNS server for the destinations test, run in the peer namespace:
//   dest-dns.mjs ADDR NAME CNAME A_ADDR     answers NAME with NAME CNAME CNAME, CNAME A A_ADDR (TTL 300); anything else NXDOMAIN
// And the app's side, run in its cgroup:
//   dest-dns.mjs --fetch SERVER NAME PORT BYTES   resolves NAME at SERVER, then sends BYTES over TCP to the first address
// And a flood of answers, run in the peer namespace:
//   dest-dns.mjs --flood ADDR TARGET PORT COUNT   sends COUNT datagrams of 400 bytes from ADDR port 53 to TARGET:PORT, one after another
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';

const args = process.argv.slice(2);
const label = (n) => Buffer.concat([...n.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
const u16 = (v) => Buffer.from([v >> 8, v & 255]);
const u32 = (v) => Buffer.from([(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255]);

if (args[0] === '--flood') {
  const [, addr, target, port, count] = args;
  const sock = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
  const body = Buffer.alloc(400, 0x61);
  sock.bind(53, addr, async () => {
    for (let i = 0; i < Number(count); i++) await new Promise((res, rej) => sock.send(body, Number(port), target, (e) => (e ? rej(e) : res())));
    sock.close();
  });
} else if (args[0] === '--fetch') {
  const [, server, name, port, bytes] = args;
  const r = new Resolver();
  r.setServers([server]);
  const [addr] = await r.resolve4(name);
  const s = net.connect(Number(port), addr, () => s.end(Buffer.alloc(Number(bytes), 0x61)));
  s.on('data', () => {});
  s.on('close', (err) => process.exit(err ? 1 : 0));
  s.on('error', (e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
} else {
  const [addr, name, cname, a] = args;
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    let off = 12;
    const labels = [];
    while (q[off]) {
      labels.push(q.subarray(off + 1, off + 1 + q[off]).toString());
      off += q[off] + 1;
    }
    const question = q.subarray(12, off + 5);
    const asked = labels.join('.').toLowerCase();
    const type = q.readUInt16BE(off + 1);
    const ok = asked === name && type === 1;
    const answers = ok
      ? [
          Buffer.concat([u16(0xc00c), u16(5), u16(1), u32(300), u16(label(cname).length), label(cname)]),
          Buffer.concat([label(cname), u16(1), u16(1), u32(300), u16(4), Buffer.from(a.split('.').map(Number))]),
        ]
      : [];
    const header = Buffer.concat([q.subarray(0, 2), Buffer.from([0x81, ok ? 0x80 : 0x83]), u16(1), u16(answers.length), u16(0), u16(0)]);
    sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  sock.bind(53, addr, () => process.stdout.write(JSON.stringify({ event: 'listening', port: 53 }) + '\n'));
}
