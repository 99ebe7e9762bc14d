// Types of build-release.mjs for the TypeScript callers (the end-to-end test, the Debian packaging helper).
import type { ReleaseManifest } from '@loa/shared';

export declare const RELEASE_ENTRY: string;
export declare function buildReleaseTree(destDir: string, opts?: { version?: string; commit?: string; builtAt?: number }): Promise<ReleaseManifest>;
export interface ReleasePackage {
  file: string;
  signatureFile: string | undefined;
  sha256: string;
  size: number;
  version: string;
  manifest: ReleaseManifest;
}
export declare function packReleaseTree(treeDir: string, outDir: string, opts?: { keyPem?: string }): Promise<ReleasePackage>;
export declare function buildReleasePackage(opts: {
  outDir: string;
  version?: string;
  commit?: string;
  keyFile?: string;
  keyPem?: string;
  mutateTree?: (dir: string) => void | Promise<void>;
}): Promise<ReleasePackage>;
export declare function rehash(treeDir: string): ReleaseManifest;
