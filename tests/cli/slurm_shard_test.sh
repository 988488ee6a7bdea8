#!/usr/bin/env bash
# Issue 17's scenario on a real single-node Slurm cluster: slurmctld + slurmd + munged on localhost
# with a test-only configuration in a temporary folder. `sbatch --array=0-3` of
# examples/slurm/upscale_array.sbatch over 40 small pictures (4 broken); one running task is
# cancelled (scancel) mid-run; the array is submitted again. Checks: every good picture written
# exactly once (one "ok" line each, one file each, nothing redone by the second submission), every
# broken one failed in the manifest, the merged manifest complete and verified.
# When Slurm cannot start (not root, packages missing, daemons refuse), it says why and runs the
# same scenario with 4 local processes given the array variables (2 at a time, as 2 CPUs would).
# Usage: slurm_shard_test.sh UPRES_BINARY SOURCE_DIR (UPRES_TEST_WITHOUT_SLURM=1 forces the fallback)
set -uo pipefail
upres=$(realpath "$1")
source_dir=$(realpath "$2")
work=$(mktemp -d /tmp/upres_slurm_test.XXXXXX)
daemon_pids=()
cleanup() {
  for pid in "${daemon_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${daemon_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 36 good 32x32 pictures (distinct content) and 4 broken ones, in two folders.
mkdir -p "$work/in/sub" "$work/out/manifests"
python3 - "$work/in" <<'PY' || fail "cannot write the test pictures"
import struct, sys, zlib
def png(path, seed):
    rows = b"".join(b"\0" + bytes((x * 7 + y * 3 + seed * 11 + c * 50) % 256 for x in range(32) for c in range(3)) for y in range(32))
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
for i in range(36):
    png(f"{sys.argv[1]}/{'sub/' if i % 3 == 0 else ''}pic{i:02d}.png", i)
for i in range(4):
    open(f"{sys.argv[1]}/{'sub/' if i % 2 else ''}broken{i}.png", "wb").write(b"\x89PNG\r\n\x1a\n truncated")
PY

# realesrgan-x4fast at 8x takes ~0.3 s a picture on one thread: long enough to cancel mid-run.
model="$source_dir/models/RealESRGAN/realesrgan-x4fast.param"
[[ -f $model ]] || fail "$model is missing (scripts/setup.sh fetches it); Lanczos is too fast to cancel mid-run"
export UPRES_UPSCALER=$model UPRES_SCALE=8
export UPRES=$upres UPRES_MODELS="$source_dir/models" OMP_NUM_THREADS=1
script="$source_dir/examples/slurm/upscale_array.sbatch"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts munged, slurmctld and slurmd; prints why and returns 1 when it cannot.
start_slurm() {
  [[ -z ${UPRES_TEST_WITHOUT_SLURM:-} ]] || { echo "UPRES_TEST_WITHOUT_SLURM is set"; return 1; }
  [[ $(id -u) -eq 0 ]] || { echo "not root: slurmd must run as root"; return 1; }
  for tool in munged mungekey slurmctld slurmd sbatch scancel squeue sinfo; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (Debian packages slurm-wlm, munge)"; return 1; }
  done
  mkdir -p "$work/slurm/state" "$work/slurm/spool" "$work/munge"
  chmod 700 "$work/munge"
  mungekey --create --keyfile="$work/munge/munge.key" 2>"$work/munge/keygen.log" \
    || { echo "mungekey failed: $(cat "$work/munge/keygen.log")"; return 1; }
  munged --foreground --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.sock" \
    --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" \
    >/dev/null 2>&1 &
  daemon_pids+=($!)
  for _ in $(seq 50); do [[ -S $work/munge/munge.sock ]] && break; sleep 0.1; done
  [[ -S $work/munge/munge.sock ]] || { echo "munged did not start: $(tail -3 "$work/munge/munged.log" 2>/dev/null)"; return 1; }
  cat >"$work/slurm/slurm.conf" <<CONF
ClusterName=upres-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/slurmctld.log
SlurmdLogFile=$work/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$work/slurm/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" >/dev/null 2>&1 &
  daemon_pids+=($!)
  slurmd -D -N localhost -f "$SLURM_CONF" >/dev/null 2>&1 &
  daemon_pids+=($!)
  for _ in $(seq 100); do
    [[ $(sinfo -h -N -o %t 2>/dev/null) == idle ]] && return 0
    sleep 0.2
  done
  echo "the node did not come up: $(tail -2 "$work/slurm/slurmctld.log" 2>/dev/null) $(tail -2 "$work/slurm/slurmd.log" 2>/dev/null)"
  return 1
}

# Task 3's progress: how many lines its manifest has.
manifest_lines() { cat "$work/out/manifests/task-3.jsonl" 2>/dev/null | wc -l; }

# Waits until task 3 has finished an item or two, then cancels it. Prints what it cancelled.
run_with_slurm() {
  local job
  job=$(cd "$work" && sbatch --parsable --array=0-3 --cpus-per-task=1 --mem=0 --output="$work/task-%a.log" \
        "$script" "$work/in" "$work/out") || fail "sbatch failed"
  job=${job%%;*}
  for _ in $(seq 300); do (( $(manifest_lines) >= 1 )) && break; sleep 0.1; done
  (( $(manifest_lines) >= 1 )) || fail "task 3 never finished an item: $(cat "$work"/task-3.log 2>/dev/null)"
  scancel "${job}_3" || fail "scancel failed"
  echo "cancelled task ${job}_3 after $(manifest_lines) items"
  wait_for_job "$job"
  snapshot_first_submission
  job=$(cd "$work" && sbatch --parsable --array=0-3 --cpus-per-task=1 --mem=0 --output="$work/resume-%a.log" \
        "$script" "$work/in" "$work/out") || fail "second sbatch failed"
  wait_for_job "${job%%;*}"
}

wait_for_job() {
  for _ in $(seq 600); do
    [[ -z $(squeue -h -j "$1" 2>/dev/null) ]] && return 0
    sleep 0.1
  done
  fail "job $1 still queued after 60 s: $(squeue -j "$1")"
}

# What the first submission recorded, to tell the resubmission's lines apart.
snapshot_first_submission() { cat "$work"/out/manifests/*.jsonl >"$work/first.jsonl"; }

# The same with plain processes given the variables Slurm would set.
# exec all the way down (the script execs upres): a background task's pid is upres's own.
run_task() {
  exec env SLURM_ARRAY_TASK_ID="$1" SLURM_ARRAY_TASK_COUNT=4 SLURM_CPUS_PER_TASK=1 \
    bash "$script" "$work/in" "$work/out" >"$work/task-$1.log" 2>&1
}
run_locally() {
  run_task 0 & local first=$!
  run_task 3 & local victim=$!
  for _ in $(seq 300); do (( $(manifest_lines) >= 1 )) && break; sleep 0.1; done
  kill -TERM "$victim" 2>/dev/null
  echo "cancelled task 3 (SIGTERM, as scancel sends) after $(manifest_lines) items"
  wait "$first"; wait "$victim"
  run_task 1 & first=$!; run_task 2 & wait "$first" $!
  snapshot_first_submission
  run_task 0 & first=$!; run_task 1 & wait "$first" $!
  run_task 2 & first=$!; run_task 3 & wait "$first" $!
}

cd "$work"
start=$SECONDS
# Not in $(...): the daemons' pids and SLURM_CONF must reach this shell (and the cleanup).
if start_slurm >"$work/why.txt"; then
  echo "Slurm is up ($(sinfo --version))"
  run_with_slurm
else
  echo "Slurm cannot start here: $(cat "$work/why.txt")"
  echo "running the same scenario with 4 local processes given SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT"
  run_locally
fi

# Checks.
cat "$work"/out/manifests/*.jsonl >"$work/all.jsonl"
python3 - "$work/first.jsonl" "$work/all.jsonl" "$work/out" <<'PY' || fail "the manifests do not show exactly-once results"
import collections, json, os, sys
first = [json.loads(line) for line in open(sys.argv[1])]
records = [json.loads(line) for line in open(sys.argv[2])]
second = [r for r in records if r not in first]
ok = collections.Counter(r["input"] for r in records if r["status"] == "ok")
failed = {r["input"] for r in records if r["status"] == "failed"}
good = {f"{'sub/' if i % 3 == 0 else ''}pic{i:02d}.png" for i in range(36)}
broken = {f"{'sub/' if i % 2 else ''}broken{i}.png" for i in range(4)}
done_first = {r["input"] for r in first if r["status"] == "ok"}
skipped_second = {r["input"] for r in second if r["status"] == "skipped"}
problems = []
if set(ok) != good: problems.append(f"written: {sorted(set(ok) ^ good)} differ from the good pictures")
problems += [f"{name} written {n} times" for name, n in ok.items() if n != 1]
if failed != broken: problems.append(f"failed: {sorted(failed)}, expected {sorted(broken)}")
if done_first == good: problems.append("the cancelled task had finished everything: nothing was left to resume")
if skipped_second != done_first: problems.append(f"resubmission skipped {len(skipped_second)} items, not the {len(done_first)} done before")
outputs = [f for f in os.listdir(sys.argv[3]) if f.endswith(".png")]
if len(outputs) != 36: problems.append(f"{len(outputs)} result files, expected 36: {sorted(outputs)}")
print(f"first submission: {len(done_first)} of 36 written; resubmission: {len(skipped_second)} skipped, "
      f"{sum(r['status'] == 'ok' for r in second)} written, {sum(r['status'] == 'failed' for r in second)} failed again")
for p in problems: print("problem:", p)
sys.exit(1 if problems else 0)
PY
"$upres" manifest merge "$work"/out/manifests/*.jsonl -o "$work/merged.jsonl" || fail "manifest merge failed"
[[ $(wc -l <"$work/merged.jsonl") -eq 40 ]] || fail "merged manifest has $(wc -l <"$work/merged.jsonl") lines, not 40"
"$upres" manifest verify "$work/merged.jsonl" --inputs "$work/in" -r --shards 4 || fail "manifest verify found problems"
summary=$("$upres" manifest summary "$work/merged.jsonl" --inputs "$work/in" -r --shards 4)
echo "$summary"
grep -Eq '^total +[0-9]+ +[0-9]+ +4 +0$' <<<"$summary" || fail "summary does not show 4 failed and 0 missing"
ls -A "$work/out" | grep -q '^\.' && fail "temporary files left in the output folder: $(ls -A "$work/out")"
echo "PASS in $((SECONDS - start)) s"
