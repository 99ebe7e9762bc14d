import { Injectable } from '@nestjs/common';

/** Time source for services, so schedule and session logic can be tested at any instant. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
