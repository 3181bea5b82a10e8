const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/**
 * A test that names its own Redis (a dead or frozen standalone server, an unreachable Cluster)
 * means exactly that one, even in a pass that runs the suite on Sentinel or Cluster (test/env.ts):
 * the other topology variables are blanked (an empty value means "unset").
 */
export function withOwnRedis(env: Record<string, string>): Record<string, string> {
  if (!TOPOLOGY_VARIABLES.some((name) => env[name] !== undefined)) return env;
  return { REDIS_SENTINELS: '', REDIS_CLUSTER_NODES: '', ...env };
}
