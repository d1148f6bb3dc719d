/** ROOT is the checkout appnet runs from. */
export declare const ROOT: string;
/** CLI_BUILD is where scripts/build-cli.mjs writes the compiled command line. */
export declare const CLI_BUILD: string;
/** cliBuildStale says why the compiled command line must be rebuilt, or null when it is current. */
export declare function cliBuildStale(): string | null;
