/**
 * What the cluster directives of one file share: the target (started on the
 * first directive that needs it, or by `cluster`), the client sessions, and
 * which links are being held. `close()` stops all of it; it is safe to call
 * whatever state a failed directive left behind.
 */
import type { LocalNode } from "../../cluster/fixture.js";
import type { Directive } from "../directive.js";
import { Sessions } from "./sessions.js";
import { type DataDrivenTarget, plannedNodeNames, startTarget, type TargetOptions } from "./target.js";

export class ClusterHarness {
  private options: TargetOptions;
  private started: Promise<DataDrivenTarget> | undefined;
  private current: DataDrivenTarget | undefined;
  private sessionsOf: Sessions | undefined;
  private closed = false;
  /** Labels of the link proxies currently holding, for `deliver` without `link=`. */
  readonly holding = new Set<string>();

  constructor(options: TargetOptions) {
    this.options = { ...options };
  }

  /** The target's kind, known before it starts. */
  get kind(): TargetOptions["kind"] {
    return this.options.kind;
  }

  /** The node names, known before the target starts (so a typo is reported without starting a cluster). */
  get nodeNames(): string[] {
    return plannedNodeNames(this.options);
  }

  /** True once the target started (or is starting). */
  get isStarted(): boolean {
    return this.started !== undefined;
  }

  /** The target once it has started (undefined before, or while it starts); still set after `close()`. */
  get running(): DataDrivenTarget | undefined {
    return this.current;
  }

  /** Change how the target will start (`cluster` directive); only before it started. */
  configure(d: Directive, changes: Partial<TargetOptions>): void {
    if (this.started !== undefined)
      throw d.error("the cluster already started: `cluster` must come before every directive that uses it");
    this.options = { ...this.options, ...changes };
  }

  /** The running target, started on first use. */
  async target(): Promise<DataDrivenTarget> {
    if (this.closed) throw new Error("the cluster harness is closed");
    if (this.started === undefined) {
      this.started = startTarget(this.options);
      this.started.then(
        (target) => {
          this.current = target;
        },
        () => {},
      );
    }
    const target = await this.started;
    this.current = target;
    return target;
  }

  /** The client sessions, over the running target. */
  async sessions(): Promise<Sessions> {
    const target = await this.target();
    this.sessionsOf ??= new Sessions(target);
    return this.sessionsOf;
  }

  /**
   * The nodes named by `node=` (one or several: `node=(n1, n2)`); the
   * default when absent (undefined: every node). Unknown names are a usage
   * error at the directive's line.
   */
  async nodes(d: Directive, fallback?: "first" | "all" | "required"): Promise<LocalNode[]> {
    const known = this.nodeNames;
    let names: string[];
    if (!d.hasArg("node")) {
      if (fallback === "required") throw d.error(`missing argument: node (one of ${known.join(", ")})`);
      names = fallback === "first" ? known.slice(0, 1) : known;
    } else {
      names = d.stringsArg("node");
      if (names.length === 0) throw d.error("node: expected a node name");
      for (const name of names)
        if (!known.includes(name))
          throw d.error(`node=${name}: no such node; the nodes are ${known.join(", ")}`);
    }
    const target = await this.target();
    return names.map((name) => target.node(name)!);
  }

  /** Stop the sessions, then the target (if it started). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.sessionsOf?.close();
    } finally {
      const target = this.current ?? (await this.started?.catch(() => undefined));
      await target?.close();
    }
  }
}
