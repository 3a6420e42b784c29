import type { Logger } from '../log.js';

/** What middleware puts on every request's context. */
export type ApiEnv = {
  Variables: {
    principal?: string;
    /** the client's address (through trusted proxies; see client-address.ts) */
    client?: string;
    logger: Logger;
  };
};
