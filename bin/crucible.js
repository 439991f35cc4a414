#!/usr/bin/env node
// The CLI lives in dist/ (built by `npm ci` through the prepare script, or `npm run build`).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
