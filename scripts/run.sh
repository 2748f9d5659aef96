#!/usr/bin/env bash
# Start the NLU service and the bot together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BOT_PORT:=8000}" "${NLU_PORT:=5005}"
# A fresh token per run unless one is configured: the NLU API is only for this bot.
export NLU_TOKEN="${NLU_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}"
export NLU_URL="http://127.0.0.1:${NLU_PORT}"

mkdir -p var
scripts/nlu-serve.sh > var/nlu.log 2>&1 &
nlu_pid=$!
stop() {
  trap - EXIT INT TERM
  kill "$nlu_pid" 2>/dev/null || true
  wait "$nlu_pid" 2>/dev/null || true
  echo "stopped"
}
trap stop EXIT INT TERM

(
  for _ in $(seq 1 240); do
    if curl -fsS "${NLU_URL}/status?token=${NLU_TOKEN}" >/dev/null 2>&1; then
      # One parse builds the model's graph, so the first user is not kept waiting.
      curl -fsS -m 120 -H 'content-type: application/json' -d '{"text": "hello"}' \
        "${NLU_URL}/model/parse?token=${NLU_TOKEN}" >/dev/null 2>&1 || true
      echo "NLU service ready at ${NLU_URL} (log: var/nlu.log)"; exit 0
    fi
    kill -0 "$nlu_pid" 2>/dev/null || { echo "NLU service failed to start; see var/nlu.log" >&2; exit 1; }
    sleep 0.5
  done
) &

echo "Open http://127.0.0.1:${BOT_PORT}"
.venv/bin/safety-bot serve --port "$BOT_PORT"
