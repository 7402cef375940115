/**
 * Language-service latency in a generated consumer project, as an editor feels it: after each
 * edit of one workflow module, how long until completions come back for `ctx.trigger.payload.`
 * inside a handler of that workflow, and how long a hover on that `ctx` is.
 *
 *   node --import tsx bench/types/completion.ts [--workflows 200] [--samples 15]
 *
 * Needs `npm run build` first: the project imports the built `dist/index.d.ts`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'
import { writeConsumerProject } from './consumer-project.js'

/** Completion and hover figures for one project. */
export interface CompletionFigures {
  workflows: number
  /** The first completion, with nothing checked yet (opening the file). */
  coldMs: number
  /** Completions right after an edit of the same file: median and slowest of the samples. */
  afterEditMs: { median: number; max: number }
  /** How many completion entries came back (the payload's fields), to show it worked. */
  entries: number
  /** What a hover on `ctx` shows, and its length. */
  hover: { text: string; length: number }
}

const MARKER = `      slack: ctx.steps.slack?.ts ?? null,\n    })\n`

export async function measureCompletion(workflows: number, samples: number): Promise<CompletionFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'pulse-completion-'))
  try {
    await writeConsumerProject(dir, workflows)
    const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
    if (!config) throw new Error('could not read the generated tsconfig.json')
    const edited = join(dir, 'workflows/order-0.ts')
    const original = await readFile(edited, 'utf8')
    if (!original.includes(MARKER)) throw new Error('the generated workflow module changed; update MARKER')
    let version = 0
    let text = original
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => config.options,
      getScriptFileNames: () => config.fileNames,
      getScriptVersion: (file) => (file === edited ? String(version) : '0'),
      getScriptSnapshot: (file) => {
        const content = file === edited ? text : ts.sys.readFile(file)
        return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content)
      },
      getCurrentDirectory: () => dir,
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
    }
    const service = ts.createLanguageService(host, ts.createDocumentRegistry())
    // Each edit types one more character into a new line of the handler, then asks for completions.
    const edit = (n: number) => {
      const typed = `    void ${'x'.repeat(n)}\n    ctx.trigger.payload.`
      text = original.replace(MARKER, `${MARKER}${typed}\n`)
      version++
      return original.indexOf(MARKER) + MARKER.length + typed.length
    }
    const complete = (position: number) => {
      const started = performance.now()
      const result = service.getCompletionsAtPosition(edited, position, {})
      return { ms: performance.now() - started, entries: result?.entries.length ?? 0 }
    }
    const cold = complete(edit(1))
    const times: number[] = []
    for (let i = 0; i < samples; i++) times.push(complete(edit(i + 2)).ms)
    times.sort((a, b) => a - b)
    const ctxAt = text.indexOf('ctx.log(')
    const hover = ts.displayPartsToString(service.getQuickInfoAtPosition(edited, ctxAt)?.displayParts)
    service.dispose()
    return {
      workflows,
      coldMs: Math.round(cold.ms),
      afterEditMs: { median: Math.round(times[Math.floor(times.length / 2)]!), max: Math.round(times[times.length - 1]!) },
      entries: cold.entries,
      hover: { text: hover, length: hover.length },
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number) => {
    const at = process.argv.indexOf(name)
    return at >= 0 ? Number(process.argv[at + 1]) : fallback
  }
  const figures = await measureCompletion(arg('--workflows', 200), arg('--samples', 15))
  console.log(JSON.stringify(figures, null, 2))
}
