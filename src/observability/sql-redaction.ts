// MikroORM sends its statements with the values written into the SQL text, so a span's db.statement would
// hold whatever was stored or looked up: a cached answer, a stored call result, an email, a ciphertext.
// Spans keep the statement's shape with every string constant replaced by '?' (numbers stay: counts, not content).

// PostgreSQL's string constants: dollar-quoted $tag$…$tag$, E'…' (backslash escapes), '…' ('' inside).
const DOLLAR_QUOTED = /\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$/g;
const ESCAPE_STRING = /\b[Ee]'(?:[^'\\]|\\.|'')*'/g;
const STANDARD_STRING = /'(?:[^']|'')*'/g;
// A quote left once the constants are gone opens a string cut short: everything after it goes.
const UNTERMINATED = /'[\s\S]*$/;
const PLACEHOLDER = '\u0000';

const MAX_STATEMENT = 4_000;

export function redactSqlLiterals(sql: string): string {
  const redacted = sql
    .replace(DOLLAR_QUOTED, PLACEHOLDER)
    .replace(ESCAPE_STRING, PLACEHOLDER)
    .replace(STANDARD_STRING, PLACEHOLDER)
    .replace(UNTERMINATED, PLACEHOLDER)
    .replaceAll(PLACEHOLDER, "'?'");
  return redacted.length > MAX_STATEMENT ? `${redacted.slice(0, MAX_STATEMENT)}…` : redacted;
}
