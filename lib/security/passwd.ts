export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** parsePasswd reads /etc/passwd text into entries, skipping comments and malformed lines. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, home: f[5] });
  }
  return out;
}

/** WEB_USER_CANDIDATES are tried in order when the server starts as root and no user is given. */
export const WEB_USER_CANDIDATES: readonly string[] = ['appnet', 'nobody'];

/**
 * chooseWebUser picks the unprivileged account the dashboard runs as: the named one, else
 * the first candidate that exists. Root (uid 0) is never acceptable.
 */
export function chooseWebUser(entries: readonly PasswdEntry[], wanted?: string): PasswdEntry {
  const names = wanted ? [wanted] : WEB_USER_CANDIDATES;
  for (const name of names) {
    const e = entries.find((x) => x.name === name);
    if (!e) continue;
    if (e.uid === 0 || e.gid === 0) throw new Error(`user ${name} has uid or gid 0; the dashboard needs an unprivileged account`);
    return e;
  }
  throw new Error(`no unprivileged account for the dashboard: none of ${names.join(', ')} exists in /etc/passwd (create one with: useradd --system --no-create-home --shell /usr/sbin/nologin appnet)`);
}
