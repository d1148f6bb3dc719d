/**
 * A mount namespace with an empty /sys/fs/cgroup, kept for the collector's lifetime, in
 * which it lists its table. nft 1.0.6 prints each cgroup id as a path by walking the
 * whole cgroup tree per element (seconds at a few hundred elements on a busy host);
 * with nothing to walk it prints the ids at once, and the collector maps ids to paths
 * from its own cgroup tracker. Everything runs through execFile with fixed arguments.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout))),
  );
}

function isMountPoint(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

/**
 * bindFreshNamespace makes `file` hold a new mount namespace whose /sys/fs/cgroup is an
 * empty tmpfs. A short-lived holder process unshares it; the bind happens only once the
 * holder is seen in a namespace other than ours (unshare --mount=FILE in util-linux 2.38
 * can race here and have the kernel refuse the bind).
 */
async function bindFreshNamespace(file: string): Promise<void> {
  const holder = spawn('unshare', ['-m', '--propagation', 'private', '--', 'sleep', '30'], { stdio: 'ignore' });
  try {
    const ours = readlinkSync('/proc/self/ns/mnt');
    const nsPath = `/proc/${holder.pid}/ns/mnt`;
    for (let i = 0; ; i++) {
      let theirs = '';
      try {
        theirs = readlinkSync(nsPath);
      } catch {
        /* not started yet */
      }
      if (theirs && theirs !== ours) break;
      if (i > 500 || holder.exitCode !== null) throw new Error('could not start a process in a new mount namespace (unshare -m)');
      await new Promise((r) => setTimeout(r, 10));
    }
    await run('mount', ['--bind', nsPath, file]);
  } finally {
    holder.kill('SIGKILL');
  }
  await run('nsenter', [`--mount=${file}`, '--', 'mount', '-t', 'tmpfs', '-o', 'ro,size=4k,mode=0555', 'appnet-empty', '/sys/fs/cgroup']);
}

/** removeStale unbinds namespaces left by collectors that were killed. */
async function removeStale(runDir: string): Promise<void> {
  for (const name of readdirSync(runDir)) {
    const m = /^numeric-(\d+)\.mnt$/.exec(name);
    if (!m || existsSync(`/proc/${m[1]}`)) continue;
    const f = join(runDir, name);
    if (isMountPoint(f)) await run('umount', [f]).catch(() => undefined);
    rmSync(f, { force: true });
  }
}

export interface NumericNs {
  /** The nsfs file to pass to nsenter --mount=. */
  file: string;
  /** Unbinds the namespace and the private mount point. */
  close(): Promise<void>;
}

/**
 * openNumericNs creates (or reuses) the namespace under runDir. runDir becomes a private
 * bind mount of itself (as `ip netns` does with /run/netns), which the persistent
 * namespace file requires.
 */
export async function openNumericNs(runDir: string): Promise<NumericNs> {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  if (!isMountPoint(runDir)) {
    await run('mount', ['--bind', runDir, runDir]);
    await run('mount', ['--make-private', runDir]);
  }
  await removeStale(runDir);
  const file = join(runDir, `numeric-${process.pid}.mnt`);
  if (!existsSync(file)) writeFileSync(file, '');
  // The kernel now and then refuses the bind (EINVAL) for reasons not yet pinned down
  // (seen about one time in five here); a fresh holder usually succeeds.
  for (let attempt = 1; !isMountPoint(file); attempt++) {
    try {
      await bindFreshNamespace(file);
    } catch (err) {
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
  const inside = await run('nsenter', [`--mount=${file}`, '--', 'ls', '-A', '/sys/fs/cgroup']);
  if (inside.trim() !== '') throw new Error(`the listing namespace still shows cgroups (${inside.trim().split('\n')[0]})`);
  return {
    file,
    async close() {
      await run('umount', [file]).catch(() => undefined);
      rmSync(file, { force: true });
    },
  };
}
