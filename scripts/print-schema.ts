// Writes schema/schema.graphql from the Pothos code (sorted SDL). `--check` fails when the file differs.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { buildSchema } from '../src/graphql/schema.ts';

const target = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));
const printed = `${printSchema(buildSchema())}\n`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== printed) {
    console.error('schema/schema.graphql differs from the code: run `npm run schema:print` and commit it.');
    process.exit(1);
  }
} else {
  mkdirSync(fileURLToPath(new URL('../schema', import.meta.url)), { recursive: true });
  writeFileSync(target, printed);
  console.log('Wrote schema/schema.graphql');
}
