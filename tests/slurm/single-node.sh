#!/usr/bin/env bash
# A real single-node Slurm cluster on localhost, for `tests/it/shards.rs`: installs Debian's
# slurm-wlm and munge where absent, starts munged, slurmctld and slurmd from a generated
# slurm.conf (this host's short name, linuxproc process tracking, no task plugin, no cgroups),
# submits a sharded run through `bcfsim slurm --submit`, waits for the merge, and checks that the
# merged summary.json and replications.csv equal the single run's byte for byte. The daemons are
# stopped on exit, whatever happens.
#
# Usage: single-node.sh BCFSIM SCENARIO   Exit 0: equal; 1: a failure; 77: the daemons could not
# start on this machine (the caller says so loudly).
set -euo pipefail
bcfsim=$1
scenario=$2
work=$(mktemp -d)
state=$work/state
mkdir -p "$state/spool" "$state/ctld" "$state/log"
export SLURM_CONF=$state/slurm.conf

cannot_start() {
    echo "single-node Slurm: $1" >&2
    for log in "$state"/log/*.log; do [ -f "$log" ] && tail -n 5 "$log" >&2; done
    exit 77
}

stop() {
    scontrol shutdown >/dev/null 2>&1 || true
    pkill -f -- "-f $SLURM_CONF" 2>/dev/null || true
    for _ in $(seq 1 20); do
        pgrep -f -- "-f $SLURM_CONF" >/dev/null || break
        sleep 0.5
    done
    pkill -9 -f -- "-f $SLURM_CONF" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT

install() {
    apt-get -o DPkg::Lock::Timeout=600 -q -y install --no-install-recommends "$@" \
        || sudo -n apt-get -o DPkg::Lock::Timeout=600 -q -y install --no-install-recommends "$@" \
        || { apt-get -o DPkg::Lock::Timeout=600 -q update && apt-get -o DPkg::Lock::Timeout=600 -q -y install --no-install-recommends "$@"; }
}
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive install slurm-wlm munge >/dev/null || cannot_start "cannot install slurm-wlm and munge"
fi

if ! pgrep -x munged >/dev/null; then
    mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
    [ -f /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    munged --force 2>/dev/null || cannot_start "munged did not start"
fi

host=$(hostname -s)
cat > "$SLURM_CONF" <<CONF
ClusterName=bcfsim-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF" || cannot_start "slurmctld did not start"
slurmd -f "$SLURM_CONF" || cannot_start "slurmd did not start"
for _ in $(seq 1 30); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo -h -o %t 2>/dev/null | grep -q idle || cannot_start "the node did not come up"

cd "$work"
run=(run "$scenario" --set simulation.horizon_days=200 -r 7 --seed 3)
"$bcfsim" slurm --shards 3 --out whole --submit "${run[@]}"
for _ in $(seq 1 240); do
    [ -z "$(squeue -h 2>/dev/null)" ] && break
    sleep 1
done
[ -z "$(squeue -h)" ] || { echo "the jobs did not finish in 4 minutes" >&2; squeue >&2; exit 1; }
[ -f whole/summary.json ] || { echo "the merge wrote nothing" >&2; cat whole.slurm/*.log >&2; exit 1; }
"$bcfsim" "${run[@]}" --out single >/dev/null
cmp whole/summary.json single/summary.json
cmp whole/replications.csv single/replications.csv
echo "single-node Slurm: 3 shards and their merge equal the single run"
