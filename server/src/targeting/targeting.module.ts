import { Module } from '@nestjs/common';
import { TargetResolver } from './target-resolver.js';
import { TargetsRepository } from './targets.repository.js';

/** Target resolution (areas, groups, tag rules, devices → device ids), shared by planning, commands and scoping. */
@Module({ providers: [TargetsRepository, TargetResolver], exports: [TargetResolver] })
export class TargetingModule {}
