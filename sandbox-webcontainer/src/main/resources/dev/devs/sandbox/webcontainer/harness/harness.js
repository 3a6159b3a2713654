// The page side of WebContainerDriver. The driver calls these functions with Runtime.evaluate
// (awaitPromise, returnByValue); each takes one JSON object and returns JSON. One page boots at most one
// WebContainer (the client allows a single instance per page), so the driver uses one page per sandbox.
import { WebContainer, configureAPIKey } from './webcontainer-api/index.js';

let container = null;
const processes = new Map();

async function boot({ endpoint, apiKey }) {
  // The client reads this once, the first time it builds the iframe URL, and keeps only its origin.
  globalThis.WEBCONTAINER_API_IFRAME_URL = endpoint;
  if (apiKey) {
    configureAPIKey(apiKey);
  }
  container = await WebContainer.boot();
  return { workdir: container.workdir, path: container.path };
}

async function roundTrip({ path, content }) {
  requireBooted();
  await container.fs.writeFile(path, content);
  const back = await container.fs.readFile(path, 'utf-8');
  if (back !== content) {
    throw new Error(`file round trip of ${path} read back ${JSON.stringify(back)} instead of ${JSON.stringify(content)}`);
  }
  return back.length;
}

async function exec({ id, command, args, env, cwd }) {
  requireBooted();
  const process = await container.spawn(command, args, cwd ? { env, cwd, output: true } : { env, output: true });
  processes.set(id, process);
  let output = '';
  const reader = process.output.getReader();
  const drained = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      output += value;
    }
  })();
  try {
    const exitCode = await process.exit;
    // Output and exit travel over different message ports: give output still in flight a moment.
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 200))]);
    return { exitCode, output };
  } finally {
    processes.delete(id);
  }
}

// Writes every file (base64 contents) with its parent directories; relative paths resolve against cwd, else
// the WebContainer's own working directory, as the file-system API does.
async function writeFiles({ files, cwd }) {
  requireBooted();
  for (const { path, base64 } of files) {
    const target = cwd && !path.startsWith('/') ? `${cwd.replace(/\/$/, '')}/${path}` : path;
    const slash = target.lastIndexOf('/');
    if (slash > 0) {
      await container.fs.mkdir(target.slice(0, slash), { recursive: true });
    }
    await container.fs.writeFile(target, Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  }
  return files.length;
}

// The working surface's file operations. Paths arrive absolute; contents travel base64-encoded.
function workdir() {
  requireBooted();
  return container.workdir;
}

async function readFile({ path }) {
  requireBooted();
  const bytes = await container.fs.readFile(path);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

async function mkdir({ path }) {
  requireBooted();
  await container.fs.mkdir(path, { recursive: true });
  return true;
}

async function rm({ path, recursive }) {
  requireBooted();
  await container.fs.rm(path, { recursive: Boolean(recursive) });
  return true;
}

async function exists(path) {
  try {
    await container.fs.readdir(path);
    return true;
  } catch (e) {
    try {
      await container.fs.readFile(path);
      return true;
    } catch (e2) {
      return false;
    }
  }
}

async function rename({ from, to }) {
  requireBooted();
  if (await exists(to)) {
    throw new Error(`EEXIST: file already exists, rename '${from}' -> '${to}'`);
  }
  await container.fs.rename(from, to);
  return true;
}

function kill({ id }) {
  const process = processes.get(id);
  if (process) {
    process.kill();
  }
  return process !== undefined;
}

async function teardown() {
  requireBooted();
  const booted = container;
  container = null;
  booted.teardown();
  // teardown() returns nothing in 1.6.4; it parks its promise where the next boot() awaits it.
  await WebContainer._teardownPromise;
  return true;
}

function requireBooted() {
  if (container === null) {
    throw new Error('no WebContainer is booted in this page');
  }
}

globalThis.devsHarness = Object.freeze({ boot, roundTrip, exec, writeFiles, workdir, readFile, mkdir, rm, rename, kill, teardown });
