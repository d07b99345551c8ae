import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { ROOT } from '../support/process.ts';

// The logger as a process sees it: a child writes three lines to its real stdout, either a pipe or a
// pseudo-terminal (util-linux `script` gives it one), and the test reads what came out.
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
if (!HAS_SCRIPT) console.warn('\n!!! SKIPPED: no `script` (util-linux): the terminal half of the logger tests cannot run.\n');
const onTerminal = HAS_SCRIPT ? it : it.skip;

const work = mkdtempSync(join(tmpdir(), 'agora-logger-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SECRET = 'agora_thisIsNotForTheLogs0123456789abcdefghijkl';

/** A child that logs through `loggerFile` with `pretty` as given. */
function childScript(loggerFile: string, pretty: boolean): string {
  const file = join(work, `child-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    [
      `import { createLogger } from ${JSON.stringify(loggerFile)};`,
      `const logger = createLogger('info', undefined, { pretty: ${pretty} });`,
      `logger.info({ port: 4000 }, 'Agora is listening');`,
      `logger.info({ method: 'POST', status: 200, authorization: 'Bearer ${SECRET}' }, 'request');`,
      `logger.error({ err: new Error('it broke') }, 'shutdown failed');`,
    ].join('\n'),
  );
  return file;
}

function runPiped(script: string): string {
  const run = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

function runOnTerminal(script: string): string {
  const run = spawnSync('script', ['-qec', `${process.execPath} ${script}`, '/dev/null'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', NO_COLOR: '1' },
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.replaceAll('\r', '');
}

const jsonLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { msg: string; level: number });

const LOGGER = join(ROOT, 'src/logger.ts');

describe('the logger', () => {
  it('writes JSON lines to a pipe, even when pretty output is wanted', () => {
    const output = runPiped(childScript(LOGGER, true));
    expect(jsonLines(output).map((line) => line.msg)).toEqual(['Agora is listening', 'request', 'shutdown failed']);
    expect(output).not.toContain(SECRET);
  });

  onTerminal('writes human-readable lines to a terminal when pretty output is wanted, secrets still redacted', () => {
    const output = runOnTerminal(childScript(LOGGER, true));
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Agora is listening \{"port":4000\}$/);
    expect(lines[1]).toMatch(/^\[[\d:.]+\] INFO: request \{"method":"POST","status":200,"authorization":"\[redacted\]"\}$/);
    expect(lines[2]).toMatch(/^\[[\d:.]+\] ERROR: shutdown failed/);
    expect(output).toContain('Error: it broke');
    expect(output).not.toContain(SECRET);
    expect(output).not.toMatch(/"level":/);
  });

  onTerminal('writes JSON to a terminal when pretty output is not wanted', () => {
    const output = runOnTerminal(childScript(LOGGER, false));
    expect(jsonLines(output).map((line) => line.level)).toEqual([30, 30, 50]);
  });

  onTerminal('falls back to JSON when pino-pretty cannot be loaded', () => {
    // The logger copied where `pino` resolves but `pino-pretty` does not (as in an install without it).
    const isolated = join(work, 'without-pretty');
    mkdirSync(join(isolated, 'node_modules'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules/pino'), join(isolated, 'node_modules/pino'));
    copyFileSync(LOGGER, join(isolated, 'logger.ts'));
    const output = runOnTerminal(childScript(join(isolated, 'logger.ts'), true));
    expect(jsonLines(output).map((line) => line.msg)).toEqual(['Agora is listening', 'request', 'shutdown failed']);
    expect(output).not.toContain(SECRET);
  });

  it('is wanted pretty in development only, unless LOG_PRETTY=false', () => {
    expect(loadConfig({}).logPretty).toBe(true);
    expect(loadConfig({ LOG_PRETTY: 'false' }).logPretty).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).logPretty).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', LOG_PRETTY: 'true' }).logPretty).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).logPretty).toBe(false);
  });
});
