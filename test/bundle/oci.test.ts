import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageDocuments, refTag, sha256File, sha256Text, writeImageArchive } from '../../lib/bundle/oci.ts'

const dir = mkdtempSync(join(tmpdir(), 'kp-oci-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

test('refTag: the tag after the last path element', () => {
  assert.is(refTag('registry.k8s.io/coredns/coredns:v1.11.3'), 'v1.11.3')
  assert.is(refTag('localhost:5000/pause:3.10'), '3.10')
  assert.throws(() => refTag('localhost:5000/pause'), /without a tag/)
})

test('imageDocuments: config names the layer by digest; the index carries the name containerd imports under', () => {
  const d = imageDocuments({ ref: 'registry.k8s.io/pause:3.10', entrypoint: ['/pause'] }, { digest: 'a'.repeat(64), size: 10 })
  const config = JSON.parse(d.config)
  assert.equal(config.rootfs, { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] })
  assert.equal([config.os, config.architecture, config.config.Entrypoint], ['linux', 'amd64', ['/pause']])
  const manifest = JSON.parse(d.manifest('b'.repeat(64), 5))
  assert.equal(manifest.layers, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${'a'.repeat(64)}`, size: 10 }])
  const index = JSON.parse(d.index('c'.repeat(64), 7))
  assert.equal(index.manifests[0].annotations, { 'io.containerd.image.name': 'registry.k8s.io/pause:3.10', 'org.opencontainers.image.ref.name': '3.10' })
})

test('writeImageArchive: an OCI layout whose blobs match their digests, the same bytes on every build', async () => {
  const root = join(dir, 'rootfs')
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true })
  writeFileSync(join(root, 'usr/local/bin/tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 })
  const a = await writeImageArchive({ ref: 'example.org/tool:v1', rootfs: root }, join(dir, 'a.tar'))
  const b = await writeImageArchive({ ref: 'example.org/tool:v1', rootfs: root }, join(dir, 'b.tar'))
  assert.is(a.manifestDigest, b.manifestDigest)
  assert.is(await sha256File(join(dir, 'a.tar')), await sha256File(join(dir, 'b.tar')), 'reproducible archive')
  const out = join(dir, 'x')
  mkdirSync(out)
  execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', out])
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'))
  const mdigest = index.manifests[0].digest.slice(7)
  assert.is(`sha256:${mdigest}`, a.manifestDigest)
  const manifest = JSON.parse(readFileSync(join(out, 'blobs/sha256', mdigest), 'utf8'))
  for (const blob of [manifest.config, ...manifest.layers]) {
    assert.is(await sha256File(join(out, 'blobs/sha256', blob.digest.slice(7))), blob.digest.slice(7), blob.mediaType)
  }
  const listing = execFileSync('tar', ['-tvf', join(out, 'blobs/sha256', manifest.layers[0].digest.slice(7))], { encoding: 'utf8' })
  assert.match(listing, /-rwxr-xr-x 0\/0 .* \.\/usr\/local\/bin\/tool/)
  assert.is(sha256Text('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})

test.run()
