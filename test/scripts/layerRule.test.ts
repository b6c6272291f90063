/**
 * The layer rule (.dependency-cruiser.cjs, docs/architecture.md) is checked by `npm test`; these
 * tests run the same check on a small tree to show that a forbidden import fails it, naming the
 * rule, and that an allowed one passes.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

function tree(dir: string, files: Record<string, string>): void {
  copyFileSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src/**/*.ts'] }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

async function check(dir: string): Promise<{ code: number; out: string }> {
  return run(depcruise, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: dir }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
  );
}

t.test('an import that runs up a layer fails the check, naming the rule and both files', async (t) => {
  const dir = t.testdir();
  tree(dir, {
    'src/kernel/clock.ts': "import { wire } from '../app/gateway.js';\nexport const clock = wire;\n",
    'src/app/gateway.ts': 'export const wire = 1;\n',
  });
  const { code, out } = await check(dir);
  t.not(code, 0);
  t.match(out, /error layer-kernel: src\/kernel\/clock\.ts → src\/app\/gateway\.ts/);
});

t.test('two modules of one rank may not import each other', async (t) => {
  const dir = t.testdir();
  tree(dir, {
    'src/cloud/link.ts': "import { door } from '../doors/door.js';\nexport const link = door;\n",
    'src/doors/door.ts': 'export const door = 1;\n',
  });
  const { code, out } = await check(dir);
  t.not(code, 0);
  t.match(out, /error layer-cloud: src\/cloud\/link\.ts → src\/doors\/door\.ts/);
});

t.test('imports that point down pass', async (t) => {
  const dir = t.testdir();
  tree(dir, {
    'src/app/gateway.ts': "import { door } from '../doors/door.js';\nexport const gateway = door;\n",
    'src/doors/door.ts': "import { clock } from '../kernel/clock.js';\nexport const door = clock;\n",
    'src/kernel/clock.ts': 'export const clock = 1;\n',
  });
  const { code, out } = await check(dir);
  t.equal(code, 0, out);
});
