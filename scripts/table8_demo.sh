#!/usr/bin/env bash
# The encoder × decoder grid of the paper's Table 8 at the demo's scale: the 16 cells {none, manual, task, generated}²
# trained on the built-in demo mixture with the demo base (configs/demo.json), one seed each, then reported with
# `deno task report --table 8`. This is the demo's scale (a tiny pre-trained T5, a toy mixture, a hundred steps),
# not the paper's.
#
#   scripts/table8_demo.sh [out-dir (runs/table8_demo)]      STEPS=100 (default) sets the steps of every cell,
#                                                            SEED=42 (default) the training seed
#
# Every cell: configs/demo.json with the cell's method preset, STEPS steps, no mid-training evaluation, and one
# evaluation of the final model on the test split (200 examples per task). The cells most telling for the paper's
# ordering run first. A cell whose results.json exists is skipped, so a stopped grid resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/table8_demo}"
STEPS="${STEPS:-100}"
SEED="${SEED:-42}"
# <encoder>-<decoder>: the paper's best cell (manual-generated) and the task-conditioned encoders first.
CELLS=(manual-generated task-generated generated-generated none-generated manual-manual task-task manual-task
  task-manual manual-none task-none generated-manual generated-task generated-none none-manual none-task none-none)
mkdir -p "$OUT"
if [ ! -f "$OUT/data/manifest.json" ]; then
  deno eval "import { writeDemoMixture } from './data/mod.ts';
    await writeDemoMixture({ out: '$OUT/data', tokenizer: 'configs/demo/spiece.model' });"
fi
for cell in "${CELLS[@]}"; do
  enc="${cell%-*}" dec="${cell#*-}"
  run="$OUT/$cell"
  [ -f "$run/results.json" ] && continue
  start=$(date +%s)
  deno run -A scripts/train.ts --config configs/demo.json --method.preset "$enc/$dec" \
    --data.shards "[\"$OUT/data\"]" --train.steps "$STEPS" --train.seed "$SEED" --eval.every 0 --eval.split test --out "$run" \
    >"$run.log" 2>&1 || { echo "cell $enc/$dec failed: see $run.log" >&2; continue; }
  # The cell's place in the paper's table (rows: encoder modes, columns: decoder modes), for `deno task report`; the
  # command line cannot set the config's "paper" field, so it goes into the run's config.json afterwards.
  deno eval "const p = '$run/config.json'; const c = JSON.parse(await Deno.readTextFile(p));
    c.paper = { table: '8', row: '$enc', column: '$dec' };
    await Deno.writeTextFile(p, JSON.stringify(c, null, 2) + '\n');"
  echo "$enc/$dec: $(($(date +%s) - start)) s"
done
