// Types of build-cli.mjs, for the TypeScript that imports it (tests, benches).
/** Where the command line is built: dist/cli at the repository root. */
export declare const cliBuildDir: string;
/** dist/cli/build.json: { builtAt, inputs } of the last build. */
export declare const cliManifest: string;
/** Worker name (as the engine resolves it) -> its source file. */
export declare const workerEntries: Record<string, string>;
/** Builds dist/cli; resolves to the milliseconds it took. */
export declare function buildCli(): Promise<number>;
