/**
 * The error raised for a bad setting. It names every offending variable and
 * never echoes the value (settings include secrets), so the process can stop
 * at boot with a message an operator can act on.
 */

/** One problem with one setting. */
export interface ConfigIssue {
  /** The environment variable, e.g. `PORT`. */
  variable: string;
  message: string;
}

/** Raised by `loadConfig` and the helpers that read configuration files. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`, options);
  }
}
