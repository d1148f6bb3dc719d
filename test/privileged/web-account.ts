/**
 * The dashboard's account `appnet` inside a sandbox, without adding a user to the host:
 * copies of /etc/passwd and /etc/group with one more line each are bind-mounted over the
 * originals in the sandbox's private mount namespace. `asWebAccount` runs a command with
 * that account's uid and gid (setpriv: no PAM, no login), as the dashboard would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult, Sandbox } from '../../collector/sandbox/sandbox';

export interface WebAccount {
  name: 'appnet';
  uid: number;
  gid: number;
}

function usedIds(file: string): Set<number> {
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => Number(l.split(':')[2])).filter(Number.isInteger));
}

/** addWebAccount makes `appnet` exist inside the sandbox (only there); scratch holds the passwd/group copies. */
export async function addWebAccount(s: Sandbox, scratch: string): Promise<WebAccount> {
  const users = usedIds('/etc/passwd');
  const groups = usedIds('/etc/group');
  let id = 990;
  while (users.has(id) || groups.has(id)) id--;
  const passwd = join(scratch, 'passwd');
  const group = join(scratch, 'group');
  writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8').trimEnd()}\nappnet:x:${id}:${id}:appnet dashboard:/nonexistent:/usr/sbin/nologin\n`, { mode: 0o644 });
  writeFileSync(group, `${readFileSync('/etc/group', 'utf8').trimEnd()}\nappnet:x:${id}:\n`, { mode: 0o644 });
  await s.execOk(['mount', '--bind', passwd, '/etc/passwd']);
  await s.execOk(['mount', '--bind', group, '/etc/group']);
  const seen = await s.execOk(['id', 'appnet']);
  if (!seen.includes(`uid=${id}(appnet)`)) throw new Error(`the sandbox does not see the appnet account: ${seen}`);
  return { name: 'appnet', uid: id, gid: id };
}

/** asWebAccount runs argv in the sandbox as the web account (its uid and gid, no other groups). */
export function asWebAccount(s: Sandbox, acct: WebAccount, argv: string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
  return s.exec(['setpriv', `--reuid=${acct.uid}`, `--regid=${acct.gid}`, '--clear-groups', '--', ...argv], { timeoutMs: opts.timeoutMs ?? 30_000 });
}
