#!/usr/bin/env bash
# Every GPU check in one run, for a GPU machine prepared as in ../shared/device/README.md:
#   bash scripts/gpu_check.sh          (re-runs itself through .device/gpu.sh when deno is not on PATH)
# 1. `deno task parity` on each T5 fixture ($HYPERDECODERS_FIXTURES, else ../shared/fixtures): exact forward, gradients,
#    greedy and beam search on this adapter;
# 2. `deno task tune` (kernel autotuning for the benchmark's T5 shapes, cache in $OUT/tune_cache.json unless
#    HYPERDECODERS_TUNE_CACHE is set; the tuned choice per shape class is printed and written to $OUT/tune.json), then
#    `deno task bench` (JSON to $OUT/bench.json; it uses the tuned kernels), then the T5-base step with the rules only
#    (HYPERDECODERS_TUNE=off, $OUT/bench_t5_rules.json): matmul variants, tfjs ratio, and the T5 benchmark (scripts/bench_t5.ts:
#    T5 v1.1 small/base training steps, hyperdecoder and full fine-tuning, MRQA shape, greedy decoding);
# 3. the test suite, with the time left (TOTAL_BUDGET seconds for the whole script, default 560);
# and prints a short table last: adapter, 4096³ GFLOP/s, T5-base step ms and tokens/s against PyTorch's 112 ms, peak
# memory against PyTorch's 5.1 GB, where a T5-base step's GPU time goes (the 12 costliest kernels by timestamp
# queries) beside its CPU encode and submit times, parity, tests. Environment: OUT (default /tmp/gpu_check), BENCH_ARGS (e.g.
# --quick), TUNE_TIMEOUT (default 120), BENCH_TIMEOUT (default 330), RULES_TIMEOUT (default 90), PARITY_TIMEOUT (per model, default 90), TEST_TIMEOUT (default: what is left).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v deno >/dev/null 2>&1 && [ -f .device/gpu.sh ] && [ -z "${GPU_CHECK_INNER:-}" ]; then
  GPU_CHECK_INNER=1 exec bash .device/gpu.sh bash scripts/gpu_check.sh "$@"
fi
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"
script_start=$(date +%s)
budget="${TOTAL_BUDGET:-560}"
fixtures="${HYPERDECODERS_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"

echo "== deno task parity (fixtures: $fixtures)"
: >"$OUT/parity.jsonl"
parity_rc=0
for model in t5-tiny-v1_1 t5-tiny-v1_0 t5-tiny-gated-tied; do
  if [ ! -d "$fixtures/$model" ]; then
    echo "parity $model: no folder $fixtures/$model"
    echo "{\"model\":\"$model\",\"ok\":false,\"error\":\"missing\"}" >>"$OUT/parity.jsonl"
    parity_rc=1
    continue
  fi
  timeout "${PARITY_TIMEOUT:-90}" deno task parity "$fixtures/$model" >"$OUT/parity_$model.stdout" 2>"$OUT/parity_$model.stderr"
  rc=$?
  line=$(tail -1 "$OUT/parity_$model.stdout")
  case "$line" in
  "{"*) echo "$line" >>"$OUT/parity.jsonl" ;;
  *) echo "{\"model\":\"$model\",\"ok\":false,\"error\":\"rc $rc\"}" >>"$OUT/parity.jsonl" ;;
  esac
  [ "$rc" = 0 ] || parity_rc=1
  echo "parity $model: rc $rc $(grep -v XDG_RUNTIME_DIR "$OUT/parity_$model.stderr" | tail -2 | tr '\n' ' ')"
done

# Kernel autotuning first: the bench and the T5 steps below then use the tuned kernels (HYPERDECODERS_TUNE=cached).
# The cache is saved after each shape class, so a timeout still leaves the classes done so far.
export HYPERDECODERS_TUNE_CACHE="${HYPERDECODERS_TUNE_CACHE:-$OUT/tune_cache.json}"
echo "== deno task tune (cache $HYPERDECODERS_TUNE_CACHE, timeout ${TUNE_TIMEOUT:-120}s)"
start=$(date +%s)
timeout "${TUNE_TIMEOUT:-120}" deno task tune >"$OUT/tune_run.json" 2>"$OUT/tune.stderr"
tune_rc=$?
grep -E "classes to tune|: chose " "$OUT/tune.stderr" | tail -60
echo "tune: rc $tune_rc in $(($(date +%s) - start))s; the tuned choice per shape class (time, rules' choice and time):"
timeout 60 deno task tune --list --out "$OUT/tune.json" 2>&1 >/dev/null | grep -v XDG_RUNTIME_DIR | grep "^matmul:" | head -120

echo "== deno task bench --out $OUT/bench.json ${BENCH_ARGS:-}"
rm -f "$OUT/bench.json"
start=$(date +%s)
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
timeout "${BENCH_TIMEOUT:-330}" deno task bench --out "$OUT/bench.json" ${BENCH_ARGS:-} >"$OUT/bench.stdout" 2>"$OUT/bench.stderr"
bench_rc=$?
bench_s=$(($(date +%s) - start))
grep -v XDG_RUNTIME_DIR "$OUT/bench.stderr" | tail -60
echo "bench: rc $bench_rc in ${bench_s}s"

# The T5-base step with the built-in kernel rules, for the tuned-vs-rules ratio in the same run.
echo "== T5-base step with HYPERDECODERS_TUNE=off (timeout ${RULES_TIMEOUT:-90}s)"
HYPERDECODERS_TUNE=off timeout "${RULES_TIMEOUT:-90}" deno run -A scripts/bench_t5.ts --shape base --quick \
  --out "$OUT/bench_t5_rules.json" >/dev/null 2>"$OUT/bench_t5_rules.stderr"
echo "rules-only T5: rc $? $(grep -E "hyperdecoder 32×128×8:" "$OUT/bench_t5_rules.stderr" | head -1)"

left=$((budget - ($(date +%s) - script_start)))
test_timeout="${TEST_TIMEOUT:-$left}"
echo "== deno task test (timeout ${test_timeout}s)"
summary=""
test_rc=124
if [ "$test_timeout" -gt 20 ]; then
  start=$(date +%s)
  timeout "$test_timeout" deno task test >"$OUT/test.log" 2>&1
  test_rc=$?
  test_s=$(($(date +%s) - start))
  grep -E "FAILED|^error" "$OUT/test.log" | grep -v XDG_RUNTIME_DIR | head -20
  summary=$(grep -E "(ok|FAILED) \| [0-9]+ passed" "$OUT/test.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')
  echo "tests: rc $test_rc in ${test_s}s: ${summary:-no summary (see $OUT/test.log)}"
else
  echo "tests: skipped, only ${test_timeout}s left of TOTAL_BUDGET=$budget"
fi

echo "== summary"
deno eval '
const [benchPath, parityPath, tests, testRc, benchRc] = Deno.args;
let r = null;
try { r = JSON.parse(Deno.readTextFileSync(benchPath)); } catch { /* reported below */ }
const fmt = (x, d = 3) => (x === null || x === undefined ? "–" : Number(x).toPrecision(d));
const err = (x) => (x === null || x === undefined ? "–" : Number(x).toExponential(1));
const gb = (b) => (b === null || b === undefined ? "–" : (b / 1e9).toFixed(2) + " GB");
const row = (k, v) => console.log(k.padEnd(34) + v);
if (!r) {
  row("bench", `no bench.json (rc ${benchRc})`);
} else {
  const a = r.adapter;
  row("adapter", `${a.description} (vendor ${a.vendor}, backend ${a.backend}${a.software ? ", SOFTWARE" : ""})`);
  const big = r.matmul.find((m) => m.name === "4096^3") ?? r.matmul.filter((m) => m.M === m.N && m.N === m.K).at(-1);
  if (big) {
    const best = big.best ? big.variants[big.best] : null;
    row(`GEMM ${big.name} fp32`, `auto ${fmt(big.variants.auto?.gflops, 4)} GFLOP/s (${big.auto.variant}), best ` +
      `${big.best} ${fmt(best?.gflops, 4)}; target ≥ 25000`);
  }
  for (const m of r.matmul.filter((m) => m.name.startsWith("adapter"))) {
    row(`  ${m.name}`, `auto ${fmt(m.variants.auto?.gflops, 4)} GFLOP/s, best ${m.best} ${fmt(m.variants[m.best]?.gflops, 4)}`);
  }
  for (const m of r.matmul.filter((m) => m.variants.tuned)) {
    row(`  ${m.name} tuned`, `${m.variants.tuned.choice} ${fmt(m.variants.tuned.gflops, 4)} GFLOP/s`);
  }
  row("tuning", `mode ${r.tune?.mode ?? "–"}, cache ${r.tune?.cache ?? "–"}`);
  if (r.tfjs?.matmul?.length) {
    const t = r.tfjs.matmul.at(-1);
    row(`tfjs ${t.name}`, t.error ?? `${fmt(t.gflops, 4)} GFLOP/s (ours auto / tfjs ${t.ratio_ours_auto_over_tfjs})`);
  }
  const t5 = r.t5;
  if (!t5 || t5.error) row("T5 bench", t5?.error ?? "not run");
  else {
    if (t5.software) row("T5 bench", "software adapter: base/small encode-only, times are not GPU times");
    for (const c of t5.cases) {
      for (const s of c.steps) {
        const shape = `${s.shape.batch}×${s.shape.source}×${s.shape.target}`;
        const key = `T5-${c.name} ${s.method === "hyperdecoder" ? "hyper" : "full-ft"} ${shape}${s.executed ? "" : " cpu"}`;
        if (s.executed) {
          const vs = c.name === "base" && s.method === "hyperdecoder"
            ? ` (PyTorch 112 ms: ×${fmt(s.ms_per_step / 112, 3)}; peak vs 5.1 GB: ×${fmt(s.peak_live_bytes / 5.1e9, 3)})`
            : "";
          row(key, `${fmt(s.ms_per_step, 4)} ms/step, ${fmt(s.source_tokens_per_s, 4)} tok/s, peak ` +
            `${gb(s.peak_live_bytes)}, ${s.dispatches} dispatches, ${s.submits} submits${vs}`);
          const p = s.gpu_profile;
          if (p && c.name === "base") {
            // where the GPU time goes (each dispatch timed in a pass of its own; the sum bounds the step from above)
            row(`  GPU profile`, `${fmt(p.total_ms, 4)} ms in ${p.kernels.length} kernels; CPU encode ` +
              `${fmt(s.js_encode_ms, 3)} ms + submit ${fmt(s.submit_ms, 3)} ms`);
            for (const k of p.kernels.slice(0, 12)) {
              row(`    ${k.kernel}`, `${fmt(k.ms, 3)} ms (${fmt((100 * k.ms) / p.total_ms, 2)} %), ${k.dispatches} dispatches`);
            }
          }
        } else {
          row(key, `CPU ${fmt(s.cpu_ms, 3)} ms (encode ${fmt(s.js_encode_ms, 3)} + finish ${fmt(s.submit_ms, 3)}), ` +
            `${s.dispatches} dispatches, ${s.bind_groups_created} bind groups/step, peak ${gb(s.peak_live_bytes)}`);
        }
      }
      if (c.decode) {
        const d = c.decode;
        row(`T5-${c.name} greedy ${d.source}→${d.new_tokens}`, `${fmt(d.latency_ms, 4)} ms for 1 input ` +
          `(${fmt(d.ms_per_token, 3)} ms/token); batch ${d.batch}: ${fmt(d.batch_tokens_per_s, 4)} tok/s`);
      }
      for (const [k, e] of Object.entries(c.errors)) row(`T5-${c.name} ${k}`, `ERROR ${e}`);
    }
  }
}
const parity = Deno.readTextFileSync(parityPath).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
for (const p of parity) {
  const name = String(p.model).split("/").at(-1);
  row(`parity ${name}`, p.error ? `FAILED (${p.error})` : `${p.ok ? "ok" : "FAILED"}: logits rel ${err(p.logits_rel_err)}, ` +
    `grads rel ${err(p.grads_max_rel_l2_err)}, greedy ${p.greedy_match}, beam ${p.beam_match}`);
}
row("tests", `${tests || "no summary"} (rc ${testRc})`);
' "$OUT/bench.json" "$OUT/parity.jsonl" "$summary" "$test_rc" "$bench_rc"
[ "$test_rc" = 0 ] && [ "$bench_rc" = 0 ] && [ "$parity_rc" = 0 ]
