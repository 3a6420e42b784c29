import type { Access } from '../auth/authenticator.js';
import type { RequestFacts } from '../http/request.js';
import type { Logger } from '../log.js';

/** What middleware puts on every request's context. */
export type ApiEnv = {
  Variables: RequestFacts & {
    principal?: string;
    /** who the request is from and their scopes, once a guard has authenticated it */
    access?: Access;
    logger: Logger;
  };
};
