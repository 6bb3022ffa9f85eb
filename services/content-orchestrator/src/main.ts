import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { orchestratorService } from './service.ts';

runMain(orchestratorService.name, async () => {
  const { platform } = await bootService(orchestratorService, process.env);
  exitOnSignals(platform.shutdown);
});
