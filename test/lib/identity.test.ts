/**
 * App identity on cgroup paths as real launchers create them (GNOME, KDE, flatpak, snap,
 * D-Bus activation, systemd-run, container engines, user and system services, sessions):
 * every launch of one app maps to one key, and nothing that differs per launch leaks into it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appIdentity, desktopIdsFor, parseDesktopEntry, withExecutable, type AppIdentity } from '../../lib/identity';

const U = 'user.slice/user-1000.slice/user@1000.service';

type Want = Pick<AppIdentity, 'key' | 'kind' | 'name' | 'launcher'> & { unit?: string };

/** [launcher, cgroup path, expected identity] */
const TABLE: Array<[string, string, Want]> = [
  // GNOME Shell: app-gnome-<desktop id>-<pid>.scope, desktop ids with '-' escaped as \x2d.
  ['gnome', `${U}/app.slice/app-gnome-firefox-4711.scope`, { key: 'app:firefox', kind: 'app', name: 'firefox', launcher: 'gnome' }],
  ['gnome', `${U}/app.slice/app-gnome-firefox-5120.scope`, { key: 'app:firefox', kind: 'app', name: 'firefox', launcher: 'gnome' }],
  ['gnome', `${U}/app.slice/app-gnome-org.gnome.Nautilus-3021.scope`, { key: 'app:org.gnome.Nautilus', kind: 'app', name: 'org.gnome.Nautilus', launcher: 'gnome' }],
  ['gnome', `${U}/app.slice/app-gnome-google\\x2dchrome-98765.scope`, { key: 'app:google-chrome', kind: 'app', name: 'google-chrome', launcher: 'gnome' }],
  ['gnome', `${U}/app.slice/app-gnome-code-1234.scope`, { key: 'app:code', kind: 'app', name: 'code', launcher: 'gnome' }],
  // D-Bus activated apps (GNOME ≥ 3.38): a service per activation, in a slice per bus name.
  ['dbus', `${U}/app.slice/app-dbus\\x2d:1.2\\x2dorg.gnome.Calculator.slice/dbus-:1.2-org.gnome.Calculator@0.service`, { key: 'app:org.gnome.Calculator', kind: 'app', name: 'org.gnome.Calculator', launcher: 'dbus' }],
  ['dbus', `${U}/app.slice/app-dbus\\x2d:1.87\\x2dorg.gnome.Calculator.slice/dbus-:1.87-org.gnome.Calculator@0.service`, { key: 'app:org.gnome.Calculator', kind: 'app', name: 'org.gnome.Calculator', launcher: 'dbus' }],
  // KDE Plasma: scopes with a pid, KIO-launched services with a random instance.
  ['kde', `${U}/app.slice/app-org.kde.konsole-2837.scope`, { key: 'app:org.kde.konsole', kind: 'app', name: 'org.kde.konsole', launcher: 'kde' }],
  ['kde', `${U}/app.slice/app-org.kde.dolphin@0d6a3e2c5f964b0c9b0a8c5e7d1f2a3b.service`, { key: 'app:org.kde.dolphin', kind: 'app', name: 'org.kde.dolphin', launcher: 'kde' }],
  ['kde', `${U}/app.slice/app-org.kde.dolphin@a1b2c3d4e5f60718293a4b5c6d7e8f90.service`, { key: 'app:org.kde.dolphin', kind: 'app', name: 'org.kde.dolphin', launcher: 'kde' }],
  ['kde', `${U}/app.slice/app-kde-org.kde.kate-5555.scope`, { key: 'app:org.kde.kate', kind: 'app', name: 'org.kde.kate', launcher: 'kde' }],
  // Flatpak: app-flatpak-<app id>-<pid>.scope.
  ['flatpak', `${U}/app.slice/app-flatpak-org.mozilla.firefox-12345.scope`, { key: 'app:org.mozilla.firefox', kind: 'app', name: 'org.mozilla.firefox', launcher: 'flatpak' }],
  ['flatpak', `${U}/app.slice/app-flatpak-com.valvesoftware.Steam-777.scope`, { key: 'app:com.valvesoftware.Steam', kind: 'app', name: 'com.valvesoftware.Steam', launcher: 'flatpak' }],
  ['flatpak', `${U}/app.slice/app-flatpak-com.spotify.Client-5120.scope`, { key: 'app:com.spotify.Client', kind: 'app', name: 'com.spotify.Client', launcher: 'flatpak' }],
  // Snap: snap.<snap>.<app>-<uuid>.scope (snapd ≥ 2.48), snap.<snap>.<app>.<uuid>.scope before.
  ['snap', `${U}/app.slice/snap.firefox.firefox-2e8a1e5c-9c3a-4b8a-9d2e-5f3c1a7b6d4e.scope`, { key: 'app:firefox', kind: 'app', name: 'firefox', launcher: 'snap' }],
  ['snap', `${U}/snap.spotify.spotify.23a8b2c5-1111-4222-8333-944455556666.scope`, { key: 'app:spotify', kind: 'app', name: 'spotify', launcher: 'snap' }],
  ['snap', `${U}/app.slice/snap.code.url-handler-0f0e0d0c-0b0a-4909-8807-060504030201.scope`, { key: 'app:code.url-handler', kind: 'app', name: 'code.url-handler', launcher: 'snap' }],
  ['snap', 'system.slice/snap.lxd.daemon.service', { key: 'snap.lxd.daemon.service', kind: 'service', name: 'snap.lxd.daemon', launcher: 'systemd' }],
  // appnet run --app NAME.
  ['appnet', 'appnet.slice/app-appnet-backup-4242.scope', { key: 'app:backup', kind: 'app', name: 'backup', launcher: 'appnet' }],
  // systemd-run: named units keep their name; unnamed ones share one key and want an executable.
  ['systemd-run', 'system.slice/run-u123.scope', { key: 'run.scope', kind: 'scope', name: 'systemd-run (unnamed)', launcher: 'systemd-run' }],
  ['systemd-run', 'system.slice/run-u4567.scope', { key: 'run.scope', kind: 'scope', name: 'systemd-run (unnamed)', launcher: 'systemd-run' }],
  ['systemd-run', 'system.slice/run-r0c5b3e5a9c7e4d1fa3b2c1d0e9f8a7b6.service', { key: 'run.service', kind: 'service', name: 'systemd-run (unnamed)', launcher: 'systemd-run' }],
  ['systemd-run', 'system.slice/run-p4711-i4712.scope', { key: 'run.scope', kind: 'scope', name: 'systemd-run (unnamed)', launcher: 'systemd-run' }],
  ['systemd-run', `${U}/app.slice/run-u89.scope`, { key: 'user:run.scope', kind: 'scope', name: 'systemd-run (unnamed)', launcher: 'systemd-run' }],
  ['systemd-run', 'system.slice/backup-job.scope', { key: 'backup-job.scope', kind: 'scope', name: 'backup-job', launcher: 'systemd' }],
  // Terminal tabs (VTE terminals put each tab in its own scope).
  ['terminal', `${U}/app.slice/app-org.gnome.Terminal.slice/vte-spawn-8e6b1f5e-3c2d-4f6a-9b8c-7d6e5f4a3b2c.scope`, { key: 'user:vte-spawn.scope', kind: 'scope', name: 'terminal tabs (no own scope)', launcher: 'terminal' }],
  // Containers: the engine's scope wins over anything inside it.
  ['docker', `system.slice/docker-${'4f2a9c'.repeat(10)}abcd.scope`, { key: 'container:4f2a9c4f2a9c', kind: 'container', name: 'container 4f2a9c4f2a9c', launcher: 'container' }],
  ['docker', `system.slice/docker-${'4f2a9c'.repeat(10)}abcd.scope/system.slice/nginx.service`, { key: 'container:4f2a9c4f2a9c', kind: 'container', name: 'container 4f2a9c4f2a9c', launcher: 'container' }],
  ['podman', `${U}/user.slice/libpod-${'0123456789ab'.repeat(5)}0123.scope`, { key: 'container:0123456789ab', kind: 'container', name: 'container 0123456789ab', launcher: 'container' }],
  ['kubernetes', `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/cri-containerd-${'ab'.repeat(32)}.scope`, { key: 'container:abababababab', kind: 'container', name: 'container abababababab', launcher: 'container' }],
  // User services.
  ['user service', `${U}/app.slice/pipewire.service`, { key: 'user:pipewire.service', kind: 'user-service', name: 'pipewire', launcher: 'systemd' }],
  ['user service', `${U}/session.slice/org.gnome.Shell@wayland.service`, { key: 'user:org.gnome.Shell@wayland.service', kind: 'user-service', name: 'org.gnome.Shell@wayland', launcher: 'systemd' }],
  ['user manager', `${U}/init.scope`, { key: 'user:init.scope', kind: 'scope', name: 'init', launcher: 'systemd' }],
  // System services, templates and escaped names.
  ['system', 'system.slice/nginx.service', { key: 'nginx.service', kind: 'service', name: 'nginx', launcher: 'systemd' }],
  ['system', 'system.slice/system-postgresql.slice/postgresql@15-main.service', { key: 'postgresql@15-main.service', kind: 'service', name: 'postgresql@15-main', launcher: 'systemd' }],
  ['system', 'system.slice/system-openvpn\\x2dclient.slice/openvpn-client@work.service', { key: 'openvpn-client@work.service', kind: 'service', name: 'openvpn-client@work', launcher: 'systemd' }],
  // Socket activation with Accept=yes: an instance per connection, one app (the template).
  ['socket', 'system.slice/system-sshd.slice/sshd@3-10.0.0.1:22-10.0.0.2:51234.service', { key: 'sshd@.service', kind: 'service', name: 'sshd (per connection)', launcher: 'systemd' }],
  ['socket', 'system.slice/system-sshd.slice/sshd@4711-[fd00::1]:22-[fd00::2]:40112.service', { key: 'sshd@.service', kind: 'service', name: 'sshd (per connection)', launcher: 'systemd' }],
  ['socket', 'system.slice/system-rsync.slice/rsync@0-1234-0.service', { key: 'rsync@.service', kind: 'service', name: 'rsync (per connection)', launcher: 'systemd' }],
  ['socket', `${U}/app.slice/app-echo.slice/echo@12-127.0.0.1:7-127.0.0.1:33211.service`, { key: 'user:echo@.service', kind: 'user-service', name: 'echo (per connection)', launcher: 'systemd' }],
  ['system', 'system.slice/google\\x2dchrome\\x2dupdater.service', { key: 'google\\x2dchrome\\x2dupdater.service', kind: 'service', name: 'google-chrome-updater', launcher: 'systemd' }],
  ['system', 'system.slice/systemd-resolved.service', { key: 'systemd-resolved.service', kind: 'service', name: 'systemd-resolved', launcher: 'systemd' }],
  ['system', 'init.scope', { key: 'init.scope', kind: 'scope', name: 'init', launcher: 'systemd' }],
  // Login sessions: no own scope per program.
  ['logind', 'user.slice/user-1000.slice/session-3.scope', { key: 'session', kind: 'session', name: 'login sessions (no own scope)', launcher: 'logind' }],
  ['logind', 'user.slice/user-1000.slice/session-c2.scope', { key: 'session', kind: 'session', name: 'login sessions (no own scope)', launcher: 'logind' }],
  // Slices and unknown layouts.
  ['slice', 'user.slice/user-1000.slice', { key: 'user.slice/user-1000.slice', kind: 'slice', name: 'user-1000', launcher: 'systemd' }],
  ['other', 'lxc.payload.web1', { key: 'lxc.payload.web1', kind: 'other', name: 'lxc.payload.web1', launcher: null }],
];

for (const [launcher, path, want] of TABLE) {
  test(`${launcher}: ${path}`, () => {
    const got = appIdentity(path);
    assert.deepEqual({ key: got.key, kind: got.kind, name: got.name, launcher: got.launcher }, { key: want.key, kind: want.kind, name: want.name, launcher: want.launcher });
  });
}

test('no app key in the table carries a pid, uuid, bus id or random instance', () => {
  for (const [, path] of TABLE) {
    const { key, kind } = appIdentity(path);
    if (kind === 'slice') continue;
    assert.doesNotMatch(key, /[0-9a-f]{8}-[0-9a-f]{4}|[0-9a-f]{32}|-[0-9]{3,}\.|:1\.[0-9]/, `${path} → ${key}`);
  }
});

test('cgroups without their own scope are named after the executable, clearly marked', () => {
  const session = appIdentity('user.slice/user-1000.slice/session-3.scope');
  assert.deepEqual(withExecutable(session, 'curl'), { key: 'exe:curl', kind: 'session', name: 'curl (no own scope)', unit: 'session-3.scope', launcher: 'exe', noOwnScope: true });
  assert.equal(withExecutable(appIdentity('system.slice/run-u12.scope'), 'rsync').key, 'exe:rsync');
  assert.equal(withExecutable(appIdentity('system.slice/run-u12.scope'), 'Web Content').key, 'exe:Web_Content', 'characters outside unit names are replaced');
  assert.equal(withExecutable(session, null), session, 'without an executable the generic identity stays');
  const ff = appIdentity(`${U}/app.slice/app-gnome-firefox-4711.scope`);
  assert.equal(withExecutable(ff, 'firefox-esr'), ff, 'apps with their own scope keep their identity');
});

test('.desktop entries give the human name and icon; hidden and non-application entries are ignored', () => {
  const text = ['# comment', '[Desktop Entry]', 'Type=Application', 'Name=Firefox Web Browser', 'Name[de]=Firefox-Webbrowser', 'Icon=org.mozilla.firefox', 'Exec=firefox %u', '', '[Desktop Action new-window]', 'Name=New Window'].join('\n');
  assert.deepEqual(parseDesktopEntry('org.mozilla.firefox', text), { id: 'org.mozilla.firefox', name: 'Firefox Web Browser', icon: 'org.mozilla.firefox' });
  assert.equal(parseDesktopEntry('x', '[Desktop Entry]\nType=Link\nName=Site\n'), null);
  assert.equal(parseDesktopEntry('x', '[Desktop Entry]\nName=Gone\nHidden=true\n'), null);
  assert.deepEqual(desktopIdsFor(appIdentity(`${U}/app.slice/snap.firefox.firefox-2e8a1e5c-9c3a-4b8a-9d2e-5f3c1a7b6d4e.scope`)), ['firefox_firefox', 'firefox']);
  assert.deepEqual(desktopIdsFor(appIdentity(`${U}/app.slice/app-flatpak-org.mozilla.firefox-12345.scope`)), ['org.mozilla.firefox']);
  assert.deepEqual(desktopIdsFor(appIdentity('system.slice/nginx.service')), []);
});
