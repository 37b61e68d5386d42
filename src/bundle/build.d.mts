/** The repository root. */
export declare const ROOT: string;
/** Hash of a bundle's inputs (sources under src/ and policies/, the entry, the esbuild version). */
export declare function sourceHash(esbuildVersion: string, entry: string): string;
/** Node options a simulating process starts with (young generation 2 x 64 MiB; see build.mjs). */
export declare const RUN_NODE_OPTIONS: readonly string[];
/** Runs src/cli/<name>.ts under tsx in a child process with `args`; its exit code. */
export declare function runSourceCli(name: string, args: readonly string[]): number;
/** `entry` bundled into `.cache/<name>/<hash>.mjs`, built if absent (see build.mjs). */
export declare function bundle(entry: string, name: string): Promise<{ file: string; built: boolean; ms: number }>;
