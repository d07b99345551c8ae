import { AccessTokenSchema } from '../modules/auth/access-token.entity.ts';
import { UserSchema } from '../modules/auth/user.entity.ts';

/** Every entity the ORM knows; a new module adds its entities here (and a migration). */
export const entities = [UserSchema, AccessTokenSchema];
