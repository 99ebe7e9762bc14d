import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Holds back the answer to a failed login without blocking anything: the caller awaits a timer, and the broker keeps
 * that one connection paused meanwhile. A port so tests can release held answers themselves, in the order they need.
 */
@Injectable()
export class LoginDelay implements OnModuleDestroy {
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      // A held answer must not keep a stopping process alive.
      timer.unref();
      this.timers.set(timer, resolve);
    });
  }

  /** At shutdown, held answers go out at once instead of dangling past the broker. */
  onModuleDestroy(): void {
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }
}
