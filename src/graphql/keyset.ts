import { badInput } from '../errors.ts';

// Relay connections over (created_at, id) keysets: stable under inserts, no OFFSET scans.

export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): KeysetCursor | null {
  if (!cursor) return null;
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(time ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw badInput('after is not a cursor from this connection.', { field: 'after' });
  return { createdAt, id };
}

/** Page size from `first`: default 20, at most 100 (500 for `max`). */
export function pageSize(first: number | null | undefined, max = 100): number {
  if (first !== null && first !== undefined && first < 0) throw badInput('first must not be negative.', { field: 'first' });
  return Math.min(first ?? 20, max);
}

/** A connection from rows fetched with limit + 1 (the extra row only says that more exist). */
export function toConnection<T extends { createdAt: Date; id: string }>(rows: T[], limit: number, after: string | null | undefined) {
  const page = rows.slice(0, limit);
  return {
    // A cursor is encoded only when a client asks for it.
    edges: page.map((node) => ({
      node,
      get cursor() {
        return encodeCursor(node);
      },
    })),
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(after),
      get startCursor() {
        return page[0] ? encodeCursor(page[0]) : null;
      },
      get endCursor() {
        return page.length > 0 ? encodeCursor(page[page.length - 1]!) : null;
      },
    },
  };
}
