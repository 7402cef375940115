import type { RunTimelineEntry, WorkflowRun, WorkflowStepRun } from '../../index.js'
import { CONFIG_FLAG, JSON_FLAG, type CommandSpec } from '../command.js'
import { CliError } from '../errors.js'
import { between, formatDuration, formatTime } from '../format.js'
import { loadConfig } from '../load-config.js'
import { table, type Output } from '../output.js'
import { withEngine } from '../session.js'
import { duration } from './runs.js'

export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'Shows one run: its status, each step with its duration, and the timeline of what happened.',
  args: ['runId'],
  flags: { ...JSON_FLAG, ...CONFIG_FLAG },
  examples: ['pulse run run_01HZX...', 'pulse run run_01HZX... --json | jq .steps'],
  async run({ flags, positionals, cwd, output }) {
    const runId = positionals[0]!
    const loaded = await loadConfig(cwd, flags.config as string | undefined)
    const found = await withEngine(loaded, async ({ engine }) => {
      const run = await engine.getRun(runId)
      if (!run) return undefined
      const [steps, timeline] = await Promise.all([engine.getRunSteps(runId), engine.getRunTimeline(runId)])
      return { run, steps, timeline }
    })
    if (!found) throw new CliError(`run "${runId}" does not exist; list runs with "pulse runs"`)
    if (flags.json === true) {
      output.json(found)
      return 0
    }
    printRun(output, found.run)
    output.out('')
    output.out(output.bold('Steps'))
    output.out(stepsTable(output, found.steps))
    output.out('')
    output.out(output.bold('Timeline'))
    output.out(timelineTable(output, found.run, found.timeline))
    return 0
  },
}

function printRun(output: Output, run: WorkflowRun): void {
  const snap = run.definitionSnapshot
  const fields: [string, string][] = [
    ['run', output.bold(run.id)],
    ['workflow', `${snap.key ?? snap.name} v${snap.version}`],
    ['tenant', run.tenantId],
    ['status', output.status(run.status) + (run.isReplay ? ' (replay)' : '')],
    ['trigger', run.triggerId],
    ['created', `${formatTime(run.createdAt)} UTC`],
    ['duration', duration(run)],
  ]
  if (run.errorMessage) fields.push(['error', output.red(run.errorMessage)])
  if (run.cancelReason) fields.push(['reason', run.cancelReason])
  for (const [name, value] of fields) output.out(`${output.dim(name.padEnd(9))}${value}`)
}

function stepsTable(output: Output, steps: WorkflowStepRun[]): string {
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
    s.status === 'scheduled' && s.scheduledFor ? `due ${formatTime(s.scheduledFor)} UTC` : s.errorMessage ? output.red(s.errorMessage) : '',
  ])
  return table(['#', 'STEP', 'TYPE', 'STATUS', 'ATTEMPT', 'DURATION', ''], rows, output.bold)
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
