import { Inject, Injectable } from '@nestjs/common';
import { DEVICE_KINDS, PROTOCOL_VERSION, releaseSignatureSchema, verifyRelease, type DeviceKind, type ReleaseManifest, type ReleaseSignature } from '@loa/shared';
import type { OtaReleaseView } from '@loa/shared/rest';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Clock } from '../common/clock.js';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AgentReleaseEntity } from './ota.entities.js';
import { OtaRepository } from './ota.repository.js';
import { readManifest } from './release-package.js';
import { ReleaseStorage } from './release-storage.js';
import type { ReceivedRelease } from './release-upload.receiver.js';

export const packagePath = (releaseId: string): string => `/api/v1/ota/releases/${releaseId}/package`;

/**
 * Agent releases: an upload is verified (signature by a configured release key, over exactly the bytes received;
 * a manifest of the same version and protocol) before anything is stored; the package is then kept
 * content-addressed and served to the devices a rollout offers it to.
 */
@Injectable()
export class ReleasesService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OtaRepository,
    private readonly storage: ReleaseStorage,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'ota' });
  }

  /** Refused at once when no release key is configured: nothing could ever verify. */
  requireKeys(): void {
    if (this.config.ota.releaseKeys.length === 0) throw badRequest('ota.keys-not-configured');
  }

  async upload(received: ReceivedRelease, userId: string): Promise<OtaReleaseView> {
    try {
      const release = await this.verifyAndStore(received, userId);
      this.metrics.inc('ota_release_uploaded');
      this.log.info({ releaseId: release.id, version: release.version, sha256: release.sha256, size: release.size }, 'agent release uploaded');
      return this.view(release, 0);
    } catch (err) {
      this.metrics.inc('ota_release_refused');
      throw err;
    } finally {
      await this.storage.discard(received.package.path);
      await this.storage.discard(received.signature.path);
    }
  }

  private async verifyAndStore(received: ReceivedRelease, userId: string): Promise<AgentReleaseEntity> {
    this.requireKeys();
    const signature = await this.readSignature(received.signature.path);
    const check = verifyRelease(signature, this.config.ota.releaseKeys, { sha256: received.package.sha256, size: received.package.size });
    if (!check.ok) {
      if (check.reason === 'unknown-key') throw badRequest('ota.unknown-key', { kid: signature.kid });
      if (check.reason === 'bad-signature') throw badRequest('ota.bad-signature', { kid: signature.kid });
      throw badRequest('ota.signature-mismatch');
    }
    const read = await readManifest(received.package.path);
    if (!read.ok) throw badRequest('ota.not-a-package', { detail: read.detail });
    const manifest = read.manifest;
    if (manifest.version !== signature.version) throw badRequest('ota.version-mismatch', { manifest: manifest.version, signed: signature.version });
    if (manifest.protocol !== PROTOCOL_VERSION) throw badRequest('ota.protocol-mismatch', { protocol: manifest.protocol, expected: PROTOCOL_VERSION });
    if (await this.repo.releaseByVersion(manifest.version)) throw conflict('ota.duplicate-version', { version: manifest.version });

    const row: AgentReleaseEntity = {
      id: randomUUID(),
      version: manifest.version,
      sha256: received.package.sha256,
      size: received.package.size,
      kid: check.kid,
      signature: JSON.stringify(signature),
      manifest: JSON.stringify(manifest),
      // The agent is one program on speakers and boards: a release applies to both.
      kinds: [...DEVICE_KINDS],
      uploadedBy: userId,
      uploadedAt: this.clock.now(),
    };
    const hadFile = await this.storage.exists(row.sha256);
    if (!hadFile) await this.storage.keep(received.package);
    try {
      await this.repo.insertRelease(row);
    } catch (err) {
      if (!hadFile && !(await this.repo.sha256InUse(row.sha256))) await this.storage.remove(row.sha256);
      // Two uploads of one version at once: the unique index decides.
      if (await this.repo.releaseByVersion(manifest.version)) throw conflict('ota.duplicate-version', { version: manifest.version });
      throw err;
    }
    return row;
  }

  private async readSignature(file: string): Promise<ReleaseSignature> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      throw badRequest('ota.signature-invalid-file', { detail: 'not JSON' });
    }
    const parsed = releaseSignatureSchema.safeParse(json);
    if (!parsed.success) throw badRequest('ota.signature-invalid-file', { detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300) });
    return parsed.data;
  }

  async list(): Promise<OtaReleaseView[]> {
    const rows = await this.repo.listReleases();
    const counts = await this.repo.rolloutCounts(rows.map((r) => r.id));
    return rows.map((r) => this.view(r, counts.get(r.id) ?? 0));
  }

  async get(id: string): Promise<OtaReleaseView> {
    const r = await this.find(id);
    return this.view(r, (await this.repo.rolloutCounts([id])).get(id) ?? 0);
  }

  async find(id: string): Promise<AgentReleaseEntity> {
    const r = await this.repo.release(id);
    if (!r) throw notFound('ota.release-not-found', { id });
    return r;
  }

  async remove(id: string): Promise<void> {
    const r = await this.find(id);
    const used = (await this.repo.rolloutCounts([id])).get(id) ?? 0;
    if (used > 0) throw conflict('ota.release-in-use', { version: r.version, count: used });
    await this.repo.deleteRelease(id);
    if (!(await this.repo.sha256InUse(r.sha256))) await this.storage.remove(r.sha256);
    this.log.info({ releaseId: id, version: r.version }, 'agent release deleted');
  }

  view(r: AgentReleaseEntity, rollouts: number): OtaReleaseView {
    const manifest = JSON.parse(r.manifest) as ReleaseManifest;
    return {
      id: r.id,
      version: r.version,
      sha256: r.sha256,
      size: r.size,
      kid: r.kid,
      signature: JSON.parse(r.signature) as ReleaseSignature,
      manifest: { protocol: manifest.protocol, node: manifest.node, entry: manifest.entry, builtAt: manifest.builtAt, commit: manifest.commit ?? null, files: manifest.files.length },
      kinds: r.kinds as DeviceKind[],
      path: packagePath(r.id),
      uploadedBy: r.uploadedBy,
      uploadedAt: new Date(r.uploadedAt).toISOString(),
      rollouts,
    };
  }
}
