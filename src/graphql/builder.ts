import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import { createGraphQLError } from 'graphql-yoga';
import type { Context, SignedInContext } from './context.ts';
import { DecimalScalar } from './scalars.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { signedIn: boolean; admin: boolean };
  AuthContexts: { signedIn: SignedInContext; admin: SignedInContext };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    SafeInt: { Input: number; Output: number };
    Decimal: { Input: string; Output: string };
    // IDs arrive as strings (GraphQL coerces numeric literals), so resolvers never convert them.
    ID: { Input: string; Output: string | number };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      signedIn: context.viewer !== null,
      admin: context.viewer?.role === 'ADMIN',
    }),
    unauthorizedError: (_parent, context) =>
      context.viewer === null
        ? createGraphQLError(context.authProblem ?? 'Sign in first: send the header "Authorization: Bearer <token>".', {
            extensions: { code: 'UNAUTHENTICATED' },
          })
        : createGraphQLError('You are not allowed to do this.', { extensions: { code: 'FORBIDDEN' } }),
  },
  relay: {
    cursorType: 'String',
    clientMutationId: 'omit',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('SafeInt', SafeIntResolver);
builder.addScalarType('Decimal', DecimalScalar);

// Root types: every field needs a signed-in viewer unless it says otherwise; fields narrow further.
builder.queryType({ authScopes: { signedIn: true } });
builder.mutationType({ authScopes: { signedIn: true } });
builder.subscriptionType({ authScopes: { signedIn: true } });
