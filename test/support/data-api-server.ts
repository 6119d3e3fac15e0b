/**
 * The local RDS Data API route on a loopback HTTP server, for tests: the real SDK client talks to
 * `endpoint`. The route decides; a request it does not answer is a 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDataApiRoute, type DataApiRouteOptions } from '../../lambdas/local/aws/data-api.ts';
import type { AwsRequest } from '../../lambdas/local/aws/route.ts';

export interface DataApiServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startDataApiServer(options: DataApiRouteOptions): Promise<DataApiServer> {
  const dataApi = createDataApiRoute(options);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: AwsRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
      ),
      body: Buffer.concat(chunks).toString('utf8'),
    };
    const response = (await dataApi.route(request)) ?? { status: 404, body: '{"message":"no route"}' };
    res.writeHead(response.status, response.headers).end(response.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dataApi.close();
    },
  };
}
