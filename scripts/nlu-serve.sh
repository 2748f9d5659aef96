#!/usr/bin/env bash
# Serve the trained NLU model with Rasa's HTTP API on 127.0.0.1:$NLU_PORT (token auth).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NLU_PORT:=5005}"
args=(run --enable-api --model "${NLU_MODEL:-models/nlu.tar.gz}" --interface 127.0.0.1 --port "$NLU_PORT")
[[ -n "${NLU_TOKEN:-}" ]] && args+=(--auth-token "$NLU_TOKEN")
RASA_TELEMETRY_ENABLED=false PYTHONPATH=nlu exec nlu/.venv/bin/rasa "${args[@]}"
