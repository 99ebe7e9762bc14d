import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, statfs, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real, small file system: writes past its size fail with ENOSPC exactly as on a full SD card or disk. */
export interface SmallDisk {
  dir: string;
  /** Bytes an unprivileged process may still write. */
  free(): Promise<number>;
  /** Fills the disk with a filler file until at most `leaveBytes` remain (0: until a write fails with ENOSPC). */
  fill(leaveBytes?: number): Promise<void>;
  /** Removes the filler. */
  unfill(): Promise<void>;
  close(): void;
}

const FILLER = '.filler';

/**
 * Mounts a tmpfs of `sizeBytes` (the tests run as root, locally and in CI). No fake: a failure to mount is an
 * error with the reason, never a skipped test.
 */
export function mountSmallDisk(sizeBytes: number, prefix = 'loa-small-disk-'): SmallDisk {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const detail = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    throw new Error(`this test needs a real small file system: mounting a ${sizeBytes}-byte tmpfs failed (run as root with CAP_SYS_ADMIN): ${detail}`);
  }
  const filler = path.join(dir, FILLER);
  const free = async () => {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  };
  return {
    dir,
    free,
    fill: async (leaveBytes = 0) => {
      const fh = await open(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) {
          const room = (await free()) - leaveBytes;
          if (room <= 0) return;
          try {
            await fh.write(chunk, 0, Math.min(chunk.length, room));
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
            throw err;
          }
        }
      } finally {
        await fh.close();
      }
    },
    unfill: () => unlink(filler).catch(() => undefined),
    close: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
