// GraphQL operations as metrics (count by outcome, duration, live subscriptions by transport) and, with
// tracing on, as spans: one per operation, a child of the client's W3C `traceparent` when it sends one, so
// what the operation does (SQL, provider attempts) nests under it. Also one span per REST call that
// reaches the call pipeline (the OpenAI-compatible endpoint, export downloads). Neither the document,
// nor the variables, nor any result is recorded: they may hold prompts.
import {
  type Context as TraceContext,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { type DocumentNode, type ExecutionResult, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram } from 'prom-client';
import { acceptsMultipartSubscriptions } from '../graphql/multipart-subscriptions.ts';
import { BoundedLabel, registry } from './metrics.ts';
import { tracer, tracingEnabled } from './trace-context.ts';

const operations = new Counter({
  name: 'agora_graphql_operations_total',
  help: 'GraphQL operations by name (the document’s operation name, else anonymous; past 200 names, other) and outcome (ok, error: any error in the result, including refused documents).',
  labelNames: ['operation', 'outcome'] as const,
  registers: [registry],
});

const durations = new Histogram({
  name: 'agora_graphql_operation_duration_seconds',
  help: 'Duration of GraphQL queries and mutations from parsing to the result (subscriptions are not timed: they last as long as their client).',
  labelNames: ['operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

const subscriptions = new Gauge({
  name: 'agora_subscriptions_active',
  help: 'Subscriptions streaming now, by transport (ws: graphql-ws; sse: yoga’s and graphql-sse’s event streams; multipart: Apollo’s).',
  labelNames: ['transport'] as const,
  registers: [registry],
});
for (const transport of ['ws', 'sse', 'multipart']) subscriptions.set({ transport }, 0);

/** Operation names are the client's words: bounded in length and in number. */
const operationNames = new BoundedLabel(200);

const ANONYMOUS = 'anonymous';

type Outcome = 'ok' | 'error';

interface Operation {
  label: string;
  type: string;
  /** The name as written (cut), for the span; null for an anonymous operation. */
  name: string | null;
}

function operationOf(document: DocumentNode, operationName: string | null | undefined): Operation {
  const operation = getOperationAST(document, operationName);
  const name = operation?.name?.value.slice(0, 64) ?? null;
  return { label: name === null ? ANONYMOUS : operationNames.of(name), type: operation?.operation ?? 'query', name };
}

function outcomeOf(result: ExecutionResult): Outcome {
  return result.errors && result.errors.length > 0 ? 'error' : 'ok';
}

/** When each operation was parsed, by its context object (the same object from parse to execution). */
const parsedAt = new WeakMap<object, bigint>();

function finish(contextValue: object, operation: string, outcome: Outcome, timed: boolean): void {
  operations.inc({ operation, outcome });
  const at = parsedAt.get(contextValue);
  parsedAt.delete(contextValue);
  if (timed && at !== undefined) durations.observe({ operation }, Number(process.hrtime.bigint() - at) / 1e9);
}

function transportOf(contextValue: object): 'ws' | 'sse' | 'multipart' {
  const request = (contextValue as { request?: Request }).request;
  if (!request || 'webSocketAuthorization' in contextValue) return 'ws';
  return acceptsMultipartSubscriptions(request.headers.get('accept')) ? 'multipart' : 'sse';
}

/**
 * The stream, with `onValue` told of each result, `onError` of a failure the stream throws, and `onEnd` once
 * when it ends however it ends (done, returned by a leaving client, failed); with `bound`, each step runs in
 * that trace context, so what the subscription does per event nests under its span. (Not envelop's
 * onSubscribeError: a hook there wraps every subscription's stream once more, per follower of a shared run.)
 */
function watchStream<T>(
  source: AsyncIterable<T>,
  hooks: { onValue(value: T): void; onError(): void; onEnd(): void; bound: TraceContext | null },
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    hooks.onEnd();
  };
  const within = <R>(step: () => R): R => (hooks.bound ? context.with(hooks.bound, step) : step());
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      return within(() => iterator.next()).then(
        (step) => {
          if (step.done) end();
          else hooks.onValue(step.value);
          return step;
        },
        (error: unknown) => {
          hooks.onError();
          end();
          throw error;
        },
      );
    },
    return(value?: unknown) {
      end();
      return iterator.return ? within(() => iterator.return!(value)) : Promise.resolve({ done: true as const, value: undefined });
    },
    throw(error?: unknown) {
      end();
      return iterator.throw ? iterator.throw(error) : Promise.reject(error);
    },
  };
}

// ---- Tracing: only installed when tracing is on. ----

/** The operation span in progress, kept in the trace context (HTTP: yoga's operation; WebSocket: execute/subscribe). */
interface OperationSpan {
  span: Span;
  /** A subscription's span ends with its stream, not when subscribe returns. */
  streaming: boolean;
}

const OPERATION_SPAN = createContextKey('agora.graphql.operation');

function activeOperation(): OperationSpan | undefined {
  return context.active().getValue(OPERATION_SPAN) as OperationSpan | undefined;
}

/** Fetch-API headers (yoga's requests: native or @whatwg-node's, so no instanceof). */
interface HeaderReader {
  get(name: string): string | null;
  keys(): Iterable<string>;
}

const headersGetter: TextMapGetter<HeaderReader> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** A plain header record (Node's IncomingMessage.headers, on a WebSocket's upgrade request). */
const recordGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

function parentOfRequest(request: { headers: HeaderReader }): TraceContext {
  return propagation.extract(ROOT_CONTEXT, request.headers, headersGetter);
}

function parentOfContext(contextValue: object): TraceContext {
  const request = (contextValue as { request?: { headers?: HeaderReader } }).request;
  if (request?.headers) return parentOfRequest({ headers: request.headers });
  const upgrade = (contextValue as { req?: { headers?: Record<string, string | string[] | undefined> } }).req;
  return upgrade?.headers ? propagation.extract(ROOT_CONTEXT, upgrade.headers, recordGetter) : ROOT_CONTEXT;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * Runs `wrapped` in a new server span under `parent`, ending it when `wrapped` settles, unless the
 * operation state (`state`, for GraphQL operations) says a subscription's stream goes on past it.
 */
function inServerSpan(name: string, parent: TraceContext, wrapped: () => MaybePromise<void>, state?: (span: Span) => OperationSpan): MaybePromise<void> {
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER }, parent);
  const operation = state?.(span);
  let inside = trace.setSpan(parent, span);
  if (operation) inside = inside.setValue(OPERATION_SPAN, operation);
  const done = () => {
    if (!operation?.streaming) span.end();
  };
  const failed = (error: unknown) => {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    throw error;
  };
  return context.with(inside, () => {
    let result: MaybePromise<void>;
    try {
      result = wrapped();
    } catch (error) {
      return failed(error);
    }
    // Yoga's pipeline returns values, native promises or its own thenables.
    if (typeof (result as PromiseLike<void> | undefined)?.then === 'function') return Promise.resolve(result).then(done, failed);
    done();
    return result;
  });
}

const operationState = (span: Span): OperationSpan => ({ span, streaming: false });

function wrapOperation(parentOf: () => TraceContext, wrapped: () => MaybePromise<void>): MaybePromise<void> {
  // Already inside this operation's span (HTTP): nothing more to open.
  if (activeOperation()) return wrapped();
  return inServerSpan('GraphQL Operation', parentOf(), wrapped, operationState);
}

/** The REST routes worth a span of their own: those that run provider calls or read much (the OpenAI-compatible API, exports). */
function restRouteOf(pathname: string): string | null {
  if (pathname === '/v1/chat/completions' || pathname === '/v1/models') return pathname;
  if (pathname.startsWith('/v1/')) return '/v1/*';
  if (/^\/api\/v1\/projects\/[^/]+\/export\/[^/]+\/?$/.test(pathname)) return '/api/v1/projects/{id}/export/{format}';
  return null;
}

function nameOperationSpan(operation: Operation): void {
  const state = activeOperation();
  if (!state) return;
  state.span.updateName(operation.name ? `${operation.type} ${operation.name}` : operation.type);
  state.span.setAttribute('graphql.operation.type', operation.type);
  if (operation.name) state.span.setAttribute('graphql.operation.name', operation.name);
}

function markOperationSpan(outcome: Outcome): void {
  if (outcome === 'error') activeOperation()?.span.setStatus({ code: SpanStatusCode.ERROR });
}

const tracingInstrumentation: NonNullable<Plugin['instrumentation']> = {
  request({ request }, wrapped) {
    const route = restRouteOf(new URL(request.url).pathname);
    if (!route) return wrapped();
    return inServerSpan(`${request.method} ${route}`, parentOfRequest(request), wrapped);
  },
  operation: ({ request }, wrapped) => wrapOperation(() => parentOfRequest(request), wrapped),
  // graphql-ws runs execute and subscribe without yoga's HTTP operation around them.
  execute: ({ context: contextValue }, wrapped) => wrapOperation(() => parentOfContext(contextValue), wrapped),
  subscribe: ({ context: contextValue }, wrapped) => wrapOperation(() => parentOfContext(contextValue), wrapped),
};

/**
 * The operations' metrics, and with tracing on (decided when the app is built, after tracing started)
 * their spans. Register it early in the plugin list, so its spans cover the other plugins' work.
 */
export function observabilityPlugin(): Plugin {
  const tracing = tracingEnabled();
  return {
    ...(tracing ? { instrumentation: tracingInstrumentation } : {}),
    onParse({ context: contextValue }) {
      parsedAt.set(contextValue, process.hrtime.bigint());
      return ({ result }) => {
        if (result instanceof Error) finish(contextValue, ANONYMOUS, 'error', true);
      };
    },
    onValidate({ context: contextValue, params }) {
      return ({ valid }) => {
        if (valid) return;
        const operationName = (contextValue as { params?: { operationName?: string | null } }).params?.operationName;
        const operation = operationOf(params.documentAST, operationName);
        if (tracing) nameOperationSpan(operation);
        finish(contextValue, operation.label, 'error', true);
      };
    },
    onExecute({ args }) {
      const operation = operationOf(args.document, args.operationName);
      if (tracing) nameOperationSpan(operation);
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) {
            const outcome = outcomeOf(result);
            if (tracing) markOperationSpan(outcome);
            finish(args.contextValue, operation.label, outcome, true);
            return;
          }
          // Incremental delivery (@defer, @stream): the outcome is known at the end.
          let outcome: Outcome = 'ok';
          return {
            onNext: ({ result: part }) => {
              if (outcomeOf(part) === 'error') outcome = 'error';
            },
            onEnd: () => finish(args.contextValue, operation.label, outcome, true),
          };
        },
      };
    },
    onSubscribe({ args }) {
      const operation = operationOf(args.document, args.operationName);
      if (tracing) nameOperationSpan(operation);
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            const outcome = outcomeOf(result);
            if (tracing) markOperationSpan(outcome);
            finish(args.contextValue, operation.label, outcome, false);
            return;
          }
          const transport = transportOf(args.contextValue);
          const state = tracing ? activeOperation() : undefined;
          if (state) state.streaming = true;
          let outcome: Outcome = 'ok';
          subscriptions.inc({ transport });
          setResult(
            watchStream(result, {
              bound: state ? context.active() : null,
              onValue: (value) => {
                if (outcomeOf(value) === 'error') outcome = 'error';
              },
              onError: () => {
                outcome = 'error';
              },
              onEnd: () => {
                subscriptions.dec({ transport });
                finish(args.contextValue, operation.label, outcome, false);
                if (state) {
                  if (outcome === 'error') state.span.setStatus({ code: SpanStatusCode.ERROR });
                  state.span.end();
                }
              },
            }),
          );
        },
      };
    },
  };
}
