#!/usr/bin/env bash
# The clean reproduction run of the plate model's training schedule, carried across machines.
# See bench/reproduce/README.md. Usage:
#   bench/reproduce/carry.sh resume [WORK]   go on from the carried checkpoint (in the background)
#   bench/reproduce/carry.sh save [WORK]     carry the run's newest checkpoint back here
#   bench/reproduce/carry.sh eval [WORK]     measure the finished run against the shipped model
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${2:-/tmp/lanescreen-reproduce}
commit=$(cat "$here/COMMIT")
run="$work/run"
lanescreen="$repo/.venv/bin/lanescreen"

checkout() {
  # The run's code is the clean clone at COMMIT, never this working tree.
  if [ ! -d "$work/checkout" ]; then
    git clone -q "$repo" "$work/checkout"
    git -C "$work/checkout" checkout -q "$commit"
  fi
}

case "${1:-}" in
  resume)
    checkout
    mkdir -p "$run"
    [ -f "$run/checkpoint.pt" ] || cp "$here/checkpoint.pt" "$run/checkpoint.pt"
    cd "$work/checkout"
    PYTHONPATH="$work/checkout/server" setsid nohup "$lanescreen" train plates --out "$run" \
      --steps 75000 --batch 64 --seed 0 --coarse-steps 8000 --finetune-cn a \
      --data "$repo/../shared/eval/plates" --quiet --resume "$run/checkpoint.pt" \
      >>"$work/train.log" 2>&1 &
    echo "resumed in $run (log: $work/train.log)"
    ;;
  save)
    cp "$run/checkpoint.pt" "$here/checkpoint.pt"
    "$repo/.venv/bin/python" - "$here/checkpoint.pt" "$here/progress.jsonl" <<'PY'
import json, sys
import torch
state = torch.load(sys.argv[1], weights_only=False, map_location="cpu")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for entry in state["history"]:
        out.write(json.dumps(entry) + "\n")
print(f"carried step {state['step']}")
PY
    ;;
  eval)
    checkout
    "$lanescreen" train cn-half b --out "$work/cn_b" >/dev/null
    for set in "$repo/../shared/eval/plates/openalpr_us" "$repo/../shared/eval/plates/openalpr_eu_dev" "$work/cn_b"; do
      for model in shipped run; do
        extra=()
        [ "$model" = run ] && extra=(--plate-model "$run")
        "$lanescreen" eval plates "$set" --reader lanescreen "${extra[@]}" --json
      done
    done
    ;;
  *)
    echo "usage: $0 resume|save|eval [WORK]" >&2
    exit 2
    ;;
esac
