import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import '../modules/auth/auth.schema.ts';
import '../modules/providers/providers.schema.ts';
import '../modules/calls/calls.schema.ts';
import '../modules/keys/keys.schema.ts';
import '../modules/usage/usage.schema.ts';
import '../modules/analysis/analysis.schema.ts';
import '../modules/incidents/incidents.schema.ts';
import '../modules/templates/templates.schema.ts';
import '../modules/projects/projects.schema.ts';
import '../modules/export/export.schema.ts';
import '../modules/github/github.schema.ts';
import '../modules/budgets/budgets.schema.ts';
import '../modules/ratelimits/ratelimits.schema.ts';

/** The served schema, sorted so its printed SDL is stable. */
export function buildSchema(): GraphQLSchema {
  return lexicographicSortSchema(builder.toSchema());
}
