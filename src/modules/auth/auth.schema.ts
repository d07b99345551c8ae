import { builder } from '../../graphql/builder.ts';
import { notFound } from '../../errors.ts';
import type { AccessToken } from './access-token.entity.ts';
import { ROLES, type User } from './user.entity.ts';

export const RoleEnum = builder.enumType('Role', {
  description: 'ADMIN manages providers and templates and may read everything; MEMBER sees only what it owns.',
  values: ROLES,
});

export const UserRef = builder.objectRef<User>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.string({ nullable: true, resolve: (user) => user.name ?? null }),
    role: t.field({ type: RoleEnum, resolve: (user) => user.role }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AccessTokenRef = builder.objectRef<AccessToken>('AccessToken').implement({
  description: 'A bearer token. Only its hint is ever shown; the token itself is returned once, when created.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.string({ nullable: true, resolve: (token) => token.name ?? null }),
    hint: t.exposeString('hint', { description: 'The first characters of the token.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const IssuedTokenRef = builder.objectRef<{ user: User; record?: AccessToken; token: string }>('IssuedToken').implement({
  description: 'A newly issued token. `token` is shown this once and cannot be read again.',
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (issued) => issued.user }),
    accessToken: t.field({ type: AccessTokenRef, nullable: true, resolve: (issued) => issued.record ?? null }),
    token: t.exposeString('token'),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    name: t.string(),
    role: t.field({ type: RoleEnum, defaultValue: 'MEMBER' }),
  }),
});

builder.queryFields((t) => ({
  me: t.withAuth({ signedIn: true }).field({
    type: UserRef,
    description: 'The signed-in user.',
    resolve: async (_root, _args, { viewer, services }) => {
      const user = await services.auth.findUser(viewer.id);
      if (!user) throw notFound('The user');
      return user;
    },
  }),
  accessTokens: t.withAuth({ signedIn: true }).field({
    type: [AccessTokenRef],
    description: "The viewer's access tokens, newest first.",
    resolve: (_root, _args, { viewer, services }) => services.auth.listAccessTokens(viewer.id),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.withAuth({ admin: true }).field({
    type: IssuedTokenRef,
    description: 'Admins only: creates a user and returns its first token (shown once).',
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_root, { input }, { services }) =>
      services.auth.createUser({ email: input.email, name: input.name, role: input.role ?? 'MEMBER' }),
  }),
  createAccessToken: t.withAuth({ signedIn: true }).field({
    type: IssuedTokenRef,
    description: 'Issues another token for the viewer (shown once).',
    args: { name: t.arg.string() },
    resolve: async (_root, { name }, { viewer, services }) => {
      const issued = await services.auth.createAccessToken(viewer.id, name);
      return { user: issued.record.user, record: issued.record, token: issued.token };
    },
  }),
  revokeAccessToken: t.withAuth({ signedIn: true }).field({
    type: AccessTokenRef,
    description: "Revokes one of the viewer's tokens; requests with it fail from now on.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { viewer, services }) => services.auth.revokeAccessToken(viewer.id, id),
  }),
}));
