/**
 * Named errors of the system. Every error carries a machine-readable `code` and, where it wraps
 * another failure, the original as `cause`. Nothing is swallowed: callers either handle a named
 * error or let it travel up.
 */
export class EchoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Input that breaks the contract; `field` names what is wrong, `limit` the bound it broke. */
export class ValidationError extends EchoError {
  readonly field: string;
  readonly limit: string | undefined;
  constructor(field: string, message: string, options?: { limit?: string; cause?: unknown }) {
    super('ValidationError', message, options);
    this.field = field;
    this.limit = options?.limit;
  }
}

/** A configuration variable is missing or malformed. */
export class ConfigError extends EchoError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super('ConfigError', `${variable}: ${message}`);
    this.variable = variable;
  }
}

/** The database could not be reached; nothing was written. */
export class DatabaseUnavailableError extends EchoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DatabaseUnavailable', message, options);
  }
}

/** A statement failed inside the database. `sqlState` is the PostgreSQL SQLSTATE when known. */
export class SqlError extends EchoError {
  readonly sqlState: string | undefined;
  constructor(message: string, sqlState: string | undefined, options?: { cause?: unknown }) {
    super('SqlError', message, options);
    this.sqlState = sqlState;
  }
  get isUniqueViolation(): boolean {
    return this.sqlState === '23505';
  }
}

/** An EventBridge event pattern that AWS would reject. */
export class InvalidEventPatternError extends EchoError {
  constructor(message: string) {
    super('InvalidEventPatternException', message);
  }
}

export class NotFoundError extends EchoError {
  constructor(what: string, id: string) {
    super('NotFound', `${what} ${id} not found`);
  }
}

/** The caller may not do this (an agent resolving a human's item, a sender it may not be); `field` names what. */
export class ForbiddenError extends EchoError {
  readonly field: string | undefined;
  constructor(message: string, options?: { field?: string; cause?: unknown }) {
    super('Forbidden', message, options);
    this.field = options?.field;
  }
}

/**
 * A command that contradicts what the system already holds: an idempotency key reused with another
 * body. `field` names what (HTTP 409).
 */
export class IdempotencyConflictError extends EchoError {
  readonly field: string;
  constructor(message: string, options?: { field?: string }) {
    super('Conflict', message);
    this.field = options?.field ?? 'idempotencyKey';
  }
}
