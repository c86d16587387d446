import { Injectable } from '@nestjs/common';

/** A dependency whose loss makes the service not ready (database, Kafka, a caught-up view…). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when healthy; rejects (or times out) with the reason when not. */
  check(): Promise<void>;
}

/**
 * Where each provider registers what it depends on; `/health/ready` runs them all.
 * Registration happens in the provider's constructor or onModuleInit, so the health module
 * never needs to know the service's providers.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(check: ReadinessCheck): void {
    this.checks.set(check.name, check);
  }

  all(): ReadinessCheck[] {
    return [...this.checks.values()];
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
