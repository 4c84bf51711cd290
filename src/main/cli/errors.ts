/** Bad usage: exit code 2, with the one-line reason on stderr. */
export class UsageError extends Error {}
/** The work failed: exit code 1, with the one-line reason on stderr. */
export class WorkError extends Error {}
