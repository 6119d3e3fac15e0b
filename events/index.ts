export * from './limits.ts';
export * from './message-posted.ts';
export * from './post-message.ts';
export * from './validate.ts';
