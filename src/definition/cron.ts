import { CronExpressionParser } from 'cron-parser'

/**
 * Checks a cron expression: five fields (minute hour day-of-month month day-of-week), or six
 * with a leading seconds field for sub-minute schedules. Returns a message saying what is wrong,
 * or `undefined` when it is valid.
 */
export function cronProblem(expression: string, timezone?: string): string | undefined {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5 && fields.length !== 6) {
    return `cron expression "${expression}" has ${fields.length} fields; write 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"`
  }
  if (timezone !== undefined && !isTimeZone(timezone)) {
    return `time zone "${timezone}" is not an IANA zone name such as "Europe/Paris" or "UTC"`
  }
  try {
    CronExpressionParser.parse(expression, { strict: false, ...(timezone ? { tz: timezone } : {}) })
    return undefined
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return `cron expression "${expression}" is not valid: ${reason}`
  }
}

/** The next time a cron expression fires after `from`. */
export function nextCronTime(expression: string, from: Date, timezone?: string): Date {
  const parsed = CronExpressionParser.parse(expression, {
    currentDate: from,
    ...(timezone ? { tz: timezone } : {}),
  })
  return parsed.next().toDate()
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
