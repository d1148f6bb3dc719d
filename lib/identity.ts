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

/** lastName strips a reverse-DNS app id to its last part for display: org.mozilla.firefox → firefox. */
function shortName(appId: string): string {
  const parts = appId.split('.');
  return parts.length >= 3 ? parts[parts.length - 1] : appId;
}

/**
 * desktopAppFromUnit recognises the app-scope and app-service naming of desktop
 * launchers (systemd's desktop-environments spec):
 *   app[-<launcher>]-<appid>[@<random>|-<random>].scope|.service
 *   snap.<snap>.<app>[-<uuid>].scope
 */
function desktopAppFromUnit(unit: string): { appId: string; launcher: string } | null {
  const snap = /^snap\.([a-z0-9-]+)\.([A-Za-z0-9-]+?)(-[0-9a-f-]{8,})?\.(scope|service)$/.exec(unit);
  if (snap) return { appId: snap[1] === snap[2] ? snap[1] : `${snap[1]}.${snap[2]}`, launcher: 'snap' };
  const m = /^app-(.+?)(?:@[^.]+|-[0-9a-f]{1,32}|-[0-9]+)?\.(scope|service)$/.exec(unit);
  if (!m) return null;
  let rest = unescapeUnit(m[1]);
  const known = ['gnome', 'kde', 'flatpak', 'xfce', 'sway', 'cinnamon', 'mate', 'lxqt', 'dbus', 'systemd', 'appnet'];
  let launcher = 'desktop';
  const dash = rest.indexOf('-');
  if (dash > 0 && known.includes(rest.slice(0, dash).toLowerCase())) {
    launcher = rest.slice(0, dash).toLowerCase();
    rest = rest.slice(dash + 1);
  }
  if (!rest) return null;
  return { appId: rest, launcher };
}

/**
 * appIdentity maps a cgroup path (relative to the cgroup root, no leading slash)
 * to its app. The deepest unit on the path wins, except that a user manager
 * (user@1000.service) and slices are containers, not apps.
 */
export function appIdentity(cgroupPath: string): AppIdentity {
  const parts = cgroupPath.split('/').filter(Boolean);
  if (parts.length === 0) return { key: '/', kind: 'other', name: 'root cgroup', unit: null, launcher: null };
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
      return { key: `app:${desktop.appId}`, kind: 'app', name: shortName(desktop.appId), unit: p, launcher: desktop.launcher };
    }
    const docker = /^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{12,64})\.scope$/.exec(p);
    if (docker) {
      return { key: `container:${docker[1].slice(0, 12)}`, kind: 'container', name: `container ${docker[1].slice(0, 12)}`, unit: p, launcher: 'container' };
    }
    if (/^session-[^.]+\.scope$/.test(p)) {
      return { key: 'session', kind: 'session', name: 'login sessions (no own scope)', unit: p, launcher: 'logind' };
    }
    const base = unescapeUnit(p.replace(UNIT_SUFFIX, ''));
    if (p.endsWith('.service')) {
      if (inUser) return { key: `user:${p}`, kind: 'user-service', name: base, unit: p, launcher: 'systemd' };
      return { key: p, kind: 'service', name: base.replace(/@$/, ''), unit: p, launcher: 'systemd' };
    }
    const scopeBase = base.replace(/-[0-9]+$/, '');
    return { key: inUser ? `user:${scopeBase}.scope` : `${scopeBase}.scope`, kind: 'scope', name: scopeBase, unit: p, launcher: 'systemd' };
  }
  const last = parts[parts.length - 1];
  if (last.endsWith('.slice')) return { key: parts.join('/'), kind: 'slice', name: unescapeUnit(last.replace(/\.slice$/, '')), unit: last, launcher: 'systemd' };
  return { key: parts.join('/'), kind: 'other', name: last, unit: null, launcher: null };
}

/** cgroupLevel is the depth of a path below the root: 'system.slice' is 1. */
export function cgroupLevel(cgroupPath: string): number {
  return cgroupPath.split('/').filter(Boolean).length;
}
