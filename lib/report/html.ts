/**
 * The HTML run report (`--report FILE.html`): one self-contained page to attach to a ticket or keep
 * as a CI artifact. Header and totals, PLAY RECAP, a per-host timeline (one bar per task, placed by
 * start time and duration), failures with their error text, changed tasks with their diffs, the
 * slowest tasks and every task. Rendered from the JSON report, so both show the same masked data.
 * Every value from a run passes through `esc()`: task names, reasons and file contents are
 * arbitrary text and may well contain `<script>`.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { RunResult } from '../engine/results.ts'
import { CSS, JS } from './html-assets.ts'
import { toJsonReport, type JsonReport, type JsonTask, type ReportExtra } from './json.ts'

export type HtmlReportOptions = Partial<ReportExtra>

/** Escapes text for HTML element content and quoted attribute values alike. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** `1234` → `1.2 s`; `75000` → `1 m 15 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`
}

/** How a task reads in the report: an ignored failure is its own status. */
const shown = (t: JsonTask): string => (t.ignored ? 'ignored' : t.status)
const label = (t: JsonTask): string => (t.planned && t.status === 'changed' ? 'would change' : shown(t))
const badge = (t: JsonTask): string => `<span class="st s-${shown(t)}">${esc(label(t))}</span>`
const firstLine = (s: string, n = 300): string => { const l = s.split('\n')[0] ?? ''; return l.length > n ? `${l.slice(0, n)}…` : l }

/** A round step for about `n` axis ticks over `total` ms (1, 2 or 5 times a power of ten). */
function tickStep(total: number, n = 8): number {
  const raw = Math.max(1, total / n)
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!
}

function header(r: JsonReport): string {
  const t = r.totals
  const card = (cls: string, n: number, l: string): string => `<div class="card ${cls}"><div class="n">${n}</div><div class="l">${esc(l)}</div></div>`
  return `<header class="top"><div class="wrap">
<h1><span class="brand">kubeplay</span> ${esc(r.run.playbook)} <span class="badge o-${r.run.outcome}">${esc(r.run.outcome)}</span>${r.run.checkMode ? ' <span class="badge check">check mode</span>' : ''}</h1>
<div class="meta"><span><b>run</b><code>${esc(r.run.id)}</code></span><span><b>started</b><time datetime="${esc(r.run.startedAt)}">${esc(r.run.startedAt)}</time></span>
<span><b>duration</b>${esc(formatMs(r.run.durationMs))}</span><span><b>inventory</b><code>${esc(r.run.inventory)}</code></span>
${r.run.argv.length ? `<span><b>arguments</b><code>${esc(r.run.argv.join(' '))}</code></span>` : ''}${r.run.merged ? `<span><b>merged</b>${r.run.merged.length} runs: ${r.run.merged.map((m) => `<code>${esc(m.id)}</code> (${esc(m.argv.join(' '))})`).join(', ')}</span>` : ''}${r.run.aborted ? `<span><b>aborted</b>${esc(r.run.aborted)}</span>` : ''}</div>
<nav class="toc"><a href="#recap">Recap</a><a href="#timeline">Timeline</a><a href="#failures">Failures</a><a href="#changes">Changes</a><a href="#slowest">Slowest</a><a href="#tasks">All tasks</a></nav>
</div></header>
<main>
<div class="cards">${card('', t.hosts, 'hosts')}${card('', t.tasks, 'tasks')}${card('ok', t.ok, 'ok')}${card('changed', t.changed, r.run.checkMode ? 'would change' : 'changed')}${card('failed', t.failed, 'failed')}${card('unreachable', t.unreachable, 'unreachable')}${card('skipped', t.skipped, 'skipped')}${card('ignored', t.ignored, 'ignored')}</div>`
}

function recap(r: JsonReport): string {
  const cols = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'ignored'] as const
  const rows = r.hosts.map((h) => `<tr data-host="${esc(h.name)}"><td><span class="pill s-${h.outcome}"></span>${esc(h.name)}</td>${cols.map((c) =>
    `<td class="num ${h[c] === 0 ? 'zero' : `hot-${c}`}">${h[c]}</td>`).join('')}</tr>`)
  return `<section id="recap"><h2>Play recap <small>${r.hosts.length} hosts</small></h2>
<table><thead><tr><th>host</th>${cols.map((c) => `<th class="num">${c}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></section>`
}

/** Where a task's details are: its failure or change card if it has one, else its row. */
const anchor = (t: JsonTask): string => (t.status === 'failed' || t.status === 'unreachable' ? `f-${t.index}` : t.status === 'changed' ? `c-${t.index}` : `t-${t.index}`)

function timeline(r: JsonReport): string {
  const end = Math.max(r.run.durationMs, ...r.tasks.map((t) => t.offsetMs + t.durationMs), 1)
  const step = tickStep(end)
  const ticks: string[] = []
  for (let ms = 0; ms <= end; ms += step) {
    // a label near the right edge is right-aligned to its tick, or it would stick out of the page
    ticks.push(`<span${ms / end > 0.94 ? ' class="end"' : ''} style="left:${((ms / end) * 100).toFixed(3)}%">${esc(ms === 0 ? '0' : formatMs(ms))}</span>`)
  }
  const pct = (ms: number): string => ((ms / end) * 100).toFixed(3)
  const rows = r.hosts.map((h) => {
    const bars = r.tasks.filter((t) => t.host === h.name).map((t) => {
      const tip = `${t.host} · ${t.handler ? 'handler: ' : ''}${t.task} — ${label(t)}${t.reason ? `: ${firstLine(t.reason)}` : ''} (${formatMs(t.durationMs)})`
      return `<a class="bar s-${shown(t)}${t.planned ? ' planned' : ''}" href="#${anchor(t)}" data-task="${esc(t.task)}" data-status="${shown(t)}"`
        + ` style="left:${pct(t.offsetMs)}%;width:${pct(t.durationMs)}%" title="${esc(tip)}">${esc(t.task)}</a>`
    })
    return `<div class="host" title="${esc(h.name)}"><span class="pill s-${h.outcome}"></span>${esc(h.name)}</div><div class="track" data-host="${esc(h.name)}">${bars.join('')}</div>`
  })
  const legend = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'ignored'].map((s) => `<span><i class="s-${s}"></i>${s}</span>`).join('')
  return `<section id="timeline"><h2>Timeline <small>one row per host, one bar per task; hover for details, click to jump</small></h2>
<div class="legend">${legend}${r.run.checkMode ? '<span><i class="s-changed planned bar" style="position:static;display:inline-block"></i>planned (check mode)</span>' : ''}</div>
<div class="tl"><div></div><div class="axis">${ticks.join('')}</div>${rows.join('\n')}</div></section>`
}

const MAX_DIFF_LINES = 400

function diffBlock(unified: string): string {
  const lines = unified.split('\n')
  const cls = (l: string): string => (l.startsWith('--- ') || l.startsWith('+++ ') ? 'hdr' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx')
  const body = lines.slice(0, MAX_DIFF_LINES).map((l) => `<span class="${cls(l)}">${esc(l) || ' '}</span>`).join('')
  const more = lines.length > MAX_DIFF_LINES ? `<span class="hdr">… ${lines.length - MAX_DIFF_LINES} more lines (full diff in the JSON report)</span>` : ''
  return `<pre class="diff">${body}${more}</pre>`
}

function itemHead(t: JsonTask, why: boolean): string {
  return `<div class="head">${badge(t)}<span class="host">${esc(t.host)}</span><span class="task">${t.handler ? 'handler: ' : ''}${esc(t.task)}</span>`
    + `${why && t.reason ? `<span class="why">${esc(firstLine(t.reason, 200))}</span>` : ''}<span class="dur">${esc(formatMs(t.durationMs))}</span></div>`
}

function failures(r: JsonReport): string {
  const failed = r.tasks.filter((t) => t.status === 'failed' || t.status === 'unreachable')
  const items = failed.map((t) => `<div class="item failure" id="f-${t.index}">${itemHead(t, false)}<pre class="err">${esc(t.reason || '(no error text)')}</pre></div>`)
  return `<section id="failures"><h2>Failures <small>${failed.length}</small></h2>${items.join('\n') || '<p class="empty">No task failed.</p>'}</section>`
}

function changes(r: JsonReport): string {
  const changed = r.tasks.filter((t) => t.status === 'changed')
  const items = changed.map((t) => `<div class="item change" id="c-${t.index}">${itemHead(t, true)}${t.diff?.unified ? diffBlock(t.diff.unified) : ''}</div>`)
  const title = r.run.checkMode ? 'Planned changes' : 'Changes'
  return `<section id="changes"><h2>${title} <small>${changed.length}</small></h2>${items.join('\n') || '<p class="empty">Nothing changed.</p>'}</section>`
}

function taskRow(t: JsonTask, withAnchor: boolean): string {
  return `<tr${withAnchor ? ` id="t-${t.index}"` : ''} data-status="${shown(t)}"><td class="num">${esc(formatMs(t.durationMs))}</td><td>${badge(t)}</td>`
    + `<td>${esc(t.host)}</td><td>${t.handler ? 'handler: ' : ''}${esc(t.task)}</td><td>${esc(firstLine(t.reason, 200))}</td></tr>`
}

function slowest(r: JsonReport): string {
  const top = [...r.tasks].sort((a, b) => b.durationMs - a.durationMs).slice(0, 10)
  return `<section id="slowest"><h2>Slowest tasks</h2><table><thead><tr><th class="num">time</th><th>status</th><th>host</th><th>task</th><th>reason</th></tr></thead>
<tbody>${top.map((t) => taskRow(t, false)).join('')}</tbody></table></section>`
}

function allTasks(r: JsonReport): string {
  const statuses = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'ignored'].filter((s) => r.tasks.some((t) => shown(t) === s))
  const boxes = statuses.map((s) => `<label><input type="checkbox" checked data-status="${s}"> <span class="st s-${s}">${s}</span></label>`).join('')
  return `<section id="tasks"><details><summary>All tasks (${r.tasks.length}), in the order they finished</summary>
<div class="filters">${boxes}</div>
<table id="all-tasks"><thead><tr><th class="num">time</th><th>status</th><th>host</th><th>task</th><th>reason</th></tr></thead>
<tbody>${r.tasks.map((t) => taskRow(t, true)).join('')}</tbody></table></details></section>`
}

// only our own script may run: were a value ever left unescaped, an injected <script> would not
const SCRIPT_HASH = `sha256-${createHash('sha256').update(JS).digest('base64')}`

/** The report page as one self-contained HTML string. */
export function renderHtmlReport(result: RunResult, opts: HtmlReportOptions = {}): string {
  const r = toJsonReport(result, { inventory: opts.inventory ?? '', argv: opts.argv ?? [], kubeplayVersion: opts.kubeplayVersion ?? '', rerun: opts.rerun, merged: opts.merged })
  const retry = r.rerun?.command ? `<section id="rerun"><h2>Retry the failed hosts</h2><pre>${esc(r.rerun.command)}</pre></section>` : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'; img-src data:">
<meta name="generator" content="kubeplay ${esc(r.kubeplayVersion)}">
<title>${esc(`${r.run.playbook} — ${r.run.outcome} — kubeplay run ${r.run.id}`)}</title>
<style>${CSS}</style></head>
<body>
${header(r)}
${recap(r)}
${timeline(r)}
${failures(r)}
${retry}
${changes(r)}
${slowest(r)}
${allTasks(r)}
<footer>kubeplay ${esc(r.kubeplayVersion)} · report schema ${esc(r.schema)} · run ${esc(r.run.id)}</footer>
</main>
<script>${JS}</script>
</body></html>
`
}

/** Writes the report next to its final name, then renames: a reader never sees half a page. */
export function writeHtmlReport(result: RunResult, file: string, opts: HtmlReportOptions = {}): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  try {
    writeFileSync(tmp, renderHtmlReport(result, opts))
    renameSync(tmp, file)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}
