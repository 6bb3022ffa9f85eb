import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { gatewayService } from './service.ts';

runMain(gatewayService.name, async () => {
  const { platform } = await bootService(gatewayService, process.env);
  exitOnSignals(platform.shutdown);
});
