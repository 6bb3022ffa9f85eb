export { createLocalMediaStore, type MediaStore } from './local-media-store.ts';
