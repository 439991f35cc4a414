/** The systems the built-in register test runs against (`--target`); apart so the CLI can list them without loading clients. */
export const REGISTER_TARGETS = ["demo", "etcd", "redis", "postgres"] as const;
export type RegisterTarget = (typeof REGISTER_TARGETS)[number];
