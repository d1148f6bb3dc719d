/**
 * Next.js' production handler with NO appnet gate in front and no gate registered: what an
 * attacker would face if the server-level checks were skipped entirely (the CVE-2025-29927
 * scenario). Prints `listening <port>` when ready. Used by route-auth.test.ts only.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import next from 'next';

const port = Number(process.argv[2]);
process.env.APPNET_DB = process.argv[3];
const app = next({ dev: false, dir: resolve(import.meta.dirname, '../..'), hostname: '127.0.0.1', port });
await app.prepare();
const handle = app.getRequestHandler();
createServer((req, res) => void handle(req, res)).listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
