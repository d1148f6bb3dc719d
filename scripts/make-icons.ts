/**
 * make-icons draws the PWA icons (public/icons/*.png) without image tools: a blue tile with
 * three white bars (a bar chart) and a down arrow, rasterised with 4x4 supersampling and
 * written as RGBA PNGs with node:zlib. Run: node --import tsx scripts/make-icons.ts
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** encodePng writes RGBA pixels (size×size×4) as a PNG file's bytes. */
export function encodePng(size: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

type Shape = (x: number, y: number) => boolean;

const inRect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const roundedTile = (r: number): Shape => (x, y) => {
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};

/** draw renders the icon; `inset` shrinks the glyph into the maskable safe zone. */
function draw(size: number, opts: { maskable: boolean }): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  const tile: Shape = opts.maskable ? () => true : roundedTile(0.22);
  const s = opts.maskable ? 0.62 : 0.8;
  const o = (1 - s) / 2;
  const g = (x0: number, y0: number, x1: number, y1: number) => inRect(o + x0 * s, o + y0 * s, o + x1 * s, o + y1 * s);
  const bars: Shape[] = [g(0.12, 0.55, 0.3, 0.9), g(0.41, 0.3, 0.59, 0.9), g(0.7, 0.42, 0.88, 0.9)];
  const arrow: Shape = (x, y) => {
    const u = (x - o) / s;
    const v = (y - o) / s;
    const stem = u >= 0.45 && u <= 0.55 && v >= 0.05 && v <= 0.16;
    const head = v >= 0.14 && v <= 0.24 && Math.abs(u - 0.5) <= (0.24 - v) * 1.2;
    return stem || head;
  };
  const N = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let inTile = 0;
      let white = 0;
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const fx = (x + (sx + 0.5) / N) / size;
          const fy = (y + (sy + 0.5) / N) / size;
          if (!tile(fx, fy)) continue;
          inTile++;
          if (bars.some((b) => b(fx, fy)) || arrow(fx, fy)) white++;
        }
      }
      const i = (y * size + x) * 4;
      const a = inTile / (N * N);
      const w = inTile ? white / inTile : 0;
      const fy = y / size;
      const base = [37 + 20 * fy, 99 - 30 * fy, 235 - 40 * fy];
      px[i] = Math.round(base[0] * (1 - w) + 255 * w);
      px[i + 1] = Math.round(base[1] * (1 - w) + 255 * w);
      px[i + 2] = Math.round(base[2] * (1 - w) + 255 * w);
      px[i + 3] = Math.round(255 * a);
    }
  }
  return px;
}

const out = new URL('../public/icons/', import.meta.url);
for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['maskable-192.png', 192, true],
  ['maskable-512.png', 512, true],
] as const) {
  writeFileSync(new URL(name, out), encodePng(size, draw(size, { maskable })));
}
