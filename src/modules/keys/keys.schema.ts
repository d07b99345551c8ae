import { builder } from '../../graphql/builder.ts';
import { KEY_KINDS } from '../../llm/provider-kinds.ts';
import type { ApiKey } from './api-key.entity.ts';

const KeyKindEnum = builder.enumType('KeyKind', { values: KEY_KINDS });

const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  description: "One of the viewer's provider keys. The secret itself is never returned.",
  fields: (t) => ({
    id: t.exposeID('id'),
    provider: t.field({ type: KeyKindEnum, resolve: (key) => key.provider }),
    label: t.string({ nullable: true, resolve: (key) => key.label ?? null }),
    hint: t.exposeString('hint', { description: 'The last four characters.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const AddApiKeyInput = builder.inputType('AddApiKeyInput', {
  fields: (t) => ({
    provider: t.field({ type: KeyKindEnum, required: true }),
    apiKey: t.string({ required: true, description: 'Write-only; stored encrypted.' }),
    label: t.string(),
  }),
});

builder.queryField('apiKeys', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: [ApiKeyRef],
    description: "The viewer's keys, newest first, revoked ones included.",
    resolve: (_root, _args, { services, viewer }) => services.keys.list(viewer.id),
  }),
);

builder.mutationFields((t) => ({
  addApiKey: t.withAuth({ signedIn: true }).field({
    type: ApiKeyRef,
    description: "Stores a key for a provider; it replaces (revokes) the viewer's previous key for that provider.",
    args: { input: t.arg({ type: AddApiKeyInput, required: true }) },
    resolve: (_root, { input }, { services, viewer }) => services.keys.add(viewer.id, input),
  }),
  revokeApiKey: t.withAuth({ signedIn: true }).field({
    type: ApiKeyRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.keys.revoke(viewer.id, id),
  }),
}));
