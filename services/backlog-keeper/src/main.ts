import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { backlogKeeperService } from './service.ts';

runMain(backlogKeeperService.name, async () => {
  const { platform } = await bootService(backlogKeeperService, process.env);
  exitOnSignals(platform.shutdown);
});
