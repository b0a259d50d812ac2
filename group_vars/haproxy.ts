/**
 * The load balancer in front of the API servers (seed 001's group_vars/haproxy.yml).
 * The stats password comes from $HAPROXY_STATS_PASSWORD, or is generated once and kept in
 * .kubeplay/secrets/haproxy_stats_password (mode 0600) — never a well-known default.
 */
import { generatedSecret, secretFromEnv } from 'kubeplay'
import type { HaproxyParams } from 'kubeplay/roles'

export default {
  haproxy: {
    statsUser: 'admin',
    statsPassword: secretFromEnv('HAPROXY_STATS_PASSWORD', () => generatedSecret('haproxy_stats_password')),
    ingress: { enabled: true, httpPort: 80, httpsPort: 443, httpNodePort: 32624, httpsNodePort: 31316 },
  } satisfies Partial<HaproxyParams>,
}
