/** A compile thread whose module fails to load: it never signals (test/engine/worker/parallelCompile.test.ts). */
throw new Error('this module does not load');
