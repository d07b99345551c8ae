// `npm run agora -- <command>`: administration that works whether or not the server is running.
// Results go to stdout (a token alone on the last line, so scripts can capture it); notes go to stderr.
import { parseArgs } from 'node:util';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import { initOrm, migrate, openDatabase } from './db/database.ts';
import { AppError } from './errors.ts';
import { AuthService } from './modules/auth/auth.service.ts';
import { rotateSecrets } from './modules/keys/rotation.service.ts';
import { loadSecretBox, MasterKeyError } from './security/master-key.ts';

const USAGE = `Usage: npm run agora -- <command> [options]

Commands:
  users:create --email E [--name N] [--admin]   create a user; prints its first token
  tokens:create --email E [--name N]            issue another token for a user; prints it
  migrate                                       apply pending database migrations
  keys:rotate [--limit N]                       re-encrypt every stored secret under the newest
                                                AGORA_ENCRYPTION_KEY version (resumable)
`;

type Command = (orm: MikroORM, options: Record<string, string | boolean | undefined>, config: Config) => Promise<void>;

function requireEmail(options: Record<string, string | boolean | undefined>): string {
  const email = options.email;
  if (typeof email !== 'string' || email.trim() === '') throw new AppError('BAD_USER_INPUT', '--email is required.');
  return email;
}

const commands: Record<string, Command> = {
  'users:create': async (orm, options) => {
    const auth = new AuthService(orm.em.fork());
    const { user, token } = await auth.createUser({
      email: requireEmail(options),
      name: typeof options.name === 'string' ? options.name : null,
      role: options.admin === true ? 'ADMIN' : 'MEMBER',
    });
    process.stderr.write(`Created ${user.role} ${user.email}. Its token (shown only this once):\n`);
    process.stdout.write(`${token}\n`);
  },
  'tokens:create': async (orm, options) => {
    const auth = new AuthService(orm.em.fork());
    const email = requireEmail(options);
    const user = await auth.findUserByEmail(email);
    if (!user) throw new AppError('NOT_FOUND', `No user has the email ${email}.`);
    const { token } = await auth.createAccessToken(user.id, typeof options.name === 'string' ? options.name : 'cli');
    process.stderr.write(`New token for ${user.email} (shown only this once):\n`);
    process.stdout.write(`${token}\n`);
  },
  'keys:rotate': async (orm, options, config) => {
    const box = await loadSecretBox({ value: config.encryptionKey, production: config.isProduction, dataDir: config.dataDir });
    const limit = typeof options.limit === 'string' ? Number(options.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new AppError('BAD_USER_INPUT', '--limit must be a positive whole number.');
    const report = await rotateSecrets(orm.em.fork(), box, { limit });
    process.stdout.write(
      `Rotated ${report.apiKeys} user key(s) and ${report.providerKeys} provider key(s) to key version ${box.currentVersion}.` +
        `${report.incomplete ? ' Some remain: run keys:rotate again to continue.' : ' Every stored secret uses it.'}\n`,
    );
  },
  migrate: async () => {
    // Migrations already ran on connect; nothing more to do.
    process.stderr.write('The database is up to date.\n');
  },
};

async function run(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(name && name !== 'help' && name !== '--help' ? `Unknown command: ${name}\n\n${USAGE}` : USAGE);
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, name: { type: 'string' }, admin: { type: 'boolean' }, limit: { type: 'string' } },
    strict: true,
  });
  const config = loadConfig();
  const database = await openDatabase(config);
  const orm = await initOrm(database.url, 2);
  try {
    const applied = await migrate(orm, database.url);
    if (applied.length > 0) process.stderr.write(`Applied migrations: ${applied.join(', ')}\n`);
    await command(orm, values, config);
    return 0;
  } finally {
    await orm.close();
    await database.stop();
  }
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof AppError || error instanceof ConfigError || error instanceof MasterKeyError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${known ? (error as Error).message : `Failed: ${(error as Error).message}`}\n`);
    process.exit(error instanceof AppError && error.code === 'BAD_USER_INPUT' ? 2 : 1);
  },
);
