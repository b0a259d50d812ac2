/** The bench playbook as a user runs a playbook: `npx tsx bench/playbook-cli.ts -i inventory.json` (bench/process.ts times it). */
import { main } from 'kubeplay'
import { benchPlaybook } from './playbook.ts'

main(import.meta.url, benchPlaybook())
