/**
 * `crucible serve`: a small local web server over the store folder. The front
 * page lists runs newest first (name, time, verdict, ops, seed) with links to
 * each report and its raw files; `/runs/<test>/<timestamp>/...` serves files
 * from the store, and nothing outside it: every path segment is checked, and
 * the resolved real path (symlinks followed) must stay inside the store.
 * Binds 127.0.0.1 by default: run folders hold logs and data of the system
 * under test, which are nobody else's business.
 */

import { createReadStream, type Dirent } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, extname, join, sep } from "node:path";
import type { Validity } from "../checker/types.js";
import { describeError } from "../errors/index.js";
import type { Results, TestInfo } from "../history/results.js";
import { escapeHtml } from "./escape.js";
import { reportContentSecurityPolicy } from "./html.js";

export interface RunSummary {
  /** The test's name (its folder under the store). */
  test: string;
  /** The run's folder name (a timestamp). */
  run: string;
  /** URL path of the run folder on the server, ending in `/`. */
  href: string;
  startedAt: string | undefined;
  /** For sorting: `startedAt` when known, else the folder's modification time. */
  sortTimeMs: number;
  verdict: Validity | undefined;
  complete: boolean | undefined;
  ops: number | undefined;
  seed: number | undefined;
  hasReport: boolean;
}

export interface ListRunsOptions {
  /** Newest runs to list, at most. Default 500. */
  runsMax?: number;
}

const RUNS_MAX_DEFAULT = 500;
/** results.json above this size is not parsed for the list (a huge counterexample); the run shows without a verdict. */
const RESULTS_BYTES_MAX = 20 * 1024 * 1024;

const isRunFile = (name: string): boolean =>
  name === "test.json" || name === "results.json" || name === "history.jsonl";

async function readJsonQuietly<T>(path: string): Promise<T | undefined> {
  try {
    const info = await stat(path);
    if (info.size > RESULTS_BYTES_MAX) return undefined;
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

async function directories(path: string): Promise<Dirent[]> {
  try {
    // Symlinks (store/<test>/latest) are skipped: they point at a run listed under its own name.
    return (await readdir(path, { withFileTypes: true })).filter((entry) => entry.isDirectory());
  } catch {
    return [];
  }
}

/** The runs in a store folder, newest first. A missing store is an empty list. */
export async function listRuns(storeDir: string, options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const runsMax = options.runsMax ?? RUNS_MAX_DEFAULT;
  const candidates: { test: string; run: string; dir: string; mtimeMs: number }[] = [];
  for (const testEntry of await directories(storeDir)) {
    for (const runEntry of await directories(join(storeDir, testEntry.name))) {
      const dir = join(storeDir, testEntry.name, runEntry.name);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      if (!names.some(isRunFile)) continue;
      const info = await stat(dir);
      candidates.push({ test: testEntry.name, run: runEntry.name, dir, mtimeMs: info.mtimeMs });
    }
  }
  candidates.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const runs: RunSummary[] = [];
  for (const candidate of candidates.slice(0, runsMax)) {
    const test = await readJsonQuietly<TestInfo>(join(candidate.dir, "test.json"));
    const results = await readJsonQuietly<Results>(join(candidate.dir, "results.json"));
    const startedMs = test?.startedAt ? Date.parse(test.startedAt) : Number.NaN;
    const hasReport = await stat(join(candidate.dir, "report.html")).then(
      () => true,
      () => false,
    );
    runs.push({
      test: test?.name ?? candidate.test,
      run: candidate.run,
      href: `/runs/${encodeURIComponent(candidate.test)}/${encodeURIComponent(candidate.run)}/`,
      startedAt: test?.startedAt,
      sortTimeMs: Number.isFinite(startedMs) ? startedMs : candidate.mtimeMs,
      verdict: results?.valid,
      complete: results?.complete,
      ops: results?.stats?.ops,
      seed: test?.seed,
      hasReport,
    });
  }
  return runs.sort((a, b) => b.sortTimeMs - a.sortTimeMs);
}

/** The one HTML file in a run folder that is served as a page. */
const REPORT_FILE = "report.html";
const SERVER_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".jsonl": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".edn": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "text/plain; charset=utf-8", // never as image/svg+xml: an SVG can carry script
};

const PAGE_STYLE = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#0f172a;background:#f8fafc;margin:0}
main{max-width:1200px;margin:0 auto;padding:20px 24px}h1{font-size:22px;margin:0 0 4px}.muted{color:#64748b}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e2e8f0;border-radius:10px;overflow:hidden;margin-top:14px}
th,td{text-align:left;padding:8px 10px;border-top:1px solid #e2e8f0}th{color:#64748b;font-size:12px;border-top:none;background:#f8fafc}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}a{color:#1d4ed8}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:11.5px;font-weight:700;color:#fff;background:#94a3b8}
.valid{background:#2f9e5f}.invalid{background:#d9434b}.unknown{background:#e39a1c}tr:hover td{background:#f8fafc}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>
<body><main>${body}</main></body></html>
`;
}

function verdictBadge(verdict: Validity | undefined, complete: boolean | undefined): string {
  if (verdict === undefined) return '<span class="badge">no results</span>';
  const [cls, word] =
    verdict === true
      ? ["valid", "valid"]
      : verdict === false
        ? ["invalid", "INVALID"]
        : ["unknown", "unknown"];
  return `<span class="badge ${cls}">${word}</span>${complete === false ? ' <span class="muted">(incomplete)</span>' : ""}`;
}

/** The front page: every run, newest first. */
export function renderRunList(storeDir: string, runs: readonly RunSummary[]): string {
  const rows = runs.map((run) => {
    const when = run.startedAt ?? new Date(run.sortTimeMs).toISOString();
    const report = run.hasReport
      ? `<a class="report" href="${escapeHtml(run.href)}report.html">report</a>`
      : '<span class="muted">no report</span>';
    return `<tr class="run"><td class="mono">${escapeHtml(when)}</td><td>${escapeHtml(run.test)}<div class="muted mono">${escapeHtml(run.run)}</div></td><td>${verdictBadge(run.verdict, run.complete)}</td><td class="mono">${run.ops === undefined ? "–" : escapeHtml(String(run.ops))}</td><td class="mono">${run.seed === undefined ? "–" : escapeHtml(String(run.seed))}</td><td>${report} · <a class="files" href="${escapeHtml(run.href)}">files</a></td></tr>`;
  });
  const body = `<h1>Crucible runs</h1><div class="muted">store <span class="mono">${escapeHtml(storeDir)}</span> · ${runs.length} run${runs.length === 1 ? "" : "s"}, newest first</div>
<table><thead><tr><th>started</th><th>test</th><th>verdict</th><th>ops</th><th>seed</th><th>open</th></tr></thead>
<tbody>${rows.join("\n") || '<tr><td colspan="6" class="muted">No runs yet: <span class="mono">crucible run</span> stores them here.</td></tr>'}</tbody></table>`;
  return page("Crucible runs", body);
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    // The server's own pages run no script at all.
    ...(type.startsWith("text/html") && { "content-security-policy": SERVER_PAGE_POLICY }),
  });
  response.end(body);
}

function notFound(response: ServerResponse): void {
  send(response, 404, "text/plain; charset=utf-8", "not found\n");
}

/**
 * Map a URL path under `/runs/` to a file system path inside the store, or
 * undefined when any segment is unsafe (`..`, `.`, empty in the middle,
 * containing a slash, backslash or NUL once decoded, or not decodable).
 */
export function storePathFor(storeDir: string, urlPath: string): string | undefined {
  if (!urlPath.startsWith("/runs/")) return undefined;
  const raw = urlPath.slice("/runs/".length).split("/");
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop(); // trailing slash: a folder
  const segments: string[] = [];
  for (const part of raw) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (segment === "" || segment === "." || segment === ".." || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  if (segments.length === 0 || segments.length > 8) return undefined;
  return join(storeDir, ...segments);
}

async function serveStorePath(
  storeReal: string,
  urlPath: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const candidate = storePathFor(storeReal, urlPath);
  if (!candidate) return notFound(response);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return notFound(response);
  }
  if (!real.startsWith(storeReal + sep)) return notFound(response);
  const info = await stat(real);
  if (info.isDirectory()) {
    if (!urlPath.endsWith("/")) {
      response.writeHead(301, { location: `${urlPath}/` });
      response.end();
      return;
    }
    const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name, "en", { numeric: true }),
    );
    const items = entries.slice(0, 2000).map((entry) => {
      const name = entry.isDirectory() ? `${entry.name}/` : entry.name;
      return `<li><a href="${escapeHtml(encodeURIComponent(entry.name))}${entry.isDirectory() ? "/" : ""}">${escapeHtml(name)}</a></li>`;
    });
    const title = decodeURIComponent(urlPath.slice("/runs/".length));
    return send(
      response,
      200,
      "text/html; charset=utf-8",
      page(
        title,
        `<p><a href="/">← all runs</a></p><h1 class="mono">${escapeHtml(title)}</h1><ul>${items.join("")}</ul>`,
      ),
    );
  }
  if (!info.isFile()) return notFound(response);
  const extension = extname(real).toLowerCase();
  // Only Crucible's reports are pages, and they get their policy as a header: any
  // other HTML in the store (a planted page, a user's notes) is shown as text.
  const isReport = basename(real) === REPORT_FILE;
  const contentType =
    extension === ".html" && !isReport
      ? "text/plain; charset=utf-8"
      : (CONTENT_TYPES[extension] ?? "text/plain; charset=utf-8");
  response.writeHead(200, {
    "content-type": contentType,
    "content-length": info.size,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    ...(isReport && { "content-security-policy": reportContentSecurityPolicy() }),
  });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  const stream = createReadStream(real);
  stream.on("error", () => response.destroy());
  stream.pipe(response);
}

export interface ReportServerOptions {
  /** The store folder to browse. */
  storeDir: string;
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to bind. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Newest runs on the front page, at most. Default 500. */
  runsMax?: number;
}

export interface ReportServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Stop listening and drop open connections; resolves when closed. */
  close(): Promise<void>;
}

/** Hosts a browser may name when it talks to us: the loopback names, or exactly the host we bound. */
function allowedHost(header: string | undefined, boundHost: string, port: number): boolean {
  if (!header) return false;
  const allowed = new Set([
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    `${boundHost}:${port}`,
  ]);
  return allowed.has(header.toLowerCase());
}

/** Start the store browser. Resolves once it listens. */
export async function startReportServer(options: ReportServerOptions): Promise<ReportServer> {
  const host = options.host ?? "127.0.0.1";
  const storeReal = await realpath(options.storeDir).catch(() => options.storeDir);
  const actualPort = (): number => {
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  };
  const server = createServer((request, response) => {
    const handle = async (): Promise<void> => {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return send(response, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
      }
      // DNS rebinding: a web page whose name now points at 127.0.0.1 must not read the store.
      if (!allowedHost(request.headers.host, host, actualPort())) {
        return send(response, 403, "text/plain; charset=utf-8", "unexpected Host header\n");
      }
      const urlPath = new URL(request.url ?? "/", "http://localhost").pathname;
      if (urlPath === "/" || urlPath === "/index.html") {
        const runs = await listRuns(storeReal, { runsMax: options.runsMax ?? RUNS_MAX_DEFAULT });
        return send(response, 200, "text/html; charset=utf-8", renderRunList(options.storeDir, runs));
      }
      if (urlPath === "/favicon.ico") {
        // Browsers ask for it on every page; "no content" keeps their consoles free of 404 noise.
        response.writeHead(204);
        response.end();
        return;
      }
      return serveStorePath(storeReal, urlPath, request, response);
    };
    handle().catch((error: unknown) => {
      if (!response.headersSent)
        send(response, 500, "text/plain; charset=utf-8", `error: ${describeError(error)}\n`);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://${shownHost}:${port}/`, port, close, [Symbol.asyncDispose]: close };
}
