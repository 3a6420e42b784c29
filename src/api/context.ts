import type { RequestFacts } from '../http/request.js';
import type { Logger } from '../log.js';

/** What middleware puts on every request's context. */
export type ApiEnv = {
  Variables: RequestFacts & {
    principal?: string;
    logger: Logger;
  };
};
