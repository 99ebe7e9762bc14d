// Types of boot.mjs (plain JavaScript, kept dependency-free) for the TypeScript tests that import it.
export declare const DEFAULT_MAX_BOOTS: number;
export declare function statePath(installDir: string): string;
export declare function readState(installDir: string): Record<string, unknown> | null;
export declare function writeState(installDir: string, state: Record<string, unknown>): void;
export declare function switchLink(installDir: string, link: 'current' | 'previous', target: string): void;
export declare function rollBack(installDir: string, state: Record<string, unknown>, code: string, message: string): Record<string, unknown>;
export declare function decide(installDir: string, now?: number): { state: Record<string, unknown> | null; watchUntil: number | null };
export declare function resolveEntry(installDir: string): { dir: string; file: string; version: string } | null;
export declare function boot(installDir: string): Promise<void>;
