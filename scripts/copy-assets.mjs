// After tsc: copy the files src/ reads at run time that tsc does not emit
// (the report page's browser script) to the same place under dist/.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ASSETS = ["report/_internals/page/page-script.js"];

for (const asset of ASSETS) {
  const target = join(root, "dist", asset);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "src", asset), target);
}
