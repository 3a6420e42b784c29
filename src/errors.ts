/**
 * One error type for the whole service: a stable machine code, a human message that is safe to show
 * (never a secret), and optionally the input field at fault. The code is the whole verdict: each
 * HTTP presentation (the API, the dashboard) gets its answer's status from one table, src/http/status.ts.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: {
      field?: string;
      cause?: unknown;
      /** the HTTP status a remote service (a forge) answered: a fact about that call, not our answer */
      upstreamStatus?: number;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
  }
  get field(): string | undefined {
    return this.options.field;
  }
  get upstreamStatus(): number | undefined {
    return this.options.upstreamStatus;
  }
}

/** Bad input: the message names the field first, so a client sees which one without reading `field`. */
export function invalidInput(field: string, message: string): AppError {
  return new AppError('invalid_request', `${field}: ${message}`, { field });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
