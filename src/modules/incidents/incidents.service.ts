import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../errors.ts';
import { afterKeyset, groupedBy, isUuid } from '../../db/query.ts';
import { type Incident, type IncidentStatus, IncidentSchema, type Severity } from './incident.entity.ts';
import { type Recommendation, RecommendationSchema } from './recommendation.entity.ts';

export interface IncidentViewer {
  id: string;
  role: 'ADMIN' | 'MEMBER';
}

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
      title: requireTitle(input.title),
      description: checkDescription(input.description ?? ''),
      severity: input.severity ?? 'MEDIUM',
      status: input.status ?? 'OPEN',
      service: optionalText(input.service, 'service'),
      source: optionalText(input.source, 'source'),
      alerts: checkAlerts(input.alerts),
    });
    await this.em.flush();
    return incident;
  }

  async update(viewer: IncidentViewer, id: string, input: IncidentInput): Promise<Incident> {
    const incident = await this.get(viewer, id);
    if (input.title !== undefined && input.title !== null) incident.title = requireTitle(input.title);
    if (input.description !== undefined && input.description !== null) incident.description = checkDescription(input.description);
    if (input.severity) incident.severity = input.severity;
    if (input.status) incident.status = input.status;
    if (input.service !== undefined) incident.service = optionalText(input.service, 'service');
    if (input.source !== undefined) incident.source = optionalText(input.source, 'source');
    if (input.alerts !== undefined) incident.alerts = checkAlerts(input.alerts);
    await this.em.flush();
    return incident;
  }

  /** The viewer's incident (any, for admins); anyone else's is NOT_FOUND. */
  async get(viewer: IncidentViewer, id: string): Promise<Incident> {
    const incident = isUuid(id) ? await this.em.findOne(IncidentSchema, { id }) : null;
    if (!incident || (viewer.role !== 'ADMIN' && incident.owner.id !== viewer.id)) throw notFound('The incident');
    return incident;
  }

  /** Newest first, keyset-paginated; members see their own, admins everyone's. */
  list(viewer: IncidentViewer, filter: IncidentFilter, first: number, after: Cursor | null): Promise<Incident[]> {
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

function requireTitle(title: string | null | undefined): string {
  const trimmed = title?.trim();
  if (!trimmed) throw badInput('title is required.', { field: 'title' });
  if (trimmed.length > 300) throw badInput('title is longer than 300 characters.', { field: 'title' });
  return trimmed;
}

function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION) throw badInput(`description is longer than ${MAX_DESCRIPTION} characters.`, { field: 'description' });
  return description;
}

function optionalText(value: string | null | undefined, field: string): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (trimmed.length > 200) throw badInput(`${field} is longer than 200 characters.`, { field });
  return trimmed;
}

function checkAlerts(alerts: unknown): unknown {
  if (alerts === undefined || alerts === null) return null;
  if (JSON.stringify(alerts).length > MAX_ALERTS_BYTES) throw badInput('alerts is larger than 1 MB.', { field: 'alerts' });
  return alerts;
}
