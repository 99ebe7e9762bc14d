import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ReportedLocation } from '@loa/shared';
import { formatError, MAX_LOCATION_IMPORT_ROWS, type CsvRowError, type DeviceLocation, type DeviceView, type ErrorCode, type ErrorParams, type LocationImportResult, type MapDevicesView } from '@loa/shared/rest';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { parseCsv } from '../common/csv.js';
import { badRequest, notFound } from '../common/loa-error.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DeviceLocationsRepository } from './device-locations.repository.js';
import { DevicesService } from './devices.service.js';
import { canonicalColumn, LOCATION_COLUMNS, locationOfRow, rowError } from './location-csv.js';

const IMPORT_COLUMNS: readonly string[] = ['id', ...LOCATION_COLUMNS];

/**
 * Where devices stand (issue 19, the map): set by hand on the device page, imported from a spreadsheet, or
 * reported by the agent when its hardware knows (GPS). `location_source` records which; an agent's report never
 * replaces an operator's hand-set location (an import's or an earlier report's it does: the device knows better).
 */
@Injectable()
export class DeviceLocationsService {
  constructor(
    private readonly repo: DeviceLocationsRepository,
    private readonly devices: DevicesService,
    private readonly scope: ScopeService,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** The device page's form: by hand, so the agent's later reports leave it alone; null gives it back to them. */
  async set(user: UserPrincipal, id: string, location: DeviceLocation | null): Promise<DeviceView> {
    await this.scope.checkDevice(user, id, 'write');
    if ((await this.repo.set(id, location, 'operator')) === 0) throw notFound('device.not-found', { id });
    this.logger.info({ ctx: 'devices', deviceId: id, located: location !== null }, 'device location set by hand');
    return this.devices.get(id);
  }

  /**
   * A sheet `id,latitude,longitude[,village,address]` (English or Vietnamese headers). Every row is checked (the
   * coordinates, that the device exists and lies in the user's area) before any is stored; all problems come back
   * at once, by row, as codes. A row without coordinates is skipped.
   */
  async importCsv(user: UserPrincipal, text: string): Promise<LocationImportResult> {
    let rows: string[][];
    try {
      rows = parseCsv(text);
    } catch (err) {
      throw badRequest('map.csv-unreadable', { detail: (err as Error).message });
    }
    const [header, ...body] = rows;
    if (!header || header.every((h) => h.trim() === '')) throw badRequest('map.csv-empty');
    const cols = header.map(canonicalColumn);
    const headerErrors = [
      ...['id', 'latitude', 'longitude'].filter((c) => !cols.includes(c)).map((column) => rowError(1, column, 'map.csv-missing-column', { column })),
      ...cols.filter((c) => !IMPORT_COLUMNS.includes(c)).map((column) => rowError(1, column, 'map.csv-unknown-column', { column })),
    ];
    if (headerErrors.length > 0) throw invalid(headerErrors);
    if (body.length === 0) throw badRequest('map.csv-no-rows');
    if (body.length > MAX_LOCATION_IMPORT_ROWS) throw badRequest('map.csv-too-many', { max: MAX_LOCATION_IMPORT_ROWS });

    const errors: CsvRowError[] = [];
    const firstRow = new Map<string, number>();
    const wanted: Array<{ id: string; row: number; location: DeviceLocation }> = [];
    let skipped = 0;
    body.forEach((cells, i) => {
      const row = i + 2;
      const rec = Object.fromEntries(cols.map((c, j) => [c, (cells[j] ?? '').trim()]));
      const id = rec.id ?? '';
      if (id === '') return void errors.push(rowError(row, 'id', 'map.row-no-id', { row }));
      const first = firstRow.get(id);
      if (first !== undefined) return void errors.push(rowError(row, 'id', 'map.row-repeated', { row, id, first }));
      firstRow.set(id, row);
      const place = locationOfRow(rec, row);
      errors.push(...place.errors);
      if (place.location) wanted.push({ id, row, location: place.location });
      else if (place.errors.length === 0) skipped++;
    });
    const areas = await this.repo.areasOf([...firstRow.keys()]);
    const scope = await this.scope.of(user);
    for (const [id, row] of firstRow) {
      const area = areas.get(id);
      // A device outside the user's area is named as unknown to a reader elsewhere would be a leak; the import is
      // an operator's write, and writes outside the area answer "outside your area" (403 elsewhere), per row here.
      if (area === undefined) errors.push(rowError(row, 'id', 'map.row-unknown-device', { row, id }));
      else if (!scope.contains(area)) errors.push(rowError(row, 'id', 'map.row-outside', { row, id }));
    }
    if (errors.length > 0) throw invalid(errors.sort((a, b) => a.row - b.row));
    await this.repo.setMany(wanted, 'import');
    this.logger.info({ ctx: 'devices', updated: wanted.length, skipped }, 'device locations imported');
    return { updated: wanted.length, skipped };
  }

  /** The reader's located devices (optionally under one area) with the state their marker shows. */
  async map(user: UserPrincipal, areaCode: string | undefined): Promise<MapDevicesView> {
    const scope = await this.scope.of(user);
    if (areaCode !== undefined && !scope.contains(areaCode)) throw notFound('area.not-found', { id: areaCode });
    const areaPath = areaCode === undefined ? null : await this.repo.areaPath(areaCode);
    if (areaCode !== undefined && areaPath === null) throw notFound('area.not-found', { id: areaCode });
    const { rows, unlocated } = await this.repo.mapRows(scope.pathPrefix, areaPath);
    return {
      unlocated,
      points: rows.map((r) => ({
        id: r.id,
        name: r.name,
        areaCode: r.areaCode,
        latitude: r.latitude,
        longitude: r.longitude,
        village: r.village,
        status: r.alarm ? 'alarm' : r.online && !r.revoked ? 'online' : r.lastSeenAt === null ? 'never' : 'offline',
      })),
    };
  }

  /** An agent's report (telemetry): stored unless an operator set the location by hand. */
  async reported(deviceId: string, location: ReportedLocation): Promise<boolean> {
    const stored = await this.repo.reportFromAgent(deviceId, location);
    this.logger.debug({ ctx: 'devices', deviceId, stored }, 'device location reported');
    return stored;
  }
}

/** The refusal of a bad sheet: a code the dashboard translates, and every row's problem under `errors` (first 200). */
function invalid(errors: readonly CsvRowError[]): HttpException {
  const code: ErrorCode = 'map.csv-invalid';
  const params: ErrorParams = { count: new Set(errors.map((e) => e.row)).size };
  return new HttpException(
    { statusCode: HttpStatus.BAD_REQUEST, code, params, message: formatError(code, params, 'en') ?? code, errors: errors.slice(0, 200) },
    HttpStatus.BAD_REQUEST,
  );
}
