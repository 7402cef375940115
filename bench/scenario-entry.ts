/**
 * One bench scenario in a process of its own, started by bench/run.ts:
 *
 *   node --expose-gc --import tsx bench/scenario-entry.ts <scenario> '<arguments as JSON>'
 *   node --expose-gc --import tsx bench/scenario-entry.ts engine '{"mode":"redis","runs":1000,"steps":5,"concurrency":50}'
 *
 * Prints the scenario's result as one JSON line after RESULT_MARK on stdout and exits.
 */
import { isScenario, RESULT_MARK, scenarios } from './scenario-catalog.js'

const [name, json = '{}'] = process.argv.slice(2)
if (!isScenario(name)) {
  process.stderr.write(`bench: unknown scenario "${name ?? ''}": expected one of ${Object.keys(scenarios).join(', ')}\n`)
  process.exit(2)
}
// The catalog types each scenario's arguments; run.ts builds them through the same types.
const scenario = scenarios[name] as (args: unknown) => Promise<unknown>
const result = await scenario(JSON.parse(json))
process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`)
// An engine's last handles (pool timers, Redis reconnects) must not keep this process, and so the bench, waiting.
process.exit(0)
