/**
 * `crucible report <run-dir>`: regenerate a stored run's report.html and
 * junit.xml from its test.json, results.json and history.jsonl (after an
 * upgrade, or for a run whose runner died before writing them). Exits 0 when
 * the files were written, whatever the run's verdict; 64 on a bad folder.
 */
import type { Command } from "commander";
import { writeRunReport } from "../report/run-report.js";

export function registerReportCommand(program: Command): Command {
  return program
    .command("report")
    .description("regenerate report.html and junit.xml of a stored run")
    .argument("<run-dir>", "the run's folder: store/<test>/<timestamp>/")
    .action(async (runDir: string) => {
      const { reportPath, junitPath, warnings } = await writeRunReport(runDir);
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(`report: ${reportPath}\njunit: ${junitPath}\n`);
    });
}
