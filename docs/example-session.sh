#!/usr/bin/env bash
# The session of docs/example-session.md, run for real: a FHIR R4 server on loopback (the
# tests' Medplum server, bearer token required), the fixture chart loaded into it, a client key
# made with `moldx-cds keys new`, `moldx-cds serve` trusting it, and `moldx-cds call` before
# and with --apply. Prints each command (as `$ command`) and its output.
#
#   bash docs/example-session.sh            # after the set-up of README.md and
#                                           # `npm ci --prefix tests/fhir_server`
#
# FHIR_PORT and CDS_PORT (default 8103 and 8080) choose the ports. Everything it starts is
# stopped at the end; the keys and the service's store live in a temporary folder. What it
# needs (moldx-cds, curl, Node and the FHIR server's npm packages, both ports free) is checked
# first: exit status 2 and one line saying what to do when something is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"

FHIR_PORT=${FHIR_PORT:-8103}
CDS_PORT=${CDS_PORT:-8080}
missing() { echo "example-session.sh: $1" >&2; exit 2; }
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
command -v moldx-cds >/dev/null ||
  missing "moldx-cds is not installed: python3 -m venv .venv && .venv/bin/pip install . (README.md, Set up)"
command -v curl >/dev/null || missing "curl is not installed: install it (apt-get install curl)"
command -v node >/dev/null || missing "Node.js is not installed: install Node.js 20 or later, then npm ci --prefix tests/fhir_server"
[ -d tests/fhir_server/node_modules/@medplum/fhir-router ] ||
  missing "the FHIR server's npm packages are not installed: npm ci --prefix tests/fhir_server"
for name in FHIR_PORT CDS_PORT; do
  ! in_use "${!name}" ||
    missing "port ${!name} is in use (a moldx-cds serve still running?): stop it, or run with $name=<a free port>"
done
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FHIR=http://127.0.0.1:$FHIR_PORT/fhir/R4
SERVICE=http://127.0.0.1:$CDS_PORT/cds-services/moldx-order-sign
ISSUER=https://lis.example.org/cds-client
KEYS=$WORK/client-keys
export MOLDX_CDS_FHIR_TOKEN=secret-fhir-token  # the FHIR server's bearer token

show() { printf '$ %s\n' "$1"; eval "$1"; echo; }
wait_for() {  # URL: until something answers there (any status)
  for _ in $(seq 300); do curl -s -m 2 -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "nothing answers at $1" >&2; return 1
}

# The FHIR server: the tests' loopback server, which requires the token on every request.
PORT=$FHIR_PORT FHIR_TOKEN=$MOLDX_CDS_FHIR_TOKEN \
  node --experimental-websocket tests/fhir_server/server.mjs >"$WORK/fhir.log" 2>&1 &
PIDS+=($!)
wait_for "$FHIR/Patient"

printf '# FHIR=%s SERVICE=%s ISSUER=%s\n# MOLDX_CDS_FHIR_TOKEN is the FHIR server'"'"'s bearer token\n\n' \
  "$FHIR" "$SERVICE" "$ISSUER"

show 'curl -s -X POST "$FHIR" -H "Authorization: Bearer $MOLDX_CDS_FHIR_TOKEN" -H "Content-Type: application/fhir+json" -d @fixtures/fhir/lis-orders.json | python3 -c "import json, sys; print([e[\"response\"][\"status\"] for e in json.load(sys.stdin)[\"entry\"]])"'

show 'moldx-cds keys new --issuer "$ISSUER" --fhir-server "$FHIR" --out "$KEYS"'

printf '$ %s\n' 'MOLDX_CDS_TRUSTED_ISSUERS="$KEYS/trusted-issuers.json" moldx-cds serve --port "$CDS_PORT" &'
MOLDX_CDS_TRUSTED_ISSUERS="$KEYS/trusted-issuers.json" \
  XDG_DATA_HOME="$WORK/data" \
  moldx-cds serve --port "$CDS_PORT" --workers 1 >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$CDS_PORT/cds-services"
grep '^moldx-cds' "$WORK/serve.log"
echo

CALL='moldx-cds call --service "$SERVICE" --fhir-server "$FHIR" --patient lis-pat-1 --order ServiceRequest/lis-sr-1 --order ServiceRequest/lis-sr-2 --key "$KEYS/private-key-es384.pem" --issuer "$ISSUER"'
show "$CALL --show-request"
show "$CALL --apply"
show 'curl -s "$FHIR/ServiceRequest/lis-sr-1" -H "Authorization: Bearer $MOLDX_CDS_FHIR_TOKEN" | python3 -m json.tool'
show "$CALL --apply"

# An order that names only CPT 81479, which several tests bill under: the card offers each
# test; the user picks one and the client applies it after the system action.
ONE='moldx-cds call --service "$SERVICE" --fhir-server "$FHIR" --patient lis-pat-1 --order ServiceRequest/lis-sr-3 --key "$KEYS/private-key-es384.pem" --issuer "$ISSUER"'
HOOK=6f1c0a52-8d3e-4b7a-9c21-0d5e7f9a3b10
show "$ONE --hook-instance $HOOK"
UUID=$(eval "$ONE --hook-instance $HOOK --json" | python3 -c '
import json, sys
cards = json.load(sys.stdin)["response"]["cards"]
print(next(s["uuid"] for c in cards for s in c.get("suggestions", []) if "CMD-KNB3" in s["label"]))')
printf '# the suggestion for CMD-KNB3 above: UUID=%s\n\n' "$UUID"
show "$ONE --hook-instance $HOOK --accept \$UUID --apply"
show 'curl -s "$FHIR/ServiceRequest/lis-sr-3" -H "Authorization: Bearer $MOLDX_CDS_FHIR_TOKEN" | python3 -c "import json, sys; print(json.dumps(json.load(sys.stdin)[\"code\"], indent=2))"'
