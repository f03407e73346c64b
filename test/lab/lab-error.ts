/** A lab step that failed, with what to look at next. */
export class LabError extends Error {
  /** Builds the error; `hint` says what to check, for example a log path. */
  constructor(
    message: string,
    readonly hint: string = '',
  ) {
    super(hint ? `${message} (${hint})` : message);
    this.name = 'LabError';
  }
}
