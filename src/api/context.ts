import type { Access } from '../auth/authenticator.js';
import type { Logger } from '../log.js';

/** What middleware puts on every request's context. */
export type ApiEnv = {
  Variables: {
    principal?: string;
    /** who the request is from and their scopes, once a guard has authenticated it */
    access?: Access;
    /** the client's address (through trusted proxies; see client-address.ts) */
    client?: string;
    logger: Logger;
  };
};
