/** An error the UI shows as-is: a stable code and a sentence naming the problem and the fix. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
