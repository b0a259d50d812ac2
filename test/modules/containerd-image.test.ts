import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runModule } from '../../lib/engine/adhoc.ts'
import { LocalConnection } from '../../lib/connection/local.ts'
import { containerdImage, digestInList } from '../../lib/modules/containerd-image.ts'

const LIST = `REF                        TYPE                                       DIGEST                                                                  SIZE      PLATFORMS   LABELS
registry.k8s.io/pause:3.10 application/vnd.oci.image.manifest.v1+json sha256:${'e'.repeat(64)} 680.8 KiB linux/amd64 io.cri-containerd.image=managed
registry.k8s.io/pause:3.1 application/vnd.oci.image.manifest.v1+json sha256:${'f'.repeat(64)} 1 KiB linux/amd64 -
`

test('digestInList: the digest of exactly that reference', () => {
  assert.is(digestInList(LIST, 'registry.k8s.io/pause:3.10'), `sha256:${'e'.repeat(64)}`)
  assert.is(digestInList(LIST, 'registry.k8s.io/pause:3.1'), `sha256:${'f'.repeat(64)}`)
  assert.is(digestInList(LIST, 'registry.k8s.io/pause'), null)
  assert.is(digestInList('', 'x'), null)
})

test('containerdImage: a malformed digest is refused before the host is asked', async () => {
  const e = await runModule(new LocalConnection(), containerdImage, { ref: 'r:1', digest: 'sha256:xyz', archive: '/nonexistent' }, { checkMode: true }).catch((x: Error) => x)
  assert.match(String(e), /r:1: digest: expected sha256:<64 hex digits>, found 'sha256:xyz'/)
})

test.run()
