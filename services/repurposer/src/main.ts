import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { repurposerService } from './service.ts';

runMain(repurposerService.name, async () => {
  const { platform } = await bootService(repurposerService, process.env);
  exitOnSignals(platform.shutdown);
});
