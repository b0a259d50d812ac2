/**
 * Headless Debian Chromium for report tests, driven by its own CLI (`--dump-dom`, `--screenshot`):
 * no playwright/puppeteer, which would download a browser build of their own. Installed on demand
 * with apt so a fresh CI machine needs no manual step. Every flag that could make Chromium reach the
 * network is off, and only file:// pages are loaded.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { crc32, deflateSync, inflateSync } from 'node:zlib'

const BIN = '/usr/bin/chromium'

/** The chromium binary, installed with apt when missing; throws with apt's complaint if that fails. */
export function ensureChromium(): string {
  if (existsSync(BIN)) return BIN
  const apt = (args: string[]): void => {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 900_000,
    })
  }
  const install = ['install', '-y', '-qq', '--no-install-recommends', 'chromium']
  // a fresh machine often has no package lists yet: update only when the first attempt fails
  try { apt(install) } catch { apt(['update', '-qq']); apt(install) }
  if (!existsSync(BIN)) throw new Error(`apt-get installed chromium but ${BIN} is missing`)
  return BIN
}

const OFFLINE = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--mute-audio',
  '--hide-scrollbars', '--no-default-browser-check',
]

function run(file: string, extra: string[]): string {
  const bin = ensureChromium()
  // a private profile per call: no shared state between tests, nothing left in $HOME
  const profile = mkdtempSync(join(tmpdir(), 'kubeplay-chromium-'))
  try {
    return execFileSync(bin, [...OFFLINE, `--user-data-dir=${profile}`, ...extra, pathToFileURL(file).href], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
    })
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}

/** The DOM after the page's scripts ran, serialized. */
export function dumpDom(file: string): string {
  return run(file, ['--virtual-time-budget=2000', '--dump-dom'])
}

// New headless Chromium lays the page out in the window minus its (invisible) browser chrome, about
// 140 px, yet captures the whole window: the bottom of a --window-size screenshot is blank. So take a
// taller window and cut the picture back to the size asked for.
const CHROME_ALLOWANCE = 400

/** A PNG screenshot of the page's top `width`×`height` pixels. */
export function screenshot(file: string, png: string, width = 1280, height = 900): void {
  run(file, ['--virtual-time-budget=2000', `--screenshot=${png}`, `--window-size=${width},${height + CHROME_ALLOWANCE}`])
  if (!existsSync(png)) throw new Error(`chromium wrote no screenshot to ${png}`)
  writeFileSync(png, cropPngHeight(readFileSync(png), height))
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0)
  return Buffer.concat([head, data, crc])
}

/**
 * Keeps the top `height` rows of a non-interlaced PNG. PNG row filters only look at the row above,
 * so the first rows of the inflated image data stay valid on their own: no pixel decoding needed.
 */
export function cropPngHeight(png: Buffer, height: number): Buffer {
  const chunks: { type: string; data: Buffer }[] = []
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at)
    chunks.push({ type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + len) })
    at += 12 + len
  }
  const ihdr = Buffer.from(chunks.find((c) => c.type === 'IHDR')!.data)
  const [w, h, depth, colour, interlace] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8]!, ihdr[9]!, ihdr[12]!]
  if (height >= h) return png
  if (interlace !== 0) throw new Error('cropPngHeight: interlaced PNG')
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour]!
  const rowBytes = 1 + Math.ceil((w * channels * depth) / 8)
  const pixels = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)))
  ihdr.writeUInt32BE(height, 4)
  const rest = chunks.filter((c) => !['IHDR', 'IDAT', 'IEND'].includes(c.type)).map((c) => chunk(c.type, c.data))
  return Buffer.concat([png.subarray(0, 8), chunk('IHDR', ihdr), ...rest,
    chunk('IDAT', deflateSync(pixels.subarray(0, rowBytes * height))), chunk('IEND', Buffer.alloc(0))])
}
