/**
 * Reports: what a person reads about a run. The console summary and status
 * line (`console.ts`), the self-contained HTML report (`html.ts`, drawn from
 * `model.ts`), JUnit XML for CI (`junit.ts`), fault periods (`periods.ts`),
 * the run-folder writer (`run-report.ts`) and the store browser (`server.ts`).
 */

export type { ProgressLine, SummaryOptions } from "./console.js";
export { formatCount, formatDuration, formatMs, formatProgressLine, formatSummary } from "./console.js";
export { escapeHtml, escapeXml, jsonForScript } from "./escape.js";
export { renderReport } from "./html.js";
export { renderJunit } from "./junit.js";
export type { ReportData, ReportFile, ReportInput } from "./model.js";
export { buildReportData, describeOp } from "./model.js";
export type { FaultPeriod } from "./periods.js";
export { faultPeriods } from "./periods.js";
export type { RunReportPaths } from "./run-report.js";
export { writeRunReport } from "./run-report.js";
export type { ReportServer, ReportServerOptions, RunSummary } from "./server.js";
export { listRuns, renderRunList, startReportServer } from "./server.js";
