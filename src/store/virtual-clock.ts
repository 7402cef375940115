import type { Queryable } from './db.js'
import type { Tables } from './tables.js'

/**
 * A clock a test controls, for a test database only (the testing kit's embedded copies).
 *
 * Postgres resolves an unqualified `now()` through the search_path, and a schema listed before
 * pg_catalog wins, so `SET search_path TO pulse_clock, pg_catalog, ...` makes every `now()` of the
 * engine's statements (all unqualified) read this schema's function instead, with no change to the
 * statements themselves. Column defaults are bound to a function when the table is created, so the
 * kit migrates its template database with this search_path already set: the tables' `DEFAULT now()`
 * and `DEFAULT clock_timestamp()` then name these functions too.
 *
 * The clock stands still until the test moves it, but each transaction reads it one microsecond
 * later than the transaction before (counted by transaction id since the clock was set): work
 * done between two moves takes no measurable time (twelve 30-day delays in a row end 360 days
 * later to the millisecond), while the engine's strict "stored after" comparisons (a signal that
 * resolves a wait must be stored after the run began) still hold. Within one transaction the
 * value is constant, as Postgres' own now() is. Its row holds no instant until one is set, and
 * the functions then read the real clock (the template database is migrated that way). BullMQ's
 * own functions pin their search_path when they are created and keep the real clock.
 */
export const VIRTUAL_CLOCK_SCHEMA = 'pulse_clock'

/** The search_path of a session whose `now()` is the virtual one. */
export function virtualClockSearchPath(otherSchemas: string[]): string {
  return [VIRTUAL_CLOCK_SCHEMA, 'pg_catalog', ...otherSchemas].map((s) => `"${s}"`).join(', ')
}

/** The SQL that creates the clock's schema, its offset row and its two functions; idempotent. */
export const VIRTUAL_CLOCK_SQL = `
    CREATE SCHEMA IF NOT EXISTS ${VIRTUAL_CLOCK_SCHEMA};
    CREATE TABLE IF NOT EXISTS ${VIRTUAL_CLOCK_SCHEMA}.clock (one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one), at TIMESTAMPTZ, base BIGINT);
    INSERT INTO ${VIRTUAL_CLOCK_SCHEMA}.clock (at) VALUES (NULL) ON CONFLICT DO NOTHING;
    CREATE OR REPLACE FUNCTION ${VIRTUAL_CLOCK_SCHEMA}.now() RETURNS timestamptz LANGUAGE sql STABLE
      AS $$ SELECT CASE WHEN at IS NULL THEN pg_catalog.now() ELSE at + (pg_catalog.txid_current() - base) * interval '1 microsecond' END
            FROM ${VIRTUAL_CLOCK_SCHEMA}.clock $$;
    CREATE OR REPLACE FUNCTION ${VIRTUAL_CLOCK_SCHEMA}.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE
      AS $$ SELECT CASE WHEN at IS NULL THEN pg_catalog.clock_timestamp() ELSE at + (pg_catalog.txid_current() - base) * interval '1 microsecond' END
            FROM ${VIRTUAL_CLOCK_SCHEMA}.clock $$;
  `

/** Creates the clock's schema, its offset row and its two functions. Idempotent. */
export async function installVirtualClock(q: Queryable): Promise<void> {
  await q.query(VIRTUAL_CLOCK_SQL)
}

/** Sets the virtual clock to `at` (to the microsecond; transactions after this one tick on from there). */
export async function setVirtualTime(q: Queryable, at: Date): Promise<void> {
  await q.query(`UPDATE ${VIRTUAL_CLOCK_SCHEMA}.clock SET at = $1, base = pg_catalog.txid_current()`, [at])
}

/**
 * Empties every table of one engine prefix but the migrations ledger and unsets the clock,
 * so a test database can serve the next test as if it had just been copied from the template.
 * The tables are read from the catalog, so tables added by later migrations are emptied too.
 */
export async function resetTestDatabase(q: Queryable, t: Pick<Tables, 'schema' | 'prefix'>): Promise<void> {
  await q.query(
    `DO $$
     DECLARE tables text;
     BEGIN
       SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') INTO tables
         FROM pg_catalog.pg_tables
        WHERE schemaname = ${literal(t.schema)} AND starts_with(tablename, ${literal(t.prefix)}) AND tablename <> ${literal(`${t.prefix}migrations`)};
       IF tables IS NOT NULL THEN EXECUTE 'TRUNCATE ' || tables; END IF;
     END $$;
     UPDATE ${VIRTUAL_CLOCK_SCHEMA}.clock SET at = NULL`,
  )
}

/** Schema names and prefixes are checked identifiers (tables.ts); quoted as literals for the DO block. */
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`
