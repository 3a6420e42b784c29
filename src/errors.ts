/**
 * One error type for the whole service: a stable machine code, a human message that is safe to show
 * (never a secret), and optionally the input field at fault. The API maps these to status codes in one place.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { status?: number; field?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
  }
  get status(): number {
    return this.options.status ?? 400;
  }
  get field(): string | undefined {
    return this.options.field;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
