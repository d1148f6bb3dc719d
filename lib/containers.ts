/**
 * Container apps by the name people gave them. A container engine's scope carries only the
 * container id (docker-<id>.scope, libpod-<id>.scope, cri-containerd-<id>.scope); the name
 * and image are in the engine's state: docker's config.v2.json, podman's containers.json,
 * and the OCI bundle's config.json, whose annotations name Kubernetes containers and pods.
 * Parsing only: the collector reads the files (collector/sources/containers.ts).
 */
import type { AppIdentity } from './identity';

export type ContainerEngine = 'docker' | 'podman' | 'containerd' | 'crio';

/** ContainerRef is the container a cgroup path belongs to: the engine and the full id. */
export interface ContainerRef {
  engine: ContainerEngine;
  id: string;
}

/** ContainerInfo is what an engine's state says about one container. */
export interface ContainerInfo {
  /** The container's name (docker --name, podman --name, pod/container in Kubernetes). */
  name: string | null;
  /** The image it runs, as given (nginx:1.25, docker.io/library/redis:7). */
  image: string | null;
}

const ENGINES: Record<string, ContainerEngine> = { docker: 'docker', libpod: 'podman', 'cri-containerd': 'containerd', crio: 'crio' };

/** containerOfPath finds the container scope on a cgroup path (the outermost one wins, as in appIdentity). */
export function containerOfPath(cgroupPath: string): ContainerRef | null {
  for (const p of cgroupPath.split('/')) {
    const m = /^(docker|cri-containerd|crio|libpod)-([0-9a-f]{12,64})\.scope$/.exec(p);
    if (m) return { engine: ENGINES[m[1]], id: m[2] };
  }
  return null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** parseDockerConfig reads docker's containers/<id>/config.v2.json: "Name": "/web", "Config": {"Image": …}. */
export function parseDockerConfig(text: string): ContainerInfo | null {
  const j = obj(parseJson(text));
  const name = str(j.Name)?.replace(/^\//, '') ?? null;
  const image = str(obj(j.Config).Image);
  return name || image ? { name, image } : null;
}

/**
 * parsePodmanContainers reads containers/storage's overlay-containers/containers.json (podman's
 * list, rootful and rootless): each entry's id, names, and a metadata string holding the image name.
 */
export function parsePodmanContainers(text: string): Map<string, ContainerInfo> {
  const out = new Map<string, ContainerInfo>();
  const list = parseJson(text);
  if (!Array.isArray(list)) return out;
  for (const e of list) {
    const o = obj(e);
    const id = str(o.id);
    if (!id) continue;
    const meta = obj(typeof o.metadata === 'string' ? parseJson(o.metadata) : null);
    const names = Array.isArray(o.names) ? o.names.map(str).filter((n): n is string => n !== null) : [];
    out.set(id, { name: names[0] ?? str(meta.name), image: str(meta['image-name']) });
  }
  return out;
}

/** K8S_SAFE is the alphabet of Kubernetes' generated name suffixes (no vowels, no 0, 1, 3). */
const K8S_SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`-${K8S_SAFE}{6,10}-${K8S_SAFE}{5}$`);

/**
 * parseOciAnnotations reads the annotations of an OCI bundle's config.json (containerd and CRI-O
 * write them for every container): Kubernetes' pod and container names and the image name.
 */
export function parseOciAnnotations(text: string): ContainerInfo | null {
  const a = obj(obj(parseJson(text)).annotations);
  const pod = str(a['io.kubernetes.cri.sandbox-name']) ?? str(a['io.kubernetes.pod.name']);
  const container = str(a['io.kubernetes.cri.container-name']) ?? str(a['io.kubernetes.container.name']);
  const image = str(a['io.kubernetes.cri.image-name']) ?? str(a['io.kubernetes.cri-o.ImageName']);
  // A Deployment's pods are re-created under new names (coredns-5dd5756b68-x7kq2): the
  // Deployment's name is what stays.
  const owner = pod?.replace(DEPLOYMENT_POD, '') ?? null;
  const name = container ? (owner ? `${owner}/${container}` : container) : null;
  return name || image ? { name, image } : null;
}

/**
 * namedContainer gives a container app the name its engine knows it by: key container:<name>
 * (a container re-created under its name stays one app), else container:image:<image> (every
 * container of one image), else the id as before.
 */
export function namedContainer(ident: AppIdentity, info: ContainerInfo | null): AppIdentity {
  if (ident.kind !== 'container' || !info) return ident;
  const clean = (s: string) => s.replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
  if (info.name) return { ...ident, key: `container:${clean(info.name)}`, name: info.image ? `${info.name} (${info.image})` : info.name };
  if (info.image) return { ...ident, key: `container:image:${clean(info.image)}`, name: `${info.image} (container)` };
  return ident;
}
