/**
 * Errors of the CLI carry their exit code: 2 for usage (bad flags, bad YAML, invalid values), 1 for an
 * operation that failed (the server said no, the network failed). Messages are shown to the user as they
 * are, so they never contain a password or a token.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT_USAGE);
export const operationError = (message: string) => new CliError(message, EXIT_FAILED);
