/** Runs bundled mocha test modules inside the extension host (like @vscode/test-electron's index). */
import Mocha from 'mocha';

export function runMocha(load: () => void, timeoutMs = 120_000): Promise<void> {
  // FLOWPORT_TEST_GREP=<text>: only the tests whose title holds it (one test while working on it).
  const grep = process.env.FLOWPORT_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: timeoutMs, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  // Test modules call describe()/it() when loaded: give them mocha's globals first.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  load();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
