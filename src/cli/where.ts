import type { FlagValues } from './command.js'
import type { Output } from './output.js'
import type { EngineSession } from './session.js'

/** Where a session keeps its state, in words: the data folder, or the masked database and Redis URLs. */
export function whereText(session: Pick<EngineSession, 'mode' | 'target' | 'redisTarget'>): string {
  if (session.mode === 'embedded') return `using ${session.target}`
  return `using postgres at ${session.target}${session.redisTarget ? ` (redis at ${session.redisTarget})` : ''}`
}

/**
 * The `onOpen` hook that prints one dim line saying which database a command used, so a command
 * that silently fell back to the embedded one (DATABASE_URL unset) shows it. Nothing under --json:
 * scripts read stdout as JSON.
 */
export function printWhere(output: Output, flags: FlagValues): ((session: EngineSession) => void) | undefined {
  if (flags.json === true) return undefined
  return (session) => output.out(output.dim(whereText(session)))
}
