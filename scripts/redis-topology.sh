#!/usr/bin/env bash
# Starts (or stops) a local Redis topology from Debian's redis-server, on its own ports, for the
# tests and for developers:
#
#   scripts/redis-topology.sh up cluster     # 3 masters + 3 replicas on 7000-7005
#   scripts/redis-topology.sh up sentinel    # master 7010, replicas 7011-7012, sentinels 7020-7022
#   scripts/redis-topology.sh down cluster|sentinel|all
#   scripts/redis-topology.sh status
#   scripts/redis-topology.sh kill PORT       # SIGKILL one node (failover drills and tests)
#
# Ports move with CLUSTER_BASE_PORT / SENTINEL_BASE_PORT. Data lives in $REDIS_TOPOLOGY_DIR
# (default /tmp/conduit-redis-topology); nothing is persisted (no RDB, no AOF). When it is up it
# prints the variables that point the app at it.
set -euo pipefail

CLUSTER_BASE_PORT=${CLUSTER_BASE_PORT:-7000}
SENTINEL_BASE_PORT=${SENTINEL_BASE_PORT:-7010}
SENTINEL_MASTER=${SENTINEL_MASTER:-conduit}
DIR=${REDIS_TOPOLOGY_DIR:-/tmp/conduit-redis-topology}

die() { echo "redis-topology: $*" >&2; exit 1; }
command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"

cluster_ports() { seq "$CLUSTER_BASE_PORT" $((CLUSTER_BASE_PORT + 5)); }
sentinel_data_ports() { seq "$SENTINEL_BASE_PORT" $((SENTINEL_BASE_PORT + 2)); }
sentinel_ports() { seq $((SENTINEL_BASE_PORT + 10)) $((SENTINEL_BASE_PORT + 12)); }

wait_ping() {
  for _ in $(seq 1 50); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "redis on port $1 did not start (see $DIR/$1/redis.log)"
}

# A data node: no persistence, its own folder, daemonized with a pid file.
start_node() {
  local port=$1
  shift
  mkdir -p "$DIR/$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$DIR/$port" --save '' --appendonly no \
    --daemonize yes --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log" "$@"
  wait_ping "$port"
}

stop_port() {
  local port=$1
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "${DIR:?}/$port"
}

cluster_up() {
  for port in $(cluster_ports); do
    start_node "$port" --cluster-enabled yes --cluster-config-file "$DIR/$port/nodes.conf" \
      --cluster-node-timeout 2000 --cluster-replica-validity-factor 0
  done
  local nodes=()
  for port in $(cluster_ports); do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/cluster-create.log" 2>&1 \
    || die "cluster create failed: $(tail -n 5 "$DIR/cluster-create.log")"
  for _ in $(seq 1 100); do
    redis-cli -p "$CLUSTER_BASE_PORT" cluster info | grep -q 'cluster_state:ok' && break
    sleep 0.1
  done
  redis-cli -p "$CLUSTER_BASE_PORT" cluster info | grep -q 'cluster_state:ok' || die "cluster not ok"
  # Every replica attached and in sync: a replica that never synced cannot take over.
  for port in $(cluster_ports); do
    for _ in $(seq 1 100); do
      local info
      info=$(redis-cli -p "$port" info replication | tr -d '\r')
      echo "$info" | grep -q '^role:master' && [ "$(echo "$info" | awk -F: '/^connected_slaves/ {print $2}')" -ge 1 ] && break
      echo "$info" | grep -q '^master_link_status:up' && break
      sleep 0.1
    done
  done
  local urls=()
  for port in $(seq "$CLUSTER_BASE_PORT" $((CLUSTER_BASE_PORT + 2))); do urls+=("redis://127.0.0.1:$port"); done
  echo "REDIS_CLUSTER_NODES=$(IFS=,; echo "${urls[*]}")"
}

sentinel_up() {
  local master=$SENTINEL_BASE_PORT
  start_node "$master"
  for port in $(sentinel_data_ports | tail -n +2); do
    start_node "$port" --replicaof 127.0.0.1 "$master"
  done
  for port in $(sentinel_ports); do
    mkdir -p "$DIR/$port"
    cat >"$DIR/$port/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
dir $DIR/$port
sentinel monitor $SENTINEL_MASTER 127.0.0.1 $master 2
sentinel down-after-milliseconds $SENTINEL_MASTER 2000
sentinel failover-timeout $SENTINEL_MASTER 10000
sentinel parallel-syncs $SENTINEL_MASTER 2
EOF
    redis-server "$DIR/$port/sentinel.conf" --sentinel --daemonize yes \
      --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log"
    wait_ping "$port"
  done
  # Every replica in sync: a replica still waiting for its first full sync (Redis 7 delays a
  # diskless one by repl-diskless-sync-delay, 5 s) holds nothing, and a failover would promote it.
  for port in $(sentinel_data_ports | tail -n +2); do
    for _ in $(seq 1 150); do
      redis-cli -p "$port" info replication | tr -d '\r' | grep -q '^master_link_status:up' && break
      sleep 0.1
    done
    redis-cli -p "$port" info replication | tr -d '\r' | grep -q '^master_link_status:up' \
      || die "replica $port did not sync with $master (see $DIR/$port/redis.log)"
  done
  # Each sentinel must know the other two (quorum for a killed master) and both replicas (a
  # failover target): they learn them from hello messages within a few seconds.
  for port in $(sentinel_ports); do
    for _ in $(seq 1 150); do
      local peers known
      peers=$(redis-cli -p "$port" sentinel sentinels "$SENTINEL_MASTER" 2>/dev/null | grep -c '^name$' || true)
      known=$(redis-cli -p "$port" sentinel replicas "$SENTINEL_MASTER" 2>/dev/null | grep -c '^name$' || true)
      [ "${peers:-0}" -ge 2 ] && [ "${known:-0}" -ge 2 ] && break
      sleep 0.1
    done
  done
  local sentinels=()
  for port in $(sentinel_ports); do sentinels+=("127.0.0.1:$port"); done
  echo "REDIS_SENTINELS=$(IFS=,; echo "${sentinels[*]}") REDIS_SENTINEL_MASTER=$SENTINEL_MASTER"
}

status() {
  for port in $(cluster_ports) $(sentinel_data_ports) $(sentinel_ports); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      role=$(redis-cli -p "$port" info server | tr -d '\r' | awk -F: '/^redis_mode/ {print $2}')
      echo "$port up ($role)"
    fi
  done
}

case "${1:-} ${2:-}" in
  "up cluster") cluster_up ;;
  "up sentinel") sentinel_up ;;
  "down cluster") for p in $(cluster_ports); do stop_port "$p"; done ;;
  "down sentinel") for p in $(sentinel_ports) $(sentinel_data_ports); do stop_port "$p"; done ;;
  "down all")
    for p in $(cluster_ports) $(sentinel_ports) $(sentinel_data_ports); do stop_port "$p"; done ;;
  "status "*) status ;;
  "kill "[0-9]*)
    pid=$(cat "$DIR/$2/redis.pid" 2>/dev/null) || die "no node on port $2 under $DIR"
    kill -9 "$pid" ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
