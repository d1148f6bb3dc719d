/**
 * App identity from a cgroup path. An "app" is what a person names: nginx, Firefox,
 * a container. Many cgroups map to one app: every launch of Firefox gets a new scope
 * (app-gnome-firefox-4711.scope, app-gnome-firefox-5120.scope), every restart of a
 * service a new cgroup id; they share one app key.
 */

export type AppKind = 'service' | 'user-service' | 'app' | 'container' | 'session' | 'scope' | 'slice' | 'other' | 'unattributed';

export interface AppIdentity {
  /** Stable key shared by all instances, e.g. 'nginx.service', 'app:org.mozilla.firefox'. */
  key: string;
  kind: AppKind;
  /** Readable name, e.g. 'nginx', 'firefox'. */
  name: string;
  /** The systemd unit the cgroup belongs to, when it is one. */
  unit: string | null;
  /** How the identity was found: 'systemd', 'flatpak', 'snap', 'gnome', 'kde', 'appnet', … */
  launcher: string | null;
  /** Set for cgroups whose name says nothing about the program (sessions, unnamed systemd-run, terminal tabs). */
  noOwnScope?: boolean;
  /** The Icon= of the app's .desktop entry (theme name or absolute path), when one was found. */
  icon?: string | null;
}

/** UNATTRIBUTED_KEY names the bucket of packets no local socket accounts for. */
export const UNATTRIBUTED_KEY = '(unattributed)';

/** unattributedIdentity is the pseudo-app for forwarded, kernel-generated and unmapped packets. */
export function unattributedIdentity(): AppIdentity {
  return { key: UNATTRIBUTED_KEY, kind: 'unattributed', name: 'Unattributed (no local socket)', unit: null, launcher: null };
}

/** unescapeUnit undoes systemd's \xNN escaping in unit names (google\x2dchrome → google-chrome). */
export function unescapeUnit(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const UNIT_SUFFIX = /\.(service|scope|slice|socket|mount|swap|target|timer)$/;


/** KNOWN_LAUNCHERS prefix the app id in app-<launcher>-<appid>… unit names. */
const KNOWN_LAUNCHERS = ['gnome', 'kde', 'flatpak', 'xfce', 'sway', 'cinnamon', 'mate', 'lxqt', 'dbus', 'systemd', 'appnet'];

/**
 * desktopAppFromUnit recognises the app-scope and app-service naming of desktop
 * launchers (systemd's desktop-environments spec) and of snapd and D-Bus activation:
 *   app[-<launcher>]-<appid>[@<random>|-<random>].scope|.service
 *   snap.<snap>.<app>[-<uuid>|.<uuid>].scope        (user-launched snap apps; snap services stay services)
 *   dbus-:<bus id>-<appid>@<n>.service              (D-Bus activated apps, GNOME ≥ 3.38)
 */
function desktopAppFromUnit(unit: string): { appId: string; launcher: string } | null {
  const snap = /^snap\.([a-z0-9-]+)\.([A-Za-z0-9-]+?)(?:[-.][0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\.scope$/.exec(unit);
  if (snap) return { appId: snap[1] === snap[2] ? snap[1] : `${snap[1]}.${snap[2]}`, launcher: 'snap' };
  const dbus = /^dbus-:[0-9.]+-(.+)@[0-9]+\.service$/.exec(unescapeUnit(unit));
  if (dbus) return { appId: dbus[1], launcher: 'dbus' };
  const m = /^app-(.+?)(?:@[^.]+|-[0-9a-f]{1,32}|-[0-9]+|-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\.(scope|service)$/.exec(unit);
  if (!m) return null;
  let rest = unescapeUnit(m[1]);
  let launcher = 'desktop';
  const dash = rest.indexOf('-');
  if (dash > 0 && KNOWN_LAUNCHERS.includes(rest.slice(0, dash).toLowerCase())) {
    launcher = rest.slice(0, dash).toLowerCase();
    rest = rest.slice(dash + 1);
  }
  if (!rest) return null;
  if (launcher === 'desktop' && rest.startsWith('org.kde.')) launcher = 'kde';
  return { appId: rest, launcher };
}

/** containerFromUnit recognises the scopes container engines create (docker, containerd, CRI-O, podman). */
function containerFromUnit(unit: string): string | null {
  const m = /^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{12,64})\.scope$/.exec(unit);
  return m ? m[1].slice(0, 12) : null;
}

/**
 * genericScope recognises scopes whose names say nothing about the program in them:
 * login sessions, unnamed `systemd-run` units and terminal tabs. They get one stable key
 * each (not one per instance) and are marked so the collector can name them after the
 * process's executable instead (withExecutable).
 */
function genericScope(unit: string, inUser: boolean): AppIdentity | null {
  const key = (k: string) => (inUser ? `user:${k}` : k);
  if (/^session-[^.]+\.scope$/.test(unit)) {
    return { key: 'session', kind: 'session', name: 'login sessions (no own scope)', unit, launcher: 'logind', noOwnScope: true };
  }
  // systemd-run without --unit: run-u123, run-r<hex>, run-p<pid>-i<n> (systemd ≥ 256).
  const run = /^run-(?:u[0-9]+|r[0-9a-f]+|p[0-9]+-i[0-9]+)\.(scope|service)$/.exec(unit);
  if (run) return { key: key(`run.${run[1]}`), kind: run[1] === 'service' ? 'service' : 'scope', name: 'systemd-run (unnamed)', unit, launcher: 'systemd-run', noOwnScope: true };
  if (/^vte-spawn-[0-9a-f-]{8,}\.scope$/.test(unit)) {
    return { key: key('vte-spawn.scope'), kind: 'scope', name: 'terminal tabs (no own scope)', unit, launcher: 'terminal', noOwnScope: true };
  }
  return null;
}

/**
 * A socket unit with Accept=yes starts an instance of its template per connection, named after
 * the connection: sshd@3-10.0.0.1:22-10.0.0.2:51234.service (number, local and remote address),
 * or number-pid-uid for AF_UNIX. They are one app, the template: otherwise every SSH login would
 * add an app. Instances such as postgresql@15-main.service do not look like this.
 */
const PER_CONNECTION = /^(.+)@\d+-(?:.+:\d+-.+:\d+|\d+-\d+)\.service$/;

/**
 * appIdentity maps a cgroup path (relative to the cgroup root, no leading slash)
 * to its app. A container scope anywhere on the path wins (a container's own systemd
 * units belong to the container); otherwise the deepest unit on the path wins, except
 * that a user manager (user@1000.service) and slices are containers, not apps.
 */
export function appIdentity(cgroupPath: string): AppIdentity {
  const parts = cgroupPath.split('/').filter(Boolean);
  if (parts.length === 0) return { key: '/', kind: 'other', name: 'root cgroup', unit: null, launcher: null };
  for (const p of parts) {
    const id = containerFromUnit(p);
    if (id) return { key: `container:${id}`, kind: 'container', name: `container ${id}`, unit: p, launcher: 'container' };
  }
  const userManager = parts.findIndex((p) => /^user@\d+\.service$/.test(p));
  // Walk from the deepest component up to the first meaningful unit.
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (!UNIT_SUFFIX.test(p)) continue;
    if (p.endsWith('.slice')) continue;
    if (i === userManager && i < parts.length - 1) continue;
    const desktop = desktopAppFromUnit(p);
    const inUser = userManager >= 0 && i > userManager;
    if (desktop) {
      // The whole id until a .desktop entry names it (collector/sources/desktop.ts): the last part
      // alone says little ('Client' for com.spotify.Client).
      return { key: `app:${desktop.appId}`, kind: 'app', name: desktop.appId, unit: p, launcher: desktop.launcher };
    }
    const generic = genericScope(p, inUser);
    if (generic) return generic;
    const accepted = PER_CONNECTION.exec(p);
    if (accepted) {
      const template = `${accepted[1]}@.service`;
      const name = `${unescapeUnit(accepted[1])} (per connection)`;
      return inUser ? { key: `user:${template}`, kind: 'user-service', name, unit: p, launcher: 'systemd' } : { key: template, kind: 'service', name, unit: p, launcher: 'systemd' };
    }
    const base = unescapeUnit(p.replace(UNIT_SUFFIX, ''));
    if (p.endsWith('.service')) {
      if (inUser) return { key: `user:${p}`, kind: 'user-service', name: base, unit: p, launcher: 'systemd' };
      return { key: p, kind: 'service', name: base.replace(/@$/, ''), unit: p, launcher: 'systemd' };
    }
    const scopeBase = base.replace(/-(?:[0-9]+|[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, '');
    return { key: inUser ? `user:${scopeBase}.scope` : `${scopeBase}.scope`, kind: 'scope', name: scopeBase, unit: p, launcher: 'systemd' };
  }
  const last = parts[parts.length - 1];
  if (last.endsWith('.slice')) return { key: parts.join('/'), kind: 'slice', name: unescapeUnit(last.replace(/\.slice$/, '')), unit: last, launcher: 'systemd' };
  return { key: parts.join('/'), kind: 'other', name: last, unit: null, launcher: null };
}

// ---- When the cgroup names no app: the executable, and the .desktop entries that name it. ----

/** EXE_PREFIX marks app keys named after an executable because the cgroup said nothing better. */
export const EXE_PREFIX = 'exe:';

/**
 * withExecutable names a cgroup without its own scope (a login session, an unnamed
 * systemd-run unit, a terminal tab) after the executable of its process, clearly
 * marked: key 'exe:curl', name 'curl (no own scope)'. Any other identity is returned as is.
 * `comm` is /proc/PID/comm; characters outside unit-name characters become '_'.
 */
export function withExecutable(ident: AppIdentity, comm: string | null): AppIdentity {
  if (!ident.noOwnScope || !comm) return ident;
  const exe = comm.trim().replace(/[^A-Za-z0-9_.:@+-]/g, '_').slice(0, 64);
  if (!exe) return ident;
  return { key: `${EXE_PREFIX}${exe}`, kind: ident.kind, name: `${comm.trim()} (no own scope)`, unit: ident.unit, launcher: 'exe', noOwnScope: true };
}

export interface DesktopEntry {
  name: string;
  /** Icon theme name or absolute path, as written in the file. */
  icon: string | null;
  /** The file's desktop id without '.desktop', e.g. 'org.mozilla.firefox'. */
  id: string;
}

/**
 * parseDesktopEntry reads the [Desktop Entry] group of a .desktop file: Name (the
 * unlocalised one), Icon, and whether it is hidden. Returns null for files that do not
 * describe an application or are hidden.
 */
export function parseDesktopEntry(id: string, text: string): DesktopEntry | null {
  let inGroup = false;
  const kv = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inGroup = line === '[Desktop Entry]';
      continue;
    }
    if (!inGroup || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq).trim();
    if (!kv.has(k)) kv.set(k, line.slice(eq + 1).trim());
  }
  const name = kv.get('Name');
  if (!name || (kv.get('Type') ?? 'Application') !== 'Application' || kv.get('Hidden') === 'true') return null;
  return { id, name, icon: kv.get('Icon') || null };
}

/**
 * desktopIdsFor lists the .desktop file ids that may describe an app identity, best
 * first: the app id itself (org.mozilla.firefox, firefox), the snap naming
 * (firefox_firefox), and a lowercase variant.
 */
export function desktopIdsFor(ident: AppIdentity): string[] {
  if (ident.kind !== 'app' || !ident.key.startsWith('app:')) return [];
  const appId = ident.key.slice(4);
  const ids = [appId];
  if (ident.launcher === 'snap') {
    const [snapName, app] = appId.includes('.') ? appId.split('.', 2) : [appId, appId];
    ids.unshift(`${snapName}_${app}`);
  }
  if (appId.toLowerCase() !== appId) ids.push(appId.toLowerCase());
  return [...new Set(ids)];
}

/** cgroupLevel is the depth of a path below the root: 'system.slice' is 1. */
export function cgroupLevel(cgroupPath: string): number {
  return cgroupPath.split('/').filter(Boolean).length;
}
