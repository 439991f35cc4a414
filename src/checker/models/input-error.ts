/**
 * `ModelInputError`: a model met an op it has no meaning for (a `read` given
 * to the mutex model, a value of the wrong type). That is not a bug in the
 * checker and not an anomaly in the system: the history cannot be judged by
 * this model. `runChecker` turns it into an `unknown` result whose
 * explanation is the one-line message (no stack trace), and suggests
 * `only({ f: [...] }, checker)` to give the checker just its ops.
 */
export class ModelInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelInputError";
  }
}
