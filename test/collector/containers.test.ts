/**
 * Container apps named from the engines' state files, recorded from docker 24, podman 4
 * (rootful and rootless) and containerd 1.7 under Kubernetes, laid out as on a host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { containerIdentity, type ContainerRoots } from '../../collector/sources/containers';
import { appIdentity } from '../../lib/identity';

const F = join(import.meta.dirname, '..', 'fixtures', 'containers');
const roots: ContainerRoots = {
  docker: join(F, 'var/lib/docker'),
  storage: join(F, 'var/lib/containers/storage'),
  containerdTasks: join(F, 'run/containerd/io.containerd.runtime.v2.task'),
  crioRun: join(F, 'run/containers/storage'),
  homeOf: (uid) => (uid === 1000 ? join(F, 'home/ana') : null),
};
const named = (path: string) => {
  const i = containerIdentity(appIdentity(path), path, roots);
  return { key: i.key, name: i.name, kind: i.kind };
};

const DOCKER = '4f2a9c1b7e3d5a60c8e2f4b6d8a0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6';
const U = 'user.slice/user-1000.slice/user@1000.service/user.slice';

test('docker: the container name from config.v2.json, also for units inside the container', () => {
  assert.deepEqual(named(`system.slice/docker-${DOCKER}.scope`), { key: 'container:web', name: 'web (nginx:1.25)', kind: 'container' });
  assert.equal(named(`system.slice/docker-${DOCKER}.scope/system.slice/nginx.service`).key, 'container:web');
});

test('podman: rootless from the user\'s containers.json, rootful from the system\'s; an unnamed one by its image', () => {
  assert.deepEqual(named(`${U}/libpod-${'0123456789abcdef'.repeat(4)}.scope`), { key: 'container:db', name: 'db (docker.io/library/postgres:16)', kind: 'container' });
  assert.deepEqual(named(`machine.slice/libpod-${'fedcba9876543210'.repeat(4)}.scope`), { key: 'container:builder', name: 'builder (quay.io/buildah/stable:latest)', kind: 'container' });
  assert.deepEqual(named(`${U}/libpod-${'9'.repeat(64)}.scope`), { key: 'container:image:docker.io/library/alpine:3.20', name: 'docker.io/library/alpine:3.20 (container)', kind: 'container' });
});

test('Kubernetes on containerd: pod/container from the OCI bundle\'s annotations, a Deployment\'s pod by the Deployment', () => {
  const path = `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/cri-containerd-${'ab'.repeat(32)}.scope`;
  assert.deepEqual(named(path), { key: 'container:coredns/coredns', name: 'coredns/coredns (registry.k8s.io/coredns/coredns:v1.11.1)', kind: 'container' });
});

test('an engine whose state cannot be read leaves the id; other apps are untouched', () => {
  assert.deepEqual(named(`system.slice/docker-${'12'.repeat(32)}.scope`), { key: 'container:121212121212', name: 'container 121212121212', kind: 'container' });
  assert.deepEqual(named('system.slice/nginx.service'), { key: 'nginx.service', name: 'nginx', kind: 'service' });
});
