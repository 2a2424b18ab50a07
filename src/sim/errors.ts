// Error model of Tart 2.35.0 (Root.swift + swift-argument-parser 1.6.1), reproduced byte for byte:
// - RuntimeError: bare message on stderr; exit 2 for VMDoesNotExist/VMNotRunning/VMAlreadyRunning, else 1.
// - ValidationError / parse errors: "Error: <msg>\n" [+ "Help:  <arg help>\n"] + usage block; exit 64.
// - anything else: "Error: <description>", exit 1.

/** A command outcome that ends the process: `stderr` is written verbatim, then the process exits with `exitCode`. */
export class SimExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly stderr: string,
    /** Written to stdout before `stderr` (help and version output). */
    readonly stdout = '',
  ) {
    super(stderr.trimEnd());
    this.name = 'SimExit';
  }
}

/**
 * Synopses as swift-argument-parser prints them after "Usage: " (declaration order, hidden options
 * left out, >12 options collapse to "[<options>]").
 */
export const USAGES: Record<string, string> = {
  '': 'tart <subcommand>',
  create: 'tart create <name> [--from-ipsw <path>] [--linux] [--disk-size <disk-size>] [--disk-format <disk-format>]',
  clone: 'tart clone <source-name> <new-name> [--insecure] [--concurrency <concurrency>] [--prune-limit <n>]',
  run: 'tart run [<options>] <name>',
  set: 'tart set <name> [--cpu <cpu>] [--memory <memory>] [--display <display>] [--display-refit] [--no-display-refit] [--random-mac] [--random-serial] [--disk <path>] [--disk-size <disk-size>]',
  get: 'tart get <name> [--format <format>]',
  list: 'tart list [--source <source>] [--format <format>] [--quiet]',
  login: 'tart login <host> [--username <username>] [--password-stdin] [--insecure] [--no-validate]',
  logout: 'tart logout <host>',
  ip: 'tart ip <name> [--wait <wait>] [--resolver <resolver>]',
  exec: 'tart exec [-i] [-t] <name> <command> ...',
  pull: 'tart pull <remote-name> [--insecure] [--concurrency <concurrency>]',
  push: 'tart push <local-name> <remote-names> ... [--insecure] [--concurrency <concurrency>] [--chunk-size <chunk-size>] [--label <label> ...] [--populate-cache]',
  import: 'tart import <path> <name>',
  export: 'tart export <name> [<path>]',
  prune: 'tart prune [--entries <entries>] [--older-than <n>] [--space-budget <n>]',
  rename: 'tart rename <name> <new-name>',
  stop: 'tart stop <name> [--timeout <timeout>]',
  delete: 'tart delete <name> ...',
  fqn: 'tart fqn <name>',
  suspend: 'tart suspend <name>',
};

/** The usage block ArgumentParser appends to validation errors (ends with a newline). */
export function usageBlock(command: string): string {
  const synopsis = USAGES[command] ?? `tart ${command}`;
  const see = command === '' ? 'tart --help' : `tart ${command} --help`;
  return `Usage: ${synopsis}\n  See '${see}' for more information.\n`;
}

/** Tart RuntimeError: bare message to stderr; exit 2 for VMDoesNotExist/VMNotRunning/VMAlreadyRunning, else 1. */
export function runtimeError(message: string, exitCode: 1 | 2): SimExit {
  return new SimExit(exitCode, `${message}\n`);
}

/**
 * ValidationError: "Error: <msg>\n" + usage block; exit 64. Thrown from validate() the usage is the
 * subcommand's; thrown from run() (`root` = true) it is the root one.
 */
export function validationError(message: string, command: string, root?: boolean, help?: string): SimExit {
  const helpLine = help ? `Help:  ${help}\n` : '';
  return new SimExit(64, `Error: ${message}\n${helpLine}${usageBlock(root ? '' : command)}`);
}

/** Any other error (NSError, LessThanMinimalResourcesError, RuntimeError thrown in validate()): "Error: <msg>", exit 1. */
export function otherError(message: string): SimExit {
  return new SimExit(1, `Error: ${message}\n`);
}

export const vmDoesNotExist = (name: string): SimExit => runtimeError(`the specified VM "${name}" does not exist`, 2);
export const vmNotRunning = (name: string): SimExit => runtimeError(`VM "${name}" is not running`, 2);
export const vmIsRunning = (name: string): SimExit => runtimeError(`VM "${name}" is running`, 1);
export const vmAlreadyRunning = (name: string): SimExit => runtimeError(`VM "${name}" is already running!`, 2);
export const vmMissingFiles = (): SimExit =>
  runtimeError('VM is missing some of its files (config.json, disk.img or nvram.bin)', 1);
