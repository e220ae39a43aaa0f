#!/usr/bin/env bash
# Every GPU check in one run, for a GPU machine prepared as in ../shared/device/README.md:
#   bash scripts/gpu_check.sh          (re-runs itself through .device/gpu.sh when deno is not on PATH)
# Runs the test suite, then the benchmark (JSON to $OUT/bench.json), and prints a short table last: the adapter,
# GFLOP/s of every matmul variant at 4096³ and at the adapter shapes, and the tfjs ratio.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v deno >/dev/null 2>&1 && [ -f .device/gpu.sh ] && [ -z "${GPU_CHECK_INNER:-}" ]; then
  GPU_CHECK_INNER=1 exec bash .device/gpu.sh bash scripts/gpu_check.sh "$@"
fi
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"

echo "== deno task test"
start=$(date +%s)
timeout "${TEST_TIMEOUT:-240}" deno task test >"$OUT/test.log" 2>&1
test_rc=$?
test_s=$(($(date +%s) - start))
grep -E "FAILED|^error" "$OUT/test.log" | head -20
summary=$(grep -E "(ok|FAILED) \| [0-9]+ passed" "$OUT/test.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')
echo "tests: rc $test_rc in ${test_s}s: ${summary:-no summary (see $OUT/test.log)}"

echo "== deno task bench --out $OUT/bench.json"
rm -f "$OUT/bench.json"
start=$(date +%s)
timeout "${BENCH_TIMEOUT:-300}" deno task bench --out "$OUT/bench.json" ${BENCH_ARGS:-} >"$OUT/bench.stdout" 2>"$OUT/bench.stderr"
bench_rc=$?
bench_s=$(($(date +%s) - start))
grep -v XDG_RUNTIME_DIR "$OUT/bench.stderr" | tail -60
echo "bench: rc $bench_rc in ${bench_s}s"

echo "== summary"
if [ -f "$OUT/bench.json" ]; then
  deno eval '
const r = JSON.parse(Deno.readTextFileSync(Deno.args[0]));
const a = r.adapter;
console.log(`adapter: ${a.description} (vendor ${a.vendor}, backend ${a.backend}, fallback ${a.fallback}); ` +
  `features: ${a.features.join(" ")}`);
const names = [...new Set(r.matmul.flatMap((m) => Object.keys(m.variants)))];
const cell = (v) => (v?.gflops === undefined ? "err" : v.gflops >= 100 ? String(Math.round(v.gflops)) : v.gflops.toPrecision(3));
const row = (cells) => cells[0].padEnd(20) + cells.slice(1).map((s) => String(s).padStart(11)).join("");
console.log(row(["GFLOP/s", ...names, "auto picks"]));
for (const m of r.matmul) {
  if (!(m.name === "4096^3" || m.name.startsWith("adapter") || m.name === "1024^3")) continue;
  const pick = `${m.auto.variant}${m.auto.splits > 1 ? "/" + m.auto.splits : ""}`;
  console.log(row([m.name, ...names.map((n) => cell(m.variants[n])), pick]));
}
if (r.tfjs.error) console.log(`tfjs: ${r.tfjs.error}`);
for (const t of r.tfjs.matmul ?? []) {
  console.log(`tfjs ${t.name}: ${t.error ?? `${cell(t)} GFLOP/s; ours/tfjs auto ${t.ratio_ours_auto_over_tfjs}, best ${t.ratio_ours_best_over_tfjs}`}`);
}
console.log(`dispatch: ${r.dispatch.us_per_dispatch_in_one_pass} µs in one pass, ${r.dispatch.us_per_submit} µs per submit; ` +
  `readback ${r.readback.median_ms} ms`);
' "$OUT/bench.json"
else
  echo "no bench.json (bench rc $bench_rc); stdout tail:"; tail -5 "$OUT/bench.stdout"
fi
echo "tests: ${summary:-no summary} (rc $test_rc)"
[ "$test_rc" = 0 ] && [ "$bench_rc" = 0 ]
