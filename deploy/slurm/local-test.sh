#!/usr/bin/env bash
# Proves the study on a real Slurm on this one machine, with a throwaway PostgreSQL store:
#   deploy/slurm/local-test.sh OUTDIR
# installs slurm-wlm and munge if missing; writes a one-node slurm.conf in a temporary folder; starts munged, slurmctld
# and slurmd (own socket, ports and PID files, so a system Slurm or munge is left alone); starts PostgreSQL on loopback
# (setup/services/postgres.sh); submits deploy/slurm/study.sbatch as a 3-task array running a small study (knn and a
# random forest, each tuned by 5-fold CV, and a 1-epoch MLP, on 3,000 images); waits; writes OUTDIR/report with
# `fmnist report`; checks that every unit ran exactly once (one "done" line per unit over all task logs, every unit done
# in the store, one train run per entry) and that at least two array tasks did work; stops every daemon it started, by
# PID. Exits 0 only when all of that held. Needs root (the daemons) and a built fmnist (setup/setup.sh).
set -euo pipefail
out="${1:?usage: deploy/slurm/local-test.sh OUTDIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"; out="$(cd "$out" && pwd)"
log() { printf '[slurm-test] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
[ "$(id -u)" = "0" ] || fail "run as root: it starts munged, slurmctld and slurmd"
[ -f "$root/src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll" ] || fail "fmnist is not built: run setup/setup.sh first"

missing=()
for package in slurm-wlm munge postgresql; do
  [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

work="$(mktemp -d /tmp/fmnist-slurm.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Jobs first, while the controller still answers: scancel, then wait for their steps to end.
  if [ -n "${sbatch_pid:-}" ]; then kill -TERM "$sbatch_pid" 2>/dev/null || true; fi
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$work/slurmctld.pid" ]; then
    scancel --name=fmnist-study 2>/dev/null || true
    for _ in $(seq 1 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for file in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munge/munged.pid"; do
    if [ -f "$file" ]; then
      pid="$(cat "$file")"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  "$root/setup/services/postgres.sh" stop "$work/pg.env" >/dev/null 2>&1 || true
  cp "$work"/*.log "$out/" 2>/dev/null || true
  rm -rf "$work"
  [ $status -eq 0 ] && log "passed; daemons stopped" || log "stopped every daemon it started (exit $status)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  fail "no free port"
}

# munge: its own socket, key copy, log and PID file in the work folder, run as the munge user (it refuses root).
mkdir -p "$work/munge"
cp /etc/munge/munge.key "$work/munge/munge.key"
chown -R munge:munge "$work/munge"; chmod 700 "$work/munge"; chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged --socket="$socket" --key-file="$work/munge/munge.key" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed" --force
for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "munged did not start"

host="$(hostname -s)"
# At least 3 CPUs so the 3 tasks run at once even on a 2-core machine (config_overrides lets slurmd accept it).
cpus="$(nproc)"; [ "$cpus" -ge 3 ] || cpus=3
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=fmnisttest
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SlurmdParameters=config_overrides
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=fmnist Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for _ in $(seq 1 100); do sinfo -h -o %t 2>/dev/null | grep -qE '^idle' && break; sleep 0.2; done
sinfo -h -o %t | grep -qE '^idle' || { cat "$work"/slurm*.log >&2; fail "the Slurm node did not become idle"; }
log "Slurm up: node $host with $cpus CPUs (conf $SLURM_CONF)"

url="$("$root/setup/services/postgres.sh" start "$work/pg.env")"
study="slurm-local-test"
compare_args="--models knn,random-forest,mlp --set random-forest:trees=10 --set mlp:epochs=1 --train-limit 3000 --test-limit 1000 --claim-timeout 20"
start=$(date +%s)
# Every task gets one CPU, so the 3 tasks share this machine's cores as they would share a cluster's nodes.
# The settings travel in the environment (--export=ALL): values inside --export=A=x,B=y may not contain commas.
export FMNIST_STORE="$url" FMNIST_STUDY="$study" FMNIST_ARGS="$compare_args" FMNIST_OUT="$work/reports"
export FMNIST="dotnet $root/src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll"
# In the background and waited for, so that a signal reaches the cleanup at once.
timeout 900 sbatch --parsable --wait --array=0-2 --cpus-per-task=1 --chdir="$work" --output="$work/task-%a.log" --export=ALL \
  "$root/deploy/slurm/study.sbatch" > "$work/job.id" &
sbatch_pid=$!
set +e
wait "$sbatch_pid"
submitted=$?
set -e
sbatch_pid=""
log "array finished in $(( $(date +%s) - start )) s (sbatch exit $submitted)"
[ $submitted -eq 0 ] || { tail -n 30 "$work"/task-*.log >&2 || true; fail "a task of the array failed"; }

dotnet "$root/src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll" report --store "$url" --study "$study" --out "$out/report" --json > "$out/report.json"
grep -q '"finished": true' "$out/report.json" || fail "the study is not finished: $(cat "$out/report.json")"

# Every unit ran exactly once: one "done in" line per unit key over all task logs, and as many as the store has units.
# shellcheck disable=SC1091
source "$work/pg.env"
psql() { command psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d fmnist -At -c "$1"; }
units="$(psql "SELECT count(*) FROM units WHERE study = '$study'")"
notdone="$(psql "SELECT count(*) FROM units WHERE study = '$study' AND status <> 'done'")"
grep -ho '[^ ]*: done in' "$work"/task-*.log | sort > "$work/done.txt"
ran="$(wc -l < "$work/done.txt")"; distinct="$(sort -u "$work/done.txt" | wc -l)"
tasks="$(psql "SELECT count(DISTINCT worker_json::json->>'SlurmArrayTaskId') FROM units WHERE study = '$study'")"
trains="$(psql "SELECT count(*) FROM runs WHERE kind = 'train' AND notes_json::json->>'study' = '$study'")"
entries="$(psql "SELECT count(*) FROM units WHERE study = '$study' AND kind = 'refit'")"
log "units: $units in the store, $notdone not done; $ran done lines in the task logs ($distinct distinct); train runs $trains for $entries entries; array tasks that did work: $tasks"
psql "SELECT worker_json::json->>'SlurmArrayTaskId' AS task, count(*) FROM units WHERE study = '$study' GROUP BY 1 ORDER BY 1" | sed 's/^/[slurm-test]   task|units: /' >&2
[ "$units" -gt 0 ] && [ "$notdone" = 0 ] || fail "not every unit is done"
[ "$ran" = "$units" ] && [ "$distinct" = "$units" ] || fail "units did not run exactly once ($ran runs of $units units)"
[ "$trains" = "$entries" ] || fail "$trains train runs for $entries entries"
[ "$tasks" -ge 2 ] || fail "only $tasks array task(s) did work"
log "report: $out/report/index.html"
