// A TEST STAND-IN of StackBlitz's WebContainer runtime page (/headless), not StackBlitz. It lets the
// unmodified @webcontainer/api client boot on loopback so the driver can be tested without the hosted
// runtime: it speaks the client's protocol (Comlink over a MessagePort, with the Comlink copy shipped inside
// the client package) and keeps an in-memory file system with a handful of shell commands. Timings measured
// against it are the driver's and the browser's, never the real runtime's.
import { Comlink } from './comlink.js';

const TAG = '[devs test stand-in, not StackBlitz]';
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TYPE_FILE = 1;
const TYPE_DIR = 2;

function fsError(code, syscall, path) {
  const messages = {
    ENOENT: 'no such file or directory',
    EEXIST: 'file already exists',
    EISDIR: 'illegal operation on a directory',
    ENOTDIR: 'not a directory',
    ENOTEMPTY: 'directory not empty',
  };
  const error = new Error(`${code}: ${messages[code]}, ${syscall} '${path}'`);
  error.code = code;
  return error;
}

class MemoryFileSystem {
  constructor(cwd) {
    this.cwd = cwd;
    this.nodes = new Map([['/', { type: TYPE_DIR }]]);
    this.mkdirSync(cwd, true);
  }

  resolve(path) {
    const absolute = String(path).startsWith('/') ? String(path) : `${this.cwd}/${path}`;
    const parts = [];
    for (const part of absolute.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') parts.pop(); else parts.push(part);
    }
    return '/' + parts.join('/');
  }

  // The same files seen from another working directory, as a process spawned with a cwd sees them.
  at(cwd) {
    const view = Object.create(this);
    view.cwd = this.resolve(cwd);
    return view;
  }

  parentOf(path) {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }

  requireParentDir(path, syscall) {
    const parent = this.nodes.get(this.parentOf(path));
    if (!parent) throw fsError('ENOENT', syscall, path);
    if (parent.type !== TYPE_DIR) throw fsError('ENOTDIR', syscall, path);
  }

  children(dir) {
    const prefix = dir === '/' ? '/' : dir + '/';
    const names = [];
    for (const key of this.nodes.keys()) {
      if (key !== dir && key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) {
        names.push(key.slice(prefix.length));
      }
    }
    return names.sort();
  }

  mkdirSync(path, recursive) {
    const p = this.resolve(path);
    if (this.nodes.has(p)) {
      if (recursive && this.nodes.get(p).type === TYPE_DIR) return undefined;
      throw fsError('EEXIST', 'mkdir', p);
    }
    if (recursive) {
      let current = '';
      for (const part of p.split('/').filter(Boolean)) {
        current += '/' + part;
        if (!this.nodes.has(current)) this.nodes.set(current, { type: TYPE_DIR });
      }
      return p;
    }
    this.requireParentDir(p, 'mkdir');
    this.nodes.set(p, { type: TYPE_DIR });
    return undefined;
  }

  readFileSync(path, encoding) {
    const p = this.resolve(path);
    const node = this.nodes.get(p);
    if (!node) throw fsError('ENOENT', 'open', p);
    if (node.type === TYPE_DIR) throw fsError('EISDIR', 'read', p);
    return encoding ? decoder.decode(node.data) : node.data.slice();
  }

  writeFileSync(path, data) {
    const p = this.resolve(path);
    this.requireParentDir(p, 'open');
    const existing = this.nodes.get(p);
    if (existing && existing.type === TYPE_DIR) throw fsError('EISDIR', 'open', p);
    const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
    this.nodes.set(p, { type: TYPE_FILE, data: bytes });
  }

  // The object the client's FileSystemAPIClient talks to, through a Comlink proxy.
  api() {
    const fs = this;
    return {
      async readFile(path, encoding) {
        return fs.readFileSync(path, encoding);
      },
      async writeFile(path, data, options) {
        fs.writeFileSync(path, data, options);
      },
      async readdir(path, options) {
        const p = fs.resolve(path);
        const node = fs.nodes.get(p);
        if (!node) throw fsError('ENOENT', 'scandir', p);
        if (node.type !== TYPE_DIR) throw fsError('ENOTDIR', 'scandir', p);
        const names = fs.children(p);
        if (options && options.withFileTypes) {
          return names.map((name) => ({ name, 'Symbol(type)': fs.nodes.get(`${p === '/' ? '' : p}/${name}`).type }));
        }
        if (options && options.encoding === 'buffer') {
          return names.map((name) => encoder.encode(name));
        }
        return names;
      },
      async mkdir(path, options) {
        return fs.mkdirSync(path, Boolean(options && options.recursive));
      },
      async rm(path, options) {
        const p = fs.resolve(path);
        const node = fs.nodes.get(p);
        if (!node) {
          if (options && options.force) return;
          throw fsError('ENOENT', 'rm', p);
        }
        if (node.type === TYPE_DIR && fs.children(p).length > 0 && !(options && options.recursive)) {
          throw fsError('ENOTEMPTY', 'rm', p);
        }
        for (const key of [...fs.nodes.keys()]) {
          if (key === p || key.startsWith(p + '/')) fs.nodes.delete(key);
        }
      },
      async rename(oldPath, newPath) {
        const from = fs.resolve(oldPath);
        const to = fs.resolve(newPath);
        if (!fs.nodes.has(from)) throw fsError('ENOENT', 'rename', from);
        fs.requireParentDir(to, 'rename');
        for (const key of [...fs.nodes.keys()]) {
          if (key === from || key.startsWith(from + '/')) {
            fs.nodes.set(to + key.slice(from.length), fs.nodes.get(key));
            fs.nodes.delete(key);
          }
        }
      },
      async watch() {
        return Comlink.proxy({ close() {} });
      },
    };
  }
}

// The few commands exec can run: enough to test the driver's spawn path, not a shell.
const COMMANDS = {
  echo: (fs, args) => ({ out: args.join(' ') + '\n', code: 0 }),
  pwd: (fs) => ({ out: fs.cwd + '\n', code: 0 }),
  true: () => ({ out: '', code: 0 }),
  false: () => ({ out: '', code: 1 }),
  cat: (fs, args) => {
    let out = '';
    let code = 0;
    for (const file of args) {
      try {
        out += fs.readFileSync(file, 'utf-8');
      } catch (e) {
        out += `cat: ${file}: ${e.code === 'EISDIR' ? 'Is a directory' : 'No such file or directory'}\n`;
        code = 1;
      }
    }
    return { out, code };
  },
  ls: (fs, args) => {
    const targets = args.filter((a) => !a.startsWith('-'));
    let out = '';
    let code = 0;
    for (const target of targets.length ? targets : ['.']) {
      const p = fs.resolve(target);
      const node = fs.nodes.get(p);
      if (!node) {
        out += `ls: ${target}: No such file or directory\n`;
        code = 1;
      } else if (node.type === TYPE_FILE) {
        out += target + '\n';
      } else {
        out += fs.children(p).filter((n) => args.includes('-a') || !n.startsWith('.')).map((n) => n + '\n').join('');
      }
    }
    return { out, code };
  },
  env: (fs, args, env) => ({ out: Object.entries(env || {}).map(([k, v]) => `${k}=${v}\n`).join(''), code: 0 }),
};

function run(root, { command, args = [], env, cwd }, output) {
  const fs = cwd ? root.at(cwd) : root;
  let resolveExit;
  const exited = new Promise((resolve) => { resolveExit = resolve; });
  let timer = null;
  const finish = async (out, code) => {
    if (output && out) await output(encoder.encode(out));
    if (output) await output(null);
    resolveExit(code);
  };
  if (command === 'fetch') {
    // For the network tests: a request from the runtime's own frame, as a WebContainer process would make it.
    fetch(args[0], { cache: 'no-store' }).then(
      (r) => finish(`${r.status}\n`, r.ok ? 0 : 1),
      (e) => finish(`fetch: ${e.message}\n`, 1));
  } else if (command === 'sleep') {
    // For timeout tests: runs until its time is up or it is killed.
    timer = setTimeout(() => finish('', 0), Number(args[0] || 0) * 1000);
  } else if (COMMANDS[command]) {
    const { out, code } = COMMANDS[command](fs, args, env);
    finish(out, code);
  } else {
    finish(`jsh: command not found: ${command}\n`, 127);
  }
  return Comlink.proxy({
    onExit: exited,
    write() {},
    resize() {},
    kill() {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
        finish('', 130);
      }
    },
  });
}

const server = {
  build(options) {
    const cwd = `/home/${options.workdirName || 'project'}`;
    const fs = new MemoryFileSystem(cwd);
    console.log(TAG, `build(version ${options.version}, host ${options.host}), workdir ${cwd}`);
    return Comlink.proxy({
      fs: () => Comlink.proxy(fs.api()),
      previewScript: () => '',
      runtimeInfo: () => ({ cwd, path: '/usr/local/bin:/usr/bin:/bin' }),
      on: () => Comlink.proxy(() => {}),
      run: (runOptions, stdout, stderr, output) => run(fs, runOptions, output),
      loadFiles: () => undefined,
      serialize: () => encoder.encode('{}'),
      setCredentials: () => undefined,
      setPreviewScript: () => undefined,
      teardown: () => {
        console.log(TAG, 'teardown');
      },
    });
  },
};

const { port1, port2 } = new MessageChannel();
Comlink.expose(server, port1);
parent.postMessage({ type: 'init' }, '*', [port2]);
console.log(TAG, 'init posted to the client');
