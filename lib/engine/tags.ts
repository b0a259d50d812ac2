/** Tag selection with ansible-playbook's meaning of `all`, `tagged`, `untagged`, `always`, `never`. */
import { ConfigError } from '../errors.ts'

export const SPECIAL_TAGS = ['all', 'tagged', 'untagged', 'always', 'never'] as const

export interface TagFilter {
  readonly tags?: readonly string[]
  readonly skipTags?: readonly string[]
}

export function isSelected(taskTags: ReadonlySet<string>, f: TagFilter): boolean {
  const skip = f.skipTags ?? []
  const tagged = taskTags.size > 0
  if (skip.some((t) => taskTags.has(t))) return false
  if (skip.includes('tagged') && tagged) return false
  if (skip.includes('untagged') && !tagged) return false
  if (taskTags.has('always')) return true
  const want = f.tags ?? []
  if (want.length === 0 || want.includes('all')) return !taskTags.has('never')
  if (want.includes('tagged') && tagged && !taskTags.has('never')) return true
  if (want.includes('untagged') && !tagged) return true
  return want.some((t) => taskTags.has(t))
}

/** Rejects tags no task carries: a typo must not silently run nothing. */
export function validateTags(f: TagFilter, known: ReadonlySet<string>): void {
  for (const [flag, list] of [['--tags', f.tags], ['--skip-tags', f.skipTags]] as const) {
    for (const t of list ?? []) {
      if (!known.has(t) && !(SPECIAL_TAGS as readonly string[]).includes(t)) {
        throw new ConfigError(flag, t, `one of the playbook's tags (${[...known].sort().join(', ')})`, `unknown tag '${t}'`)
      }
    }
  }
}
