/** Unified diffs of file content for `--diff`, reports and the run record (Myers' O(ND) algorithm). */

type Op = { kind: ' ' | '-' | '+'; line: string }

/** The shortest edit script turning `a` into `b`, as a list of kept/removed/added lines. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length
  const m = b.length
  const max = n + m
  const v = new Int32Array(2 * max + 2)
  const trace: Int32Array[] = []
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice())
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[max + k - 1]! < v[max + k + 1]!) ? v[max + k + 1]! : v[max + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) { x++; y++ }
      v[max + k] = x
      if (x >= n && y >= m) break outer
    }
  }
  const ops: Op[] = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!
    const k = x - y
    const prevK = k === -d || (k !== d && vd[max + k - 1]! < vd[max + k + 1]!) ? k + 1 : k - 1
    const prevX = vd[max + prevK]!
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) ops.push({ kind: ' ', line: a[--x]! }), y--
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y]! })
      else ops.push({ kind: '-', line: a[--x]! })
    }
  }
  return ops.reverse()
}

const split = (s: string | null): string[] => (s === null || s === '' ? [] : s.replace(/\n$/, '').split('\n'))

/** A unified diff with `context` lines around each change; '' when equal. */
export function unifiedDiff(before: string | null, after: string | null, path: string, context = 3): string {
  if (before === after) return ''
  const ops = diffLines(split(before), split(after))
  const out = [`--- ${before === null ? '/dev/null' : `before: ${path}`}`, `+++ ${after === null ? '/dev/null' : `after: ${path}`}`]
  let i = 0
  let aLine = 1
  let bLine = 1
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') { i++; aLine++; bLine++; continue }
    const start = Math.max(0, i - context)
    let end = i
    // extend the hunk while the next change is within 2*context kept lines
    for (let j = i; j < ops.length; j++) {
      if (ops[j]!.kind !== ' ') end = j
      else if (j - end > 2 * context) break
    }
    end = Math.min(ops.length - 1, end + context)
    const lead = i - start
    const hunk = ops.slice(start, end + 1)
    const aCount = hunk.filter((o) => o.kind !== '+').length
    const bCount = hunk.filter((o) => o.kind !== '-').length
    out.push(`@@ -${aLine - lead},${aCount} +${bLine - lead},${bCount} @@`, ...hunk.map((o) => o.kind + o.line))
    for (let j = i; j <= end; j++) { if (ops[j]!.kind !== '+') aLine++; if (ops[j]!.kind !== '-') bLine++ }
    i = end + 1
  }
  if (before !== null && after !== null && before.endsWith('\n') !== after.endsWith('\n')) out.push('\\ trailing newline changed')
  return out.join('\n')
}
