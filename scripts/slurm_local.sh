#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for trying and testing `deno task sweep --executor slurm`:
#   scripts/slurm_local.sh start    munge key + munged, /etc/slurm/slurm.conf, slurmctld and slurmd; waits until the
#                                   node is idle (does nothing that is already done: safe to run twice)
#   scripts/slurm_local.sh stop     stops the daemons it started (by PID) and munged if it started it
#   scripts/slurm_local.sh status   "up" (exit 0) when sinfo answers and the node is usable, else "down" (exit 1)
# Needs root and Debian's packages (`apt-get install -y slurm-wlm munge`, SLURM 22.05); works without systemd.
# State, logs and PID files go to $SLURM_LOCAL_DIR (default /var/tmp/hyperdecoders-slurm). An existing
# /etc/slurm/slurm.conf that this script did not write is never replaced.
set -euo pipefail

DIR="${SLURM_LOCAL_DIR:-/var/tmp/hyperdecoders-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by hyperdecoders scripts/slurm_local.sh"
KEY=/etc/munge/munge.key
MUNGE_PID="$DIR/munged.pid"
CTLD_PID="$DIR/slurmctld.pid"
SLURMD_PID="$DIR/slurmd.pid"
WAIT_S="${SLURM_LOCAL_WAIT_S:-60}"

die() {
  echo "slurm_local: $*" >&2
  exit 1
}

alive() { # pidfile
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

munge_ok() {
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1
}

node_state() {
  sinfo -h -N -o "%t" 2>/dev/null | head -1
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  # RealMemory in MiB, a little under the total so that slurmd never finds less than configured.
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; not replacing it (a real cluster is configured here?)"
  fi
  mkdir -p /etc/slurm "$DIR/state" "$DIR/spool"
  cat >"$CONF.tmp" <<EOF
$MARK: a single-node test cluster.
ClusterName=hyperdecoders
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
# A requeued job waits this long before it may start again (SLURM's default is 120 s).
AuthInfo=cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# Seconds between the SIGTERM and the SIGKILL of a cancelled or timed-out job.
KillWait=30
MinJobAge=600
# Schedule every second rather than every minute: a requeued task starts as soon as it is eligible again.
SchedulerParameters=sched_interval=1,bf_interval=1
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  if ! cmp -s "$CONF.tmp" "$CONF" 2>/dev/null; then
    mv "$CONF.tmp" "$CONF"
    CONF_CHANGED=1
  else
    rm -f "$CONF.tmp"
  fi
}
CONF_CHANGED=0

start_munge() {
  if munge_ok; then return; fi
  if [ ! -s "$KEY" ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of="$KEY" bs=1024 count=1 status=none
  fi
  chown munge:munge "$KEY"
  chmod 400 "$KEY"
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 755 /run/munge
  touch "$MUNGE_PID" && chown munge:munge "$MUNGE_PID"
  runuser -u munge -- munged --pid-file="$MUNGE_PID"
  for _ in $(seq 50); do
    munge_ok && return
    sleep 0.1
  done
  die "munged did not come up (see /var/log/munge/munged.log)"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (it writes $CONF and starts the daemons)"
  command -v slurmctld >/dev/null && command -v munged >/dev/null ||
    die "SLURM or munge is not installed: apt-get install -y slurm-wlm munge"
  mkdir -p "$DIR"
  write_conf
  start_munge
  if ! alive "$CTLD_PID"; then
    slurmctld -c -i
  elif [ "$CONF_CHANGED" = 1 ]; then
    scontrol reconfigure
  fi
  if ! alive "$SLURMD_PID"; then slurmd; fi
  local state=""
  for _ in $(seq $((WAIT_S * 5))); do
    state=$(node_state || true)
    case "$state" in
    idle* | mix* | alloc*) break ;;
    down* | drain*) scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  case "$state" in
  idle* | mix* | alloc*) echo "slurm_local: up ($(sinfo -h -N -o '%N %c CPUs %t'))" ;;
  *) die "the node is \"$state\" after ${WAIT_S} s (logs: $DIR/slurmctld.log, $DIR/slurmd.log)" ;;
  esac
}

stop_pid() { # pidfile name
  if alive "$1"; then
    local pid
    pid=$(cat "$1")
    kill "$pid"
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "slurm_local: stopped $2 ($pid)"
  fi
  rm -f "$1"
}

stop() {
  stop_pid "$SLURMD_PID" slurmd
  stop_pid "$CTLD_PID" slurmctld
  stop_pid "$MUNGE_PID" munged
}

status() {
  local state
  state=$(node_state || true)
  case "$state" in
  idle* | mix* | alloc*)
    echo "up ($state)"
    return 0
    ;;
  esac
  echo "down${state:+ ($state)}"
  return 1
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: scripts/slurm_local.sh start|stop|status" ;;
esac
