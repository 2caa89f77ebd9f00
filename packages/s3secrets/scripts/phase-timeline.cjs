// Prints when each phase of one CLI run happens, in ms since the process started, on stderr at exit:
//   node -r ./scripts/phase-timeline.cjs dist/bin/s3secrets.cjs env >/dev/null
// It wraps the few calls that mark phase boundaries (the loader's vm.Script, the first and last S3 request, every
// spawn and its exit, the socket to ssh-agent, stdout.write) and changes nothing else. The README's "where the time
// goes" table comes from it. CommonJS, because `node -r` preloads it before the CLI's own loader.
const { performance } = require('node:perf_hooks');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const childProcess = require('node:child_process');
const vm = require('node:vm');

const marks = [];
const mark = (what) => marks.push(`${performance.now().toFixed(1).padStart(7)} ms  ${what}`);
mark('preload (node bootstrap done)');

let requests = 0;
for (const module of [http, https]) {
  const request = module.request;
  module.request = function markedRequest(...args) {
    requests += 1;
    mark(`S3 request #${requests} sent`);
    return request.apply(this, args);
  };
}

const connect = net.connect;
net.connect = function markedConnect(...args) {
  const target = typeof args[0] === 'string' ? args[0] : args[0]?.path;
  if (typeof target === 'string' && target.includes('agent')) mark('connect to ssh-agent socket');
  return connect.apply(this, args);
};

const spawn = childProcess.spawn;
childProcess.spawn = function markedSpawn(command, ...rest) {
  const name = String(command).split('/').pop();
  mark(`spawn ${name}`);
  const child = spawn.call(this, command, ...rest);
  child.once('error', () => mark(`${name} failed to start`));
  child.once('close', () => mark(`${name} exited`));
  return child;
};

const Script = vm.Script;
vm.Script = function MarkedScript(...args) {
  mark('loader: bundle and code cache read');
  const script = new Script(...args);
  mark(`loader: compiled (code cache ${script.cachedDataRejected === false ? 'used' : 'not used'})`);
  const run = script.runInThisContext.bind(script);
  script.runInThisContext = (...runArgs) => {
    const result = run(...runArgs);
    mark('bundle top level evaluated');
    return result;
  };
  return script;
};

const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (...args) => {
  mark('script written to stdout');
  return write(...args);
};

process.once('exit', () => {
  mark('exit');
  process.stderr.write(`${marks.join('\n')}\n`);
});
