/**
 * Names of containers from their engines' state files (lib/containers.ts parses them):
 * docker's config.v2.json, podman's containers.json (the system's and each user's), and the
 * OCI bundles containerd and CRI-O keep under /run. Read when a container's cgroup is first
 * stored; an engine that is not installed costs one failed open.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  containerOfPath, namedContainer, parseDockerConfig, parseOciAnnotations, parsePodmanContainers,
  type ContainerInfo, type ContainerRef,
} from '../../lib/containers';
import type { AppIdentity } from '../../lib/identity';
import { passwdHomes, uidOfCgroup } from './desktop';

export interface ContainerRoots {
  /** docker's data root (default /var/lib/docker). */
  docker: string;
  /** containers/storage of rootful podman and CRI-O (default /var/lib/containers/storage). */
  storage: string;
  /** containerd's runtime v2 task directory (default /run/containerd/io.containerd.runtime.v2.task). */
  containerdTasks: string;
  /** CRI-O's runtime state (default /run/containers/storage). */
  crioRun: string;
  /** Home directory of a uid, for rootless podman (default: from /etc/passwd). */
  homeOf: (uid: number) => string | null;
}

export const DEFAULT_CONTAINER_ROOTS: ContainerRoots = {
  docker: '/var/lib/docker',
  storage: '/var/lib/containers/storage',
  containerdTasks: '/run/containerd/io.containerd.runtime.v2.task',
  crioRun: '/run/containers/storage',
  homeOf: passwdHomes('/etc/passwd'),
};

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function podman(roots: ContainerRoots, id: string, uid: number | null): ContainerInfo | null {
  const home = uid === null ? null : roots.homeOf(uid);
  const stores = [...(home ? [join(home, '.local/share/containers/storage')] : []), roots.storage];
  for (const store of stores) {
    const text = readText(join(store, 'overlay-containers', 'containers.json'));
    const hit = text === null ? undefined : parsePodmanContainers(text).get(id);
    if (hit) return hit;
  }
  return null;
}

function containerd(roots: ContainerRoots, id: string): ContainerInfo | null {
  let namespaces: string[];
  try {
    namespaces = readdirSync(roots.containerdTasks);
  } catch {
    return null;
  }
  for (const ns of namespaces) {
    const text = readText(join(roots.containerdTasks, ns, id, 'config.json'));
    if (text !== null) return parseOciAnnotations(text);
  }
  return null;
}

/** readContainerInfo asks the engine that made a container what it calls it; null when its state cannot be read. */
export function readContainerInfo(ref: ContainerRef, cgroupPath: string, roots: ContainerRoots = DEFAULT_CONTAINER_ROOTS): ContainerInfo | null {
  switch (ref.engine) {
    case 'docker': {
      const text = readText(join(roots.docker, 'containers', ref.id, 'config.v2.json'));
      return (text === null ? null : parseDockerConfig(text)) ?? containerd(roots, ref.id);
    }
    case 'podman':
      return podman(roots, ref.id, uidOfCgroup(cgroupPath));
    case 'containerd':
      return containerd(roots, ref.id);
    case 'crio': {
      const text = readText(join(roots.crioRun, 'overlay-containers', ref.id, 'userdata', 'config.json'));
      return (text === null ? null : parseOciAnnotations(text)) ?? podman(roots, ref.id, null);
    }
  }
}

/** containerIdentity names a container app after its container (or image) when the engine's state says; otherwise unchanged. */
export function containerIdentity(ident: AppIdentity, cgroupPath: string, roots: ContainerRoots = DEFAULT_CONTAINER_ROOTS): AppIdentity {
  if (ident.kind !== 'container') return ident;
  const ref = containerOfPath(cgroupPath);
  return ref ? namedContainer(ident, readContainerInfo(ref, cgroupPath, roots)) : ident;
}
