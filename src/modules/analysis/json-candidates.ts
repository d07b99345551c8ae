// Models wrap JSON in prose and code fences; this finds it without a greedy regex and without eval.

/** Every balanced JSON array or object in the text, in order, respecting strings. */
export function* jsonCandidates(source: string): Generator<unknown> {
  for (let start = 0; start < source.length; start += 1) {
    const open = source[start];
    if (open !== '[' && open !== '{') continue;
    const stack: string[] = [];
    let inString = false;
    for (let i = start; i < source.length; i += 1) {
      const character = source[i]!;
      if (inString) {
        if (character === '\\') i += 1;
        else if (character === '"') inString = false;
        continue;
      }
      if (character === '"') inString = true;
      else if (character === '[' || character === '{') stack.push(character === '[' ? ']' : '}');
      else if (character === ']' || character === '}') {
        if (stack.pop() !== character) break;
        if (stack.length === 0) {
          try {
            yield JSON.parse(source.slice(start, i + 1));
            start = i;
          } catch {
            // Not JSON after all (prose in brackets): look further on.
          }
          break;
        }
      }
    }
  }
}
