import { CliError } from '../errors.js'

/** Turns the engine's not-found error for a run into one that says how to find run ids. */
export async function runNotFound<T>(runId: string, work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    if ((err as { code?: unknown }).code === 'NOT_FOUND') throw new CliError(`run "${runId}" does not exist; list runs with "pulse runs"`, { cause: err })
    throw err
  }
}
