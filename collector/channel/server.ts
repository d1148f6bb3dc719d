/**
 * The collector's control socket: where the dashboard, which may only read the store, asks
 * for writes (lib/channel.ts). It sits next to the store (<store>.sock) in the directory only
 * root may change, mode 0660 with the store file's group, so exactly the accounts that may
 * read the store may ask; each request is re-validated before anything is written.
 */
import { chmodSync, lchownSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { CHANNEL_MAX_BYTES, CHANNEL_READS, CHANNEL_TIMEOUT_MS, channelFailure, handleChannelRequest, type ChannelHandlers, type ChannelResult } from '../../lib/channel';

export interface ChannelServer {
  readonly path: string;
  close(): Promise<void>;
}

export interface ChannelServerOptions {
  /** Socket path (controlSocketPath of the store). */
  path: string;
  /** The store: the socket gets its group. */
  dbPath: string;
  handlers: ChannelHandlers;
  /** Called after every successful write, not after a read (the collector re-plans the firewall). */
  onWrite?: () => void;
  log?: (level: 'error', msg: string) => void;
}

/** MAX_CLIENTS bounds concurrent connections; the dashboard sends one request per connection. */
const MAX_CLIENTS = 16;

function answered(path: string): Promise<boolean> {
  return new Promise((ok) => {
    const c = connect(path);
    c.once('connect', () => (c.destroy(), ok(true)));
    c.once('error', () => ok(false));
  });
}

/** A socket left by a collector that is gone is removed; a live one means another collector owns this store. */
async function clearStale(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; remove it if it is not yours`);
  if (await answered(path)) throw new Error(`another collector already serves this store (${path} answers)`);
  unlinkSync(path);
}

function serveOne(sock: Socket, opts: ChannelServerOptions): void {
  let buf = '';
  let done = false;
  sock.setEncoding('utf8');
  sock.setTimeout(CHANNEL_TIMEOUT_MS, () => sock.destroy());
  const answer = (r: ChannelResult<unknown>) => {
    done = true;
    sock.end(`${JSON.stringify(r)}\n`);
  };
  sock.on('data', (chunk: string) => {
    if (done) return;
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl < 0 && buf.length > CHANNEL_MAX_BYTES) return answer(channelFailure(413, `A request may be at most ${CHANNEL_MAX_BYTES} bytes.`));
    if (nl < 0) return;
    let r: ChannelResult<unknown>;
    let wrote = false;
    try {
      r = handleChannelRequest(buf.slice(0, nl), opts.handlers, (op) => (wrote = !CHANNEL_READS.has(op)));
    } catch (err) {
      opts.log?.('error', `control socket: ${err instanceof Error ? err.message : String(err)}`);
      const busy = err instanceof Error && /SQLITE_BUSY|database is locked/.test(err.message);
      r = channelFailure(busy ? 503 : 500, busy ? 'The store is busy; try again in a moment.' : 'The collector could not write the store; its log has the details.');
    }
    if (wrote) opts.onWrite?.();
    answer(r);
  });
  sock.on('error', () => sock.destroy());
}

/**
 * startChannelServer listens on the store's control socket. The socket is created with mode
 * 0660 (umask during bind) and given the store file's group without following links.
 */
export async function startChannelServer(opts: ChannelServerOptions): Promise<ChannelServer> {
  if (Buffer.byteLength(opts.path) > 107) throw new Error(`the control socket path ${opts.path} is longer than a unix socket allows (107 bytes): use a shorter --db path`);
  await clearStale(opts.path);
  const server: Server = createServer((sock) => serveOne(sock, opts));
  server.maxConnections = MAX_CLIENTS;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    const old = process.umask(0o117);
    try {
      server.listen(opts.path, () => ok());
    } finally {
      process.umask(old);
    }
  });
  lchownSync(opts.path, process.geteuid?.() ?? 0, statSync(opts.dbPath).gid);
  chmodSync(opts.path, 0o660);
  return {
    path: opts.path,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        try {
          unlinkSync(opts.path);
        } catch {
          /* already gone */
        }
      }),
  };
}
