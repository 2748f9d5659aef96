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
# The sentence embeddings of the training data, computed on the second core while Rasa starts on
# the first (the featurizer reads them from models/embeddings and encodes whatever is missing).
OPENBLAS_NUM_THREADS=1 PYTHONPATH=nlu nlu/.venv/bin/python -m phuket_nlu.embeddings \
  --cache models/embeddings data/nlu \
  > models/embeddings.log 2>&1 &
embeddings=$!
# RASA_MAX_CACHE_SIZE=0: Rasa's training cache only pays off when a pipeline is retrained in part;
# here every training starts afresh, and writing the cache cost about 10 s.
RASA_TELEMETRY_ENABLED=false RASA_MAX_CACHE_SIZE=0 PYTHONPATH=nlu nlu/.venv/bin/rasa train nlu \
  --config nlu/config.yml --nlu data/nlu --out models --fixed-model-name nlu \
  > models/train.log 2>&1 || { kill "$embeddings" 2>/dev/null; tail -40 models/train.log; echo "NLU training failed (models/train.log)"; exit 1; }
wait "$embeddings" || echo "note: precomputing sentence embeddings failed (models/embeddings.log); training encoded them itself"
echo "$digest" > models/nlu.sha256
seconds=$(( $(date +%s) - start ))
echo "$seconds" > models/train-seconds.txt
echo "NLU model trained in ${seconds} s"
