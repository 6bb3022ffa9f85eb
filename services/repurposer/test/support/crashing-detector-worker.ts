// A detector thread that dies while loading (as a wasm abort or a broken install would): for the fallback test.
throw new Error('the detector thread crashed while loading');
