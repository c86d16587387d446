import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { PrincipalSnapshotContract, Topics, type PrincipalSnapshot } from '@herald/contracts';
import { CompactedTopicView, ConsumerDeps } from '@herald/platform/kafka';
import { PrincipalDirectory } from './principal-directory';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The principals are still loading: a valid key could be refused, so every API answers its own 503. */
export class PrincipalsLoadingError extends Error {
  constructor() {
    super('still loading principals; retry shortly');
  }
}

/** Keep the newer of two snapshots of one principal (a republish may bring an older one late). */
export const newerPrincipal = (incoming: PrincipalSnapshot, held: PrincipalSnapshot): boolean =>
  Date.parse(incoming.updatedAt) >= Date.parse(held.updatedAt);

/**
 * `herald.principals.v1` held in memory and fed into the `PrincipalDirectory`. The registry is
 * ready only once this has read the topic up to where it stood at start (`view:principals`):
 * before that, a valid key could be refused.
 */
@Injectable()
export class PrincipalsView implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('PrincipalsView');
  private view?: CompactedTopicView<PrincipalSnapshot>;
  private stopping = false;
  private stopped?: Promise<void>;
  private resolveCaughtUp!: () => void;
  readonly caughtUp = new Promise<void>((r) => (this.resolveCaughtUp = r));

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly directory: PrincipalDirectory,
  ) {
    deps.readiness.register({
      name: 'view:principals',
      check: async () => {
        throw new Error('not started yet');
      },
    });
  }

  get isCaughtUp(): boolean {
    return this.view?.isCaughtUp ?? false;
  }

  /** Throws `PrincipalsLoadingError` until the view has caught up. */
  assertCaughtUp(): void {
    if (!this.isCaughtUp) throw new PrincipalsLoadingError();
  }

  /** Starts (retrying while Kafka or the topic is missing); resolves once following the topic. */
  async start(): Promise<void> {
    let delay = 500;
    while (!this.stopping) {
      const view = new CompactedTopicView<PrincipalSnapshot>(
        this.deps,
        PrincipalSnapshotContract,
        Topics.Principals,
        'principals',
        newerPrincipal,
      );
      view.onChange((_key, value, previous) => this.directory.update(value, previous));
      try {
        await view.start();
        this.view = view;
        void view.caughtUp.then(() => this.resolveCaughtUp());
        return;
      } catch (e) {
        this.logger.warn(`cannot start yet, retrying: ${(e as Error).message}`);
        await view.stop();
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /**
   * Stops in the before-shutdown phase: the view's stop uses the shared Kafka admin (to delete
   * its throw-away group), which the KafkaClient closes in the shutdown phase; an admin call
   * after that would reconnect and leave sockets open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopped ??= this.view?.stop() ?? Promise.resolve();
    await this.stopped;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
  }
}
