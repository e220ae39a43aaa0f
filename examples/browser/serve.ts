/**
 * Builds the example page and serves its folder on 127.0.0.1 (a secure context, as WebGPU needs):
 * `deno run -A examples/browser/serve.ts [--port 8000]`, then open the printed address in Chrome or Edge.
 * @module
 */
import { parseCommandOrExit } from "../../scripts/command_line.ts";
import { buildExample, EXAMPLE_DIR } from "./build.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".png": "image/png",
};

/** A running static file server. */
export interface StaticServer {
  /** Base address, ending with "/". */
  url: string;
  /** Stops the server. */
  shutdown(): Promise<void>;
}

/**
 * Serves folders on 127.0.0.1 (`port` 0 picks a free one): `mounts` maps a URL prefix ("/", "/dist/") to a folder;
 * the longest matching prefix wins.
 */
export function serveStatic(mounts: Record<string, string>, port = 0): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port,
      onListen({ port }) {
        resolve({ url: `http://127.0.0.1:${port}/`, shutdown: () => server.shutdown() });
      },
    }, async (req) => {
      let path = decodeURIComponent(new URL(req.url).pathname);
      if (path.endsWith("/")) path += "index.html";
      if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
      const prefix = prefixes.find((p) => path.startsWith(p));
      if (!prefix) return new Response("not found", { status: 404 });
      try {
        const body = await Deno.readFile(`${mounts[prefix]}/${path.slice(prefix.length)}`);
        const ext = path.slice(path.lastIndexOf("."));
        return new Response(body, {
          headers: { "content-type": TYPES[ext] ?? "application/octet-stream", "cache-control": "no-store" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
  });
}

if (import.meta.main) {
  const { values } = parseCommandOrExit("browser", "usage: deno task browser [--port 8000]", Deno.args, {
    string: ["port"],
    default: { port: "8000" },
  });
  const dist = await buildExample("runs/browser");
  const server = await serveStatic({ "/": EXAMPLE_DIR, "/dist/": dist }, Number(values.port));
  console.log(`serving the example on ${server.url} (Ctrl-C stops)`);
}
