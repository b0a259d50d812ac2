/**
 * What the first master prints for others to join, parsed into typed values whose secret parts are
 * `Secret`s from the moment they are read (so every later log, error and report masks them), and the
 * `kubeadm join` argv built from them. Pure.
 */
import { Secret } from '../secret.ts'
import { ModuleError } from '../errors.ts'

export interface JoinCommand {
  /** `10.110.190.21:6443` */
  readonly endpoint: string
  readonly token: Secret
  /** `sha256:<64 hex>` */
  readonly caCertHashes: readonly string[]
}

const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/
const HASH = /^sha256:[a-f0-9]{64}$/

/** Parses `kubeadm token create --print-join-command` output. The token is a Secret; the output never appears in errors. */
export function parseJoinCommand(stdout: string, host: string): JoinCommand {
  const line = stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('kubeadm join '))
  const fail = (what: string): never => {
    throw new ModuleError('kubeadm', `${host}: token create --print-join-command: expected 'kubeadm join <host:port> --token <token> --discovery-token-ca-cert-hash sha256:<hash>', found ${what}`)
  }
  if (!line) return fail('no kubeadm join line')
  const words = line.split(/\s+/)
  const endpoint = words[2] ?? ''
  if (!/^[\w.:[\]-]+:\d+$/.test(endpoint)) return fail('no host:port endpoint')
  const flag = (name: string): string[] => words.flatMap((w, i) => (w === name && words[i + 1] ? [words[i + 1]!] : w.startsWith(`${name}=`) ? [w.slice(name.length + 1)] : []))
  const token = flag('--token')[0]
  if (!token || !TOKEN.test(token)) return fail('no token of the form [a-z0-9]{6}.[a-z0-9]{16}')
  const secretToken = new Secret(token, 'kubeadm join token')
  const hashes = flag('--discovery-token-ca-cert-hash')
  if (!hashes.length || !hashes.every((h) => HASH.test(h))) return fail('no --discovery-token-ca-cert-hash sha256:<64 hex>')
  return { endpoint, token: secretToken, caCertHashes: hashes }
}

/** The key `kubeadm init phase upload-certs --upload-certs` prints on its last line (64 hex digits). */
export function parseCertificateKey(stdout: string, host: string): Secret {
  const key = stdout.split('\n').map((l) => l.trim()).reverse().find((l) => /^[a-f0-9]{64}$/.test(l))
  if (!key) throw new ModuleError('kubeadm', `${host}: init phase upload-certs: expected a 64-hex-digit certificate key on the last line, found none`)
  return new Secret(key, 'kubeadm certificate key')
}

export interface JoinOptions {
  readonly criSocket: string
  /** Present for a control-plane join. */
  readonly controlPlane?: { readonly certificateKey: Secret; readonly advertiseAddress?: string; readonly bindPort?: number }
}

/** `kubeadm join <endpoint> --token *** --discovery-token-ca-cert-hash … [--control-plane --certificate-key ***]` */
export function joinArgv(j: JoinCommand, o: JoinOptions): (string | Secret)[] {
  const argv: (string | Secret)[] = ['kubeadm', 'join', j.endpoint, '--token', j.token]
  for (const h of j.caCertHashes) argv.push('--discovery-token-ca-cert-hash', h)
  argv.push('--cri-socket', o.criSocket)
  if (o.controlPlane) {
    argv.push('--control-plane', '--certificate-key', o.controlPlane.certificateKey)
    if (o.controlPlane.advertiseAddress) argv.push('--apiserver-advertise-address', o.controlPlane.advertiseAddress)
    if (o.controlPlane.bindPort && o.controlPlane.bindPort !== 6443) argv.push('--apiserver-bind-port', String(o.controlPlane.bindPort))
  }
  return argv
}
