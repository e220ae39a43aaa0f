/// <reference lib="dom" />
/**
 * The browser example page's script: reads the picked files, loads them with `app.ts` and shows the generated answer.
 * Bundled into `dist/main.js` by `build.ts`. The page's state is mirrored in `document.body.dataset.state`
 * ("idle", "working", "done", "error") so that a test can wait for it.
 * @module
 */
import { initEngine } from "@hyperdecoders/core";
import {
  generateAnswer,
  hubModelFiles,
  type LoadedModel,
  loadModel,
  type NamedBlob,
  pickCheckpointFiles,
} from "./app.ts";

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

const checkpointInput = $<HTMLInputElement>("checkpoint");
const adapterInput = $<HTMLInputElement>("adapter");
const tokenizerInput = $<HTMLInputElement>("tokenizer");
const hubInput = $<HTMLInputElement>("hub");
const textInput = $<HTMLTextAreaElement>("text");
const maxInput = $<HTMLInputElement>("max-new-tokens");
const taskSelect = $<HTMLSelectElement>("task");
const taskRow = $<HTMLElement>("task-row");
const button = $<HTMLButtonElement>("generate");
const status = $<HTMLElement>("status");
const device = $<HTMLElement>("device");

function setState(state: "idle" | "working" | "done" | "error", message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  status.className = state;
}

function named(files: FileList | null): NamedBlob[] {
  return [...(files ?? [])].map((f) => ({ name: f.name, blob: f }));
}

function show(id: string, value: string): void {
  $(id).textContent = value;
}

/** The loaded model and the files it came from, reused while the picked files stay the same. */
let loaded: { key: string; model: LoadedModel } | null = null;

function filesKey(files: NamedBlob[]): string {
  return files.map((f) => `${f.name}:${f.blob.size}:${(f.blob as File).lastModified ?? 0}`).join("|");
}

async function load(): Promise<LoadedModel> {
  const hub = hubInput.value.trim();
  const adapter = named(adapterInput.files);
  if (hub && loaded?.key === `${hub}|${filesKey(adapter)}`) return loaded.model;
  const fromHub = hub ? await hubModelFiles(hub) : null;
  const checkpoint = fromHub ? fromHub.checkpoint : named(checkpointInput.files);
  const tokenizer = fromHub ? [fromHub.tokenizer] : named(tokenizerInput.files);
  if (tokenizer.length !== 1) throw new Error("pick the tokenizer: spiece.model or tokenizer.json");
  const key = hub ? `${hub}|${filesKey(adapter)}` : filesKey([...checkpoint, ...adapter, ...tokenizer]);
  if (loaded?.key === key) return loaded.model;
  if (loaded) {
    loaded.model.adapted?.dispose();
    loaded.model.base.dispose();
    loaded = null;
  }
  const model = await loadModel({
    ...pickCheckpointFiles(checkpoint),
    adapter: adapter[0] ?? null,
    tokenizer: tokenizer[0],
  });
  loaded = { key, model };
  taskSelect.replaceChildren(...model.tasks.map((t) => new Option(t, t)));
  taskRow.hidden = model.tasks.length === 0;
  return model;
}

async function run(): Promise<void> {
  button.disabled = true;
  setState("working", "loading…");
  try {
    const engine = await initEngine();
    const info = engine.gpu.info;
    device.textContent =
      `WebGPU adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(" ")}` +
      (engine.gpu.features.includes("shader-f16") ? " (shader-f16)" : "");
    const model = await load();
    show("model-summary", model.summary);
    setState("working", "generating…");
    const started = performance.now();
    const answer = await generateAnswer(model, textInput.value, {
      maxNewTokens: Number(maxInput.value) || 20,
      task: taskRow.hidden ? undefined : taskSelect.value,
    });
    show("input-ids", JSON.stringify(answer.inputIds));
    show("output-ids", JSON.stringify(answer.outputIds));
    show("answer", answer.text || "(empty: the model produced only special tokens)");
    const eos = answer.outputIds.indexOf(model.tokenizer.eosId, 1);
    const generated = eos < 0 ? answer.outputIds.length - 1 : eos;
    setState("done", `generated ${generated} tokens in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    console.error(error);
    setState("error", error instanceof Error ? error.message : String(error));
  } finally {
    button.disabled = false;
  }
}

button.addEventListener("click", () => void run());
setState("idle", "pick the files, then Generate");
