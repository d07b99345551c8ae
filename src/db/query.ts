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
