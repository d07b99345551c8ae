import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../db/query.ts';
import { AppError, badInput, notFound } from '../../errors.ts';
import { formatDecimal, parseDecimal } from '../../llm/decimal.ts';
import type { PubSub } from '../../events/pubsub.ts';
import { type Actor, isAdmin } from '../auth/actor.ts';
import type { RoutingCache } from '../providers/routing-cache.ts';
import { PERIOD_START_SQL } from '../usage/usage.writer.ts';
import type { BudgetPeriod, BudgetScope } from './budget.entity.ts';

export interface BudgetEvent {
  budget: BudgetView;
  kind: 'WARNING' | 'EXCEEDED';
  spent: string;
  limit: string;
  at: Date;
}

export interface BudgetInput {
  scope: BudgetScope;
  userId?: string | null;
  projectId?: string | null;
  period: BudgetPeriod;
  limit: string;
  warnAt?: number | null;
  allowUnpriced?: boolean | null;
}

/** A budget as readers see it: spend in the current period (a period that rolled over has spent nothing yet). */
export interface BudgetView {
  id: string;
  scope: BudgetScope;
  userId: string | null;
  projectId: string | null;
  period: BudgetPeriod;
  limit: string;
  spent: string;
  reserved: string;
  remaining: string;
  warnAt: number | null;
  allowUnpriced: boolean;
  periodStart: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether a project exists and belongs to the actor (admins: exists); NOT_FOUND otherwise. */
export type ProjectOwnership = (actor: Actor, projectId: string) => Promise<void>;

interface BudgetRow {
  id: string;
  scope: BudgetScope;
  user_id: string | null;
  project_id: string | null;
  period: BudgetPeriod;
  limit_amount: string;
  spent_now: string;
  reserved: string;
  warn_at: number | null;
  allow_unpriced: boolean;
  current_start: Date;
  created_at: Date;
  updated_at: Date;
}

const MONEY_SCALE = 8;

const SELECT = `select b.id, b.scope, b.user_id, b.project_id, b.period, b.limit_amount::text as limit_amount, b.reserved::text as reserved,
    b.warn_at, b.allow_unpriced, b.created_at, b.updated_at, ${PERIOD_START_SQL('b.period', 'now()')} as current_start,
    (case when b.period_start = ${PERIOD_START_SQL('b.period', 'now()')} then b.spent else 0 end)::text as spent_now
  from specs.budgets b`;

/** Budgets: who may set which (admins any; members PROJECT budgets on their own projects), and what they show. */
export class BudgetsService {
  private readonly em: EntityManager;
  private readonly ownsProject: ProjectOwnership;
  private readonly cache: RoutingCache | null;
  private readonly pubsub: PubSub | null;

  constructor(em: EntityManager, ownsProject: ProjectOwnership, options: { cache?: RoutingCache; pubsub?: PubSub } = {}) {
    this.em = em;
    this.ownsProject = ownsProject;
    this.cache = options.cache ?? null;
    this.pubsub = options.pubsub ?? null;
  }

  /**
   * WARNING and EXCEEDED events of the budgets that apply to the actor, as they happen, on any replica.
   * Listening starts at the call (not at the first read), so no event published after it is missed.
   */
  events(actor: Actor, signal: AbortSignal): AsyncGenerator<BudgetEvent> {
    if (!this.pubsub) return (async function* () {})();
    const messages = this.pubsub.subscribe('budget:event')[Symbol.asyncIterator]();
    const first = messages.next();
    return this.follow(actor, messages, first, signal);
  }

  private async *follow(
    actor: Actor,
    messages: AsyncIterator<{ budgetId: string; kind: 'WARNING' | 'EXCEEDED'; at: string }>,
    first: Promise<IteratorResult<{ budgetId: string; kind: 'WARNING' | 'EXCEEDED'; at: string }>>,
    signal: AbortSignal,
  ): AsyncGenerator<BudgetEvent> {
    const stop = () => void messages.return?.();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (let next = await first; !next.done && !signal.aborted; next = await messages.next()) {
        const event = next.value;
        const budget = await this.get(actor, event.budgetId).catch(() => null);
        if (budget) yield { budget, kind: event.kind, spent: budget.spent, limit: budget.limit, at: new Date(event.at) };
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await messages.return?.();
    }
  }

  /** Creates or replaces the budget of that scope, target and period; spend so far is kept. */
  async set(actor: Actor, input: BudgetInput): Promise<BudgetView> {
    const { userId, projectId } = await this.target(actor, input);
    const limit = money(input.limit, 'limit');
    if (parseDecimal(limit, MONEY_SCALE) === 0n) throw badInput('limit must be more than 0.', { field: 'limit' });
    const warnAt = input.warnAt ?? null;
    if (warnAt !== null && !(warnAt > 0 && warnAt <= 1)) throw badInput('warnAt is a fraction of the limit, more than 0 and at most 1.', { field: 'warnAt' });
    const [row] = await this.em.execute<{ id: string }[]>(
      `insert into specs.budgets as b (id, created_at, updated_at, scope, user_id, project_id, period, limit_amount, spent, reserved, period_start, warn_at, allow_unpriced)
       values (gen_random_uuid(), now(), now(), ?, ?, ?, ?, ?::numeric, 0, 0, ${PERIOD_START_SQL('?', 'now()')}, ?, ?)
       on conflict (scope, user_id, project_id, period)
       do update set limit_amount = excluded.limit_amount, warn_at = excluded.warn_at, allow_unpriced = excluded.allow_unpriced,
                     warned_at = null, updated_at = now()
       returning b.id`,
      [input.scope, userId, projectId, input.period, limit, input.period, warnAt, input.allowUnpriced ?? false],
    );
    this.changed();
    return this.get(actor, row!.id);
  }

  /** Admins: every budget (narrowed by the filters); members: the budgets that apply to them. */
  async list(actor: Actor, filter: { scope?: BudgetScope | null; userId?: string | null; projectId?: string | null } = {}): Promise<BudgetView[]> {
    const clauses: string[] = [];
    const values: unknown[] = [];
    const where = (clause: string, ...clauseValues: unknown[]) => {
      clauses.push(clause);
      values.push(...clauseValues);
    };
    if (!isAdmin(actor)) where(`(b.scope = 'GLOBAL' or b.user_id = ? or b.project_id in (select id from specs.projects where owner_id = ?))`, actor.id, actor.id);
    if (filter.scope) where('b.scope = ?', filter.scope);
    if (filter.userId) where('b.user_id = ?', uuid(filter.userId, 'userId'));
    if (filter.projectId) where('b.project_id = ?', uuid(filter.projectId, 'projectId'));
    const rows = await this.em.execute<BudgetRow[]>(`${SELECT} ${clauses.length ? `where ${clauses.join(' and ')}` : ''} order by b.scope, b.created_at, b.id`, values);
    return rows.map(toView);
  }

  async get(actor: Actor, id: string): Promise<BudgetView> {
    const [row] = isUuid(id) ? await this.em.execute<BudgetRow[]>(`${SELECT} where b.id = ?`, [id]) : [];
    if (!row || !(await this.visible(actor, row))) throw notFound('The budget');
    return toView(row);
  }

  async delete(actor: Actor, id: string): Promise<boolean> {
    const budget = await this.get(actor, id);
    if (!isAdmin(actor) && budget.scope !== 'PROJECT') throw new AppError('FORBIDDEN', 'Only admins may delete this budget.');
    await this.em.execute('delete from specs.budgets where id = ?', [budget.id]);
    this.changed();
    return true;
  }

  /** Whether a budget applies to the actor (for budgetEvents and reads). */
  async visible(actor: Actor, row: { scope: BudgetScope; user_id: string | null; project_id: string | null }): Promise<boolean> {
    if (isAdmin(actor) || row.scope === 'GLOBAL' || row.user_id === actor.id) return true;
    if (row.scope !== 'PROJECT' || !row.project_id) return false;
    return this.ownsProject(actor, row.project_id).then(
      () => true,
      () => false,
    );
  }

  /** The raw targets of one budget, for event filtering. */
  async targetOf(id: string): Promise<{ scope: BudgetScope; user_id: string | null; project_id: string | null } | null> {
    const [row] = await this.em.execute<{ scope: BudgetScope; user_id: string | null; project_id: string | null }[]>(
      'select scope, user_id, project_id from specs.budgets where id = ?',
      [id],
    );
    return row ?? null;
  }

  private async target(actor: Actor, input: BudgetInput): Promise<{ userId: string | null; projectId: string | null }> {
    switch (input.scope) {
      case 'GLOBAL':
        if (input.userId || input.projectId) throw badInput('A GLOBAL budget names no user and no project.', { field: 'scope' });
        if (!isAdmin(actor)) throw new AppError('FORBIDDEN', 'Only admins may set GLOBAL and USER budgets.');
        return { userId: null, projectId: null };
      case 'USER': {
        if (input.projectId) throw badInput('A USER budget names no project.', { field: 'projectId' });
        if (!isAdmin(actor)) throw new AppError('FORBIDDEN', 'Only admins may set GLOBAL and USER budgets.');
        const userId = uuid(input.userId, 'userId');
        const [user] = await this.em.execute('select 1 from auth.users where id = ?', [userId]);
        if (!user) throw notFound('The user');
        return { userId, projectId: null };
      }
      case 'PROJECT': {
        if (input.userId) throw badInput('A PROJECT budget names no user.', { field: 'userId' });
        const projectId = uuid(input.projectId, 'projectId');
        await this.ownsProject(actor, projectId);
        return { userId: null, projectId };
      }
    }
  }

  private changed(): void {
    this.cache?.changed({ kind: 'budgets' });
  }
}

function uuid(value: string | null | undefined, field: string): string {
  if (!value) throw badInput(`${field} is required for this scope.`, { field });
  if (!isUuid(value)) throw notFound(field === 'userId' ? 'The user' : 'The project');
  return value;
}

function money(value: string, field: string): string {
  try {
    return formatDecimal(parseDecimal(value, MONEY_SCALE), MONEY_SCALE);
  } catch {
    throw badInput(`${field} must be a non-negative amount in USD with at most 8 decimals, such as "25.00".`, { field });
  }
}

function toView(row: BudgetRow): BudgetView {
  const limit = parseDecimal(row.limit_amount, MONEY_SCALE);
  const spent = parseDecimal(row.spent_now, MONEY_SCALE);
  const reserved = parseDecimal(row.reserved, MONEY_SCALE);
  const remaining = limit - spent - reserved;
  return {
    id: row.id,
    scope: row.scope,
    userId: row.user_id,
    projectId: row.project_id,
    period: row.period,
    limit: formatDecimal(limit, MONEY_SCALE),
    spent: formatDecimal(spent, MONEY_SCALE),
    reserved: formatDecimal(reserved, MONEY_SCALE),
    remaining: formatDecimal(remaining > 0n ? remaining : 0n, MONEY_SCALE),
    warnAt: row.warn_at,
    allowUnpriced: row.allow_unpriced,
    periodStart: row.period === 'TOTAL' ? null : new Date(row.current_start),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
