// Small pieces of query building that several services share.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { QueryResultRow } from 'pg';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs: anything else cannot name a row (and must not reach a uuid column as a SQL error). */
export function isUuid(id: string): boolean {
  return UUID_PATTERN.test(id);
}

/** A LIKE pattern's literal text: its wildcards and the escape character escaped with a backslash. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** A case-insensitive "contains" over several text fields, or nothing for an empty term. */
export function textSearch<Field extends string>(fields: readonly Field[], term: string | null | undefined) {
  const trimmed = term?.trim();
  if (!trimmed) return [];
  return [{ $or: fields.map((field) => ({ [field]: { $ilike: `%${escapeLike(trimmed)}%` } })) }];
}

/** Rows strictly after a (created_at, id) keyset cursor, in newest-first order. */
export function afterKeyset(after: { createdAt: Date; id: string } | null | undefined) {
  if (!after) return [];
  return [{ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, id: { $lt: after.id } }] }];
}

/** Ids for an `in (?)` list: an empty list would be a syntax error, so it becomes one id no row has. */
export function idList(ids: readonly string[]): string[] {
  return ids.length ? [...ids] : ['00000000-0000-0000-0000-000000000000'];
}

/**
 * Batch-loaded rows split by their parent, in the parents' order, each list keeping the rows' order
 * (DataLoader's contract). One pass with a map: filtering the rows once per parent is quadratic, and
 * slow when the parent is read through an ORM reference.
 */
export function groupedBy<Row, Out = Row>(
  ids: readonly string[],
  rows: readonly Row[],
  parentOf: (row: Row) => string | null | undefined,
  map: (row: Row) => Out = (row) => row as unknown as Out,
): Out[][] {
  const groups = new Map<string, Out[]>(ids.map((id) => [id, []]));
  for (const row of rows) {
    const parent = parentOf(row);
    if (parent) groups.get(parent)?.push(map(row));
  }
  return ids.map((id) => groups.get(id)!);
}

/** Statement texts given a name (a prepared statement on each connection that runs them), at most this many. */
const MAX_NAMED_STATEMENTS = 200;
const statementNames = new Map<string, string>();

/** The name a hot-path statement is prepared under, or undefined once the table of names is full (then it is sent unnamed). */
function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known !== undefined || statementNames.size >= MAX_NAMED_STATEMENTS) return known;
  const name = `agora_${statementNames.size + 1}`;
  statementNames.set(text, name);
  return name;
}

/**
 * A hot-path statement sent with its values as bind parameters ($1, $2, ...), not inlined into its text as
 * `em.execute` does, and outside a transaction as a named (prepared) statement through the ORM's own pg
 * pool: PostgreSQL parses and plans it once per connection instead of on every call. `?` placeholders as
 * everywhere else (none may appear inside a literal); values in a select list need explicit casts (a bind
 * parameter there has no type to take). Inside a transaction it goes through the EntityManager, so it
 * stays in that transaction. The ORM's onQuery hook still sees it (statement counts in tests, logging).
 */
export async function executeBound<Row>(em: EntityManager, sql: string, values: readonly unknown[]): Promise<Row[]> {
  if (em.isInTransaction()) return em.execute<Row[]>(sql, [...values]);
  const onQuery = em.config.get('onQuery') as ((sql: string, params: readonly unknown[]) => string) | undefined;
  const text = onQuery ? onQuery(sql, values) : sql;
  const statement = numberedStatement(text);
  const pool = await em.getConnection().getNativeClient();
  const result = await pool.query<Row & QueryResultRow>({ name: statement.name, text: statement.text, values: [...values] });
  return result.rows;
}

/** A statement's text with numbered placeholders, and its name, for each text seen (at most this many kept). */
const MAX_NUMBERED_STATEMENTS = 500;
const numberedStatements = new Map<string, { text: string; name: string | undefined }>();

function numberedStatement(text: string): { text: string; name: string | undefined } {
  const known = numberedStatements.get(text);
  if (known) return known;
  let index = 0;
  const numbered = text.replace(/\?/g, () => `$${(index += 1)}`);
  const statement = { text: numbered, name: statementName(numbered) };
  if (numberedStatements.size < MAX_NUMBERED_STATEMENTS) numberedStatements.set(text, statement);
  return statement;
}
