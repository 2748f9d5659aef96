#!/usr/bin/env bash
# Train models/nlu.tar.gz, unless the training data, place names, pipeline and components are
# exactly those the present model was trained on (a content hash, not timestamps).
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=(nlu/config.yml nlu/uv.lock data/nlu/*.yml data/places/*.geojson nlu/phuket_nlu/*.py)
digest=$(sha256sum "${inputs[@]}" | sha256sum | cut -d' ' -f1)
if [[ -f models/nlu.tar.gz && -f models/nlu.sha256 && "$(cat models/nlu.sha256)" == "$digest" ]]; then
  echo "NLU model is up to date (models/nlu.tar.gz)"
  exit 0
fi
mkdir -p models
echo "Training the NLU model (models/nlu.tar.gz)..."
start=$(date +%s)
RASA_TELEMETRY_ENABLED=false PYTHONPATH=nlu nlu/.venv/bin/rasa train nlu \
  --config nlu/config.yml --nlu data/nlu --out models --fixed-model-name nlu \
  > models/train.log 2>&1 || { tail -40 models/train.log; echo "NLU training failed (models/train.log)"; exit 1; }
echo "$digest" > models/nlu.sha256
seconds=$(( $(date +%s) - start ))
echo "$seconds" > models/train-seconds.txt
echo "NLU model trained in ${seconds} s"
