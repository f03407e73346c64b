/** A toolkit build, injection or guest command failed; `hint` says what to do about it. */
export class ToolkitError extends Error {
  /** Builds the error with an optional hint for the person running it. */
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ToolkitError';
  }
}
