export * from './local-media-store.ts';
