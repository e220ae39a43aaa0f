/**
 * Hugging Face Hub references for the path-based loaders: `hf:<org>/<name>[@<revision>]` (models, tokenizers) and
 * `hf://datasets/<org>/<name>[@<revision>]/<path-or-glob>` (dataset files), fetched into the cache shared with
 * Python's `huggingface_hub` (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE).
 * @module
 */
export { type HubSettings, hubSettings } from "./settings.ts";
export { formatHubRef, type HubRef, isCommitSha, isHubRef, parseHubRef, type RepoType } from "./ref.ts";
export { HubError, type HubErrorKind } from "./errors.ts";
export {
  fetchSnapshot,
  type FetchSnapshotOptions,
  hubLocalPath,
  type HubSnapshot,
  missingFile,
  type RemoteFile,
  type ResolvedHubRef,
  resolveHubPath,
  type SnapshotNeed,
} from "./snapshot.ts";
export { expandHubInputs, type HubDatasetFile, type HubDatasetFiles, hubDatasetFiles } from "./dataset.ts";
export { cachedCommit, repoFolder, snapshotFolder } from "./cache.ts";
// Referenced by the API above; re-exported so that its documentation is complete (`deno doc --lint`).
export type { InputFormat, PrepareInput } from "../mod.ts";
