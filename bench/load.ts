import autocannon from 'autocannon';

export interface LoadRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  token?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
  /** What the errors were: client timeouts, connection errors, 4xx and 5xx answers. */
  errorKinds?: string;
}

/**
 * Drives `url` with autocannon (in this process, not the app's) for `seconds`, each request drawn
 * from `next()`. With `rate`, the load is capped to that many requests per second overall.
 */
export async function drive(
  url: string,
  next: () => LoadRequest,
  options: { seconds: number; connections: number; rate?: number },
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    overallRate: options.rate,
    requests: [
      {
        setupRequest: (request) => {
          const pick = next();
          return {
            ...request,
            method: pick.method ?? 'GET',
            path: pick.path,
            headers: pick.token ? { authorization: `Token ${pick.token}` } : {},
          };
        },
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
    errorKinds: `timeouts ${result.timeouts}, errors ${result.errors}, 4xx ${result['4xx']}, 5xx ${result['5xx']}`,
  };
}
