/**
 * The permissions a sweep's child processes run under: a cell gets the `train` task's flags from deno.json (what
 * `deno task train` itself is granted), widened only to the sweep's own folder and the variables the executors set;
 * the report gets the `report` task's flags and the sweep folder. Nothing a sweep starts runs with `-A`.
 * @module
 */

/** Variables a cell reads besides the train task's: SLURM's job ids and the sweep's test hook. */
const CELL_ENV = [
  "SLURM_ARRAY_JOB_ID",
  "SLURM_ARRAY_TASK_ID",
  "SLURM_JOB_ID",
  "SLURM_RESTART_COUNT",
  "HYPERDECODERS_SWEEP_HOLD",
];

/** The `--allow-*` flags of a deno.json task, `$HOME` expanded as `deno task` does. */
export function taskPermissionFlags(denoJson: string, task: string, home = Deno.env.get("HOME") ?? ""): string[] {
  const entry = JSON.parse(denoJson).tasks?.[task];
  const command: unknown = typeof entry === "string" ? entry : entry?.command;
  if (typeof command !== "string") throw new Error(`deno.json: no task "${task}"`);
  const flags = command.split(/\s+/).filter((t) => t.startsWith("--allow-"));
  if (flags.length === 0 || command.includes(" -A ")) {
    throw new Error(`deno.json: task "${task}" declares no --allow-* flags`);
  }
  return flags.map((f) => f.replaceAll("$HOME", home));
}

/** Adds `values` to the list of flag `--allow-<name>=…` (or adds the flag); a flag granting all stays as it is. */
export function widen(flags: string[], name: string, values: string[]): string[] {
  const prefix = `--allow-${name}`;
  const i = flags.findIndex((f) => f === prefix || f.startsWith(`${prefix}=`));
  if (i < 0) return [...flags, `${prefix}=${values.join(",")}`];
  if (flags[i] === prefix) return flags;
  const out = [...flags];
  out[i] = `${flags[i]},${values.join(",")}`;
  return out;
}

/**
 * The flags of a sweep cell in `sweepDir` (absolute): the train task's, plus that folder (and reading `projectDir`,
 * the folder of deno.json, when given), the executors' variables and the host name.
 */
export function cellPermissionFlags(denoJson: string, sweepDir: string, projectDir?: string): string[] {
  let flags = taskPermissionFlags(denoJson, "train");
  // "." of the train task is the project folder; a sweep may run from elsewhere, so name it too
  flags = widen(flags, "read", projectDir ? [sweepDir, projectDir] : [sweepDir]);
  flags = widen(flags, "write", [sweepDir]);
  flags = widen(flags, "sys", ["hostname"]); // each attempt records the host it ran on
  return widen(flags, "env", CELL_ENV);
}

/**
 * The flags of the report a sweep writes into `sweepDir` (absolute): the report task's, plus that folder (and reading
 * `projectDir`, where the paper's numbers are, when given).
 */
export function reportPermissionFlags(denoJson: string, sweepDir: string, projectDir?: string): string[] {
  const flags = taskPermissionFlags(denoJson, "report");
  return widen(widen(flags, "read", projectDir ? [sweepDir, projectDir] : [sweepDir]), "write", [sweepDir]);
}
