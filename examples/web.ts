// examples/web.ts — run with an inventory that has a `web` group: npx tsx examples/web.ts -i hosts.ini --check --diff
import { main, play, playbook, role, task, handler } from 'kubeplay'
import { aptPackages, template, systemdService } from 'kubeplay/modules'
import { common } from 'kubeplay/roles'

const reload = handler('Reload nginx', systemdService, { name: 'nginx', state: 'reloaded' })

const web = role('web', [
  task('Install nginx', aptPackages, { names: ['nginx'] }),
  task('Write the site', template, (h) => ({
    path: '/etc/nginx/sites-enabled/default', src: 'examples/templates/site.hbs', vars: { port: h.var('port', 80) },
  }), { notify: [reload], tags: ['config'] }),
  task('Run nginx', systemdService, { name: 'nginx', enabled: true, state: 'started' }),
])

export const pb = playbook('web', [play('Web servers', { hosts: 'web', become: true, items: [common(), web] })])
main(import.meta.url, pb)
