/** .desktop lookup on real files in a scratch tree laid out like /usr/share, ~/.local/share, flatpak and snapd exports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DesktopIndex, desktopIdentity, uidOfCgroup } from '../../collector/sources/desktop';
import { appIdentity } from '../../lib/identity';

const U = 'user.slice/user-1000.slice/user@1000.service/app.slice';
const entry = (name: string, icon: string, extra = '') => `[Desktop Entry]\nType=Application\nName=${name}\nIcon=${icon}\nExec=x\n${extra}`;

test('names and icons come from the user\'s, flatpak\'s, snapd\'s and the system\'s .desktop files, user first', () => {
  const root = mkdtempSync(join(tmpdir(), 'appnet-desktop-'));
  try {
    const sys = join(root, 'usr/share/applications');
    const flat = join(root, 'var/lib/flatpak/exports/share/applications');
    const snap = join(root, 'var/lib/snapd/desktop/applications');
    const home = join(root, 'home/ana');
    for (const d of [sys, flat, snap, join(home, '.local/share/applications')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(sys, 'firefox.desktop'), entry('Firefox', 'firefox'));
    writeFileSync(join(sys, 'org.kde.konsole.desktop'), entry('Konsole', 'utilities-terminal'));
    writeFileSync(join(sys, 'hidden-app.desktop'), entry('Hidden', 'x', 'Hidden=true\n'));
    writeFileSync(join(flat, 'org.mozilla.firefox.desktop'), entry('Firefox (Flatpak)', 'org.mozilla.firefox'));
    writeFileSync(join(snap, 'spotify_spotify.desktop'), entry('Spotify', '/snap/spotify/current/icon.png'));
    writeFileSync(join(home, '.local/share/applications/firefox.desktop'), entry('My Firefox', 'firefox'));
    const index = new DesktopIndex({ systemDirs: [sys, flat, snap], homeOf: (uid) => (uid === 1000 ? home : null) });

    const gnome = `${U}/app-gnome-firefox-4711.scope`;
    assert.equal(uidOfCgroup(gnome), 1000);
    assert.equal(desktopIdentity(appIdentity(gnome), gnome, index).name, 'My Firefox', 'the user\'s own file wins');
    assert.equal(desktopIdentity(appIdentity('system.slice/app-firefox.service'), 'system.slice/app-firefox.service', index).name, 'Firefox', 'no user: system file');
    const fp = `${U}/app-flatpak-org.mozilla.firefox-12345.scope`;
    assert.deepEqual(index.lookup(appIdentity(fp), 1000), { id: 'org.mozilla.firefox', name: 'Firefox (Flatpak)', icon: 'org.mozilla.firefox' });
    const sp = `${U}/snap.spotify.spotify-23a8b2c5-1111-4222-8333-944455556666.scope`;
    assert.deepEqual(index.lookup(appIdentity(sp), 1000), { id: 'spotify_spotify', name: 'Spotify', icon: '/snap/spotify/current/icon.png' });
    const kde = `${U}/app-org.kde.konsole-2837.scope`;
    assert.equal(desktopIdentity(appIdentity(kde), kde, index).name, 'Konsole');
    assert.equal(desktopIdentity(appIdentity(kde), kde, index).icon, 'utilities-terminal', 'the icon is kept with the name');
    const hidden = `${U}/app-gnome-hidden\\x2dapp-1.scope`;
    assert.equal(desktopIdentity(appIdentity(hidden), hidden, index).name, 'hidden-app', 'a hidden entry is ignored');
    assert.equal(desktopIdentity(appIdentity('system.slice/nginx.service'), 'system.slice/nginx.service', index).name, 'nginx', 'services keep their unit name');

    // An app installed while the collector runs is found (the directory's mtime changed).
    const later = `${U}/app-gnome-org.gnome.Maps-99.scope`;
    assert.equal(index.lookup(appIdentity(later), 1000), null);
    writeFileSync(join(sys, 'org.gnome.Maps.desktop'), entry('Maps', 'org.gnome.Maps'));
    utimesSync(sys, new Date(), new Date(Date.now() + 5000));
    assert.equal(index.lookup(appIdentity(later), 1000)?.name, 'Maps');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
