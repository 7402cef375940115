/** Ctrl-C or SIGTERM for a command that runs until stopped (`worker`, `runs --watch`, `run --follow`). */
export interface StopSignal {
  /** Resolves on the first SIGINT or SIGTERM. */
  readonly stopped: Promise<NodeJS.Signals>
  isStopped(): boolean
  /** Waits `ms`, or less if a stop comes first. */
  sleep(ms: number): Promise<void>
  /** Removes the signal handlers. */
  dispose(): void
}

/**
 * Listens for SIGINT and SIGTERM. While listening, a signal no longer kills the process: the
 * command finishes what it is doing and returns its own exit code.
 */
export function listenForStop(): StopSignal {
  let signal: NodeJS.Signals | undefined
  let resolveStopped!: (signal: NodeJS.Signals) => void
  const stopped = new Promise<NodeJS.Signals>((resolve) => (resolveStopped = resolve))
  const handler = (received: NodeJS.Signals) => {
    signal ??= received
    resolveStopped(signal)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    stopped,
    isStopped: () => signal !== undefined,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms)
        void stopped.then(() => {
          clearTimeout(timer)
          resolve()
        })
      }),
    dispose() {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    },
  }
}
