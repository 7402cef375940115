import type { DefinitionSnapshot, Engine, RunTimelineEntry, WorkflowRun, WorkflowStepRun } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { cancelSignal, describeWait, describeWaitOutcome, findStep } from '../describe-wait.js'
import { describeFlow, describeHold } from '../describe-flow.js'
import { CliError } from '../errors.js'
import { between, formatDuration, formatTime } from '../format.js'
import { runDetailJson, runJson, stepJson, timelineEntryJson } from '../json-shapes.js'
import { loadConfig } from '../load-config.js'
import { table, type Output } from '../output.js'
import { withEngine } from '../session.js'
import { printWhere } from '../where.js'
import { listenForStop } from '../stop-signal.js'
import { duration } from './runs.js'

export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'Shows one run: its status, each step with its duration, and the timeline of what happened.',
  args: ['runId'],
  flags: {
    follow: { type: 'boolean', short: 'f', description: 'print what happens as it happens until the run ends; exit 0 if it completed, 1 if it failed or was canceled' },
    ...JSON_FLAG,
    ...CONFIG_FLAG,
  },
  examples: ['pulse run run_01m96b2c7x4k9e3qv8d5rj2tn6', 'pulse run run_01m96b2c7x4k9e3qv8d5rj2tn6 --json | jq .steps', 'pulse run run_01m96b2c7x4k9e3qv8d5rj2tn6 --follow'],
  async run({ flags, positionals, cwd, output }) {
    const runId = positionals[0]!
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    if (flags.follow === true) return withEngine(loaded, ({ engine }) => followRun(output, engine, runId, flags.json === true), { readOnly: true })
    const found = await withEngine(loaded, async ({ engine }) => {
      const run = await engine.getRun(runId)
      if (!run) return undefined
      const [steps, timeline] = await Promise.all([engine.getRunSteps(runId), engine.getRunTimeline(runId)])
      return { run, steps, timeline }
    }, { readOnly: true, onOpen: printWhere(output, flags) })
    if (!found) throw notFound(runId)
    if (flags.json === true) {
      output.json({ run: runDetailJson(found.run), steps: found.steps.map(stepJson), timeline: found.timeline.map(timelineEntryJson) })
      return 0
    }
    printRun(output, found.run)
    output.out('')
    output.out(output.bold('Steps'))
    output.out(stepsTable(output, found.steps, found.run.definitionSnapshot))
    output.out('')
    output.out(output.bold('Timeline'))
    output.out(timelineTable(output, found.run, found.timeline))
    return 0
  },
}

function notFound(runId: string): CliError {
  return new CliError(`run "${runId}" does not exist; list runs with "pulse runs"`, { code: 'NOT_FOUND' })
}

/** How often `--follow` reads the run again. */
const FOLLOW_INTERVAL_MS = 500
const ENDED = new Set(['completed', 'failed', 'canceled'])

/**
 * Prints the run's timeline entries as they appear until the run ends. Entries are told apart by
 * their content, not their position: the timeline is sorted by time, and an entry of a parallel
 * branch can land before one already printed.
 */
async function followRun(output: Output, engine: Engine, runId: string, json: boolean): Promise<number> {
  const first = await engine.getRun(runId)
  if (!first) throw notFound(runId)
  const stop = listenForStop()
  const seen = new Set<string>()
  const start = new Date(first.createdAt).getTime()
  if (!json) {
    const snap = first.definitionSnapshot
    output.out(`following ${output.bold(first.id)} ${snap.key ?? snap.name} v${snap.version} (tenant ${first.tenantId}); Ctrl-C to stop`)
  }
  try {
    for (;;) {
      // Status first: entries read after seeing the run ended include its last ones.
      const run = (await engine.getRun(runId)) ?? first
      for (const entry of await engine.getRunTimeline(runId)) {
        const key = JSON.stringify([entry.timestamp, entry.type, entry.stepIndex, entry.stepName, entry.detail])
        if (seen.has(key)) continue
        seen.add(key)
        if (json) output.jsonLine({ kind: 'timeline', entry: timelineEntryJson(entry) })
        else output.out(timelineLine(output, entry, start))
      }
      if (ENDED.has(run.status)) {
        if (json) output.jsonLine({ kind: 'run', run: runJson(run) })
        else output.out(`run ${output.status(run.status)} in ${duration(run)}${run.errorMessage ? `: ${output.red(run.errorMessage)}` : ''}`)
        return run.status === 'completed' ? 0 : 1
      }
      await stop.sleep(FOLLOW_INTERVAL_MS)
      if (stop.isStopped()) return 130
    }
  } finally {
    stop.dispose()
  }
}

function timelineLine(output: Output, e: RunTimelineEntry, start: number): string {
  const detail = e.detail && Object.keys(e.detail).length > 0 ? `  ${output.dim(JSON.stringify(e.detail))}` : ''
  return `${formatTime(e.timestamp)}  ${output.dim(`+${formatDuration(new Date(e.timestamp).getTime() - start)}`)}  ${e.type}${e.stepName ? `  ${output.bold(e.stepName)}` : ''}${detail}`
}

function printRun(output: Output, run: WorkflowRun): void {
  const snap = run.definitionSnapshot
  const fields: [string, string][] = [
    ['run', output.bold(run.id)],
    ['workflow', `${snap.key ?? snap.name} v${snap.version}`],
    ['tenant', run.tenantId],
    ['status', output.status(run.status) + (run.isReplay ? ' (replay)' : '') + (run.heldBy ? ` (${describeHold(run.heldBy)})` : '')],
    ['trigger', run.triggerId],
    ['created', `${formatTime(run.createdAt)} UTC`],
    ['duration', duration(run)],
  ]
  if (run.errorMessage) fields.push(['error', output.red(run.errorMessage)])
  if (run.cancelReason) fields.push(['reason', run.cancelReason])
  if (snap.cancelOn) fields.push(['cancelOn', snap.cancelOn.map(cancelSignal).join('; ')])
  if (snap.flow) fields.push(['flow', describeFlow(snap.flow)])
  for (const [name, value] of fields) output.out(`${output.dim(name.padEnd(9))}${value}`)
}

function stepsTable(output: Output, steps: WorkflowStepRun[], snapshot: DefinitionSnapshot): string {
  // Branch steps follow their parallel step, indented under it.
  const top = steps.filter((s) => !s.parentStepRunId).sort((a, b) => a.stepIndex - b.stepIndex)
  const ordered: [WorkflowStepRun, number][] = []
  const add = (step: WorkflowStepRun, depth: number) => {
    ordered.push([step, depth])
    steps
      .filter((s) => s.parentStepRunId === step.id)
      .sort((a, b) => (a.branchIndex ?? 0) - (b.branchIndex ?? 0) || a.stepIndex - b.stepIndex)
      .forEach((s) => add(s, depth + 1))
  }
  top.forEach((s) => add(s, 0))
  const rows = ordered.map(([s, depth]) => [
    `${'  '.repeat(depth)}${depth > 0 ? `b${s.branchIndex ?? 0}.` : ''}${s.stepIndex}`,
    s.stepName,
    s.stepType,
    output.status(s.status),
    String(s.attempt),
    between(s.startedAt, s.completedAt),
    s.stepType === 'wait_for_signal' ? waitNote(output, s, snapshot) : s.status === 'scheduled' && s.scheduledFor ? `due ${formatTime(s.scheduledFor)} UTC` : s.errorMessage ? output.red(s.errorMessage) : '',
  ])
  return table(['#', 'STEP', 'TYPE', 'STATUS', 'ATTEMPT', 'DURATION', ''], rows, output.bold)
}

/** A wait step's row: what it waits for while it waits, what came of it once it is done. */
function waitNote(output: Output, step: WorkflowStepRun, snapshot: DefinitionSnapshot): string {
  if (step.errorMessage) return output.red(step.errorMessage)
  if (step.status === 'completed') return describeWaitOutcome(step.result) ?? ''
  if (step.status === 'skipped') return ''
  const def = findStep(snapshot.steps, step.stepName)
  return def ? describeWait(def) : ''
}

function timelineTable(output: Output, run: WorkflowRun, timeline: RunTimelineEntry[]): string {
  const start = new Date(run.createdAt).getTime()
  const rows = timeline.map((e) => [
    formatTime(e.timestamp),
    `+${formatDuration(new Date(e.timestamp).getTime() - start)}`,
    e.type,
    e.stepName ?? '',
    e.detail && Object.keys(e.detail).length > 0 ? output.dim(JSON.stringify(e.detail)) : '',
  ])
  return table(['TIME (UTC)', 'AFTER', 'EVENT', 'STEP', 'DETAIL'], rows, output.bold)
}
