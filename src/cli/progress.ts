/** How long a step may take before the CLI says what it is waiting for. */
const QUIET_MS = 1000

/**
 * Where progress lines go by default: stderr, and only on a terminal (or with PULSE_PROGRESS=1),
 * so scripts reading stderr, and `--json` errors there, see nothing but the result.
 */
export const stderrProgress = (line: string): void => {
  if (process.stderr.isTTY || process.env.PULSE_PROGRESS === '1') process.stderr.write(`${line}...\n`)
}

/**
 * Runs `work`; if it is still running after a second, prints `message` once, so a slow step
 * (opening or creating the embedded database, migrating) does not look like a hang.
 */
export async function slowStep<T>(progress: ((line: string) => void) | undefined, message: string, work: () => Promise<T>): Promise<T> {
  const say = progress ?? stderrProgress
  const timer = setTimeout(() => say(message), QUIET_MS)
  try {
    return await work()
  } finally {
    clearTimeout(timer)
  }
}
