/** Limits of the contract, named so every error can quote them. */
export const MAX_ENTRY_BYTES = 256 * 1024; // an EventBridge entry, and so any command
export const MAX_SUBJECT_CHARS = 500;
export const MAX_IDEMPOTENCY_KEY_CHARS = 200;
/** Deepest nesting of objects and arrays in a command (EventBridge itself stops at 1100 levels). */
export const MAX_JSON_DEPTH = 100;
