#!/usr/bin/env bash
# examples/kubernetes/upscale-indexed-job.yaml goes through `kubectl apply --dry-run=client` (the
# manifest parses, maps to batch/v1 Job, and kubectl builds the object it would send), then its
# sharding contract is checked: an Indexed Job whose completions equal upres's --shards, each pod
# writing its own manifest, threads from the CPU limit. kubectl needs an API server even for a
# client-side dry run (discovery, and the GET that apply does first); a stub serving discovery for
# batch/v1 stands in. Schema validation (--validate) needs a real server's OpenAPI document: with
# UPRES_TEST_KUBECONFIG pointing at a cluster, the dry run uses it and validates strictly.
# Skips (exit 77) when kubectl is not installed (Debian: kubernetes-client).
# Usage: kubernetes_example_test.sh SOURCE_DIR
set -uo pipefail
job=$(realpath "$1")/examples/kubernetes/upscale-indexed-job.yaml
command -v kubectl >/dev/null || { echo "SKIP: kubectl is not installed (Debian package kubernetes-client)"; exit 77; }
work=$(mktemp -d /tmp/upres_kubectl_test.XXXXXX)
stub_pid=
cleanup() { [[ -n $stub_pid ]] && kill "$stub_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

if [[ -n ${UPRES_TEST_KUBECONFIG:-} ]]; then
  kubectl --kubeconfig "$UPRES_TEST_KUBECONFIG" apply --dry-run=client --validate=strict -o json -f "$job" \
    >"$work/job.json" || fail "kubectl apply --dry-run=client rejected $job"
else
  python3 - "$work/port" >"$work/stub.log" 2>&1 <<'PY' &
import http.server, json, sys
def resources(group_version, items):
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": items}
answers = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{"name": "batch",
              "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
              "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}}]},
    "/api/v1": resources("v1", [{"name": "namespaces", "singularName": "", "namespaced": False, "kind": "Namespace",
                                  "verbs": ["get", "list"]}]),
    "/apis/batch/v1": resources("batch/v1", [{"name": "jobs", "singularName": "", "namespaced": True, "kind": "Job",
                                               "verbs": ["create", "get", "list", "patch", "update"]}]),
}
class Stub(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        body, code = answers.get(path), 200
        if body is None:
            code = 404
            body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                    "message": path + " not found"}
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
server = http.server.HTTPServer(("127.0.0.1", 0), Stub)
open(sys.argv[1], "w").write(str(server.server_port))
server.serve_forever()
PY
  stub_pid=$!
  for _ in $(seq 50); do [[ -s $work/port ]] && break; sleep 0.1; done
  [[ -s $work/port ]] || fail "the API stub did not start: $(cat "$work/stub.log")"
  cat >"$work/kubeconfig" <<CONF
apiVersion: v1
kind: Config
clusters: [{name: stub, cluster: {server: "http://127.0.0.1:$(cat "$work/port")"}}]
contexts: [{name: stub, context: {cluster: stub, namespace: default}}]
current-context: stub
CONF
  kubectl --kubeconfig "$work/kubeconfig" apply --dry-run=client --validate=false -o json -f "$job" \
    >"$work/job.json" 2>"$work/kubectl.err" || fail "kubectl apply --dry-run=client rejected $job: $(cat "$work/kubectl.err")"
fi
python3 - "$work/job.json" <<'PY' || fail "$job does not run upres as an indexed array"
import json, re, sys
job = json.load(open(sys.argv[1]))
spec = job["spec"]
pod = spec["template"]["spec"]
container = pod["containers"][0]
script = " ".join(container.get("command", []) + container.get("args", []))
problems = []
if job["kind"] != "Job" or job["apiVersion"] != "batch/v1": problems.append("not a batch/v1 Job")
if spec.get("completionMode") != "Indexed": problems.append("completionMode is not Indexed")
shards = re.search(r"--shards (\d+)", script)
if not shards or int(shards.group(1)) != spec.get("completions"): problems.append("--shards differs from completions")
if "--shard auto" not in script: problems.append("no --shard auto")
if "JOB_COMPLETION_INDEX" not in script: problems.append("the manifest is not per pod")
if "--skip-existing" not in script: problems.append("a retried pod would not resume")
if pod.get("restartPolicy") != "Never": problems.append("restartPolicy should be Never for an Indexed Job")
threads = [e for e in container.get("env", []) if e["name"] == "OMP_NUM_THREADS"]
if not threads or threads[0].get("valueFrom", {}).get("resourceFieldRef", {}).get("resource") != "limits.cpu":
    problems.append("OMP_NUM_THREADS does not come from the CPU limit")
mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
if not {"/data", "/models"} <= mounts: problems.append("the data and models volumes are not mounted")
for p in problems: print("problem:", p)
sys.exit(1 if problems else 0)
PY
echo "PASS: kubectl accepted $job; it runs $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["spec"]["completions"])' "$work/job.json") shards"
