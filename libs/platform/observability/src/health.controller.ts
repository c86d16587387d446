import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessRegistry, withTimeout } from './readiness';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
  ) {}

  /** The process is alive and its event loop turns: nothing else, so a Kafka outage never restarts pods. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Every dependency the service needs to do its work (database, Kafka, caught-up views). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.readiness.all().map((c) => async () => {
        const indicator = this.indicators.check(c.name);
        try {
          await withTimeout(c.check(), 3_000, c.name);
          return indicator.up();
        } catch (e) {
          return indicator.down({ message: e instanceof Error ? e.message : String(e) });
        }
      }),
    );
  }
}
