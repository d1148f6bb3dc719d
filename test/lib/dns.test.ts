/** The DNS answer reader (lib/dns.ts) on packets built byte by byte: chains, compression, IPv6, and what it must refuse. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv6, parseDnsMessage, parseDnsPacket, parseDnslogLine } from '../../lib/dns';

const name = (n: string) => [...n.split('.').flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]), 0];
const u16 = (v: number) => [v >> 8, v & 255];
const u32 = (v: number) => [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];
const rr = (owner: number[], type: number, ttl: number, rdata: number[]) => [...owner, ...u16(type), ...u16(1), ...u32(ttl), ...u16(rdata.length), ...rdata];

/** files.example.test → CNAME cdn.example.test (compressed) → A 192.0.2.7, AAAA 2001:db8::7; plus an unrelated A. */
function answer(opts: { rcode?: number } = {}): number[] {
  const q = name('files.example.test');
  const header = [...u16(0x1234), 0x81, 0x80 | (opts.rcode ?? 0), ...u16(1), ...u16(4), ...u16(0), ...u16(0)];
  const question = [...q, ...u16(1), ...u16(1)];
  const cdn = [3, ...[...'cdn'].map((c) => c.charCodeAt(0)), 0xc0, 12 + 6]; // "cdn" + pointer to "example.test" in the question
  return [
    ...header,
    ...question,
    ...rr([0xc0, 12], 5, 300, cdn),
    ...rr(cdn, 1, 60, [192, 0, 2, 7]),
    ...rr(cdn, 28, 60, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 7]),
    ...rr(name('other.test'), 1, 60, [198, 51, 100, 1]),
  ];
}

function udp4(payload: number[], sport = 53): number[] {
  const ip = [0x45, 0, ...u16(28 + payload.length), 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  return [...ip, ...u16(sport), ...u16(40000), ...u16(8 + payload.length), 0, 0, ...payload];
}

test('a CNAME chain: its addresses under the name the app asked for, with their TTLs', () => {
  assert.deepEqual(parseDnsMessage(Uint8Array.from(answer())), [
    { addr: '192.0.2.7', name: 'files.example.test', ttl: 60 },
    { addr: '2001:db8::7', name: 'files.example.test', ttl: 60 },
  ]);
});

test('from a logged IPv4 packet, and from a dnslog line', () => {
  const pkt = udp4(answer());
  assert.equal(parseDnsPacket(Uint8Array.from(pkt)).length, 2);
  const line = `p ${pkt.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
  assert.equal(parseDnslogLine(line)[0].name, 'files.example.test');
  assert.deepEqual(parseDnslogLine('lost'), []);
  assert.deepEqual(parseDnslogLine('ready'), []);
});

test('refused: error answers, other ports, truncation, pointer loops, odd characters', () => {
  assert.deepEqual(parseDnsMessage(Uint8Array.from(answer({ rcode: 3 }))), [], 'NXDOMAIN');
  assert.deepEqual(parseDnsPacket(Uint8Array.from(udp4(answer(), 5353))), [], 'not from port 53');
  const full = answer();
  for (let cut = 0; cut < full.length; cut += 7) assert.doesNotThrow(() => parseDnsMessage(Uint8Array.from(full.slice(0, cut))));
  const loop = [...full.slice(0, 12), 0xc0, 12, ...u16(1), ...u16(1)];
  assert.deepEqual(parseDnsMessage(Uint8Array.from(loop)), [], 'a name pointing at itself');
  const odd = answer();
  odd[13] = 0x22; // '"' in the first label
  assert.deepEqual(parseDnsMessage(Uint8Array.from(odd)), []);
});

test('a packet cut short (the BPF program copies 512 bytes at most): the answers before the cut', () => {
  const pkt = udp4(answer());
  const last = rr(name('other.test'), 1, 60, [198, 51, 100, 1]).length;
  const inAaaa = pkt.slice(0, pkt.length - last - 3); // the IP header still gives the full length
  assert.deepEqual(parseDnsPacket(Uint8Array.from(inAaaa)), [{ addr: '192.0.2.7', name: 'files.example.test', ttl: 60 }]);
  assert.deepEqual(parseDnsPacket(Uint8Array.from(pkt.slice(0, 30))), [], 'cut in the header: nothing');
});

test('IPv6 text as inet_ntop writes it', () => {
  const b = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  assert.equal(ipv6(b('fd000200000300000000000000000002'), 0), 'fd00:200:3::2');
  assert.equal(ipv6(b('00000000000000000000000000000001'), 0), '::1');
  assert.equal(ipv6(b('20010db8000000010000000000000000'), 0), '2001:db8:0:1::');
  assert.equal(ipv6(b('20010db8000100000001000000000001'), 0), '2001:db8:1:0:1::1');
  assert.equal(ipv6(b('00000000000000000000ffffc0000207'), 0), '::ffff:192.0.2.7');
});
