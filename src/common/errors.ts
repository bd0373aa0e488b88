/**
 * An error caused by the user's input (a missing folder, a damaged file...).
 * The CLI prints `message` as one paragraph and exits non-zero, without a stack trace.
 */
export class UserInputError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = "UserInputError";
  }
}

export function isUserInputError(error: unknown): error is UserInputError {
  return error instanceof Error && error.name === "UserInputError";
}
