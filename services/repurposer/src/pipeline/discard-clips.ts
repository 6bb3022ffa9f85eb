import type { MediaStore } from '@reelforge/media-store';
import type { StoredClip } from '../tasks/task-store.ts';

/** Removes the stored files of clips that will not get rows (their attempt was superseded). */
export async function discardClips(store: MediaStore, clips: StoredClip[]): Promise<void> {
  for (const clip of clips) {
    await store.remove(clip.mediaKey);
    await store.remove(clip.thumbnailKey);
  }
}
