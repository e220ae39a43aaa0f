/**
 * WebGPU device acquisition: the adapter's own limits and optional features, and clear errors when there is none.
 * @module
 */

/** Options for {@link acquireDevice}. */
export interface DeviceOptions {
  /** Adapter power preference. */
  powerPreference?: GPUPowerPreference;
  /** Ask for `shader-f16` when the adapter has it (default true). */
  f16?: boolean;
}

/** A device together with what it was granted. */
export interface AcquiredDevice {
  /** The adapter the device came from. */
  adapter: GPUAdapter;
  /** The device. */
  device: GPUDevice;
  /** Adapter description: vendor, description, architecture. */
  info: { vendor: string; description: string; architecture: string; device: string; fallback: boolean };
  /** Features granted to the device. */
  features: string[];
  /** The limits the engine relies on, as granted. */
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxStorageBuffersPerShaderStage: number;
    maxComputeWorkgroupsPerDimension: number;
    minUniformBufferOffsetAlignment: number;
  };
}

const LIMIT_NAMES = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
] as const;

const OPTIONAL_FEATURES = ["shader-f16", "timestamp-query"] as const;

/** The message given when no WebGPU adapter can be found, with what to do about it. */
export const NO_ADAPTER_HELP: string = [
  "No WebGPU adapter found.",
  "  - On a machine with a GPU: install its Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver.",
  "  - On a CPU-only Linux machine: `apt-get install -y mesa-vulkan-drivers` (Mesa lavapipe), then",
  "    run with DENO_WEBGPU_BACKEND=vulkan.",
  "  - In a browser: use one with WebGPU enabled (Chrome/Edge 113+, or --enable-unsafe-webgpu).",
].join("\n");

/** The part of `Deno` that {@link quietHeadlessVulkan} uses (core also runs in browsers, where it is absent). */
interface DenoEnvironment {
  build: { os: string };
  permissions: { querySync(d: { name: "env"; variable: string }): { state: string } };
  env: { get(name: string): string | undefined; set(name: string, value: string): void };
}

const DISPLAY_VARIABLES = ["XDG_RUNTIME_DIR", "WAYLAND_DISPLAY", "MESA_VK_DEVICE_SELECT", "NODEVICE_SELECT"];

/**
 * Mesa's device-select Vulkan layer (implicit on Linux) asks the Wayland compositor for the default GPU, and without a
 * desktop login libwayland prints "XDG_RUNTIME_DIR is invalid or not set in the environment." for each probe. With
 * none of these variables set there is no compositor to ask and no device chosen by the user, so the layer is switched
 * off for this process by its documented off switch, `NODEVICE_SELECT=1` (read when the Vulkan instance is created).
 * Does nothing outside Deno on Linux or without env permission for the four variables.
 */
function quietHeadlessVulkan(): void {
  const deno = (globalThis as { Deno?: DenoEnvironment }).Deno;
  if (!deno || deno.build.os !== "linux") return;
  const granted = (variable: string) => deno.permissions.querySync({ name: "env", variable }).state === "granted";
  if (!DISPLAY_VARIABLES.every(granted)) return;
  if (DISPLAY_VARIABLES.some((name) => deno.env.get(name) !== undefined)) return;
  deno.env.set("NODEVICE_SELECT", "1");
}

/**
 * Requests an adapter and a device with the adapter's own limits (the defaults cap bindings at 128 MiB and
 * 8 storage buffers per stage) and `shader-f16` / `timestamp-query` when present.
 */
export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error(`navigator.gpu is not available in this runtime.\n${NO_ADAPTER_HELP}`);
  quietHeadlessVulkan();
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? "high-performance" });
  if (!adapter) throw new Error(NO_ADAPTER_HELP);
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number>;
  for (const name of LIMIT_NAMES) {
    const value = adapterLimits[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) =>
    adapter.features.has(f) && (f !== "shader-f16" || options.f16 !== false)
  ) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const limits = device.limits;
  return {
    adapter,
    device,
    info: {
      vendor: info.vendor,
      description: info.description,
      architecture: info.architecture,
      device: info.device,
      fallback: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    },
    features: [...device.features],
    limits: {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      minUniformBufferOffsetAlignment: limits.minUniformBufferOffsetAlignment,
    },
  };
}
