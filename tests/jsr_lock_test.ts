/**
 * deno.lock must carry the JSR registry's own integrity values, so that a user who installs from JSR verifies the real
 * packages while offline runs use the file mirror (whose values Deno does not check over file://).
 */
import { assertEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";

const root = fromFileUrl(new URL("..", import.meta.url));
const mirror = `${root}../shared/jsr/registry-integrity.json`;

Deno.test({
  name: "deno.lock's jsr section holds the registry's integrity values",
  ignore: !(await Deno.stat(mirror).then(() => true, () => false)),
  fn: async () => {
    const lock = JSON.parse(await Deno.readTextFile(`${root}deno.lock`));
    const registry: Record<string, string> = JSON.parse(await Deno.readTextFile(mirror));
    const locked = Object.fromEntries(
      Object.entries(lock.jsr as Record<string, { integrity: string }>).map(([name, entry]) => [name, entry.integrity]),
    );
    assertEquals(locked, registry);
  },
});
