#!/usr/bin/env bash
# The encoder × decoder grid of the paper's Table 8 at the demo's scale: the 16 cells {none, manual, task, generated}²
# trained on the built-in demo mixture with the demo base (configs/demo.json), one seed each, then reported with
# `deno task report --table 8`. This is the demo's scale (a tiny pre-trained T5, a toy mixture, a few hundred steps),
# not the paper's.
#
#   scripts/table8_demo.sh [out-dir (runs/table8_demo)]      STEPS=300 (default) sets the steps of every cell
#
# A cell whose results.json exists is skipped, so a stopped grid resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/table8_demo}"
STEPS="${STEPS:-300}"
MODES=(none manual task generated)
mkdir -p "$OUT"
if [ ! -f "$OUT/data/manifest.json" ]; then
  deno eval "import { writeDemoMixture } from './data/mod.ts';
    await writeDemoMixture({ out: '$OUT/data', tokenizer: 'configs/demo/spiece.model' });"
fi
for enc in "${MODES[@]}"; do
  for dec in "${MODES[@]}"; do
    run="$OUT/$enc-$dec"
    [ -f "$run/results.json" ] && continue
    start=$(date +%s)
    deno run -A train/cli.ts --config configs/demo.json --method.preset "$enc/$dec" \
      --data.shards "[\"$OUT/data\"]" --train.steps "$STEPS" --out "$run" >"$run.log" 2>&1 ||
      { echo "cell $enc/$dec failed: see $run.log" >&2; continue; }
    # The cell's place in the paper's table: rows are encoder modes, columns decoder modes (Table 8).
    deno eval "const p = '$run/config.json'; const c = JSON.parse(await Deno.readTextFile(p));
      c.paper = { table: '8', row: '$enc', column: '$dec' };
      await Deno.writeTextFile(p, JSON.stringify(c, null, 2) + '\n');"
    echo "$enc/$dec: $(($(date +%s) - start)) s"
  done
done
