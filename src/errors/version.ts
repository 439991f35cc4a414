import { readFileSync } from "node:fs";

let cached: string | undefined;

/** Crucible's version, from package.json (works from src/ under tsx and from dist/). */
export function crucibleVersion(): string {
  if (cached) return cached;
  const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  cached = packageJson.version;
  return cached;
}
