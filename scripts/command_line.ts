/**
 * The one way the entry points in scripts/ read their command line: `@std/cli`'s `parseArgs` with the same rules
 * everywhere. `--help`/`-h` is always known; an unknown option, a missing value or a stray positional argument is a
 * {@link UsageError} naming it; `--<section>.<field> value` (or `=value`) config overrides are kept as raw text pairs
 * in the order given, for `applyOverrides` to interpret.
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";

/** What a command accepts: `S` its value options, `B` its flags, `C` its repeatable value options. */
export interface CommandSpec<S extends string = string, B extends string = string, C extends string = string> {
  /** Options that take a value (`--name value` or `--name=value`). */
  string?: readonly S[];
  /** Flags (`--name`, `--no-name` where listed in `negatable`). */
  boolean?: readonly B[];
  /** String options that may be repeated; their values are collected in order. */
  collect?: readonly C[];
  /** Boolean flags that also accept `--no-<name>`. */
  negatable?: readonly string[];
  /** Short or alternative names: `{ n: "steps" }`. */
  alias?: Readonly<Record<string, string>>;
  /** Default values. */
  default?: Readonly<Record<string, string | boolean | string[]>>;
  /** Whether positional arguments are allowed (default: no). */
  positionals?: boolean;
  /** Whether `--<section>.<field> value` config overrides are accepted (default: no). */
  overrides?: boolean;
}

/** A parsed command line. */
export interface ParsedCommand<S extends string = string, B extends string = string, C extends string = string> {
  /** Option values by name: text (absent when not given and without a default), flags, collected lists. */
  values: { [K in S]?: string } & { [K in B]: boolean } & { [K in C]: string[] };
  /** Positional arguments, as given (everything after `--` too). */
  positionals: string[];
  /** `--<section>.<field> value` pairs, in order. */
  overrides: [string, string][];
  /** Whether `--help` or `-h` was given. */
  help: boolean;
}

/** A command line the command cannot accept; the message names the argument. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses `args` by `spec`; throws a {@link UsageError} for anything the command does not accept. */
export function parseCommand<
  const S extends string = never,
  const B extends string = never,
  const C extends string = never,
>(args: readonly string[], spec: CommandSpec<S, B, C>): ParsedCommand<S, B, C> {
  const strings: string[] = [...(spec.string ?? []), ...(spec.collect ?? [])];
  const flags: string[] = ["help", ...(spec.boolean ?? [])];
  const overrides: [string, string][] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const dotted = spec.overrides && /^--[A-Za-z_][\w-]*\.[\w.-]+(=|$)/.test(a);
    if (!dotted) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    if (eq >= 0) overrides.push([a.slice(2, eq), a.slice(eq + 1)]);
    else if (i + 1 < args.length) overrides.push([a.slice(2), args[++i]]);
    else throw new UsageError(`${a} needs a value`);
  }
  const known = new Set<string>(["help", "h", ...strings, ...(spec.boolean ?? [])]);
  for (const [short, long] of Object.entries(spec.alias ?? {})) known.add(short).add(long);
  for (const name of spec.negatable ?? []) known.add(`no-${name}`);
  const positionals: string[] = [];
  const parsed: Record<string, unknown> = parseArgs(rest as string[], {
    string: strings,
    boolean: flags,
    collect: [...(spec.collect ?? [])] as string[],
    negatable: [...(spec.negatable ?? [])],
    alias: { h: "help", ...spec.alias } as Record<string, string>,
    default: { ...spec.default } as Record<string, unknown>,
    "--": true,
    unknown: (arg, key) => {
      if (key === undefined) {
        positionals.push(arg);
        return false;
      }
      if (!known.has(key)) throw new UsageError(`unknown option "${arg.split("=")[0]}"`);
      return true;
    },
  });
  positionals.push(...((parsed["--"] ?? []) as unknown[]).map(String));
  if (!spec.positionals && positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  for (const name of strings) {
    const value = parsed[name];
    const missing = Array.isArray(value) ? value.some((v) => v === "") : value === "";
    if (missing) throw new UsageError(`--${name} needs a value`);
  }
  const values: Record<string, unknown> = {};
  for (const name of spec.boolean ?? []) values[name] = false;
  for (const name of spec.collect ?? []) values[name] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (!["_", "--", "help", "h"].includes(key) && !(key in (spec.alias ?? {}))) values[key] = value;
  }
  return { values: values as ParsedCommand<S, B, C>["values"], positionals, overrides, help: parsed.help === true };
}

/**
 * {@link parseCommand} for a command's own `main`: on `--help` prints `usage` and exits 0; on a {@link UsageError}
 * prints `<name>: <message>` and the usage to stderr and exits 2.
 */
export function parseCommandOrExit<
  const S extends string = never,
  const B extends string = never,
  const C extends string = never,
>(name: string, usage: string, args: readonly string[], spec: CommandSpec<S, B, C>): ParsedCommand<S, B, C> {
  let parsed: ParsedCommand<S, B, C>;
  try {
    parsed = parseCommand(args, spec);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${name}: ${e.message}\n${usage}`);
    Deno.exit(2);
  }
  if (parsed.help) {
    console.log(usage);
    Deno.exit(0);
  }
  return parsed;
}
