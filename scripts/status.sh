#!/usr/bin/env bash
# `make status`: while `make run` runs, each supervised process's state, and what the gateway's
# GET /health says of each part it needs. Exit status 0 only when every process is running.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

[ -S .run/supervisor.sock ] || die "Hamyar is not running here (start it with make run)"
state=0
"$VENVS/app/bin/supervisorctl" -c .run/supervisord.conf status || state=$?

port="${GATEWAY_PORT:-8080}"
echo
echo "gateway :$port /health"
"$APP_PY" - "$port" <<'PY' || state=1
import json, sys, urllib.error, urllib.request

url = f"http://127.0.0.1:{sys.argv[1]}/health"
try:
    with urllib.request.urlopen(url, timeout=5) as response:
        report = json.load(response)
except urllib.error.HTTPError as error:  # 503: the gateway is up but cannot serve
    report = json.load(error)
except OSError as error:
    sys.exit(f"  not answering ({error})")
print(f"  status: {report['status']}")
for name, state in report.get("parts", {}).items():
    print(f"  {name:<18} {state}")
sys.exit(0 if report["status"] == "ok" else 1)
PY
exit "$state"
