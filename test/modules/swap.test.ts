import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { activeSwaps, commentSwapLines } from '../../lib/modules/swap.ts'

const fstab = `# /etc/fstab
UUID=abc / ext4 errors=remount-ro 0 1
UUID=def none swap sw 0 0
/swap.img\tnone\tswap\tsw\t0\t0
# /old none swap sw 0 0
tmpfs /tmp tmpfs defaults 0 0
`

test('commentSwapLines: every active swap entry commented, nothing else touched', () => {
  assert.is(commentSwapLines(fstab), `# /etc/fstab
UUID=abc / ext4 errors=remount-ro 0 1
# UUID=def none swap sw 0 0
# /swap.img\tnone\tswap\tsw\t0\t0
# /old none swap sw 0 0
tmpfs /tmp tmpfs defaults 0 0
`)
})

test('commentSwapLines: a rerun changes nothing', () => {
  const once = commentSwapLines(fstab)
  assert.is(commentSwapLines(once), once)
})

test('commentSwapLines: a mount point named swap is not a swap entry', () => {
  const t = '/dev/sdb1 /swap ext4 defaults 0 0\n'
  assert.is(commentSwapLines(t), t)
})

test('activeSwaps: header only means none', () => {
  assert.equal(activeSwaps('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'), [])
  assert.equal(activeSwaps('Filename\tType\tSize\tUsed\tPriority\n/swap.img   file  2097148  0  -2\n'), ['/swap.img'])
})

test.run()
