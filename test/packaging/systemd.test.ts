/**
 * The shipped systemd units grant what each service needs and nothing more: the collector
 * may load, attach and pin the BPF counter (CAP_BPF, CAP_PERFMON, the bpf syscall, its pin
 * directory writable under ProtectSystem=strict); the dashboard may do none of it. Reads the
 * files in packaging/ as systemd would, with systemd-analyze expanding the syscall groups
 * (Debian package systemd; no running systemd, no root). test/collector/install.test.ts
 * checks the installed copies with systemd-analyze verify and security.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const UNITS = join(resolve(import.meta.dirname, '..', '..'), 'packaging', 'systemd');

/** serviceSettings reads a unit's [Service] section: every value of each key, in order. */
function serviceSettings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of readFileSync(join(UNITS, unit), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1];
    else if (section === 'Service') {
      const eq = line.indexOf('=');
      const key = line.slice(0, eq);
      out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return out;
}

const words = (s: Map<string, string[]>, key: string) => (s.get(key) ?? []).flatMap((v) => v.split(/\s+/).filter(Boolean));

const groups = new Map<string, string[]>();
/** syscallsOf expands a SystemCallFilter entry (a syscall or an @group, nested groups too) into syscall names. */
function syscallsOf(entry: string): string[] {
  if (!entry.startsWith('@')) return [entry];
  let members = groups.get(entry);
  if (!members) {
    const r = spawnSync('systemd-analyze', ['syscall-filter', '--no-pager', entry], { encoding: 'utf8' });
    if (r.error) throw new Error(`systemd-analyze is not runnable (Debian package systemd): ${r.error.message}`);
    assert.equal(r.status, 0, r.stderr);
    members = r.stdout.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    groups.set(entry, members);
  }
  return members.flatMap(syscallsOf);
}

/** allowedSyscalls applies a unit's SystemCallFilter= lines as systemd does: an allow-list, minus the ~ entries. */
function allowedSyscalls(s: Map<string, string[]>): Set<string> {
  const allowed = new Set<string>();
  for (const v of s.get('SystemCallFilter') ?? []) {
    const deny = v.startsWith('~');
    for (const e of (deny ? v.slice(1) : v).split(/\s+/).filter(Boolean)) {
      for (const call of syscallsOf(e)) deny ? allowed.delete(call) : allowed.add(call);
    }
  }
  return allowed;
}

test('the collector unit may load, attach and pin the BPF counter', () => {
  const s = serviceSettings('appnet-collector.service');
  assert.deepEqual(words(s, 'CapabilityBoundingSet').sort(), ['CAP_BPF', 'CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN', 'CAP_PERFMON']);
  assert.ok(allowedSyscalls(s).has('bpf'), 'SystemCallFilter= lets bpf() through');
  assert.deepEqual(s.get('ProtectSystem'), ['strict']);
  assert.ok(words(s, 'ReadWritePaths').some((p) => p.replace(/^-/, '') === '/sys/fs/bpf/appnet'), 'the pin directory is writable under ProtectSystem=strict');
  assert.ok(
    (s.get('ExecStartPre') ?? []).some((c) => /^[-+]{2}\/bin\/mkdir -p( -m 0700)? \/sys\/fs\/bpf\/appnet$/.test(c)),
    'the pin directory is made before the sandbox is set up (ReadWritePaths= only opens a directory that exists), and a missing bpffs does not stop the service',
  );
});

test('the dashboard unit keeps no capability and cannot call bpf()', () => {
  const s = serviceSettings('appnet-dashboard.service');
  assert.deepEqual(words(s, 'CapabilityBoundingSet'), []);
  const allowed = allowedSyscalls(s);
  assert.ok(allowed.size > 100 && allowed.has('read'), 'its filter is an allow-list of ordinary calls');
  assert.ok(!allowed.has('bpf'));
  assert.ok(!words(s, 'ReadWritePaths').some((p) => p.includes('/sys/fs/bpf')));
});
