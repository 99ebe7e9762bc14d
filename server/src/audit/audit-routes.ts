import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { AUDIT_META, type AuditMeta } from './audit.decorator.js';

/** @nestjs/swagger's metadata key for @ApiTags. */
const API_TAGS = 'swagger/apiUseTags';

type Handler = Function;

function paths(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [typeof v === 'string' ? v : ''];
}

/**
 * Controller tags whose `:id` routes act on one resource with a snapshot loader (audit-loaders.ts). A route there
 * without its own @Audit still gets the object and its before/after: approving a schedule (approval-inbox's
 * `POST /schedules/:id/approve`) or rejecting one used to be logged with no object at all (issue 19).
 */
export const RESOURCE_OF_TAG: Readonly<Record<string, string>> = {
  schedules: 'schedule',
  contents: 'content',
  alerts: 'alert',
  devices: 'device',
  users: 'user',
  groups: 'group',
  areas: 'area',
  'board-profiles': 'board-profile',
};

/**
 * The audit name and options of a route: @Audit's, else `<controller tag>.<handler>` (e.g. "alarms.ack"), with the
 * tag's resource when the route's path names it by `:id`.
 */
export function auditMetaOf(reflector: Reflector, controller: Handler, handler: Handler): AuditMeta {
  const meta = reflector.get<AuditMeta | undefined>(AUDIT_META, handler);
  if (meta) return meta;
  const tags = reflector.get<string[] | undefined>(API_TAGS, controller);
  const tag = tags?.[0] ?? controller.name.replace(/Controller$/, '').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const inferred: AuditMeta = { action: `${tag}.${handler.name}` };
  const resource = RESOURCE_OF_TAG[tag];
  const routePaths = paths(Reflect.getMetadata(PATH_METADATA, handler));
  if (resource && routePaths.some((p) => /(^|\/):id(\/|$)/.test(p))) return { ...inferred, resource, idParam: 'id' };
  return inferred;
}

const normalize = (p: string): string => ('/' + p).replace(/\/+/g, '/').replace(/(.)\/$/, '$1');

/**
 * Which handler serves a matched route path ("PATCH /api/v1/devices/:id"). Requests refused by the guard never reach
 * the audit interceptor; this lets their entries carry the same action name.
 */
@Injectable()
export class AuditRoutes {
  private map: Map<string, AuditMeta> | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  find(method: string, routePath: string): AuditMeta | null {
    this.map ??= this.build();
    return this.map.get(`${method.toUpperCase()} ${normalize(routePath)}`) ?? null;
  }

  private build(): Map<string, AuditMeta> {
    const map = new Map<string, AuditMeta>();
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Handler | null;
      const proto = (wrapper.instance as object | null) && Object.getPrototypeOf(wrapper.instance);
      if (!controller || !proto) continue;
      const bases = paths(Reflect.getMetadata(PATH_METADATA, controller));
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = (proto as Record<string, unknown>)[name];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
        if (method === undefined || sub === undefined) continue;
        const meta = auditMetaOf(this.reflector, controller, handler as Handler);
        for (const base of bases) for (const p of paths(sub)) map.set(`${RequestMethod[method]} ${normalize(`${base}/${p}`)}`, meta);
      }
    }
    return map;
  }
}
