import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { notifierService } from './service.ts';

runMain(notifierService.name, async () => {
  const { platform } = await bootService(notifierService, process.env);
  exitOnSignals(platform.shutdown);
});
