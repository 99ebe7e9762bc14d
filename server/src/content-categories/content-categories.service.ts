import { Injectable } from '@nestjs/common';
import type { ContentCategoryView, CreateContentCategoryRequest, UpdateContentCategoryRequest } from '@loa/shared/rest';
import { ContentCategoriesRepository } from './content-categories.repository.js';
import type { ContentCategoryEntity } from './content-category.entity.js';
import { badRequest, conflict, notFound } from '../common/loa-error.js';

const view = (c: ContentCategoryEntity): ContentCategoryView => ({ code: c.code, name: c.name, essential: Boolean(c.essential) });

/**
 * Content categories (thể loại tin): every signed-in user reads them (forms, report filters); admins keep them. The
 * code is the key contents and the coverage rollups carry, so it never changes; the name and `essential` do (the
 * report applies `essential` when it is read, so marking a category essential counts its whole history).
 */
@Injectable()
export class ContentCategoriesService {
  constructor(private readonly repo: ContentCategoriesRepository) {}

  async list(): Promise<ContentCategoryView[]> {
    return (await this.repo.list()).map(view);
  }

  async get(code: string): Promise<ContentCategoryView> {
    const c = await this.repo.find(code);
    if (!c) throw notFound('category.not-found', { code });
    return view(c);
  }

  async create(body: CreateContentCategoryRequest): Promise<ContentCategoryView> {
    const c: ContentCategoryEntity = { code: body.code, name: body.name, essential: body.essential };
    if (!(await this.repo.insert(c))) throw conflict('category.exists', { code: body.code });
    return view(c);
  }

  async update(code: string, patch: UpdateContentCategoryRequest): Promise<ContentCategoryView> {
    await this.get(code);
    await this.repo.update(code, { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.essential !== undefined ? { essential: patch.essential } : {}) });
    return this.get(code);
  }

  /** 409 while a content names it: reclassify those first (their reports keep the category they were played under until then). */
  async remove(code: string): Promise<void> {
    await this.get(code);
    if (await this.repo.deleteUnused(code)) return;
    const used = await this.repo.usedBy(code);
    if (used > 0) throw conflict('category.in-use', { code, count: used });
    await this.get(code); // deleted meanwhile by someone else: 404
  }

  /** For contents: 400 when a content names a category that does not exist. */
  async requireExisting(code: string): Promise<void> {
    if (!(await this.repo.find(code))) throw badRequest('category.unknown', { code });
  }
}
