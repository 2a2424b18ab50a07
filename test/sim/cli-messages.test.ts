// One case per documented Tart message and exit code (tart.md §1, §4 and each command's section).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, fakeRunning, makeSimEnv, tartSim, type FakeRun, type SimEnv } from './helpers.js';

let sim: SimEnv;
let busy: FakeRun;

const usage = (cmd: string, synopsis: string): string => `Usage: ${synopsis}\n  See 'tart ${cmd} --help' for more information.\n`;
const ROOT_USAGE = "Usage: tart <subcommand>\n  See 'tart --help' for more information.\n";

beforeAll(async () => {
  ensureBuilt();
  sim = makeSimEnv();
  for (const vm of ['vm1', 'busy', 'other']) {
    const r = await tartSim(['create', '--linux', vm], { env: sim.env });
    expect(r.code).toBe(0);
  }
  busy = await fakeRunning(sim, 'busy');
});

afterAll(() => {
  busy?.kill();
  sim?.cleanup();
});

interface Case {
  args: string[];
  code: number;
  stderr?: string;
  stdout?: string;
}

const missing = (name = 'nope'): string => `the specified VM "${name}" does not exist\n`;

const CASES: Record<string, Case> = {
  // §1 conventions
  'version prints the bare version': { args: ['--version'], code: 0, stdout: '2.35.0\n', stderr: '' },
  'subcommand --help exits 0': { args: ['list', '--help'], code: 0, stderr: '' },
  'root --help exits 0': { args: ['--help'], code: 0, stderr: '' },
  'unknown subcommand': { args: ['frobnicate'], code: 64, stderr: `Error: Unexpected argument 'frobnicate'\n${ROOT_USAGE}` },
  'unknown root flag': { args: ['--frob'], code: 64, stderr: `Error: Unknown option '--frob'\n${ROOT_USAGE}` },
  'unknown flag with suggestion': {
    args: ['list', '--formt', 'json'],
    code: 64,
    stderr: `Error: Unknown option '--formt'. Did you mean '--format'?\n${usage('list', 'tart list [--source <source>] [--format <format>] [--quiet]')}`,
  },
  'bad enum value': {
    args: ['get', 'vm1', '--format', 'yaml'],
    code: 64,
    stderr: `Error: The value 'yaml' is invalid for '--format <format>'. Please provide one of 'text' and 'json'.\nHelp:  --format <format>  Output format: text or json\n${usage('get', 'tart get <name> [--format <format>]')}`,
  },
  'bad integer value': {
    args: ['ip', 'vm1', '--wait', 'soon'],
    code: 64,
    stderr: `Error: The value 'soon' is invalid for '--wait <wait>'\nHelp:  --wait <wait>  Number of seconds to wait for a potential VM booting\n${usage('ip', 'tart ip <name> [--wait <wait>] [--resolver <resolver>]')}`,
  },
  'missing argument': {
    args: ['get'],
    code: 64,
    stderr: `Error: Missing expected argument '<name>'\nHelp:  <name>  VM name.\n${usage('get', 'tart get <name> [--format <format>]')}`,
  },
  'missing option value': {
    args: ['stop', 'vm1', '--timeout'],
    code: 64,
    stderr: `Error: Missing value for '--timeout <timeout>'\nHelp:  --timeout <timeout>  Seconds to wait for graceful termination before forcefully terminating the VM\n${usage('stop', 'tart stop <name> [--timeout <timeout>]')}`,
  },
  'unexpected extra argument': { args: ['get', 'vm1', 'extra'], code: 64, stderr: `Error: Unexpected argument 'extra'\n${usage('get', 'tart get <name> [--format <format>]')}` },
  // §4: VM missing, exit 2 for every command but run and rename
  'get missing VM': { args: ['get', 'nope'], code: 2, stderr: missing() },
  'ip missing VM': { args: ['ip', 'nope'], code: 2, stderr: missing() },
  'stop missing VM': { args: ['stop', 'nope'], code: 2, stderr: missing() },
  'suspend missing VM': { args: ['suspend', 'nope'], code: 2, stderr: missing() },
  'set missing VM': { args: ['set', 'nope', '--cpu', '4'], code: 2, stderr: missing() },
  'delete missing VM': { args: ['delete', 'nope'], code: 2, stderr: missing() },
  'clone missing source': { args: ['clone', 'nope', 'copy'], code: 2, stderr: missing() },
  'exec missing VM': { args: ['exec', 'nope', 'true'], code: 2, stderr: missing() },
  'push missing VM': { args: ['push', 'nope', 'ghcr.io/acme/nope:latest'], code: 2, stderr: missing() },
  'run missing VM (fails in validate: Error:, exit 1)': { args: ['run', '--no-graphics', 'nope'], code: 1, stderr: 'Error: the specified VM "nope" does not exist\n' },
  'run on a running VM': { args: ['run', '--no-graphics', 'busy'], code: 2, stderr: 'VM "busy" is already running!\n' },
  'exec on a stopped VM': { args: ['exec', 'vm1', 'true'], code: 2, stderr: 'VM "vm1" is not running\n' },
  'rename missing VM': { args: ['rename', 'nope', 'x'], code: 64, stderr: `Error: failed to rename a non-existent local VM: nope\n${ROOT_USAGE}` },
  'rename onto an existing VM': {
    args: ['rename', 'vm1', 'other'],
    code: 64,
    stderr: `Error: failed to rename VM vm1, target VM other already exists, delete it first!\n${ROOT_USAGE}`,
  },
  'rename to a remote-looking name': {
    args: ['rename', 'vm1', 'a/b'],
    code: 64,
    stderr: `Error: <new-name> should be a local name\n${usage('rename', 'tart rename <name> <new-name>')}`,
  },
  'clone to a remote-looking name': {
    args: ['clone', 'vm1', 'a/b'],
    code: 64,
    stderr: `Error: <new-name> should be a local name\n${usage('clone', 'tart clone <source-name> <new-name> [--insecure] [--concurrency <concurrency>] [--prune-limit <n>]')}`,
  },
  'clone concurrency below 1': {
    args: ['clone', 'vm1', 'x', '--concurrency', '0'],
    code: 64,
    stderr: `Error: network concurrency cannot be less than 1\n${usage('clone', 'tart clone <source-name> <new-name> [--insecure] [--concurrency <concurrency>] [--prune-limit <n>]')}`,
  },
  'delete a running VM': { args: ['delete', 'busy'], code: 1, stderr: 'VM "busy" is running\n' },
  'push a running VM': { args: ['push', 'busy', 'ghcr.io/acme/busy:latest'], code: 1, stderr: 'VM "busy" is running\n' },
  'stop a stopped VM': { args: ['stop', 'vm1'], code: 2, stderr: 'VM "vm1" is not running\n' },
  'suspend a stopped VM (double-wrapped)': { args: ['suspend', 'vm1'], code: 2, stderr: 'VM "VM "vm1" is not running" is not running\n' },
  'ip dhcp finds nothing': { args: ['ip', 'vm1'], code: 1, stderr: 'no IP address found, is your VM running?\n' },
  'ip arp finds nothing on Linux': {
    args: ['ip', 'vm1', '--resolver', 'arp'],
    code: 1,
    stderr: 'no IP address found, is your VM running? (not all Linux distributions are compatible with the ARP resolver)\n',
  },
  'ip agent finds nothing': {
    args: ['ip', 'vm1', '--resolver', 'agent'],
    code: 1,
    stderr: 'no IP address found, is your VM running? (also make sure that Guest agent for Tart is running inside of a VM)\n',
  },
  'ip on a running VM without a lease': { args: ['ip', 'busy'], code: 1, stderr: 'no IP address found\n' },
  'ip bad resolver': {
    args: ['ip', 'vm1', '--resolver', 'dns'],
    code: 64,
    stderr: `Error: The value 'dns' is invalid for '--resolver <resolver>'. Please provide one of 'dhcp', 'arp' or 'agent'.\nHelp:  --resolver <resolver>  Strategy for resolving IP address\n${usage('ip', 'tart ip <name> [--wait <wait>] [--resolver <resolver>]')}`,
  },
  'create without --linux or --from-ipsw': {
    args: ['create', 'x'],
    code: 64,
    stderr: `Error: Please specify either a --from-ipsw or --linux option!\n${usage('create', 'tart create <name> [--from-ipsw <path>] [--linux] [--disk-size <disk-size>] [--disk-format <disk-format>]')}`,
  },
  'create with asif': {
    args: ['create', '--linux', '--disk-format', 'asif', 'x'],
    code: 64,
    stderr: `Error: Disk format 'asif' is not supported on this system.\n${usage('create', 'tart create <name> [--from-ipsw <path>] [--linux] [--disk-size <disk-size>] [--disk-format <disk-format>]')}`,
  },
  'list bad source': {
    args: ['list', '--source', 'cloud'],
    code: 64,
    stderr: `Error: 'cloud' is not a valid <source>\n${usage('list', 'tart list [--source <source>] [--format <format>] [--quiet]')}`,
  },
  'set CPU below the VZ minimum': { args: ['set', 'vm1', '--cpu', '0'], code: 1, stderr: 'Error: LessThanMinimalResourcesError: VM should have 1 CPU cores at minimum (requested 0)\n' },
  'set memory below the VZ minimum': {
    args: ['set', 'vm1', '--memory', '64'],
    code: 1,
    stderr: 'Error: LessThanMinimalResourcesError: VM should have 134217728 bytes of memory at minimum (requested 67108864)\n',
  },
  'set disk shrink': { args: ['set', 'vm1', '--disk-size', '10'], code: 1, stderr: 'new disk size of 10 GB should be larger than the current disk size of 50 GB\n' },
  'prune without criteria': {
    args: ['prune'],
    code: 64,
    stderr: `Error: at least one pruning criteria must be specified\n${usage('prune', 'tart prune [--entries <entries>] [--older-than <n>] [--space-budget <n>]')}`,
  },
  'prune bad entries': {
    args: ['prune', '--entries', 'images', '--older-than', '1'],
    code: 64,
    stderr: `Error: unsupported --entries value, please specify either "caches" or "vms"\n${ROOT_USAGE}`,
  },
  'prune deprecated cache budget together with space budget': {
    args: ['prune', '--cache-budget', '1', '--space-budget', '1'],
    code: 64,
    stderr: `--cache-budget is deprecated, please use --space-budget\nError: --cache-budget is deprecated, please use --space-budget\n${usage('prune', 'tart prune [--entries <entries>] [--older-than <n>] [--space-budget <n>]')}`,
  },
  'login needs both username and password-stdin': {
    args: ['login', 'ghcr.io', '--username', 'me'],
    code: 64,
    stderr: `Error: both --username and --password-stdin are required\n${usage('login', 'tart login <host> [--username <username>] [--password-stdin] [--insecure] [--no-validate]')}`,
  },
  'pull a local name': { args: ['pull', 'vm1'], code: 0, stdout: '"vm1" is a local image, nothing to pull here!\n', stderr: '' },
  'pull an unknown image': {
    args: ['pull', 'ghcr.io/cirruslabs/nope:latest'],
    code: 1,
    stdout: 'pulling ghcr.io/cirruslabs/nope:latest...\npulling manifest...\n',
    stderr: 'Error: UnexpectedHTTPStatusCode(when: "pulling manifest", code: 404, details: "{\\"errors\\":[{\\"code\\":\\"MANIFEST_UNKNOWN\\",\\"message\\":\\"manifest unknown\\"}]}")\n',
  },
  'pull from an unknown host': {
    args: ['pull', 'registry.invalid/acme/img:1'],
    code: 1,
    stderr: 'Error: A server with the specified hostname could not be found.\n',
  },
  'fqn echoes a local name': { args: ['fqn', 'vm1'], code: 0, stdout: 'vm1\n', stderr: '' },
  'incomplete VM directory': { args: ['get', 'half'], code: 1, stderr: 'VM is missing some of its files (config.json, disk.img or nvram.bin)\n' },
  'corrupt config.json': { args: ['get', 'corrupt'], code: 1, stderr: 'Error: The data couldn’t be read because it isn’t in the correct format.\n' },
};

describe.concurrent('documented messages and exit codes', () => {
  for (const [title, c] of Object.entries(CASES)) {
    it(title, async () => {
      if (title === 'incomplete VM directory') {
        const { mkdirSync, writeFileSync } = await import('node:fs');
        mkdirSync(`${sim.home}/vms/half`, { recursive: true });
        writeFileSync(`${sim.home}/vms/half/config.json`, '{}');
      }
      if (title === 'corrupt config.json') {
        const { mkdirSync, writeFileSync, closeSync, openSync } = await import('node:fs');
        mkdirSync(`${sim.home}/vms/corrupt`, { recursive: true });
        writeFileSync(`${sim.home}/vms/corrupt/config.json`, '{"version": 1,');
        for (const f of ['disk.img', 'nvram.bin']) closeSync(openSync(`${sim.home}/vms/corrupt/${f}`, 'w'));
      }
      const r = await tartSim(c.args, { env: sim.env });
      expect({ code: r.code, stderr: c.stderr === undefined ? undefined : r.stderr }).toEqual({ code: c.code, stderr: c.stderr });
      if (c.stdout !== undefined) expect(r.stdout).toBe(c.stdout);
      if (c.args.includes('--help')) expect(r.stdout).toMatch(/^(OVERVIEW: .*\n\n)?USAGE: tart /);
    });
  }
});
