#!/usr/bin/env bash
# Train models/nlu.tar.gz, unless the training data, place names, pipeline and components are
# exactly those the present model was trained on (a content hash, not timestamps).
#
#   scripts/nlu-train.sh [--config FILE] [--name NAME] [--force]
#
# --config and --name train another pipeline into models/NAME.tar.gz (bench/nlu_pipelines.py does,
# to time the candidates exactly as the real model is trained); --force trains whatever the hash says.
set -euo pipefail
cd "$(dirname "$0")/.."
config=nlu/config.yml name=nlu force=
while (( $# )); do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --force) force=1; shift ;;
    *) echo "usage: $0 [--config FILE] [--name NAME] [--force]" >&2; exit 2 ;;
  esac
done
inputs=("$config" nlu/uv.lock data/nlu/*.yml data/places/*.geojson nlu/phuket_nlu/*.py)
digest=$(sha256sum "${inputs[@]}" | sha256sum | cut -d' ' -f1)
if [[ -z "$force" && -f "models/$name.tar.gz" && -f "models/$name.sha256" \
      && "$(cat "models/$name.sha256")" == "$digest" ]]; then
  echo "NLU model is up to date (models/$name.tar.gz)"
  exit 0
fi
mkdir -p models
rm -f "models/$name.sha256"
echo "Training the NLU model (models/$name.tar.gz)..."
start=$(date +%s%N)
# The sentence embeddings of the training data, computed on the second core while Rasa starts on
# the first: the featurizer reads them from its cache_dir and encodes whatever is missing. One
# BLAS thread, so as not to take the core Rasa works on.
embeddings=
cache_dir=$(sed -n 's/^ *cache_dir: *\([^ #]*\).*/\1/p' "$config" | head -1)
if [[ -n "$cache_dir" ]]; then
  OPENBLAS_NUM_THREADS=1 PYTHONPATH=nlu nlu/.venv/bin/python -m phuket_nlu.embeddings \
    --cache "$cache_dir" data/nlu > "models/$name-embeddings.log" 2>&1 &
  embeddings=$!
fi
# RASA_MAX_CACHE_SIZE=0: Rasa's training cache only pays off when a pipeline is retrained in part;
# here every training starts afresh, and writing the cache cost about 10 s.
if ! RASA_TELEMETRY_ENABLED=false RASA_MAX_CACHE_SIZE=0 PYTHONPATH=nlu nlu/.venv/bin/rasa train nlu \
    --config "$config" --nlu data/nlu --out models --fixed-model-name "$name" > "models/$name-train.log" 2>&1; then
  [[ -n "$embeddings" ]] && kill "$embeddings" 2>/dev/null
  tail -40 "models/$name-train.log"
  echo "NLU training failed (models/$name-train.log)"
  exit 1
fi
if [[ -n "$embeddings" ]] && ! wait "$embeddings"; then
  echo "note: precomputing sentence embeddings failed (models/$name-embeddings.log); training encoded them"
fi
echo "$digest" > "models/$name.sha256"
tenths=$(( ($(date +%s%N) - start) / 100000000 ))
echo "$(( tenths / 10 )).$(( tenths % 10 ))" > "models/$name-train-seconds.txt"
echo "NLU model trained in $(( (tenths + 5) / 10 )) s"
