// GitHub caps a connection page at 100 nodes; these read the remaining pages of one connection.

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Page<T> {
  items: T[];
  pageInfo: PageInfo;
}

export const MAX_PAGE_SIZE = 100;
// A safety stop: topics (at most 20 on GitHub) and languages never need this many pages.
const MAX_EXTRA_PAGES = 20;

/** Follows `pageInfo` from a first page until the end (or the safety stop); `truncated` when stopped early. */
export async function remainingPages<T>(first: Page<T>, next: (after: string) => Promise<Page<T>>): Promise<{ items: T[]; truncated: boolean }> {
  const items = [...first.items];
  let pageInfo = first.pageInfo;
  for (let extra = 0; pageInfo.hasNextPage && pageInfo.endCursor; extra += 1) {
    if (extra === MAX_EXTRA_PAGES) return { items, truncated: true };
    const page = await next(pageInfo.endCursor);
    items.push(...page.items);
    pageInfo = page.pageInfo;
  }
  return { items, truncated: false };
}
