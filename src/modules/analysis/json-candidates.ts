// Models wrap JSON in prose and code fences; this finds it without a greedy regex and without eval.

export type Scan = { kind: 'closed'; end: number } | { kind: 'unterminated' } | { kind: 'mismatched' } | { kind: 'exhausted' };

/** How many characters a search may look at in total, however many brackets the text holds. */
export const MAX_SCAN_STEPS = 2_000_000;

/**
 * From an opening bracket to its balanced closing one, skipping brackets inside JSON strings. Every
 * character looked at costs one step of the shared budget, so a text of unclosed brackets ("[[[[...")
 * cannot make a search quadratic: it ends as `exhausted`.
 */
export function scanBalanced(text: string, start: number, budget: { steps: number }): Scan {
  const closers: string[] = [];
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    budget.steps -= 1;
    if (budget.steps < 0) return { kind: 'exhausted' };
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '[') closers.push(']');
    else if (character === '{') closers.push('}');
    else if (character === ']' || character === '}') {
      if (closers.pop() !== character) return { kind: 'mismatched' };
      if (closers.length === 0) return { kind: 'closed', end: index + 1 };
    }
  }
  return { kind: 'unterminated' };
}

/** The index of the next `[` or `{` at or after `from`, or -1. */
export function nextOpening(text: string, from: number): number {
  const pattern = /[[{]/g;
  pattern.lastIndex = from;
  return pattern.exec(text)?.index ?? -1;
}

/**
 * Every balanced JSON array or object in the text, in order, respecting strings: an outer one that is not
 * JSON is looked into. Stops (yielding nothing more) once the scan budget is spent.
 */
export function* jsonCandidates(source: string, maxSteps = MAX_SCAN_STEPS): Generator<unknown> {
  const budget = { steps: maxSteps };
  let start = nextOpening(source, 0);
  while (start !== -1) {
    const scan = scanBalanced(source, start, budget);
    if (scan.kind === 'exhausted') return;
    if (scan.kind === 'closed') {
      let value: unknown;
      let parsed = true;
      try {
        value = JSON.parse(source.slice(start, scan.end));
      } catch {
        // Not JSON after all (prose in brackets): look inside it and further on.
        parsed = false;
      }
      if (parsed) {
        yield value;
        start = nextOpening(source, scan.end);
        continue;
      }
    }
    start = nextOpening(source, start + 1);
  }
}
