/**
 * The dashboard's side of the write channel (lib/channel.ts): the dashboard may only read
 * the store, so every change is handed to the collector over its control socket, which
 * validates it again and writes it. Only the server-only data layer calls this.
 */
import { connect } from 'node:net';
import { CHANNEL_TIMEOUT_MS, channelFailure, controlSocketPath, encodeRequest, parseAnswer, type ChannelOp, type ChannelPayload, type ChannelResult, type ChannelValue } from '../../lib/channel';
import { getConfig } from './config';

/** COLLECTOR_DOWN is what a user sees when a change cannot be saved because the collector is not running. */
export const COLLECTOR_DOWN =
  'The collector is not running, so nothing was saved (your entry is still in the form). Start it (appnet start, or systemctl start appnet-collector) and save again.';

function downOrFailed(err: NodeJS.ErrnoException, op: string): ChannelResult<never> {
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return channelFailure(503, COLLECTOR_DOWN);
  console.error(`appnet dashboard: ${op} over the control socket failed:`, err);
  if (err.code === 'EACCES') return channelFailure(503, "Saving failed: the dashboard's account may not use the collector's control socket. The dashboard's log has the details.");
  return channelFailure(503, `Saving failed: the collector did not answer (${err.code ?? err.message}). Try again in a moment.`);
}

/** callCollector sends one write to the collector and returns its answer; it never throws. */
export function callCollector<O extends ChannelOp>(op: O, payload: ChannelPayload<O>): Promise<ChannelResult<ChannelValue<O>>> {
  const path = controlSocketPath(getConfig().dbPath);
  return new Promise((resolve) => {
    let buf = '';
    let settled = false;
    const finish = (r: ChannelResult<ChannelValue<O>>) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(r);
    };
    const sock = connect(path);
    sock.setEncoding('utf8');
    sock.setTimeout(CHANNEL_TIMEOUT_MS, () => finish(channelFailure(503, 'Saving failed: the collector did not answer within 10 s. Try again in a moment.')));
    sock.once('connect', () => sock.write(encodeRequest(op, payload)));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(parseAnswer(op, buf.slice(0, nl)));
    });
    sock.once('end', () => finish(channelFailure(503, 'Saving failed: the collector closed the connection without an answer. Try again in a moment.')));
    sock.once('error', (err: NodeJS.ErrnoException) => finish(downOrFailed(err, op)));
  });
}
