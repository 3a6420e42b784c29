import type { Logger } from '../log.js';

/** What middleware puts on every request's context. */
export type ApiEnv = {
  Variables: {
    principal?: string;
    logger: Logger;
  };
};
