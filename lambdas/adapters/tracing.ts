/**
 * Tracing of the AWS SDK clients the adapters create (EventBridge, RDS Data API, Bedrock). The
 * Lambda entries install the X-Ray capture (lambdas/adapters/xray.ts) once per container; elsewhere
 * it stays the identity, so nothing is traced locally or in tests.
 */
let capture: <C>(client: C) => C = (client) => client;

export function traceAwsClients(fn: <C>(client: C) => C): void {
  capture = fn;
}

export function traced<C>(client: C): C {
  return capture(client);
}
