/**
 * What the report page's script finds in the browser besides the DOM: uPlot's
 * global (its IIFE build is inlined before the script) and the handle the
 * browser test reads once the page is drawn.
 */
declare const uPlot: typeof import("uplot").default;

interface Window {
  __crucibleReport?: {
    readyMs: number;
    bars: number;
    locate: unknown;
    phases: Record<string, number>;
  };
}
