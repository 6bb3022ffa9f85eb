import type { Page } from 'playwright-core';

// Runs in the page (serialised by playwright, not eval'd: the dashboard's CSP forbids eval).
declare const document: { querySelector(selector: string): any };

/**
 * Plays the `<video>` at `selector` muted (play() is a no-op when the page already plays it) and
 * resolves with its `currentTime` once that has passed `seconds`: the bytes really decode.
 */
export function playedPast(page: Page, selector: string, seconds: number): Promise<number> {
  return page.evaluate(
    async ([sel, past]) => {
      const video = document.querySelector(sel);
      video.muted = true;
      await video.play();
      await new Promise<void>((resolve) => {
        const check = () =>
          video.currentTime > past ? resolve() : video.addEventListener('timeupdate', check, { once: true });
        check();
      });
      return video.currentTime as number;
    },
    [selector, seconds] as const,
  );
}
