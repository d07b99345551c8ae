// Small pieces of query building that several services share.

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
