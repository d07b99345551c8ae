import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HEAVY = /\/node_modules\/(@anthropic-ai\/sdk|@google\/genai|@mistralai\/mistralai|pdfmake)\//;

/** The heavy packages a fresh process has loaded after importing the gateway, and after `then` ran. */
async function loadedAfter(then: string): Promise<{ atStart: string[]; after: string[] }> {
  const script = `
    import { registerHooks, createRequire } from 'node:module';
    const seen = new Set();
    const note = (url) => { const match = ${HEAVY}.exec(url); if (match) seen.add(match[1]); };
    registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); note(resolved.url); return resolved; } });
    const require = createRequire(${JSON.stringify(`${ROOT}/package.json`)});
    const cjs = () => Object.keys(require.cache).forEach((file) => note(file));
    await import(${JSON.stringify(`${ROOT}/src/runtime.ts`)});
    cjs();
    const atStart = [...seen].sort();
    ${then}
    cjs();
    console.log(JSON.stringify({ atStart, after: [...seen].sort() }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { atStart: string[]; after: string[] };
}

describe('SDKs a configuration may never use', () => {
  it('are not loaded when the gateway starts, only on first use', async () => {
    const { atStart, after } = await loadedAfter(`
      await (await import(${JSON.stringify(`${ROOT}/src/llm/claude/claude.sdk.ts`)})).claudeSdk.load();
      await (await import(${JSON.stringify(`${ROOT}/src/llm/gemini/gemini.sdk.ts`)})).geminiSdk.load();
      await (await import(${JSON.stringify(`${ROOT}/src/llm/mistral/mistral.sdk.ts`)})).mistralSdk.load();
      await (await import(${JSON.stringify(`${ROOT}/src/integrations/pdf/pdf.renderer.ts`)})).renderPdf({ content: 'x' }, new Date(0));
    `);
    expect(atStart).toEqual([]);
    // The check sees them once they are used (it is not blind).
    expect(after).toEqual(['@anthropic-ai/sdk', '@google/genai', '@mistralai/mistralai', 'pdfmake']);
  });
});
