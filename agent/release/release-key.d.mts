// Types of release-key.mjs for the TypeScript callers (tests).
import type { ReleaseCheck, ReleaseSignature } from '@loa/shared';

export declare function generateReleaseKey(): { privatePem: string; publicKeyB64: string; kid: string };
export declare function keygen(outDir: string): { privatePem: string; publicKeyB64: string; kid: string; privateFile: string; publicFile: string };
export declare function signPackage(file: string, privatePem: string): Promise<ReleaseSignature>;
export declare function verifyPackage(file: string, pubKeys: readonly string[], sigFile?: string): Promise<ReleaseCheck>;
