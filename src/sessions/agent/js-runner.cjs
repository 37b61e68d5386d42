'use strict';
// A spare JavaScript interpreter (see agent.mjs): loaded ahead of its exec, it reads the code from
// fd 3 and runs it as `node -e` would (CommonJS script, `require` resolving from the working
// directory). When its event loop has drained it closes stdout and stderr (all output is in the
// pipes by then: writes to pipes are synchronous on Linux, pending ones keep the loop alive) and
// writes `d<exit code>\n` on fd 3; the agent then SIGKILLs it instead of waiting for its teardown.
// `process.exit()` and an uncaught error (exit 1, stack on stderr) end it the ordinary way.
const fs = require('node:fs');
const net = require('node:net');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { join } = require('node:path');

const fd3 = new net.Socket({ fd: 3, readable: true, writable: true, allowHalfOpen: true });
const chunks = [];
fd3.on('data', (c) => chunks.push(c));
fd3.on('error', () => {});
fd3.on('end', () => {
  fd3.unref();
  const file = join(process.cwd(), '[exec]');
  globalThis.require = createRequire(file);
  globalThis.__filename = file;
  globalThis.__dirname = process.cwd();
  vm.runInThisContext(Buffer.concat(chunks).toString('utf8'), { filename: '[exec]' });
  // Registered after the code's own listeners: if one of them scheduled more work (anything but
  // the stdio pipes is active), the loop goes on and this runs again at the next drain.
  process.on('beforeExit', () => {
    if (process.getActiveResourcesInfo().some((r) => r !== 'PipeWrap' && r !== 'TTYWrap')) return;
    try {
      fs.closeSync(1);
      fs.closeSync(2);
      fs.writeSync(3, `d${process.exitCode ?? 0}\n`);
    } catch {
      // the agent is gone, or the code closed its stdio: exit the ordinary way
    }
  });
});
fd3.write('r');
