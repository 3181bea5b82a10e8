/** The settings that choose a topology (a structural type: this file is imported by env.schema). */
export type RedisTopologySettings = Partial<
  Record<'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_CLUSTER_NODES', string>
>;

const HOST_PORT = /^[^\s:,]+:\d{1,5}$/;

/** REDIS_SENTINELS / REDIS_CLUSTER_NODES: well-formed, not both, and the sentinel master named. */
export function redisTopologyProblems(env: RedisTopologySettings): string[] {
  const problems: string[] = [];
  const list = (raw: string) => raw.split(',').map((item) => item.trim());
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_SENTINELS, REDIS_CLUSTER_NODES: set one topology, not both');
  }
  if (env.REDIS_SENTINELS) {
    const bad = list(env.REDIS_SENTINELS).filter((item) => !HOST_PORT.test(item));
    if (bad.length > 0)
      problems.push(`REDIS_SENTINELS: expected host:port,host:port,... (not "${bad[0]}")`);
    if (!env.REDIS_SENTINEL_MASTER)
      problems.push('REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS (the monitored name)');
  }
  if (env.REDIS_CLUSTER_NODES) {
    const bad = list(env.REDIS_CLUSTER_NODES).filter((item) => {
      try {
        const url = new URL(item);
        return !['redis:', 'rediss:'].includes(url.protocol) || !url.port;
      } catch {
        return true;
      }
    });
    if (bad.length > 0)
      problems.push(
        `REDIS_CLUSTER_NODES: expected redis://host:port,redis://host:port,... (not "${bad[0]}")`,
      );
  }
  return problems;
}
