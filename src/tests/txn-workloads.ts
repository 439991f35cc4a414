/**
 * The built-in transaction workloads that `crucible run --target postgres
 * --workload W --isolation I` runs (one server, kill and pause faults by
 * default, like the register test), and `--target etcd --workload
 * rw-register` (a 3-member etcd, one etcd transaction per op):
 *
 * - `list-append`: transactions of 1–5 appends and reads over a moving
 *   window of 10 keys (`listAppendTxns`), on `postgresListAppendClient`;
 * - `rw-register`: the same with writes and reads (`rwRegisterTxns`), on
 *   `postgresRwRegisterClient`;
 * - `bank`: transfers between 5 accounts of 10 each and reads of every
 *   balance, half and half, on `postgresBankClient` with the read-then-write
 *   transfer, checked by `bank` (total 50, no negative balance). At
 *   `read-committed` that transfer loses updates and the checker says so; at
 *   `serializable` it is correct.
 *
 * `--isolation` is `serializable` (default), `repeatable-read` or
 * `read-committed`. The transactional workloads' histories have Elle's op
 * shape (`f: "txn"`, `[["append", k, v], ["r", k, [..]]]`) and are checked
 * by `listAppend` / `rwRegister` against the model PostgreSQL documents for
 * the level ({@link PROMISED_MODEL}): serializable, snapshot isolation for
 * repeatable read (PostgreSQL's repeatable read is snapshot isolation, which
 * permits write skew), read committed. Every anomaly found is reported; only
 * those the level forbids make the run invalid.
 */
import { bank } from "../checker/bank.js";
import { unhandledExceptions } from "../checker/exceptions.js";
import { stats } from "../checker/stats.js";
import { listAppend, rwRegister } from "../checker/txn/index.js";
import type { Checker } from "../checker/types.js";
import { etcdRwRegisterClient } from "../client/etcd-txn.js";
import {
  type PostgresTxnClient,
  type PostgresTxnIsolation,
  postgresBankClient,
  postgresListAppendClient,
  postgresRwRegisterClient,
} from "../client/postgres-txn.js";
import type { Client } from "../client/types.js";
import { etcd } from "../cluster/recipes/etcd.js";
import { postgres } from "../cluster/recipes/postgres.js";
import { UsageError } from "../errors/index.js";
import { limit, repeat, stagger, untilOk } from "../generator/index.js";
import { listAppendTxns, rwRegisterTxns } from "../generator/txn.js";
import type { GenContext, GeneratorLike } from "../generator/types.js";
import type { Invocation } from "../history/op.js";
import { nemesisForRun } from "../runner/nemesis-for-run.js";
import { defineTest, type RunOptions } from "../runner/spec.js";
import { POSTGRES_ISOLATIONS, type PostgresIsolationFlag } from "./workloads.js";

/** Bank accounts and each one's opening balance. */
const BANK_ACCOUNTS = 5;
const BANK_INITIAL_BALANCE = 10;
/** A transfer moves 1..this much. */
const BANK_AMOUNT_MAX = 5;

/** Tries of the final read before the final phase gives up (spaced, as the register test does). */
const FINAL_READ_ATTEMPTS_MAX = 20;
const FINAL_READ_SPACING_MS = 250;

const ISOLATION_SQL: Readonly<Record<PostgresIsolationFlag, PostgresTxnIsolation>> = {
  serializable: "serializable",
  "repeatable-read": "repeatable read",
  "read-committed": "read committed",
};

/** A bank op: a read of every balance, or a transfer of 1..5 between two different accounts. */
export function bankOp(ctx: GenContext): Invocation {
  if (ctx.random.float() < 0.5) return { f: "read", value: null };
  const from = ctx.random.int(0, BANK_ACCOUNTS - 1);
  const to = (from + ctx.random.int(1, BANK_ACCOUNTS - 1)) % BANK_ACCOUNTS;
  return { f: "transfer", value: { from, to, amount: ctx.random.int(1, BANK_AMOUNT_MAX) } };
}

function isolationOf(options: RunOptions): PostgresIsolationFlag {
  const isolation = options.extra.isolation ?? "serializable";
  if (!(POSTGRES_ISOLATIONS as readonly string[]).includes(isolation))
    throw new UsageError(`--isolation must be one of ${POSTGRES_ISOLATIONS.join(", ")}, not ${isolation}`);
  return isolation as PostgresIsolationFlag;
}

interface WorkloadParts {
  client: Client;
  generator: GeneratorLike;
  finalGenerator: GeneratorLike;
  checkers: Checker[];
  describe: Record<string, unknown>;
}

/** The consistency model PostgreSQL's documentation promises at each isolation level (Elle's names). */
export const PROMISED_MODEL: Readonly<Record<PostgresIsolationFlag, string>> = {
  serializable: "serializable",
  "repeatable-read": "snapshot-isolation",
  "read-committed": "read-committed",
};

function workloadParts(workload: string, isolation: PostgresTxnIsolation, promised: string): WorkloadParts {
  const finalRead = (op: Invocation): GeneratorLike =>
    untilOk(limit(FINAL_READ_ATTEMPTS_MAX, stagger(FINAL_READ_SPACING_MS, repeat(op))));
  switch (workload) {
    case "list-append":
    case "rw-register": {
      const append = workload === "list-append";
      const client = append
        ? postgresListAppendClient({ isolation })
        : postgresRwRegisterClient({ isolation });
      const txns = append ? listAppendTxns() : rwRegisterTxns();
      return {
        client,
        generator: stagger(10, txns),
        // A last read of the keys still in the window (as of the last invoked txn), so the live keys' end state is seen.
        finalGenerator: untilOk(
          limit(
            FINAL_READ_ATTEMPTS_MAX,
            stagger(
              FINAL_READ_SPACING_MS,
              repeat((): Invocation => ({ f: "txn", value: txns.activeKeys().map((k) => ["r", k, null]) })),
            ),
          ),
        ),
        checkers: [
          stats(),
          unhandledExceptions(),
          append
            ? listAppend({ consistencyModels: [promised] })
            : rwRegister({ consistencyModels: [promised] }),
        ],
        describe: { keys: "10 at a time, moving", txnLength: "1-5", consistencyModel: promised },
      };
    }
    case "bank": {
      const client = postgresBankClient({
        isolation,
        accounts: BANK_ACCOUNTS,
        initialBalance: BANK_INITIAL_BALANCE,
      });
      return {
        client,
        generator: stagger(10, bankOp),
        finalGenerator: finalRead({ f: "read", value: null }),
        checkers: [
          stats(),
          unhandledExceptions(),
          bank({
            totalAmount: client.totalAmount,
            accounts: Array.from({ length: BANK_ACCOUNTS }, (_, i) => i),
          }),
        ],
        describe: { accounts: BANK_ACCOUNTS, totalAmount: client.totalAmount, transfer: "read-then-write" },
      };
    }
    default:
      throw new UsageError(
        `unknown workload ${JSON.stringify(workload)} for --target postgres (list-append, rw-register, bank, register)`,
      );
  }
}

export default defineTest((options) => {
  const target = options.extra.target ?? "demo";
  const workload = options.extra.workload ?? "list-append";
  const plan = nemesisForRun(options);
  if (target === "etcd" && workload === "rw-register") {
    if (options.extra.isolation !== undefined)
      throw new UsageError("--isolation applies to --target postgres; etcd transactions are serializable");
    const client = etcdRwRegisterClient();
    const txns = rwRegisterTxns();
    const network = options.extra.network === undefined ? "auto" : undefined;
    return {
      name: "etcd-rw-register",
      cluster: (ctx) =>
        plan.startCluster({
          recipe: (hooks) => etcd({ advertisePeerUrl: hooks.advertisePeerUrl }),
          ctx,
          ...(network && { network }),
        }),
      client,
      generator: stagger(10, txns),
      ...(plan.nemesis && { nemesis: plan.nemesis }),
      finalGenerator: untilOk(
        limit(
          FINAL_READ_ATTEMPTS_MAX,
          stagger(
            FINAL_READ_SPACING_MS,
            repeat((): Invocation => ({ f: "txn", value: txns.activeKeys().map((k) => ["r", k, null]) })),
          ),
        ),
      ),
      // etcd transactions are serializable, and linearizable per key.
      checker: [stats(), unhandledExceptions(), rwRegister({ consistencyModels: ["strict-serializable"] })],
      describe: {
        workload,
        target,
        keyPrefix: client.keyPrefix,
        keys: "10 at a time, moving",
        txnLength: "1-5",
      },
    };
  }
  if (target !== "postgres")
    throw new UsageError(
      `--workload ${workload} runs on --target postgres${workload === "rw-register" ? " or etcd" : ""} (got --target ${target})`,
    );
  if (options.nodes !== 1)
    throw new UsageError(`--target postgres runs 1 node (got --nodes ${options.nodes})`);
  const isolation = isolationOf(options);
  const parts = workloadParts(workload, ISOLATION_SQL[isolation], PROMISED_MODEL[isolation]);
  const client = parts.client as PostgresTxnClient;
  return {
    name: `postgres-${workload}-${isolation}`,
    cluster: (ctx) => plan.startCluster({ recipe: () => postgres(), ctx }),
    client,
    generator: parts.generator,
    ...(plan.nemesis && { nemesis: plan.nemesis }),
    finalGenerator: parts.finalGenerator,
    checker: parts.checkers,
    describe: { workload, isolation, target: "postgres", table: client.table, ...parts.describe },
  };
});
