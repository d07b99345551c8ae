import { builder } from '../../graphql/builder.ts';
import { UserRef } from '../auth/auth.schema.ts';
import type { Limits } from './sliding-window.ts';

const RateLimitRef = builder.objectRef<Limits>('RateLimit').implement({
  description:
    'Limits per user over a sliding minute, shared by all replicas. Over one, calls fail with RATE_LIMITED and `extensions.retryAfter` (seconds), before anything is sent upstream.',
  fields: (t) => ({
    requestsPerMinute: t.int({ nullable: true, description: 'Calls admitted per minute; null: no limit.', resolve: (limits) => limits.requestsPerMinute }),
    tokensPerMinute: t.int({
      nullable: true,
      description: "Input + output tokens per minute; a call is admitted while the minute's tokens are under it. Null: no limit.",
      resolve: (limits) => limits.tokensPerMinute,
    }),
  }),
});

builder.objectField(UserRef, 'rateLimit', (t) =>
  t.field({
    type: RateLimitRef,
    description: "The rate limits in force for this user: the user's overrides (setUserRateLimit), else RATE_LIMIT_RPM and RATE_LIMIT_TPM.",
    resolve: (user, _args, { services }) => services.rateLimits.limitsOf(user),
  }),
);

builder.mutationField('setUserRateLimit', (t) =>
  t.withAuth({ admin: true }).field({
    type: UserRef,
    description:
      "Admins only: replaces a user's rate-limit overrides. Each limit is per minute, at least 1; null (or omitted) removes that override, so the default applies again. Takes effect at the user's next call.",
    args: {
      userId: t.arg.id({ required: true }),
      requestsPerMinute: t.arg.int(),
      tokensPerMinute: t.arg.int(),
    },
    resolve: (_root, args, { services, viewer }) =>
      services.rateLimits.setUserRateLimit(viewer, args.userId, args.requestsPerMinute ?? null, args.tokensPerMinute ?? null),
  }),
);
