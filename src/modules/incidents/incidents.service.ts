import { type Actor, requireVisible } from '../auth/actor.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound, optionalText, requireText } from '../../errors.ts';
import { afterKeyset, groupedBy, isUuid } from '../../db/query.ts';
import { type Incident, type IncidentStatus, IncidentSchema, type Severity } from './incident.entity.ts';
import { type Recommendation, RecommendationSchema } from './recommendation.entity.ts';

export interface IncidentInput {
  title?: string | null;
  description?: string | null;
  severity?: Severity | null;
  status?: IncidentStatus | null;
  service?: string | null;
  source?: string | null;
  alerts?: unknown;
}

export interface IncidentFilter {
  status?: IncidentStatus | null;
  severity?: Severity | null;
}

export interface Cursor {
  createdAt: Date;
  id: string;
}

const MAX_DESCRIPTION = 100_000;
const MAX_ALERTS_BYTES = 1_000_000;

export class IncidentsService {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  async create(ownerId: string, input: IncidentInput): Promise<Incident> {
    const incident = this.em.create(IncidentSchema, {
      owner: ownerId,
      title: requireText('title', input.title, 300),
      description: checkDescription(input.description ?? ''),
      severity: input.severity ?? 'MEDIUM',
      status: input.status ?? 'OPEN',
      service: optionalText('service', input.service, 200),
      source: optionalText('source', input.source, 200),
      alerts: checkAlerts(input.alerts),
    });
    await this.em.flush();
    return incident;
  }

  async update(viewer: Actor, id: string, input: IncidentInput): Promise<Incident> {
    const incident = await this.get(viewer, id);
    if (input.title !== undefined && input.title !== null) incident.title = requireText('title', input.title, 300);
    if (input.description !== undefined && input.description !== null) incident.description = checkDescription(input.description);
    if (input.severity) incident.severity = input.severity;
    if (input.status) incident.status = input.status;
    if (input.service !== undefined) incident.service = optionalText('service', input.service, 200);
    if (input.source !== undefined) incident.source = optionalText('source', input.source, 200);
    if (input.alerts !== undefined) incident.alerts = checkAlerts(input.alerts);
    await this.em.flush();
    return incident;
  }

  /** The viewer's incident (any, for admins); anyone else's is NOT_FOUND. */
  async get(viewer: Actor, id: string): Promise<Incident> {
    const incident = isUuid(id) ? await this.em.findOne(IncidentSchema, { id }) : null;
    return requireVisible(viewer, incident, 'The incident');
  }

  /** Newest first, keyset-paginated; members see their own, admins everyone's. */
  list(viewer: Actor, filter: IncidentFilter, first: number, after: Cursor | null): Promise<Incident[]> {
    return this.em.find(
      IncidentSchema,
      {
        ...(viewer.role === 'ADMIN' ? {} : { owner: viewer.id }),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.severity ? { severity: filter.severity } : {}),
        $and: afterKeyset(after),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first },
    );
  }

  /** Recommendations of many incidents in one query (for DataLoader), newest run first, in answer order. */
  async recommendationsFor(incidentIds: readonly string[]): Promise<Recommendation[][]> {
    const rows = await this.em.find(
      RecommendationSchema,
      { incident: { $in: [...incidentIds] } },
      { orderBy: { createdAt: 'desc', position: 'asc' } },
    );
    return groupedBy(incidentIds, rows, (row) => row.incident.id);
  }
}

function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION) throw badInput(`description is longer than ${MAX_DESCRIPTION} characters.`, { field: 'description' });
  return description;
}

function checkAlerts(alerts: unknown): unknown {
  if (alerts === undefined || alerts === null) return null;
  if (JSON.stringify(alerts).length > MAX_ALERTS_BYTES) throw badInput('alerts is larger than 1 MB.', { field: 'alerts' });
  return alerts;
}
