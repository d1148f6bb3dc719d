/**
 * A mount namespace with an empty /sys/fs/cgroup, kept for the collector's lifetime, in
 * which it lists its table. nft 1.0.6 prints each cgroup id as a path by walking the
 * whole cgroup tree per element (seconds at a few hundred elements on a busy host);
 * with nothing to walk it prints the ids at once, and the collector maps ids to paths
 * from its own cgroup tracker. Everything runs through execFile with fixed arguments.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const file = join(runDir, `numeric-${process.pid}.mnt`);
  if (!existsSync(file)) writeFileSync(file, '');
  if (!isMountPoint(file)) {
    await run('unshare', [`--mount=${file}`, '--propagation', 'private', '--', 'mount', '-t', 'tmpfs', '-o', 'ro,size=4k,mode=0555', 'appnet-empty', '/sys/fs/cgroup']);
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
