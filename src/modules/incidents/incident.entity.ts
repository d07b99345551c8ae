import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { UserSchema } from '../auth/user.entity.ts';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const INCIDENT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'CLOSED'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const IncidentSchema = defineEntity({
  name: 'Incident',
  tableName: 'incidents',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    owner: () => p.manyToOne(UserSchema).deleteRule('cascade'),
    title: p.string().length(300),
    description: p.text().default(''),
    severity: p.enum(SEVERITIES),
    status: p.enum(INCIDENT_STATUSES).default('OPEN'),
    service: p.string().length(200).nullable(),
    source: p.string().length(200).nullable(),
    /** The alerts and metrics that came with the incident, as sent. */
    alerts: p.json<unknown>().nullable(),
  },
  indexes: [{ properties: ['owner', 'createdAt'] }],
});

export type Incident = InferEntity<typeof IncidentSchema>;
