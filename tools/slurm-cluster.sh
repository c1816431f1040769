#!/bin/bash
# A throw-away single-node Slurm cluster in one directory, for tools/slurm-test.sh.
#
#   . tools/slurm-cluster.sh
#   slurm_up DIR     # munged, slurmctld, slurmd; exports SLURM_CONF; waits for an idle node
#   slurm_down       # stops the three daemons (by their pid files) and waits for them
#
# Nothing outside DIR is written: munge has its own key, socket, log and seed
# file; Slurm its own slurm.conf (through SLURM_CONF), spool, state, logs and
# ports. The system's /etc/munge and /etc/slurm are not read for anything but
# the plugstack default, and the distribution's services are never started.
#
# slurmd runs in its own mount and UTS namespaces (unshare): its host is called
# SLURM_NODE_HOST, and the directory SLURM_PRIVATE_DIR (DIR/submit-only) is
# hidden from it and its jobs by an empty tmpfs. That directory plays a
# submitting machine's local disk: visible to the R session that plans the
# work, not to the compute node.

SLURM_NODE=node1
SLURM_NODE_HOST=slurm-node1

slurm_log() { printf 'slurm-cluster: %s\n' "$*" >&2; }

slurm_up() {
  SLURM_DIR=$1
  SLURM_PRIVATE_DIR=$SLURM_DIR/submit-only
  mkdir -p "$SLURM_DIR"/{munge,spool,state,log,shared} "$SLURM_PRIVATE_DIR"
  chmod 700 "$SLURM_DIR/munge"
  export SLURM_DIR SLURM_PRIVATE_DIR

  # munged refuses keys and sockets that others could touch; --force turns
  # the check on /tmp's world-writable parents into a warning.
  dd if=/dev/urandom of="$SLURM_DIR/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$SLURM_DIR/munge/munge.key"
  munged --force \
    --key-file="$SLURM_DIR/munge/munge.key" \
    --socket="$SLURM_DIR/munge/munge.socket" \
    --pid-file="$SLURM_DIR/munge/munged.pid" \
    --seed-file="$SLURM_DIR/munge/munged.seed" \
    --log-file="$SLURM_DIR/log/munged.log" 2>>"$SLURM_DIR/log/munged.stderr" ||
    { slurm_log "munged did not start"; cat "$SLURM_DIR/log/munged.log" >&2; return 1; }

  local host cpus mem port
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
  # Ports of our own, away from Slurm's defaults (6817/6818), so a cluster
  # already on this machine is neither used nor disturbed.
  port=$((20000 + RANDOM % 20000))
  export SLURM_CONF=$SLURM_DIR/slurm.conf
  cat >"$SLURM_CONF" <<EOF
ClusterName=parairline-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge/munge.socket
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool/%n
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$SLURM_DIR/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
NodeName=$SLURM_NODE NodeHostname=$SLURM_NODE_HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$SLURM_DIR/plugstack.conf"

  slurmctld -f "$SLURM_CONF" ||
    { slurm_log "slurmctld did not start"; cat "$SLURM_DIR/log/slurmctld.log" >&2; return 1; }
  # The node: its own hostname, and the submit-only directory hidden.
  unshare --mount --uts --propagation private sh -c '
    hostname "$1" && mount -t tmpfs -o size=1m,mode=0755 none "$2" && exec slurmd -f "$3" -N "$4"
  ' sh "$SLURM_NODE_HOST" "$SLURM_PRIVATE_DIR" "$SLURM_CONF" "$SLURM_NODE" ||
    { slurm_log "slurmd did not start"; cat "$SLURM_DIR/log/slurmd.log" >&2; return 1; }

  local i state
  for i in $(seq 1 60); do
    state=$(sinfo -h -N -n "$SLURM_NODE" -o '%t' 2>/dev/null || true)
    [ "$state" = idle ] && { slurm_log "node $SLURM_NODE idle after ${i}s"; return 0; }
    sleep 1
  done
  slurm_log "node $SLURM_NODE not idle after 60s (state: ${state:-none})"
  sinfo -N -l >&2 || true
  tail -n 20 "$SLURM_DIR/log/slurmctld.log" "$SLURM_DIR/log/slurmd.log" >&2 || true
  return 1
}

# Stops a daemon by its pid file: TERM, then KILL after 10 s.
slurm_stop_pidfile() {
  local f=$1 pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

slurm_down() {
  [ -n "${SLURM_DIR:-}" ] || return 0
  # Jobs first, while the controller can still cancel them.
  [ -f "$SLURM_DIR/slurmctld.pid" ] && scancel --full -u "$(id -un)" 2>/dev/null || true
  slurm_stop_pidfile "$SLURM_DIR/slurmd.pid"
  slurm_stop_pidfile "$SLURM_DIR/slurmctld.pid"
  slurm_stop_pidfile "$SLURM_DIR/munge/munged.pid"
}
