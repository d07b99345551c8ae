import { resolve } from 'node:path';
import { z } from 'zod';
import { ENVIRONMENT_KEY_VARIABLES, type ProviderKind } from '../llm/provider-kinds.ts';
import { EMPTY_ALLOWLIST, outboundAllowlistSchema, type OutboundPolicy, outboundUrlRefusal } from '../net/outbound-policy.ts';

// The only module that reads process.env: everything else receives a typed Config.

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole number')
  .min(0, 'expected a port from 0 to 65535')
  .max(65535, 'expected a port from 0 to 65535');

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const optionalSecret = z.string().trim().min(1).optional();

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: httpUrl.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: booleanFlag.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  AGORA_DATA_DIR: z.string().min(1).default('./.agora'),
  AGORA_PG_PORT: port.default(54329),
  AGORA_ENCRYPTION_KEY: optionalSecret,
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
  GRAPHIQL: booleanFlag.optional(),
  INTROSPECTION: booleanFlag.optional(),
  CORS_ORIGINS: z.string().optional(),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(1).max(1000).default(30),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).max(100_000).default(2000),
  MAX_QUERY_COST: z.coerce.number().int().min(100).max(10_000_000).default(20_000),
  MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).max(50_000_000).default(1_000_000),
  MAX_PAID_OPERATIONS_PER_REQUEST: z.coerce.number().int().min(1).max(1000).default(5),
  BOOTSTRAP_ADMIN: booleanFlag.optional(),
  WORKERS: booleanFlag.optional(),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  JOB_HEARTBEAT_SECONDS: z.coerce.number().int().min(10, 'pg-boss needs at least 10').max(3600).default(30),
  JOB_MONITOR_SECONDS: z.coerce.number().int().min(1).max(600).default(5),
  JOB_RETRY_LIMIT: z.coerce.number().int().min(0).max(10).default(1),
  CALL_MAX_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(500),
  CALL_MAX_CHARACTERS: z.coerce.number().int().min(1000).max(100_000_000).default(1_000_000),
  CALL_MAX_TOOLS: z.coerce.number().int().min(0).max(10_000).default(128),
  // How often settled calls are folded into the usage rollups (summaries are exact meanwhile).
  USAGE_FOLD_INTERVAL_MS: z.coerce.number().int('expected a whole number').min(100, 'expected at least 100').max(3_600_000).default(1_000),
  // On SIGTERM/SIGINT: how long calls in flight may finish before each is ended (and recorded).
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int('expected a whole number').min(0).max(3_600).default(20),
  // The most one call may take, retries and fallbacks included (then TIMEOUT); bounds how long a dead process's call stays PENDING.
  CALL_DEADLINE_SECONDS: z.coerce.number().int('expected a whole number').min(1, 'expected at least 1').max(86_400).default(600),
  // Per user, per minute, across replicas; unset: no default limit (overrides still apply).
  RATE_LIMIT_RPM: z.coerce.number().int('expected a whole number').min(1, 'expected at least 1').max(2_147_483_647).optional(),
  RATE_LIMIT_TPM: z.coerce.number().int('expected a whole number').min(1, 'expected at least 1').max(2_147_483_647).optional(),
  // Each provider configuration's circuit breaker (modules/providers/circuit-breaker.ts).
  BREAKER_FAILURES: z.coerce.number().int('expected a whole number').min(1, 'expected at least 1').max(10_000).default(5),
  BREAKER_WINDOW_SECONDS: z.coerce.number().int('expected a whole number').min(1, 'expected at least 1').max(86_400).default(60),
  BREAKER_COOLDOWN_SECONDS: z.coerce.number().int('expected a whole number').min(1, 'expected at least 1').max(86_400).default(30),
  RESPONSE_CACHE_TTL_SECONDS: z.coerce.number().int('expected a whole number').min(1).max(2_592_000).default(3600),
  RESPONSE_CACHE_MAX_ENTRIES: z.coerce.number().int('expected a whole number').min(1).max(10_000_000).default(10_000),
  RESPONSE_CACHE_MAX_ENTRY_BYTES: z.coerce.number().int('expected a whole number').min(1024).max(50_000_000).default(1_048_576),
  RESPONSE_CACHE_MEMORY_BYTES: z.coerce.number().int('expected a whole number').min(0).max(4_294_967_296).default(16_777_216),
  // The providers' keys of last resort (provider-kinds.ts names each kind's variable).
  ...Object.fromEntries(ENVIRONMENT_KEY_VARIABLES.map(({ variable }) => [variable, optionalSecret])),
  GITHUB_GRAPHQL_URL: httpUrl.default('https://api.github.com/graphql'),
  // Host names and CIDRs production may connect to although loopback or private (net/outbound-policy.ts).
  OUTBOUND_ALLOWLIST: outboundAllowlistSchema.optional(),
  // Operations (src/observability/): GET /metrics's bearer token; OTLP/HTTP traces when the endpoint is set.
  METRICS_TOKEN: optionalSecret,
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json'], { error: 'expected http/protobuf or http/json (gRPC is not supported)' }).default('http/protobuf'),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(200).default('agora'),
});

export type Environment = z.infer<typeof environmentSchema>;
/** Every variable the gateway reads (deploy files are checked against it, so a misspelt one fails a test). */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

export interface Config {
  env: Environment['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  publicUrl: string | undefined;
  logLevel: Environment['LOG_LEVEL'];
  /** Human-readable logs (pino-pretty) on a terminal: in development unless LOG_PRETTY=false. */
  logPretty: boolean;
  database: { url: string | undefined; poolMax: number };
  dataDir: string;
  embeddedPostgresPort: number;
  encryptionKey: string | undefined;
  redisUrl: string | undefined;
  graphiql: boolean;
  introspection: boolean;
  corsOrigins: string[] | undefined;
  limits: { depth: number; aliases: number; tokens: number; cost: number; requestBytes: number; paidOperations: number };
  bootstrapAdmin: boolean;
  jobs: { workers: boolean; concurrency: number; heartbeatSeconds: number; monitorSeconds: number; retryLimit: number };
  /** Bounds on one call's content (messages, characters of the whole conversation, tools). */
  callLimits: { maxMessages: number; maxCharacters: number; maxTools: number };
  /** The most one call may take, retries and fallbacks included (CALL_DEADLINE_SECONDS). */
  callDeadlineMs: number;
  /** How long calls in flight may finish on shutdown (SHUTDOWN_GRACE_SECONDS). */
  shutdownGraceMs: number;
  /** How often settled calls are folded into the usage rollups (USAGE_FOLD_INTERVAL_MS). */
  usageFoldIntervalMs: number;
  /** Every user's default rate limits (RATE_LIMIT_RPM, RATE_LIMIT_TPM); null: none. */
  rateLimits: { requestsPerMinute: number | null; tokensPerMinute: number | null };
  /** Circuit breaker defaults: failures within the window that open it, and its cool-down. */
  breaker: { failureThreshold: number; windowMs: number; cooldownMs: number };
  /** The response cache: TTL of `cache: true` when the configuration sets none, row bound, largest answer stored. */
  /** memoryBytes: each replica's copy of recent answers (recent-answers.ts); 0: none. */
  responseCache: { ttlSeconds: number; maxEntries: number; maxEntryBytes: number; memoryBytes: number };
  /** Keys of last resort by provider kind, from each kind's environment variable. */
  providerKeys: Partial<Record<ProviderKind, string>>;
  githubGraphqlUrl: string;
  /** Where provider and GitHub connections may go (production flag, OUTBOUND_ALLOWLIST). */
  outbound: OutboundPolicy;
  /** GET /metrics: the bearer token it requires (METRICS_TOKEN); undefined: open to whoever reaches it. */
  metrics: { token: string | undefined };
  /** OpenTelemetry traces over OTLP/HTTP; null (tracing off) when OTEL_EXPORTER_OTLP_ENDPOINT is unset. */
  tracing: { endpoint: string; protocol: 'http/protobuf' | 'http/json'; serviceName: string } | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; a bad value stops the start with a message naming the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are how shells and .env files say "unset".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || 'environment';
      return `  ${name}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}\nSee .env.sample for every variable.`);
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === 'production';
  const outbound: OutboundPolicy = { production: isProduction, allowlist: env.OUTBOUND_ALLOWLIST ?? EMPTY_ALLOWLIST };
  // A refused literal address (or localhost in production) stops the start; a name is checked again at each connection.
  const githubRefusal = outboundUrlRefusal(env.GITHUB_GRAPHQL_URL, outbound);
  if (githubRefusal) throw new ConfigError(`Invalid configuration:\n  GITHUB_GRAPHQL_URL: ${githubRefusal.message}\nSee .env.sample for every variable.`);
  return {
    env: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    host: env.HOST,
    publicUrl: env.PUBLIC_URL,
    logLevel: env.LOG_LEVEL,
    logPretty: env.NODE_ENV === 'development' && env.LOG_PRETTY !== false,
    database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX },
    dataDir: resolve(env.AGORA_DATA_DIR),
    embeddedPostgresPort: env.AGORA_PG_PORT,
    encryptionKey: env.AGORA_ENCRYPTION_KEY,
    redisUrl: env.REDIS_URL,
    graphiql: env.GRAPHIQL ?? !isProduction,
    introspection: env.INTROSPECTION ?? !isProduction,
    corsOrigins: env.CORS_ORIGINS?.split(',').map((origin) => origin.trim()).filter(Boolean),
    limits: {
      depth: env.MAX_QUERY_DEPTH,
      aliases: env.MAX_QUERY_ALIASES,
      tokens: env.MAX_QUERY_TOKENS,
      cost: env.MAX_QUERY_COST,
      requestBytes: env.MAX_REQUEST_BYTES,
      paidOperations: env.MAX_PAID_OPERATIONS_PER_REQUEST,
    },
    bootstrapAdmin: env.BOOTSTRAP_ADMIN ?? !isProduction,
    jobs: {
      workers: env.WORKERS ?? true,
      concurrency: env.WORKER_CONCURRENCY,
      heartbeatSeconds: env.JOB_HEARTBEAT_SECONDS,
      monitorSeconds: env.JOB_MONITOR_SECONDS,
      retryLimit: env.JOB_RETRY_LIMIT,
    },
    callLimits: { maxMessages: env.CALL_MAX_MESSAGES, maxCharacters: env.CALL_MAX_CHARACTERS, maxTools: env.CALL_MAX_TOOLS },
    callDeadlineMs: env.CALL_DEADLINE_SECONDS * 1000,
    shutdownGraceMs: env.SHUTDOWN_GRACE_SECONDS * 1000,
    usageFoldIntervalMs: env.USAGE_FOLD_INTERVAL_MS,
    rateLimits: { requestsPerMinute: env.RATE_LIMIT_RPM ?? null, tokensPerMinute: env.RATE_LIMIT_TPM ?? null },
    breaker: { failureThreshold: env.BREAKER_FAILURES, windowMs: env.BREAKER_WINDOW_SECONDS * 1000, cooldownMs: env.BREAKER_COOLDOWN_SECONDS * 1000 },
    responseCache: {
      ttlSeconds: env.RESPONSE_CACHE_TTL_SECONDS,
      maxEntries: env.RESPONSE_CACHE_MAX_ENTRIES,
      maxEntryBytes: env.RESPONSE_CACHE_MAX_ENTRY_BYTES,
      memoryBytes: env.RESPONSE_CACHE_MEMORY_BYTES,
    },
    providerKeys: Object.fromEntries(
      ENVIRONMENT_KEY_VARIABLES.flatMap(({ kind, variable }) => {
        const value: unknown = Reflect.get(env, variable);
        return typeof value === 'string' ? [[kind, value]] : [];
      }),
    ),
    githubGraphqlUrl: env.GITHUB_GRAPHQL_URL,
    outbound,
    metrics: { token: env.METRICS_TOKEN },
    tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL, serviceName: env.OTEL_SERVICE_NAME }
      : null,
  };
}
